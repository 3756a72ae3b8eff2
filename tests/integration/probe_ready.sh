#!/bin/bash
# Readiness: a sandbox is ready only once its readiness probe passes — READY=1 on the
# NOTIFY_SOCKET nucleusd provides inside (--readiness-sd-notify), or a command that
# exits 0 (--readiness-exec); shown in ps, inspect and as an event; `wait --ready`
# returns then. One that never becomes ready stays "not ready", and a wait for it ends
# with an error when the sandbox does.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/probe_lib.sh"
start_supervisor

"$N" events >"$T/events" 2>&1 &
EVENTS_PID=$!
on_exit "kill $EVENTS_PID 2>/dev/null"
sleep 0.2

# sd_notify, from the workload as a systemd service would send it (as uid 1000).
"$N" run -d --name notify -u 1000 --group 1000 --readiness-sd-notify -- python3 -c '
import os, socket, time
time.sleep(1)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"STATUS=warmed up\nREADY=1", os.environ["NOTIFY_SOCKET"])
time.sleep(60)' >/dev/null
wait_state notify
assert_eq /run/nucleus/notify "$("$N" exec notify printenv NOTIFY_SOCKET)" "NOTIFY_SOCKET is set for the workload"
assert_eq False "$(field notify 'd["ready"]')" "not ready before READY=1"
assert_match "$("$N" ps)" 'notify +running +- +no ' "ps: not ready"
assert_eq ready "$(timeout 10 "$N" wait --ready notify)" "wait --ready returns on READY=1"
assert_eq "True sd_notify warmed up" "$(field notify 'd["ready"], d["readiness"]["probe"], d["readiness"]["status"]')" \
    "inspect: ready, by sd_notify, with the STATUS= text"
assert_match "$("$N" ps)" 'notify +running +- +yes ' "ps: ready"
assert_match "$(cat "$T/events")" 'notify +readiness: not_ready -> ready' "an event says it became ready"
assert_contains "$(cat "$NUCLEUS_STATE_DIR/audit.jsonl")" '"readiness_probe_ready"' "and the audit log"

# A command as the readiness probe.
"$N" run -d --name exec-ready --readiness-exec 'test -e /tmp/ready' --readiness-interval 200ms -- \
    sh -c 'sleep 1; touch /tmp/ready; sleep 60' >/dev/null
wait_state exec-ready
assert_eq False "$(field exec-ready 'd["ready"]')" "readiness-exec: not ready while the command fails"
assert_eq ready "$(timeout 10 "$N" wait --ready exec-ready)" "ready once it exits 0"
assert_eq exec "$(field exec-ready 'd["readiness"]["probe"]')" "inspect names the probe"

# Never ready: stays so; a waiter learns when the sandbox ends instead.
"$N" run -d --name never --readiness-sd-notify -- sleep 60 >/dev/null
wait_state never
rc=0; timeout 1.5 "$N" wait --ready never >/dev/null 2>&1 || rc=$?
assert_eq 124 "$rc" "wait --ready keeps waiting for a sandbox that is not ready"
assert_match "$("$N" ps)" 'never +running +- +no ' "ps: not ready"
timeout 20 "$N" wait --ready never >"$T/never.out" 2>&1 &
WAITER=$!
sleep 0.3
"$N" stop -t 1 never >/dev/null
rc=0; wait $WAITER || rc=$?
assert_eq 1 "$rc" "a wait --ready on a sandbox that ends first fails"
assert_contains "$(cat "$T/never.out")" "ended before it was ready" "and says why"
assert_eq ready "$("$N" run -d --name plain -- sleep 60 >/dev/null; "$N" wait --ready plain)" \
    "without a readiness probe, a running sandbox is ready"

# The loop process dies (kill -9) and the zygote starts another: readiness is kept (READY=1
# comes once), health checks resume from "starting".
"$N" run -d --name hc --health-cmd true --health-interval 200ms --health-start-period 0 -- sleep 60 >/dev/null
wait_health hc healthy 5
old=$(pgrep -P "$SUP_PID" -x nucleusd-loop)
kill -KILL "$old"
for _ in $(seq 200); do new=$(pgrep -P "$SUP_PID" -x nucleusd-loop || true); [ -n "$new" ] && [ "$new" != "$old" ] && "$N" ps >/dev/null 2>&1 && break; sleep 0.02; done
assert_eq True "$(field notify 'd["ready"]')" "a restarted loop process still knows the sandbox is ready"
assert_eq ready "$(timeout 5 "$N" wait --ready notify)" "and wait --ready returns at once"
wait_health hc healthy 5

"$N" rm -f notify exec-ready never plain hc >/dev/null
finish
