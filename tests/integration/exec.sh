#!/bin/bash
# exec: another process inside a running sandbox, forked by its init: same namespaces,
# cgroup, Landlock domain, capabilities, no_new_privs and seccomp; stdio passed; exact
# exit codes.
. "$(dirname "$0")/lib.sh"
start_supervisor

"$N" run -d --name box -e FOO=bar -- sleep 100 >/dev/null
wait_state box
assert_eq "bar" "$("$N" exec box sh -c 'echo $FOO')" "exec sees the sandbox's environment"
assert_eq "1 baz" "$("$N" exec -e X=1 -e FOO=baz box sh -c 'echo $X $FOO')" "-e adds and overrides"
assert_eq "/tmp" "$("$N" exec -w /tmp box pwd)" "-w sets the working directory"
assert_eq "hello" "$(echo hello | "$N" exec box cat)" "stdin reaches the process"
rc=0; "$N" exec box sh -c 'exit 7' || rc=$?; assert_eq 7 "$rc" "the exit code passes through"
rc=0; "$N" exec box sh -c 'kill -TERM $$' || rc=$?; assert_eq 143 "$rc" "128+signal"
rc=0; "$N" exec box no-such-cmd 2>/dev/null || rc=$?; assert_eq 127 "$rc" "not found: 127"
assert_eq "nucleus-init" "$("$N" exec box cat /proc/1/cmdline | tr '\0' ' ' | sed 's/ *$//')" "in the sandbox's pid namespace (init is PID 1)"
host_ns=$(readlink /proc/self/ns/net)
assert_ne "$host_ns" "$("$N" exec box readlink /proc/self/ns/net)" "in the sandbox's network namespace"
assert_eq "$("$N" run --name probe -- true; "$N" exec box readlink /proc/self/ns/mnt)" "$("$N" exec box readlink /proc/self/ns/mnt)" "the same mount namespace every time"
caps=$("$N" exec box "$H" caps)
assert_contains "$caps" "CapEff=0000000000000000" "no capabilities"
assert_contains "$caps" "Seccomp=2" "under seccomp"
rc=0; "$N" exec box "$H" try-syscall ptrace >/dev/null 2>&1 || rc=$?
assert_eq 159 "$rc" "the seccomp filter kills ptrace in exec too"
rc=0; "$N" exec box sh -c 'cp /usr/bin/true /tmp/t && /tmp/t' 2>/dev/null || rc=$?
assert_eq 126 "$rc" "Landlock (and noexec) hold for exec too"
"$N" stop -t 1 box >/dev/null
rc=0; err=$("$N" exec box true 2>&1) || rc=$?
assert_eq 1 "$rc" "exec on an exited sandbox fails"
assert_contains "$err" "is exited; exec needs a running sandbox" "and says why"

# stdio "stream": for clients without descriptors, the output comes as notifications
# and the reply after the last of it. 5 MB while the client does not read for a second:
# nucleusd stops reading the pipes while the connection is congested instead of
# buffering, and nothing is lost.
"$N" run -d --name st -- sleep 60 >/dev/null
wait_state st
out=$(python3 "$(dirname "$0")/exec_stream.py" "$NUCLEUS_SOCKET" st 0 sh -c 'echo out; echo err >&2; exit 3')
assert_contains "$out" "stdout_head out|" "stream: stdout arrives as notifications"
assert_contains "$out" "stderr err|" "and stderr, tagged as such"
assert_contains "$out" '"exit_code": 3' "the reply has the exit status"
out=$(python3 "$(dirname "$0")/exec_stream.py" "$NUCLEUS_SOCKET" st 1 sh -c 'head -c 5000000 /dev/zero | tr "\\0" x; echo; exit 0')
assert_contains "$out" "stdout_bytes 5000001" "5 MB to a client that reads late: every byte arrives"
assert_eq fine "$("$N" exec st echo fine)" "the loop serves others meanwhile"
# A client that reads all the time but never quite catches up is not taken for one that
# does not read: the 16 MiB limit counts unsent bytes, not all sent since the buffer was
# last empty (60 MB, read in small pieces, was cut off at 16 MiB).
out=$(timeout 60 python3 - <<'PY'
import json, os, socket, time
s = socket.socket(socket.AF_UNIX); s.connect(os.environ["NUCLEUS_SOCKET"]); s.settimeout(30)
s.sendall((json.dumps({"jsonrpc": "2.0", "method": "sandbox.exec", "id": 1, "params": {"id": "st", "stdio": "stream",
          "args": ["sh", "-c", "yes x | head -c 60000000"]}}) + "\n").encode())
total, tail = 0, b""
while True:
    d = s.recv(16384)
    if not d:
        print("closed after", total); break
    total += len(d); tail = (tail + d)[-4096:]
    if b'"id":1,"result"' in tail:
        print("reply"); break
    time.sleep(0.0002)
PY
)
assert_eq reply "$out" "a steady reader of 60 MB keeps its connection"
assert_contains "$(python3 "$(dirname "$0")/exec_stream.py" "$NUCLEUS_SOCKET" st 0 printf '\377\376' )" "stdout_bytes 2" \
    "bytes that are not UTF-8 travel base64-encoded"
