#!/bin/bash
# Health checks by command: run by the sandbox's init as the workload's user under its
# lock-down; starting -> healthy -> unhealthy -> healthy again as the checked file comes
# and goes; every change shown in ps, inspect, events and the audit log; a check that
# hangs is killed at its timeout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/probe_lib.sh"
start_supervisor

"$N" events >"$T/events" 2>&1 &
EVENTS_PID=$!
on_exit "kill $EVENTS_PID 2>/dev/null"
sleep 0.2

# The workload creates /tmp/ok, removes it after 2 s, and brings it back on SIGUSR1.
"$N" run -d --name svc -u 1000 --group 1000 --health-cmd 'id -u; grep ^Seccomp: /proc/self/status; test -e /tmp/ok' \
    --health-interval 200ms --health-retries 2 --health-start-period 0 -- \
    sh -c 'trap "touch /tmp/ok" USR1; touch /tmp/ok; sleep 2; rm /tmp/ok; while :; do sleep 0.1; done' >/dev/null
assert_eq starting "$(health svc)" "a new sandbox's health is starting"
wait_health svc healthy 5
assert_match "$("$N" ps)" 'svc +running +healthy +yes' "ps shows it healthy (and ready: no readiness probe)"
out=$(field svc 'd["health"]["log"][-1]["output"]')
assert_contains "$out" "1000" "the check runs as the workload's user"
assert_contains "$out" "Seccomp:	2" "under the sandbox's seccomp filter"
wait_health svc unhealthy 6
assert_match "$("$N" ps)" 'svc +running +unhealthy' "ps shows it unhealthy"
assert_eq 2 "$(field svc 'd["health"]["failing_streak"] >= 2 and 2')" "the failing streak reached the retries"
assert_eq 1 "$(field svc 'd["health"]["log"][-1]["exit_code"]')" "each result keeps the exit code"
assert_eq False "$(field svc 'd["health"]["log"][-1]["passed"]')" "and whether it passed"
assert_match "$(field svc 'd["health"]["log"][-1]["start"]')" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "and when it ran"
assert_eq 5 "$(field svc 'len(d["health"]["log"])')" "the last 5 results are kept"
"$N" kill -s USR1 svc >/dev/null
wait_health svc healthy 5
assert_eq 0 "$(field svc 'd["health"]["failing_streak"]')" "a pass resets the streak"
assert_eq running "$(field svc 'd["state"]')" "an unhealthy sandbox keeps running (no --restart-on-unhealthy)"

sleep 0.3
ev=$(cat "$T/events")
assert_match "$ev" 'svc +health: starting -> healthy' "events: starting -> healthy"
assert_match "$ev" 'svc +health: healthy -> unhealthy' "events: healthy -> unhealthy"
assert_match "$ev" 'svc +health: unhealthy -> healthy' "events: unhealthy -> healthy"
audit=$(cat "$NUCLEUS_STATE_DIR/audit.jsonl")
assert_contains "$audit" '"health_check_unhealthy"' "the audit log records the sandbox turning unhealthy"
assert_contains "$audit" '"health_check_passed"' "and healthy again"

# A check that hangs is killed at its timeout: exit code 124, said in its output.
"$N" run -d --name hang --health-cmd 'sleep 30' --health-interval 100ms --health-timeout 300ms --health-retries 1 \
    --health-start-period 0 -- sleep 60 >/dev/null
wait_health hang unhealthy 5
assert_eq 124 "$(field hang 'd["health"]["log"][-1]["exit_code"]')" "a timed-out check counts as exit code 124"
assert_contains "$(field hang 'd["health"]["log"][-1]["output"]')" "timed out after 300ms" "and says so"
n=$("$N" exec hang pgrep -c -x sleep || true)
assert_eq yes "$([ "$n" -le 2 ] && echo yes || echo "no ($n)")" "killed checks do not pile up inside"

# A command that is not there: 127, as a shell says it.
"$N" run -d --name nocmd --health-cmd 'no-such-command' --health-interval 100ms --health-retries 1 \
    --health-start-period 0 -- sleep 60 >/dev/null
wait_health nocmd unhealthy 5
assert_eq 127 "$(field nocmd 'd["health"]["log"][-1]["exit_code"]')" "a missing command: 127"

# Paused sandboxes are not probed (a frozen workload cannot answer).
"$N" pause svc >/dev/null
runs=$(field svc 'd["health"]["runs"]')
sleep 0.8
assert_eq "$runs" "$(field svc 'd["health"]["runs"]')" "no checks while paused"
"$N" resume svc >/dev/null

"$N" rm -f svc hang nocmd >/dev/null
finish
