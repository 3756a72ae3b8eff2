#!/bin/bash
# ps, inspect, wait, kill, rm through the API; the final result is exact and kept.
. "$(dirname "$0")/lib.sh"
start_supervisor

"$N" run --name done -- sh -c 'exit 3' || true
assert_contains "$("$N" ps)" "ID" "ps prints a header"
assert_not_contains "$("$N" ps)" "done" "ps without -a hides exited sandboxes"
assert_contains "$("$N" ps -a)" "done" "ps -a shows them"
assert_contains "$("$N" ps -a --json)" '"state": "exited"' "ps --json"
assert_eq 3 "$("$N" wait done)" "wait on an exited sandbox prints its code"
res=$("$N" wait --json done)
assert_contains "$res" '"reason": "exited"' "result reason"
assert_contains "$res" '"exit_code": 3' "result exit code"
insp=$("$N" inspect done)
assert_contains "$insp" '"state": "exited"' "inspect shows the state"
assert_contains "$insp" '"args": [' "inspect shows the spec"

"$N" run --name live -- sleep 100 & cli=$!
wait_state live
assert_contains "$("$N" ps)" "running" "a running sandbox is listed"
( sleep 0.3; "$N" kill -s INT live >/dev/null ) &
assert_eq 130 "$("$N" wait live)" "wait returns when the sandbox ends: 128+SIGINT"
wait $cli || true
res=$("$N" wait --json live)
assert_contains "$res" '"signal": "SIGINT"' "result names the signal"
assert_contains "$res" '"reason": "signaled"' "result reason signaled"

rc=0; err=$("$N" kill done 2>&1) || rc=$?
assert_eq 1 "$rc" "kill of an exited sandbox fails"
assert_contains "$err" "is exited; kill needs a running sandbox" "the error names the state"

"$N" run --name busy -- sleep 100 & cli=$!
wait_state busy
rc=0; err=$("$N" rm busy 2>&1) || rc=$?
assert_eq 1 "$rc" "rm of a running sandbox fails"
assert_contains "$err" "is running; stop it first or remove with force" "rm error names the state"
"$N" rm -f busy >/dev/null
rc=0; wait $cli || rc=$?
assert_eq 137 "$rc" "rm -f kills it"
assert_not_contains "$("$N" ps -a)" "busy" "and removes it"

"$N" run --rm --name gone -- true
assert_not_contains "$("$N" ps -a)" "gone" "--rm removes the sandbox when it exits"
assert_contains "$("$N" info)" '"api_version": "1.0"' "supervisor.info reports the API version"
finish
