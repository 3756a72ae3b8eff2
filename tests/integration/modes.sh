#!/bin/bash
# Service modes (docs/modes.md): strict-agent is fail-closed; production needs a
# rootfs with attestation, limits and pinned policies, refuses dangerous policies,
# hides other processes in /proc and audits the mounts before anything runs.
. "$(dirname "$0")/lib.sh"
start_supervisor

R="$T/rootfs"
mkdir -p "$R/usr/bin" "$R/etc"
install -m 0755 "$NUCLEUS_HELPER" "$R/usr/bin/helper"
ln -s usr/bin "$R/bin"
(cd "$R" && for f in usr/bin/helper bin/helper; do printf '%s\t%s\n' "$(sha256sum "$f" | cut -d' ' -f1)" "$f"; done) \
    >"$R/.nucleus-rootfs-sha256"
P=(--service-mode production --rootfs "$R" --verify-rootfs-attestation --memory 64M --cpus 1)
pin() { sha256sum "$1" | cut -c1-64; }

# Production: what it requires, one at a time.
assert_refused "production needs --rootfs DIR" "production without --rootfs" --service-mode production --memory 64M --cpus 1 -- true
assert_refused "production needs --verify-rootfs-attestation" "production without attestation" \
    --service-mode production --rootfs "$R" --memory 64M --cpus 1 -- helper uid
assert_refused "production needs --memory SIZE" "production without --memory" \
    --service-mode production --rootfs "$R" --verify-rootfs-attestation --cpus 1 -- helper uid
assert_refused "production needs --cpus N" "production without --cpus" \
    --service-mode production --rootfs "$R" --verify-rootfs-attestation --memory 64M -- helper uid
assert_refused "--allow-degraded-security is refused in production mode" "production refuses degraded security" \
    "${P[@]}" --allow-degraded-security -- helper uid
assert_refused "--allow-degraded-security is refused in strict-agent mode" "strict-agent refuses degraded security" \
    --service-mode strict-agent --allow-degraded-security -- true
assert_refused "--allow-degraded-security is refused in strict-agent mode" "--strict-agent is the same" \
    --strict-agent --allow-degraded-security -- true
assert_refused "invalid --service-mode 'lax': agent, strict-agent (alias mitos-agent) or production" "an unknown mode" \
    --service-mode lax -- true
assert_refused "invalid --trust-level 'maybe': untrusted or trusted" "an unknown trust level" --trust-level maybe -- true
assert_refused "--allow-chroot-fallback is not supported" "there is no chroot fallback" --allow-chroot-fallback -- true

assert_refused "--seccomp-mode trace is refused in strict-agent mode" "strict-agent refuses seccomp trace" \
    --strict-agent --seccomp-mode trace --seccomp-log "$T/trace.ndjson" -- true
assert_refused "--seccomp-mode trace is refused in production mode" "production refuses seccomp trace" \
    "${P[@]}" --seccomp-mode trace --seccomp-log "$T/trace.ndjson" -- helper uid

# Production's policy rules.
printf '[bounding]\nkeep = ["NET_BIND_SERVICE"]\n' >"$T/caps-ok.toml"
printf '[bounding]\nkeep = ["SYS_ADMIN"]\n' >"$T/caps-admin.toml"
assert_refused "needs every policy pinned: give --caps-policy-sha256" "an unpinned policy" \
    "${P[@]}" --caps-policy "$T/caps-ok.toml" -- helper uid
assert_refused "refuses a capability policy that keeps CAP_SYS_ADMIN" "a dangerous capability" \
    "${P[@]}" --caps-policy "$T/caps-admin.toml" --caps-policy-sha256 "$(pin "$T/caps-admin.toml")" -- helper uid
printf 'min_abi = 3\n[[rules]]\npath = "/tmp"\naccess = ["read", "write", "execute"]\n' >"$T/ll-wx.toml"
assert_refused "refuses Landlock rule 1 ('/tmp'): write and execute on the same path" "write+execute in a Landlock policy" \
    "${P[@]}" --landlock-policy "$T/ll-wx.toml" --landlock-policy-sha256 "$(pin "$T/ll-wx.toml")" -- helper uid
assert_contains "$("$N" run "${P[@]}" --caps-policy "$T/caps-ok.toml" --caps-policy-sha256 "$(pin "$T/caps-ok.toml")" -- helper caps)" \
    "CapEff=0000000000000400" "a pinned, harmless caps policy is accepted"
# The same policies are fine in agent mode.
assert_contains "$("$N" run --caps-policy "$T/caps-ok.toml" -- true 2>&1 && echo ok)" "ok" "agent mode takes an unpinned policy"

# A production sandbox.
"$N" run "${P[@]}" -d --name prod -- helper sleep 30 >/dev/null
wait_state prod
sec=$("$N" inspect prod | python3 -c 'import json,sys; s=json.load(sys.stdin)["security"]
print(s["mode"], s["trust_level"], s["root_fs"], s["mount_audit"]["passed"], s["mount_audit"]["mounts_checked"] > 10)')
assert_eq "production untrusted rootfs True True" "$sec" "inspect shows the mode, the rootfs and the mount audit"
assert_contains "$("$N" exec prod helper mounts | grep '^/proc ')" "hidepid=invisible" "production mounts /proc with hidepid"
# init is not dumpable, so hidepid hides it even from root inside; in agent mode it is listed.
assert_not_contains "$("$N" exec prod helper ls /proc | awk '{print $4}' | grep -x 1 || true)" "1" "production: init is invisible in /proc"
assert_contains "$(in_sandbox -- ls /proc | awk '{print $4}' | grep -x 1)" "1" "agent: init is listed in /proc"
"$N" rm -f prod >/dev/null
assert_contains "$(grep '"name":"prod"' "$NUCLEUS_STATE_DIR/audit.jsonl" | grep -c mount_audit_passed)" "1" \
    "the audit log records the mount audit"
assert_contains "$("$N" run --service-mode strict-agent --trust-level trusted -- "$H" uid)" "uid=0" "strict-agent runs a default sandbox"
# Without a network, the strict modes leave no IP sockets at all; agent mode keeps
# loopback for test suites' local servers.
assert_eq "result=errno errno=EPERM" "$("$N" run --strict-agent -- "$H" try-syscall socket-inet)" "strict-agent: no IP sockets"
assert_eq "result=errno errno=EPERM" "$("$N" run "${P[@]}" -- helper try-syscall socket-inet)" "production: no IP sockets"
assert_eq "result=ok" "$("$N" run --strict-agent -- "$H" try-syscall socket-unix)" "strict-agent: Unix sockets stay"
assert_eq "result=ok" "$(in_sandbox -- try-syscall socket-inet)" "agent: loopback IP sockets stay"
assert_refused "--proc-rw is refused in production mode" "production keeps /proc read-only" "${P[@]}" --proc-rw -- helper uid
assert_refused "--disable-cgroup-namespace is refused in production mode" "production keeps the cgroup namespace" \
    "${P[@]}" --disable-cgroup-namespace -- helper uid
finish
