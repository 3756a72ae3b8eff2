#!/bin/bash
# Detached sandboxes: run -d, logs (ordered, sequence-numbered, resumable, bounded with
# explicit gaps), stop, --timeout, pause/resume, typed final reasons, cleanup of logs.
. "$(dirname "$0")/lib.sh"
start_supervisor

id=$("$N" run -d --name d1 -- sh -c 'for i in 1 2 3; do echo out$i; echo err$i >&2; done')
assert_match "$id" '^[0-9a-f]{32}$' "run -d prints the id"
"$N" wait d1 >/dev/null
assert_eq "out1 out2 out3" "$("$N" logs d1 2>/dev/null | tr '\n' ' ' | sed 's/ $//')" "stdout records in order, to stdout"
assert_eq "err1 err2 err3" "$("$N" logs d1 2>&1 >/dev/null | tr '\n' ' ' | sed 's/ $//')" "stderr records in order, to stderr"
assert_match "$("$N" logs -n 1 d1 2>&1)" '^(out3|err3)$' "-n 1: the last record (of either stream)"
json=$("$N" logs --json d1)
assert_eq 6 "$(grep -c '"seq"' <<<"$json")" "six records with sequence numbers"
assert_eq "1 2 3 4 5 6" "$(sed -n 's/.*"seq":\([0-9]*\).*/\1/p' <<<"$json" | tr '\n' ' ' | sed 's/ $//')" "numbered 1..6 without gaps"
# The two streams are separate pipes: records keep each stream's order, and the sequence
# orders them as nucleusd read them.
assert_eq "$("$N" logs -n 1 d1 2>&1)" "$("$N" logs --since-seq 6 d1 2>&1)" "--since-seq resumes exactly there"
assert_eq 3 "$("$N" logs --since-seq 4 d1 2>&1 | wc -l)" "--since-seq 4: records 4, 5, 6"
assert_contains "$(ls "$NUCLEUS_STATE_DIR/logs")" "$id.log" "a log file in CRI format"
assert_match "$(head -1 "$NUCLEUS_STATE_DIR/logs/$id.log")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z (stdout|stderr) F out1$|^[0-9T:.Z-]+ stdout F out1$' "CRI line: <RFC3339Nano> stdout F <line>"

# Follow until the sandbox ends: every line, then the end.
"$N" run -d --name f1 -- sh -c 'i=0; while [ $i -lt 50 ]; do i=$((i+1)); echo line$i; sleep 0.01; done' >/dev/null
out=$(timeout 20 "$N" logs -f f1)
assert_eq 50 "$(grep -c '^line' <<<"$out")" "logs -f gets all 50 lines and ends with the sandbox"
# A follower into a pipe prints each line as it comes (stdout was fully buffered there:
# 'logs -f ID | head -2' waited for kilobytes of output, and an interrupted follower
# into a file had written nothing).
"$N" run -d --name ticker -- sh -c 'while :; do echo tick; sleep 0.2; done' >/dev/null
assert_eq "tick tick" "$(timeout 10 "$N" logs -f ticker | head -2 | tr '\n' ' ' | sed 's/ $//')" \
    "logs -f | head -2 gets its two lines at once"
timeout -s INT 2 "$N" logs -f ticker >"$T/ticker.out" || true
assert_ne 0 "$(wc -l <"$T/ticker.out")" "an interrupted follower into a file has written what it got"
"$N" rm -f ticker >/dev/null
assert_eq "line50" "$(tail -1 <<<"$out")" "the last one last"

# A burst much larger than the ring: nothing is lost silently.
"$N" run -d --name burst -- python3 -c '
import sys
line = "x" * 1000 + "\n"
for i in range(20000): sys.stdout.write(line)' >/dev/null
"$N" wait burst >/dev/null
err=$("$N" logs burst 2>&1 >/dev/null)
assert_match "$err" 'lines from #1 were lost' "readers behind the ring get an explicit gap record"
total=$(( $("$N" logs burst 2>/dev/null | wc -l) + $(sed -n 's/.*nucleus: \([0-9]*\) lines.*/\1/p' <<<"$err") ))
assert_eq 20000 "$total" "held + reported lost = every line written"
assert_eq 20000 "$(cat "$NUCLEUS_STATE_DIR"/logs/"$("$N" inspect burst | sed -n 's/^  "id": "\(.*\)",$/\1/p')".log* | wc -l)" "the log files have all 20000"

