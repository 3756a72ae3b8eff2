#!/bin/bash
# kill -9 of every nucleusd process (zygote and loop), then a new nucleusd with the same
# state dir, socket and cgroup root: it takes over every sandbox still running (pidfd +
# start time, the takeover socket and log pipes init kept), and ps, logs, exec, stop,
# kill, wait and rm work on them (docs/restart.md, level 2). Sandboxes that cannot be
# taken over end with reason status_unknown, never silently.
. "$(dirname "$0")/lib.sh"
# --socket on the command line: this test's nucleusd processes are found by it (other
# suites run their own nucleusd meanwhile; they must never be touched).
start_supervisor --socket "$NUCLEUS_SOCKET" --idle-timeout 0
ours() { pgrep -f -- "--socket $NUCLEUS_SOCKET " || true; }
counter='i=0; while :; do i=$((i+1)); echo "$i"; sleep 0.02; done'

for i in $(seq 20); do
    "$N" run -d --name "c$i" -- sh -c "$counter" >/dev/null
done
"$N" run -d --name late -- sh -c 'sleep 4; echo bye; exit 7' >/dev/null
"$N" run -d --name doomed -- sleep 1000 >/dev/null
"$N" run -d --name reused -- sleep 1000 >/dev/null
# A foreground run: its CLI reconnects (for up to 30 s) and waits for the same sandbox.
"$N" run --name fg -- sh -c 'sleep 5; echo done; exit 5' >"$T/fg.out" 2>"$T/fg.err" &
fg_cli=$!
for i in $(seq 20); do wait_state "c$i"; done
for n in late doomed reused fg; do wait_state "$n"; done
state_file() { echo "$NUCLEUS_STATE_DIR/sandboxes/$("$N" inspect "$1" | jq -r .id).json"; }
doomed_state=$(state_file doomed)
reused_state=$(state_file reused)
assert_match "$(jq -c .restore "$doomed_state")" '"takeover_fd":[0-9]+' "the state file records init's takeover socket"
before=$("$N" logs c7 | wc -l)
assert_contains "$("$N" inspect late)" '"state": "running"' "late still runs when nucleusd is killed"

procs=$(ours)
assert_eq 2 "$(wc -w <<<"$procs")" "this test's nucleusd is two processes (zygote and loop)"
kill -KILL $procs
wait "$SUP_PID" 2>/dev/null || true
SUP_PID=
for _ in $(seq 100); do [ -z "$(ours)" ] && break; sleep 0.02; done
assert_eq "" "$(ours)" "every nucleusd process of this test is gone"

# While no nucleusd runs: "late" ends with 7; doomed's init is killed outright (nothing
# can know its status); reused's state file is made to name another live process, as
# if its init's pid had been reused.
kill -KILL "$(jq .init_pid "$doomed_state")"
sleep 1000 & foreign=$!
tmp=$(mktemp)
jq --argjson p "$foreign" '.init_pid = $p' "$reused_state" >"$tmp" && cat "$tmp" >"$reused_state" && rm -f "$tmp"
sleep 4.5

start=$(date +%s%N)
start_supervisor --socket "$NUCLEUS_SOCKET" --idle-timeout 0
for _ in $(seq 500); do
    [ "$("$N" ps 2>/dev/null | grep -cE ' c[0-9]+ .*running|running.* c[0-9]+')" = 20 ] && break
    sleep 0.01
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
assert_eq 20 "$("$N" ps | grep -cE ' c[0-9]+ .*running|running.* c[0-9]+' || true)" "all 20 counters are running again"
echo "ok - all 20 taken over and listed $ms ms after nucleusd started ($(grep -o 'Went through.*' "$T/nucleusd.log" | tail -1))"

rc=$(timeout 15 "$N" wait late || true)
assert_eq 7 "$rc" "the sandbox that ended while no nucleusd ran reports its exact status"
assert_contains "$("$N" wait --json late)" '"reason": "exited"' "reason exited"
assert_eq bye "$("$N" logs late)" "and its last output, which waited in the pipe"
res=$(timeout 15 "$N" wait --json doomed || true)
assert_contains "$res" '"reason": "status_unknown"' "a sandbox whose init died unsupervised ends with status_unknown"
assert_contains "$res" 'exit status unknown' "saying why"
res=$(timeout 15 "$N" wait --json reused || true)
assert_contains "$res" '"reason": "status_unknown"' "a state file whose pid was reused is not taken over"
assert_contains "$res" 'another process' "saying why"
kill -0 "$foreign" 2>/dev/null && echo "ok - the process that reused the pid is left alone" || fail "the foreign process was killed"
kill "$foreign"; wait "$foreign" 2>/dev/null || true

rc=0; wait "$fg_cli" || rc=$?
assert_eq 5 "$rc" "a foreground run reconnects to the new nucleusd and gets its sandbox's exit status"
assert_eq done "$(cat "$T/fg.out")" "its output went to the caller's stdout throughout"

