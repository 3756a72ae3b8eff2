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
rc=0; "$N" run --rm --name gone -- true || rc=$?
assert_eq 0 "$rc" "and its name is free as soon as run returns"

# The result comes before init's own exit, but only once nothing else of the sandbox
# runs: a background process left by the workload is killed first, so it can neither
# write to the caller's files after run returned nor hold them open. (init kills them
# before its report; without that, its exit would still kill them a moment later, so
# these checks guard the property rather than force the race.)
out=$T/late.out
"$N" run -- sh -c 'while :; do echo late; done & sleep 0.1' >"$out"
size=$(stat -c %s "$out")
sleep 0.3
assert_eq "$size" "$(stat -c %s "$out")" "nothing of the sandbox writes after run returned"
assert_eq "x" "$("$N" run -- sh -c 'sleep 100 & echo x' | cat)" "and a leftover holds no pipe open (cat ends)"
assert_contains "$("$N" info)" '"api_version": "1.0"' "supervisor.info reports the API version"
finish