# A slow follower of a 50 MB burst: it never stalls the loop (other sandboxes run
# meanwhile), and it gets every line or an explicit count of what it missed.
"$N" run -d --name flood -- python3 -c '
import sys
line = "y" * 999 + "\n"
for i in range(50000): sys.stdout.write(line)' >/dev/null
( "$N" logs -f flood 2>"$T/flood.err" | while IFS= read -r l; do sleep 0.0001; echo "$l"; done | wc -l >"$T/flood.n" ) &
reader=$!
start=$(date +%s%N)
assert_eq "fine" "$("$N" run -- echo fine)" "another sandbox runs while a follower lags"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $ms -lt 5000 ] && echo "ok - in $ms ms" || fail "the loop stalled: $ms ms for a trivial run"
wait $reader
missed=$(sed -n 's/.*nucleus: \([0-9]*\) lines.*/\1/p' "$T/flood.err" | awk '{s += $1} END {print s + 0}')
assert_eq 50000 "$(( $(cat "$T/flood.n") + missed ))" "the slow follower got every line or a count of the missed ones ($missed missed)"

# stop: SIGTERM first; a plain sleep stops on it.
"$N" run -d --name s1 -- sleep 100 >/dev/null
wait_state s1
start=$(date +%s%N)
assert_eq "$("$N" inspect s1 | sed -n 's/^  "id": "\(.*\)",$/\1/p')" "$("$N" stop s1)" "stop prints the id once stopped"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $ms -lt 3000 ] && echo "ok - stopped in $ms ms" || fail "stop took $ms ms"
res=$("$N" wait --json s1)
assert_contains "$res" '"reason": "stopped_by_api"' "final reason stopped_by_api"
assert_contains "$res" '"signal": "SIGTERM"' "by SIGTERM"
"$N" run -d --name s2 -- sh -c 'trap "" TERM; echo trapped; sleep 100' >/dev/null
wait_state s2
# Running means exec'd: the shell may not have set its trap yet.
for _ in $(seq 100); do "$N" logs s2 2>/dev/null | grep -q trapped && break; sleep 0.02; done
"$N" stop -t 1 s2 >/dev/null
assert_contains "$("$N" wait --json s2)" '"signal": "SIGKILL"' "stop -t 1 kills what ignores SIGTERM"

# --timeout
"$N" run -d --name t1 --timeout 1 -- sleep 100 >/dev/null
rc=$(timeout 10 "$N" wait t1)
assert_eq 137 "$rc" "--timeout kills the sandbox"
assert_contains "$("$N" wait --json t1)" '"reason": "timeout"' "final reason timeout"

# pause / resume: a paused sandbox makes no progress.
"$N" run -d --name p1 -- sh -c 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done' >/dev/null
wait_state p1
sleep 0.3
"$N" pause p1 >/dev/null
assert_contains "$("$N" ps)" "paused" "ps shows it paused"
sleep 0.2
a=$("$N" logs p1 | wc -l); sleep 1; b=$("$N" logs p1 | wc -l)
assert_eq "$a" "$b" "no progress while paused"
assert_contains "$("$N" pause p1 2>&1 || true)" "is paused; pause needs a running sandbox" "pausing twice says why not"
"$N" resume p1 >/dev/null
sleep 0.5
c=$("$N" logs p1 | wc -l)
[ "$c" -gt "$b" ] && echo "ok - progress again after resume ($b -> $c)" || fail "no progress after resume ($b -> $c)"
"$N" stop -t 2 p1 >/dev/null

# rm removes the log files too; foreground sandboxes have no logs.
"$N" rm d1 f1 burst flood s1 s2 t1 p1 >/dev/null
assert_eq 0 "$(ls "$NUCLEUS_STATE_DIR/logs" | wc -l)" "rm removes the log files"
"$N" run --name fg -- true
assert_contains "$("$N" logs fg 2>&1 || true)" "was not created detached" "a foreground sandbox has no log store"

# A detached sandbox's log pipes close when it ends, and the next connection gets their
# descriptor numbers. Removing the sandbox then must not unregister that connection from
# the loop (a poll handle closed after its descriptor did: `rm` of the second name hung).
for i in 1 2 3 4 5; do
    "$N" run -d --name "e$i" -- true >/dev/null
    "$N" wait "e$i" >/dev/null || true
    "$N" run -d --name "f$i" -- true >/dev/null
    "$N" wait "f$i" >/dev/null || true
    rc=0; timeout 10 "$N" rm "e$i" "f$i" >/dev/null || rc=$?
    assert_eq 0 "$rc" "rm of two ended detached sandboxes in one connection (round $i)"
done
finish