sleep 0.5
for i in $(seq 20); do
    out=$("$N" logs "c$i")
    n=$(wc -l <<<"$out")
    if [ "$out" != "$(seq "$n")" ]; then
        fail "c$i: counter lines are not 1..$n without gap or duplicate: $(diff <(seq "$n") <(echo "$out") | head -5)"
    fi
    seqs=$("$N" logs --json "c$i" | sed -n 's/.*"seq":\([0-9]*\).*/\1/p')
    [ "$seqs" = "$(seq "$(wc -l <<<"$seqs")")" ] || fail "c$i: sequence numbers are not 1..n"
done
after=$("$N" logs c7 | wc -l)
[ "$after" -gt $((before + 100)) ] && echo "ok - 20 counters' logs continue across the restart without gap or duplicate ($before -> $after lines in c7)" \
    || fail "c7's log did not grow across the restart ($before -> $after)"

assert_eq hi "$("$N" exec c3 -- echo hi)" "exec in a taken-over sandbox (through the takeover socket)"
"$N" pause c4 >/dev/null
assert_contains "$("$N" inspect c4)" '"state": "paused"' "pause of a taken-over sandbox"
"$N" resume c4 >/dev/null

# Level 1 on top: the new loop process dies; the zygote holds the taken-over sandboxes too.
loop=$(pgrep -P "$SUP_PID" -x nucleusd-loop)
kill -KILL "$loop"
for _ in $(seq 500); do "$N" ps >/dev/null 2>&1 && break; sleep 0.01; done
assert_eq 20 "$("$N" ps | grep -cE ' c[0-9]+ .*running|running.* c[0-9]+' || true)" "a loop restart keeps them (the zygote fosters them)"

# And again, everything: init made a fresh takeover pair at the same descriptor number.
kill -KILL $(ours)
wait "$SUP_PID" 2>/dev/null || true
SUP_PID=
for _ in $(seq 100); do [ -z "$(ours)" ] && break; sleep 0.02; done
sleep 0.5
start_supervisor --socket "$NUCLEUS_SOCKET" --idle-timeout 0
for _ in $(seq 500); do
    [ "$("$N" ps 2>/dev/null | grep -cE ' c[0-9]+ .*running|running.* c[0-9]+')" = 20 ] && break
    sleep 0.01
done
assert_eq 20 "$("$N" ps | grep -cE ' c[0-9]+ .*running|running.* c[0-9]+' || true)" "a second kill -9 of every nucleusd process: all 20 taken over again"
assert_eq hi2 "$("$N" exec c3 -- echo hi2)" "exec after the second takeover"
sleep 0.3
out=$("$N" logs c9)
assert_eq "$(seq "$(wc -l <<<"$out")")" "$out" "c9's log has no gap or duplicate after two takeovers"

"$N" stop c1 >/dev/null
res=$(timeout 15 "$N" wait --json c1)
assert_contains "$res" '"reason": "stopped_by_api"' "stop of a taken-over sandbox"
assert_contains "$res" '"signal": "SIGTERM"' "by SIGTERM"
"$N" kill -s KILL c2 >/dev/null
assert_eq 137 "$(timeout 40 "$N" wait c2 || true)" "kill -s KILL: init died without a report; its status came from PIDFD_GET_INFO"
grep -q 'status 0x9 from PIDFD_GET_INFO' "$T/nucleusd.log" && echo "ok - the zygote read it with PIDFD_GET_INFO" \
    || fail "no PIDFD_GET_INFO status in the log"
stoppers=()
for i in $(seq 3 20); do "$N" stop -t 2 "c$i" >/dev/null & stoppers+=($!); done
wait "${stoppers[@]}"
for i in $(seq 3 20); do
    assert_contains "$(timeout 15 "$N" wait --json "c$i")" '"reason": "stopped_by_api"' "c$i stopped" >/dev/null
done
for i in $(seq 20); do "$N" rm "c$i" >/dev/null; done
"$N" rm late doomed reused fg >/dev/null
assert_eq 0 "$(ls "$NUCLEUS_STATE_DIR/logs" | wc -l)" "rm removes the log files"
assert_eq 0 "$(ls "$NUCLEUS_STATE_DIR/sandboxes" | wc -l)" "and the state files"
# The warm pools of the two killed nucleusd left leaves (their parked inits exit once
# nothing holds their control sockets); each new nucleusd swept them, and this one's
# pool goes when it stops.
stop_supervisor
assert_eq 0 "$(find "$NUCLEUS_CGROUP_ROOT" -mindepth 1 -type d | wc -l)" "and the cgroup leaves"
grep -q "which no sandbox owns" "$T/nucleusd.log" && echo "ok - a new nucleusd swept the killed one's pool leaves" \
    || fail "no leaf of the killed nucleusd's pool was swept"
# Taken-over inits are not our children: the host's init reaps them, in its own time.
live_in_our_cgroups() {
    local f n=0
    for f in $(grep -l -- "::${NUCLEUS_CGROUP_ROOT#"$CG_BASE"}/" /proc/[0-9]*/cgroup 2>/dev/null); do
        [ "$(sed 's/.*) //' "${f%cgroup}stat" 2>/dev/null | cut -c1)" = Z ] || n=$((n + 1))
    done
    echo $n
}
assert_eq 0 "$(live_in_our_cgroups)" "no sandbox process is left"
finish
