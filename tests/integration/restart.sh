#!/bin/bash
# kill -9 of the loop process: the zygote starts a new one and hands it every sandbox's
# descriptors and the exit statuses that arrived meanwhile; nothing is lost (logs
# included), and ps, logs, stop, wait and rm work on the adopted sandboxes.
. "$(dirname "$0")/lib.sh"
start_supervisor

loop_pid() { pgrep -P "$SUP_PID" -x nucleusd-loop; }

for i in $(seq 20); do
    "$N" run -d --name "c$i" -- sh -c 'i=0; while :; do i=$((i+1)); echo "$i"; sleep 0.02; done' >/dev/null
done
"$N" run -d --name timed --timeout 3 -- sleep 100 >/dev/null
# Foreground runs: one whose CLI stays (it reconnects and keeps waiting), one whose CLI
# dies while no loop process runs (its sandbox is stopped, as when a client goes).
"$N" run --name fg -- sh -c 'sleep 3; echo done; exit 5' >"$T/fg.out" 2>"$T/fg.err" &
fg_cli=$!
"$N" run --name fg2 -- sleep 100 >/dev/null 2>&1 &
fg2_cli=$!
for i in $(seq 20); do wait_state "c$i"; done
# Started only now, so that a slow start of the others (ASan, a loaded host) cannot let
# it finish before it was ever seen running; `run -d` returns once it runs.
"$N" run -d --name quick -- sh -c 'sleep 1.5; echo bye; exit 7' >/dev/null
wait_state quick
wait_state fg
wait_state fg2
# A follower across the restart: it reconnects and resumes after its last record.
"$N" logs -f c5 >"$T/follow.out" 2>"$T/follow.err" &
follower=$!
old=$(loop_pid)
[ -n "$old" ] || die "no loop process under nucleusd ($SUP_PID)"

# Stop the loop first, so that "quick" ends while no loop process can read anything:
# its status waits in the zygote (and init's report in its control socket).
kill -STOP "$old"
kill -KILL "$fg2_cli"
sleep 3
start=$(date +%s%N)
kill -KILL "$old"
for _ in $(seq 500); do "$N" ps >/dev/null 2>&1 && break; sleep 0.01; done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
new=$(loop_pid)
assert_ne "$old" "$new" "a new loop process runs"
[ $ms -lt 3000 ] && echo "ok - API answers again $ms ms after kill -9" || fail "API took $ms ms to answer again"

ps_out=$("$N" ps)
assert_eq 20 "$(grep -cE ' c[0-9]+ .*running|running.* c[0-9]+' <<<"$ps_out" || true)" "all 20 counters are running after the restart"
rc=$(timeout 10 "$N" wait quick || true)
assert_eq 7 "$rc" "the sandbox that ended while the loop was down reports its exact status"
assert_contains "$("$N" wait --json quick)" '"reason": "exited"' "reason exited"
assert_eq bye "$("$N" logs quick)" "its last output is there"

sleep 0.5
for i in $(seq 20); do
    out=$("$N" logs "c$i")
    n=$(wc -l <<<"$out")
    expect=$(seq "$n")
    if [ "$out" != "$expect" ]; then
        fail "c$i: counter lines are not 1..$n without gap or duplicate: $(diff <(echo "$expect") <(echo "$out") | head -5)"
    fi
    seqs=$("$N" logs --json "c$i" | sed -n 's/.*"seq":\([0-9]*\).*/\1/p')
    [ "$seqs" = "$(seq "$(wc -l <<<"$seqs")")" ] || fail "c$i: sequence numbers are not 1..n"
done
echo "ok - 20 counters' logs continue across the restart without gap or duplicate"

rc=0; wait "$fg_cli" || rc=$?
assert_eq 5 "$rc" "a foreground run reconnects and gets its sandbox's exit status"
assert_eq done "$(cat "$T/fg.out")" "its output kept flowing to the caller's stdout"
wait "$fg2_cli" 2>/dev/null || true
assert_contains "$(timeout 15 "$N" wait --json fg2)" '"reason": "stopped_by_supervisor"' "a foreground sandbox whose client died meanwhile is stopped"

# Timers survive too: --timeout still ends "timed".
assert_eq 137 "$(timeout 10 "$N" wait timed || true)" "--timeout still fires after the restart"
assert_contains "$("$N" wait --json timed)" '"reason": "timeout"' "reason timeout"

# exec and pause/resume go through init's control socket, which the zygote kept.
assert_eq hi "$("$N" exec c3 -- echo hi)" "exec in an adopted sandbox"
"$N" pause c4 >/dev/null
assert_contains "$("$N" inspect c4)" '"state": "paused"' "pause of an adopted sandbox"
"$N" resume c4 >/dev/null
assert_contains "$("$N" inspect c4)" '"state": "running"' "and resume"

"$N" stop c5 >/dev/null
timeout 10 tail --pid="$follower" -f /dev/null || fail "the follower did not end with its sandbox"
n=$(wc -l <"$T/follow.out")
assert_eq "$(seq "$n")" "$(cat "$T/follow.out")" "logs -f across the restart: 1..$n, no gap, no duplicate"
assert_eq "$("$N" logs c5)" "$(cat "$T/follow.out")" "the follower saw every record there is"

# stop and wait work on adopted sandboxes and report the end.
"$N" stop c1 >/dev/null
res=$("$N" wait --json c1)
assert_contains "$res" '"reason": "stopped_by_api"' "stop of an adopted sandbox"
assert_contains "$res" '"signal": "SIGTERM"' "by SIGTERM"
"$N" kill -s KILL c2 >/dev/null
assert_eq 137 "$("$N" wait c2 || true)" "kill of an adopted sandbox"
stoppers=()
for i in $(seq 3 20); do "$N" stop -t 1 "c$i" >/dev/null & stoppers+=($!); done
wait "${stoppers[@]}"
for i in $(seq 20); do "$N" rm "c$i" >/dev/null; done
"$N" rm quick timed fg fg2 >/dev/null
assert_eq 0 "$(ls "$NUCLEUS_STATE_DIR/logs" | wc -l)" "rm removes the log files"
assert_eq 0 "$(ls "$NUCLEUS_STATE_DIR/sandboxes" | wc -l)" "and the state files"
finish
