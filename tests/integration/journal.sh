#!/bin/bash
# With journald present, every audit record also goes to the journal (native protocol)
# with NUCLEUS_EVENT, NUCLEUS_SANDBOX_ID, NUCLEUS_SANDBOX_NAME and the record as
# NUCLEUS_AUDIT. This host has no journald: nucleusd runs in a mount namespace of its
# own where a listener holds /run/systemd/journal/socket.
. "$(dirname "$0")/lib.sh"
J="$T/journal.jsonl"
REAL_ND=$ND
ND="$T/nucleusd-journal"
cat >"$ND" <<WRAP
#!/bin/sh
exec unshare -m --propagation private sh -c '
    mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -p /run/systemd/journal || exit 1
    timeout 120 python3 "$(dirname "$0")/journal_listen.py" /run/systemd/journal/socket "$J" </dev/null >/dev/null 2>&1 &
    for i in \$(seq 100); do [ -e "$J.ready" ] && break; sleep 0.05; done
    exec "\$0" "\$@"' "$REAL_ND" "\$@"
WRAP
chmod +x "$ND"
on_exit "pkill -f 'journal_listen.py /run/systemd/journal/socket $J'"
start_supervisor
[ -e "$J.ready" ] || die "the journal stand-in did not start"

"$N" run --name j1 -- true
"$N" run --name j2 -- sh -c 'exit 4' || true
for _ in $(seq 50); do [ "$(grep -c container_exit "$J" 2>/dev/null)" = 2 ] && break; sleep 0.05; done
field() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("NUCLEUS_SANDBOX_NAME") == sys.argv[2] and r.get("NUCLEUS_EVENT") == sys.argv[3]: print(r.get(sys.argv[4], ""))' "$J" "$@"; }
assert_eq "$(python3 -c 'import json,sys
print(" ".join(json.loads(l)["event"] for l in open(sys.argv[1]) if json.loads(l)["name"] == "j1"))' "$NUCLEUS_STATE_DIR/audit.jsonl")" \
    "$(python3 -c 'import json,sys
print(" ".join(json.loads(l)["NUCLEUS_EVENT"] for l in open(sys.argv[1]) if json.loads(l).get("NUCLEUS_SANDBOX_NAME") == "j1"))' "$J")" \
    "the journal gets every audit record, in order"
assert_eq "nucleusd" "$(field j1 container_start SYSLOG_IDENTIFIER)" "SYSLOG_IDENTIFIER=nucleusd"
assert_eq "nucleus audit: container_exit j2" "$(field j2 container_exit MESSAGE)" "MESSAGE names the event and the sandbox"
assert_match "$(field j2 container_exit NUCLEUS_SANDBOX_ID)" "^[0-9a-f]{32}$" "NUCLEUS_SANDBOX_ID is the id"
assert_contains "$(field j2 container_exit NUCLEUS_AUDIT)" '"exit_code":4' "NUCLEUS_AUDIT is the record itself"

# A detached sandbox's output goes to the journal too, line by line, tagged.
"$N" run -d --name jl -- sh -c 'for i in 1 2 3; do echo "out $i"; echo "err $i" >&2; done' >/dev/null
"$N" wait jl >/dev/null
for _ in $(seq 100); do [ "$(grep -c '"NUCLEUS_STREAM"' "$J" 2>/dev/null)" -ge 6 ] && break; sleep 0.05; done
lines() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("NUCLEUS_SANDBOX_NAME") == "jl" and r.get("NUCLEUS_STREAM") == sys.argv[2]:
        print(r["MESSAGE"], r["PRIORITY"], r["SYSLOG_IDENTIFIER"], len(r["NUCLEUS_SANDBOX_ID"]))' "$J" "$1" | tr '\n' ';'; }
assert_eq "out 1 6 jl 32;out 2 6 jl 32;out 3 6 jl 32;" "$(lines stdout)" "stdout lines reach the journal in order, priority 6, tagged"
assert_eq "err 1 3 jl 32;err 2 3 jl 32;err 3 3 jl 32;" "$(lines stderr)" "stderr lines too, priority 3"
finish
