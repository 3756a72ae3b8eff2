#!/bin/bash
# init as PID 1: forwards signals (a plain sleep stops on SIGTERM), reaps orphans,
# reports the exact status; SIGKILL ends the whole sandbox.
. "$(dirname "$0")/lib.sh"
start_supervisor

"$N" run --name s1 -- sleep 100 & cli=$!
wait_state s1
start=$(date +%s%N)
"$N" kill -s 15 s1 >/dev/null     # a number works as well as a name
rc=0; wait $cli || rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
assert_eq 143 "$rc" "sleep ends on SIGTERM forwarded by init"
[ $ms -lt 3000 ] && echo "ok - stopped in ${ms} ms" || fail "SIGTERM took ${ms} ms"

# Signals sent to a foreground CLI (Ctrl-C, a service manager's TERM, a hangup) go to
# the sandbox, and its status comes back as the CLI's.
for sig in INT TERM HUP; do
    "$N" run --name "fw$sig" -- sleep 100 & cli=$!
    wait_state "fw$sig"
    kill -"$sig" $cli
    rc=0; wait $cli || rc=$?
    assert_eq $((128 + $(kill -l "$sig"))) "$rc" "SIG$sig to the CLI ends the sandbox's sleep: 128+$(kill -l "$sig")"
    assert_contains "$("$N" wait --json "fw$sig")" "\"signal\": \"SIG$sig\"" "the sandbox's result names SIG$sig"
done

"$N" run --name s2 -- sleep 100 & cli=$!
wait_state s2
"$N" kill s2 >/dev/null      # default signal: KILL
rc=0; wait $cli || rc=$?
assert_eq 137 "$rc" "kill defaults to SIGKILL: 137"

"$N" run --name s3 -- sh -c 'trap "exit 7" USR1; echo ready; while :; do sleep 0.05; done' >"$T/s3.out" & cli=$!
wait_state s3
for _ in $(seq 50); do grep -q ready "$T/s3.out" && break; sleep 0.05; done
"$N" kill s3 USR1 >/dev/null   # the seed's positional form
rc=0; wait $cli || rc=$?
assert_eq 7 "$rc" "a handled signal reaches the workload's handler"

assert_eq "nucleus-init" "$("$N" run -- sh -c 'tr "\\0" " " </proc/1/cmdline | sed "s/ *$//"')" "init shows no host command line"
assert_eq "" "$("$N" run -- sh -c 'cat /proc/1/environ 2>/dev/null | tr "\\0" "\\n" | grep NUCLEUS || true')" "nor the host's environment"

# Orphans are reparented to init and reaped: a workload that spawns and abandons 100
# children leaves no zombie.
out=$("$N" run -- sh -c 'for i in $(seq 100); do (sleep 0.2 &); done; sleep 1.5; echo "$(ps -eo stat= | grep -c Z || true) $(ps -e --no-headers | wc -l)"')
assert_eq "0" "${out%% *}" "100 orphaned children are reaped by init (no zombie left)"
[ "${out##* }" -lt 10 ] && echo "ok - and none of them is left running (${out##* } processes)" \
    || fail "processes left in the sandbox: ${out##* }"

# The workload's own children die with it.
# A duration unique to this test run, so pgrep sees no other run's sleeps.
long="1000.$$"
"$N" run --name s4 -- sh -c "sleep $long & sleep $long" & cli=$!
wait_state s4
"$N" kill -s TERM s4 >/dev/null
wait $cli || true
assert_eq "" "$(pgrep -f "sleep $long" || true)" "no process of the sandbox survives it"

# init is a session leader of its own (setsid: sid 1 in its pid namespace; without it,
# the zygote's session, which is not visible in there, would read 0) and non-dumpable:
# the workload, root in the same user namespace, cannot open init's /proc/1/fd.
assert_eq 1 "$("$N" run -- sh -c 'cut -d" " -f6 /proc/1/stat')" "init is the leader of its own session"
out=$("$N" run -- sh -c 'ls /proc/1/fd 2>&1 >/dev/null; ls /proc/self/fd >/dev/null && echo own-ok')
assert_contains "$out" "Permission denied" "init is not dumpable: its descriptors are closed to the workload"
assert_contains "$out" "own-ok" "while the workload's own are open to it"
# init keeps nothing of what the zygote held for other sandboxes (close_range): seen
# from the host, no descriptor of one sandbox's init is a file another's init holds,
# and no pidfd in it points at another sandbox.
"$N" run -d --name other -- sleep 60 >/dev/null
"$N" run -d --name mine -- sleep 60 >/dev/null
wait_state other; wait_state mine
other=$("$N" inspect other | jq -r .pid)
mine=$("$N" inspect mine | jq -r .pid)
files() { for f in /proc/"$1"/fd/*; do readlink "$f"; done | grep -E '^(socket|pipe):' | sort -u; }
assert_eq "" "$(comm -12 <(files "$mine") <(files "$other"))" "no socket or pipe is shared between two sandboxes' inits"
pidfds=$(cat /proc/"$mine"/fdinfo/* 2>/dev/null | awk '$1 == "Pid:" { print $2 }' | sort -u)
assert_not_contains "x${pidfds//$'\n'/x}x" "x${other}x" "no pidfd of the other sandbox in init"
n=$(ls /proc/"$mine"/fd | wc -l)
[ "$n" -le 12 ] && echo "ok - init holds $n descriptors" || fail "init holds $n descriptors: $(ls -l /proc/"$mine"/fd)"
"$N" rm -f other mine >/dev/null

# The workload starts with no signal blocked or ignored, though nucleusd was started by
# a shell's `&` (which ignores SIGINT and SIGQUIT) and init ignores SIGPIPE; and at the
# normal priority, though the warm pool prepares its members at nice 19.
st=$("$N" run -- sh -c 'grep -E "^Sig(Blk|Ign)" /proc/self/status; cut -d" " -f19 /proc/self/stat')
assert_contains "$st" "SigBlk:	0000000000000000" "no signal blocked in the workload"
assert_contains "$st" "SigIgn:	0000000000000000" "no signal ignored in the workload"
assert_eq 0 "$(tail -1 <<<"$st")" "the workload runs at nice 0"
finish
