#!/bin/bash
# --context DIR: copy mode (the default) unpacks a snapshot, made as the caller by
# nucleus-context-pack, into a read-only tmpfs at /context, leaving out credential
# material, dependency trees and symlinks (listed in inspect); bind mode mounts the
# live directory read-only.
. "$(dirname "$0")/lib.sh"
start_supervisor
C="$T/project"
mkdir -p "$C/src/deep" "$C/.git" "$C/node_modules/x" "$C/.ssh" "$C/target"
echo 'print(1)' >"$C/src/main.py"
echo deep >"$C/src/deep/f"
echo ref >"$C/.git/HEAD"
echo TOKEN=1 >"$C/.env.production"
echo k >"$C/server.key"
echo k >"$C/tls.PEM"
echo s >"$C/my_secret.txt"
echo s >"$C/db-credentials.json"
echo m >"$C/node_modules/x/index.js"
ln -s /etc/shadow "$C/shadow-link"
mkfifo "$C/fifo"
cp /usr/bin/true "$C/tool"
chmod 4755 "$C/tool"
for i in $(seq 200); do echo "$i" >"$C/src/f$i"; done

assert_eq "print(1)" "$("$N" run --context "$C" -- cat /context/src/main.py)" "copied files are readable at /context"
listing=$("$N" run --context "$C" -- find /context -mindepth 1 | sort)
assert_contains "$listing" "/context/src/deep/f" "nested directories are copied"
assert_eq 200 "$(grep -c '^/context/src/f[0-9]' <<<"$listing")" "all 200 files arrive"
for gone in .git node_modules .ssh target .env.production server.key tls.PEM my_secret.txt db-credentials.json shadow-link fifo; do
    assert_not_contains "$listing" "/context/$gone" "copy mode leaves out $gone"
done
"$N" run --name c1 --context "$C" -- true
ctx=$("$N" inspect c1 | python3 -c 'import json,sys; c=json.load(sys.stdin)["context"]; print(c["mode"], c["files"], " ".join(sorted(c["skipped"])))')
assert_eq "copy 203 .env.production .git .ssh db-credentials.json fifo my_secret.txt node_modules server.key shadow-link target tls.PEM" "$ctx" \
    "inspect reports the mode, the count and every skipped path"
assert_contains "$("$N" run --context "$C" -- sh -c 'echo x > /context/src/main.py' 2>&1 || true)" "Read-only file system" "/context is read-only"
assert_contains "$(in_sandbox --context "$C" -- mounts | awk '$1 == "/context"')" "ro,nosuid,nodev,noexec" "and nosuid, nodev, noexec"
assert_eq "755" "$("$N" run --context "$C" -- stat -c %a /context/tool)" "setuid bits are dropped"
assert_eq "1000 1000" "$("$N" run --user 1000 --group 1000 --context "$C" -- stat -c '%u %g' /context/src/main.py)" "files belong to the workload user"
"$N" run -d --name snap --context "$C" -- sleep 30 >/dev/null
wait_state snap
echo changed >"$C/src/main.py"
assert_eq "print(1)" "$("$N" exec snap cat /context/src/main.py)" "copy mode is a snapshot"
"$N" rm -f snap >/dev/null

assert_eq "changed" "$("$N" run --context "$C" --context-mode bind -- cat /context/src/main.py)" "bind mode shows the live directory"
assert_contains "$("$N" run --context "$C" --context-mode bind -- ls -a /context)" ".git" "and leaves nothing out"
assert_contains "$("$N" run --context "$C" --context-mode bind -- sh -c 'echo x > /context/src/main.py' 2>&1 || true)" \
    "Read-only file system" "read-only too"

# A stream nucleusd receives over the API is checked by init entry by entry: whatever
# sent it, nothing lands outside /context and nothing but files and directories lands.
api_ctx() { # TARFILE
    EXPECT=1 timeout 20 python3 "$(dirname "$0")/api_client.py" "@ctx:$1:{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sandbox.create\",\"params\":{\"spec\":{\"args\":[\"cat\",\"/context/ok.txt\"]},\"wait\":true,\"stdio\":\"passed\",\"context\":{\"mode\":\"copy\"}}}"
}
python3 "$(dirname "$0")/context_tar.py" ok "$T/ok.tar"
assert_contains "$(api_ctx "$T/ok.tar")" "fine" "a well-formed stream from the API is unpacked"
for k in dotdot:../../etc/evil abs:/etc/evil symlink:link hardlink:hl device:dev; do
    python3 "$(dirname "$0")/context_tar.py" "${k%%:*}" "$T/${k%%:*}.tar"
    assert_contains "$(api_ctx "$T/${k%%:*}.tar")" "Refused context entry '${k#*:}'" "a ${k%%:*} entry is refused by name"
