#!/bin/bash
# --restart: the workload is started again by init inside the same sandbox (same id,
# name and file system), after a backoff that doubles; on-failure:MAX stops after MAX
# restarts; a stop is never followed by a restart; --restart-on-unhealthy stops an
# unhealthy workload so that the policy restarts it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/probe_lib.sh"
start_supervisor

"$N" events >"$T/events" 2>&1 &
EVENTS_PID=$!
on_exit "kill $EVENTS_PID 2>/dev/null"
sleep 0.2

# on-failure:3: four runs in all, then the sandbox ends with the last run's status.
id=$("$N" run -d --name fails --restart on-failure:3 -- sh -c 'echo run; exit 3')
rc=$(timeout 20 "$N" wait fails)
assert_eq 3 "$rc" "the last run's exit code is the sandbox's"
assert_eq 4 "$("$N" logs fails | grep -c '^run$')" "on-failure:3: the first run and 3 restarts"
assert_eq "3 $id" "$(field fails 'd["restart"]["count"], d["id"]')" "counted in inspect, under the same id"
assert_eq 0 "$("$N" run -d --name ok --restart on-failure -- true >/dev/null; "$N" wait ok)" "on-failure: exit 0 ends it"
assert_eq 0 "$(field ok 'd["restart"]["count"]')" "without a restart"

# The same sandbox each time: what a run leaves in its file system is there for the
# next. The third run stays up.
"$N" run -d --name counter --restart always -- sh -c \
    'n=$(cat /tmp/n 2>/dev/null || echo 0); n=$((n+1)); echo $n >/tmp/n; echo run$n; sleep 100 & [ $n -ge 3 ] && exec sleep 60; exit 1' >/dev/null
for _ in $(seq 100); do [ "$(field counter 'd["restart"]["count"]')" = 2 ] && [ "$(field counter 'd["restart"]["waiting"]')" = False ] && break; sleep 0.05; done
assert_eq "2 running" "$(field counter 'd["restart"]["count"], d["state"]')" "two restarts, and it runs"
assert_eq 3 "$("$N" exec counter cat /tmp/n)" "the file system is kept across restarts"
assert_eq "run1 run2 run3" "$("$N" logs counter | tr '\n' ' ' | sed 's/ $//')" "one log across runs"
assert_eq 2 "$("$N" exec counter pgrep -c -x sleep)" "what earlier runs left running was killed (only run 3's two sleeps)"
assert_eq 1 "$(field counter 'd["restart"]["last_exit"]["exit_code"]')" "inspect has the last exit"
assert_match "$("$N" ps --json)" '"restarts": 2' "ps --json has the count"
sleep 0.2
assert_match "$(cat "$T/events")" 'counter +restart: running -> waiting' "an event when it exits"
assert_match "$(cat "$T/events")" 'counter +restart: waiting -> running' "and when it runs again"
assert_contains "$(cat "$NUCLEUS_STATE_DIR/audit.jsonl")" '"container_restart"' "the audit log records restarts"

# The backoff doubles: 100, 200, 400, 800 ms ...
"$N" run -d --name flap --restart always -- true >/dev/null
sleep 1.2
n=$(field flap 'd["restart"]["count"]')
assert_eq yes "$([ "$n" -ge 2 ] && [ "$n" -le 5 ] && echo yes || echo "no ($n)")" "about 3 restarts in 1.2 s, not dozens"
assert_match "$(grep 'restarting it in' "$T/nucleusd.log" | grep "$(field flap 'd["id"]')" | sed -n 's/.*restarting it in \([0-9]*\) ms.*/\1/p' | tr '\n' ' ')" \
    '^100 200 400 ' "100 ms, then 200, then 400"

# A stop while it waits: it ends, and is not restarted.
"$N" stop -t 2 flap >/dev/null
assert_eq exited "$(field flap 'd["state"]')" "stopped between two runs: exited"
assert_eq stopped_by_api "$(field flap 'd["result"]["reason"]')" "by the API"
"$N" stop -t 2 counter >/dev/null
assert_eq "exited 2" "$(field counter 'd["state"], d["restart"]["count"]')" "a stopped workload is not restarted"

# --restart-on-unhealthy: the first run never creates the checked file; it is stopped
# once unhealthy and the second run is healthy.
"$N" run -d --name sick --restart always --restart-on-unhealthy --health-cmd 'test -e /tmp/ok' --health-interval 200ms \
    --health-retries 2 --health-start-period 0 -- \
    sh -c 'n=$(cat /tmp/n 2>/dev/null || echo 0); echo $((n+1)) >/tmp/n; [ $n -ge 1 ] && touch /tmp/ok; exec sleep 60' >/dev/null
for _ in $(seq 200); do [ "$(field sick 'd["restart"]["count"]')" = 1 ] && break; sleep 0.05; done
wait_health sick healthy 10
assert_eq 1 "$(field sick 'd["restart"]["count"]')" "restarted once, after it was unhealthy"
sleep 0.2
assert_match "$(cat "$T/events")" 'sick +health: starting -> unhealthy' "the first run turned unhealthy"
assert_contains "$(cat "$NUCLEUS_STATE_DIR/audit.jsonl")" '"container_unhealthy_stop"' "the audit log says why"
assert_match "$(cat "$T/events")" 'sick +health: unhealthy -> starting' "a restarted workload starts over as starting"

# The loop process dies during a backoff: the new one goes on with it.
"$N" run -d --name phoenix --restart on-failure -- sh -c \
    'n=$(cat /tmp/n 2>/dev/null || echo 0); n=$((n+1)); echo $n >/tmp/n; [ $n -ge 6 ] && exec sleep 60; exit 1' >/dev/null
for _ in $(seq 200); do
    [ "$(field phoenix 'd["restart"]["waiting"] and d["restart"].get("backoff_ms", 0) >= 800')" = True ] && break
    sleep 0.02
done
old=$(pgrep -P "$SUP_PID" -x nucleusd-loop)
kill -KILL "$old"
for _ in $(seq 200); do new=$(pgrep -P "$SUP_PID" -x nucleusd-loop || true); [ -n "$new" ] && [ "$new" != "$old" ] && "$N" ps >/dev/null 2>&1 && break; sleep 0.02; done
for _ in $(seq 200); do [ "$(field phoenix 'd["restart"]["count"] == 5 and not d["restart"]["waiting"]')" = True ] && break; sleep 0.05; done
assert_eq "5 False running" "$(field phoenix 'd["restart"]["count"], d["restart"]["waiting"], d["state"]')" \
    "a restarted loop process finishes the backoff and restarts the workload"
assert_eq 6 "$("$N" exec phoenix cat /tmp/n)" "the sixth run is up"
"$N" rm -f phoenix >/dev/null

# What is refused.
for bad in bogus on-failure:0 always:3; do
    rc=0; err=$("$N" run --restart "$bad" -- true 2>&1) || rc=$?
    assert_eq 125 "$rc" "--restart $bad is refused"
    assert_contains "$err" "no, on-failure, on-failure:MAX" "and says what is accepted"
done
rc=0; err=$("$N" run --restart always --restart-on-unhealthy -- true 2>&1) || rc=$?
assert_contains "$err" "needs a health check" "--restart-on-unhealthy needs a health check"
rc=0; err=$("$N" run --health-cmd true --restart-on-unhealthy -- true 2>&1) || rc=$?
assert_contains "$err" "needs a restart policy" "and a restart policy"
"$N" rm -f fails ok counter flap sick >/dev/null
finish
