#!/bin/bash
# nucleusd under systemd, without systemd as PID 1 (this host has none): the unit files
# pass `systemd-analyze verify`; socket activation the way systemd does it
# (systemd-socket-activate passes LISTEN_FDS); and the notify protocol against a
# stand-in NOTIFY_SOCKET: READY=1 once the API serves, STATUS=, WATCHDOG=1 at half of
# WATCHDOG_USEC, STOPPING=1.
. "$(dirname "$0")/lib.sh"
command -v systemd-analyze >/dev/null || skip "needs systemd-analyze (Debian package systemd)"
command -v systemd-socket-activate >/dev/null || skip "needs systemd-socket-activate (Debian package systemd)"

# The units, as installed but with this build's nucleusd (verify checks ExecStart exists).
UNITS="$T/units"
mkdir -p "$UNITS"
sed "s|^ExecStart=[^ ]*|ExecStart=$ND|" "$NUCLEUS_BIN/../systemd/nucleus.service" >"$UNITS/nucleus.service"
cp "$(dirname "$0")/../../systemd/nucleus.socket" "$UNITS/"
out=$(cd "$UNITS" && systemd-analyze verify --man=no ./nucleus.socket ./nucleus.service 2>&1); rc=$?
assert_eq "0:" "$rc:$out" "systemd-analyze verify accepts both units, without a warning"
assert_contains "$(cat "$UNITS/nucleus.service")" "KillMode=process" "a crash of nucleusd leaves the sandboxes to its successor"

# Socket activation: systemd-socket-activate holds the socket and starts nucleusd with it
# on the first connection.
ACT="$T/act.sock"
systemd-socket-activate -l "$ACT" "$ND" --log "$T/activated.log" --log-level debug >/dev/null 2>&1 &
activator=$!
on_exit "kill $activator 2>/dev/null; pkill -TERM -f -- '--log $T/activated.log' 2>/dev/null"
for _ in $(seq 100); do [ -S "$ACT" ] && break; sleep 0.02; done
assert_contains "$(NUCLEUS_SOCKET="$ACT" "$N" run -- "$H" uid)" "uid=0" "a sandbox through the activated socket"
assert_contains "$(cat "$T/activated.log")" "(from systemd)" "nucleusd used the socket it was passed"
pkill -TERM -f -- "--log $T/activated.log"
for _ in $(seq 100); do pgrep -f -- "--log $T/activated.log" >/dev/null || break; sleep 0.05; done
assert_eq "" "$(pgrep -f -- "--log $T/activated.log" || true)" "it stops on SIGTERM"
[ -S "$ACT" ] && echo "ok - the socket is systemd's: still there after nucleusd exits" || fail "nucleusd removed the passed socket"
kill "$activator" 2>/dev/null || true

# The notify protocol.
NS="$T/notify.sock"
NOTES="$T/notify.jsonl"
python3 "$(dirname "$0")/journal_listen.py" "$NS" "$NOTES" </dev/null >/dev/null 2>&1 &
listener=$!
on_exit "kill $listener 2>/dev/null"
for _ in $(seq 100); do [ -e "$NOTES.ready" ] && break; sleep 0.02; done
NOTIFY_SOCKET=$NS WATCHDOG_USEC=300000 start_supervisor
notes() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    for k, v in json.loads(l).items(): print(f"{k}={v}")' "$NOTES" 2>/dev/null; }
for _ in $(seq 100); do notes | grep -q READY=1 && break; sleep 0.02; done
assert_contains "$(notes)" "READY=1" "READY=1 once the API serves"
assert_contains "$(notes)" "STATUS=0 sandboxes running, 0 in all" "with a STATUS"
"$N" run -d --name s1 -- "$H" sleep 30 >/dev/null
sleep 1.2
assert_contains "$(notes)" "STATUS=1 sandboxes running, 1 in all" "STATUS follows the sandboxes"
assert_match "$(notes | grep -c '^WATCHDOG=1$')" "^([3-9]|[1-9][0-9]+)$" "WATCHDOG=1 every 150 ms (half of WATCHDOG_USEC)"
"$N" rm -f s1 >/dev/null
stop_supervisor
for _ in $(seq 50); do notes | grep -q STOPPING=1 && break; sleep 0.02; done
assert_contains "$(notes)" "STOPPING=1" "STOPPING=1 when it shuts down"
finish