done
head -c 4096 /dev/urandom >"$T/junk.tar"
assert_contains "$(api_ctx "$T/junk.tar")" "\"stage\": \"context\"" "a stream that is not tar fails the sandbox at the context stage"

# --verify-context-integrity: the helper hashes the source tree; init recomputes the
# digest over /context and refuses to start on a mismatch. The digest format is
# checked independently here (sorted paths; "D path\0" or "F path\0<sha256>\0").
tree_digest() { python3 - "$1" <<'PY'
import hashlib, os, sys
root = sys.argv[1]; recs = []
for d, dirs, files in os.walk(root):
    for n in dirs + files:
        p = os.path.join(d, n); rel = os.path.relpath(p, root)
        if os.path.isdir(p): recs.append((rel.encode(), b"D " + rel.encode() + b"\0"))
        else: recs.append((rel.encode(), b"F " + rel.encode() + b"\0" + hashlib.sha256(open(p, "rb").read()).hexdigest().encode() + b"\0"))
print(hashlib.sha256(b"".join(r for _, r in sorted(recs))).hexdigest())
PY
}
I="$T/clean"
mkdir -p "$I/a/b"; echo one >"$I/a/b/x"; echo two >"$I/y"; : >"$I/empty"
assert_eq "one" "$("$N" run --name integ --context "$I" --verify-context-integrity -- cat /context/a/b/x)" "an intact copy passes the integrity check"
assert_eq "$(tree_digest "$I")" "$("$N" inspect integ | python3 -c 'import json,sys; print(json.load(sys.stdin)["context"]["sha256"])')" \
    "inspect keeps the source digest, computed as documented"
ok_sha=$(printf 'F ok.txt\0%s\0' "$(printf fine | sha256sum | cut -c1-64)" | sha256sum | cut -c1-64)
api_ctx_sha() { # TARFILE SHA
    EXPECT=1 timeout 20 python3 "$(dirname "$0")/api_client.py" "@ctx:$1:{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sandbox.create\",\"params\":{\"spec\":{\"args\":[\"cat\",\"/context/ok.txt\"]},\"wait\":true,\"stdio\":\"passed\",\"context\":{\"mode\":\"copy\",\"sha256\":\"$2\"}}}"
}
assert_contains "$(api_ctx_sha "$T/ok.tar" "$ok_sha")" "fine" "a stream that matches its digest starts"
bad=$(api_ctx_sha "$T/ok.tar" "$(printf x | sha256sum | cut -c1-64)")
assert_contains "$bad" "/context does not match the source tree" "a stream that does not match is refused"
assert_contains "$bad" "\"stage\": \"context\"" "at the context stage"
assert_contains "$("$N" run --context "$I" --context-mode bind --verify-context-integrity -- true 2>&1 || true)" \
    "--verify-context-integrity needs --context-mode copy" "integrity with bind mode is refused, with the reason"
assert_contains "$("$N" run --verify-context-integrity -- true 2>&1 || true)" "--verify-context-integrity needs --context DIR" \
    "and without a context"

chmod 0600 "$C/src/main.py"
chmod 0755 "$T" "$C"
assert_contains "$(setpriv --reuid=1 --regid=1 --clear-groups -- "$N" run --context "$C" -- true 2>&1 || true)" \
    "src/main.py: Permission denied" "a caller can only copy what it can read itself, and is told which file"
assert_contains "$("$N" run --context "$T/none" -- true 2>&1 || true)" "$T/none: No such file" "a missing directory is named"
assert_contains "$("$N" run --context-mode copy -- true 2>&1 || true)" "--context-mode needs --context DIR" "a mode without a directory is refused"
assert_contains "$("$N" run --context "$C" --context-mode mirror -- true 2>&1 || true)" "invalid --context-mode 'mirror': copy or bind" "a bad mode is named"

# A stream that never ends cannot hold a sandbox in "creating" forever: setup has a
# deadline (nucleusd --setup-timeout), after which the sandbox fails at stage setup.
stop_supervisor
start_supervisor --setup-timeout 1
mkfifo "$T/stuck"
sleep 60 >"$T/stuck" &
writer=$!
on_exit "kill $writer"
out=$(api_ctx "$T/stuck")
assert_contains "$out" '"stage": "setup"' "a context stream that never ends fails the sandbox at the setup deadline"
assert_contains "$out" "not ready 1 s after its clone" "and says why"
assert_eq "" "$("$N" ps -a --json | python3 -c 'import json,sys; print(" ".join(s["state"] for s in json.load(sys.stdin) if s["state"] == "creating"))')" \
    "nothing is left creating"
finish