assert_contains "$(python3 "$(dirname "$0")/api_client.py" '{"jsonrpc":"2.0","id":1,"method":"sandbox.exec","params":{"id":"st","args":["true"],"stdio":"pipe"}}' 2>&1)" \
    "must be \\\"null\\\", \\\"passed\\\"" "an unknown stdio is refused with what is accepted"
# Arguments and -e values reach the process whole and as bytes: a non-UTF-8 argument
# was dropped (echo a b ran instead of echo a \377 b), and -e K cut at 4 KiB.
assert_eq "a 377 b" "$("$N" exec st /bin/echo a $'\xff' b | od -An -c | tr -s ' ' | sed 's/^ //; s/ \\n$//')" \
    "a non-UTF-8 argument is passed, not dropped"
assert_eq "K=[377]" "$("$N" exec -e $'K=\xff' st /bin/sh -c 'echo "K=[$K]"' | od -An -c | tr -d ' ' | sed 's/\\n$//')" \
    "a non-UTF-8 -e value is passed"
assert_eq 6000 "$(BIG=$(head -c 6000 /dev/zero | tr '\0' x) "$N" exec -e BIG st /bin/sh -c 'echo ${#BIG}')" \
    "-e K copies a long value whole"
rc=0; err=$("$N" exec -e NUCLEUS_UNSET_VAR st true 2>&1) || rc=$?
assert_eq 2 "$rc" "-e K of an unset K is a usage error"
assert_contains "$err" "NUCLEUS_UNSET_VAR is not set in this environment" "and says so, as run does"
api() { python3 "$(dirname "$0")/api_client.py" "$@" 2>&1; }
assert_contains "$(api '{"jsonrpc":"2.0","id":1,"method":"sandbox.exec","params":{"id":"st","args":["true"],"env":"X=1"}}')" \
    "parameter 'env' must be an array" "an env that is not an array is refused, not ignored"
assert_contains "$(api '{"jsonrpc":"2.0","id":1,"method":"sandbox.exec","params":{"id":"st","args":["true"],"env":[5]}}')" \
    "env[0] must be a string" "an env entry of the wrong type is refused by name"
"$N" rm -f st >/dev/null

# An exec right behind a kill meets an init that is going away: the reply is the
# sandbox's end (or -32002), never -32603 "Failed to send ...: Broken pipe".
internal=0
for i in $(seq 8); do
    "$N" run -d --rm --name race$i -- sleep 60 >/dev/null
    out=$(timeout 20 python3 - "race$i" <<'PY'
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(os.environ["NUCLEUS_SOCKET"]); s.settimeout(10)
req = lambda m, p, i: json.dumps({"jsonrpc": "2.0", "method": m, "params": p, "id": i}) + "\n"
s.sendall((req("sandbox.kill", {"id": sys.argv[1]}, 1) + req("sandbox.exec", {"id": sys.argv[1], "args": ["true"]}, 2)).encode())
buf = b""
while buf.count(b"\n") < 2:
    buf += s.recv(65536)
print(buf.decode())
PY
)
    grep -q -- '-32603' <<<"$out" && { internal=$((internal + 1)); echo "$out" >&2; }
done
assert_eq 0 "$internal" "an exec racing a kill never gets an internal error"
finish
