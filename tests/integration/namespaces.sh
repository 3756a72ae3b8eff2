#!/bin/bash
# Every namespace is new; root inside maps to the documented unprivileged host range.
. "$(dirname "$0")/lib.sh"
# No warm pool here: the slot arithmetic below (the lowest free range first) is what
# is checked, and pool members hold ranges of their own (pool.sh checks those).
start_supervisor --pool-size 0:0

inside=$(in_sandbox -- ns)
for ns in user pid mnt net uts ipc cgroup; do
    host=$(readlink /proc/self/ns/$ns)
    got=$(grep "^$ns=" <<<"$inside" | cut -d= -f2)
    assert_ne "$host" "$got" "$ns namespace is new"
    assert_match "$got" "^$ns:\[[0-9]+\]\$" "$ns namespace is readable inside"
done
assert_eq "$(readlink /proc/self/ns/time)" "$(grep '^time=' <<<"$inside" | cut -d= -f2)" "time namespace is shared unless --time-namespace"

ids=$(in_sandbox -- uid)
assert_contains "$ids" "uid=0" "root inside"
assert_contains "$ids" "gid=0" "root group inside"
wait_released
assert_eq "0 100000 65536" "$("$N" run -- cat /proc/self/uid_map | awk '{print $1, $2, $3}')" "uid map: 0 -> host 100000, 65536 ids"
wait_released
assert_eq "0 100000 65536" "$("$N" run -- cat /proc/self/gid_map | awk '{print $1, $2, $3}')" "gid map"
wait_released

# Each live sandbox has a host range of its own; a range is reused once its sandbox's
# processes are gone (the lowest free one is taken).
"$N" run -d --name ra -- sleep 30 >/dev/null
"$N" run -d --name rb -- sleep 30 >/dev/null
wait_state ra; wait_state rb
ra=$("$N" exec ra cat /proc/self/uid_map | awk '{print $2}')
rb=$("$N" exec rb cat /proc/self/uid_map | awk '{print $2}')
assert_eq "100000 165536" "$ra $rb" "two live sandboxes map onto different host ranges"
assert_contains "$("$N" inspect rb)" '"uid_map_base": 165536' "inspect shows the sandbox's own base"
assert_eq "165536" "$(stat -c %u "/proc/$("$N" inspect rb | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')")" \
    "the host sees rb's processes as its own uid"
"$N" rm -f ra >/dev/null
assert_eq "0 100000 65536" "$("$N" run -- cat /proc/self/uid_map | awk '{print $1, $2, $3}')" "a freed range is reused"
"$N" rm -f rb >/dev/null
assert_contains "$("$ND" --max-sandboxes 70000 2>&1 || true)" "1 to 65000" "nucleusd refuses more ranges than host ids allow"
assert_contains "$("$ND" --uid-base 4000000000 --max-sandboxes 8192 2>&1 || true)" "would reach host id" \
    "nucleusd refuses a base whose ranges pass 2^32"
assert_contains "$("$ND" --uid-base 1000 2>&1 || true)" "a host id from 65536 up" "nor a base among ordinary ids"

# Why the ranges matter: the kernel keeps pipe buffers per host uid. A sandbox that
# holds more than pipe-user-pages-soft of them shrinks its own new pipes, and, when all
# sandboxes shared one host uid, everyone else's too.
# The premise needs a soft limit; 0 means none, so give this host the kernel's default
# for the test's duration.
soft=$(cat /proc/sys/fs/pipe-user-pages-soft)
if [ "$soft" -eq 0 ]; then
    on_exit "echo 0 >/proc/sys/fs/pipe-user-pages-soft"
    soft=16384
    echo $soft >/proc/sys/fs/pipe-user-pages-soft
fi
max=$(cat /proc/sys/fs/pipe-max-size)
# Host ids of their own, far from the 100000 that the other tests' supervisors (running
# concurrently) hand out: their pipes would count against the same quota.
stop_supervisor
start_supervisor --uid-base 2000000000 --max-sandboxes 16
# Enough pipes to pass the limit by a margin: once growing stops, each further pipe
# adds 2 pages, whatever transient pipes (init's own) took a share meanwhile.
"$N" run -d --name hog -- "$H" pipe-hog $((soft * 4096 / max + 64)) "$max" >/dev/null
for _ in $(seq 100); do "$N" logs hog 2>/dev/null | grep -q held= && break; sleep 0.05; done
held=$("$N" logs hog | sed -n 's/^held=//p')
assert_eq 1 "$([ "${held:-0}" -gt "$soft" ] && echo 1 || echo 0)" \
    "the hog holds more pipe pages than the soft limit ($soft pages, pipe-max-size $max): held=${held:-none}"
assert_eq 8192 "$("$N" exec hog "$H" pipe-size)" "over the soft limit, the hog's own new pipes get 2 pages"
assert_eq 65536 "$(in_sandbox -- pipe-size)" "another sandbox's new pipes still get 16 pages"
"$N" rm -f hog >/dev/null

pids=$(in_sandbox -- pid)
assert_contains "$pids" "ppid=1" "the workload's parent is init, PID 1"
assert_eq "0::/" "$("$N" run -- cat /proc/self/cgroup | grep '^0::')" "cgroup namespace rooted at the sandbox's leaf"
assert_eq "1" "$("$N" run -- sh -c 'ls /proc | grep -cE "^1$"')" "init is PID 1 in /proc"
# Host processes are invisible: only init and the shell exist (the shell expands the
# glob itself, so no other process can race the listing).
assert_eq "/proc/1 /proc/2" "$("$N" run -- sh -c 'echo /proc/[0-9]*')" "only the sandbox's processes in /proc"
assert_eq "0" "$(in_sandbox -- dumpable | sed -n 's/dumpable=//p' | grep -c 0 || true)" "workload is dumpable again after exec"

# The seed's knobs: a time namespace of its own on request; the host's cgroup
# namespace on request (the sandbox then sees its leaf's full path).
assert_ne "$(readlink /proc/self/ns/time)" "$(in_sandbox --time-namespace -- ns | sed -n 's/^time=//p')" "--time-namespace: a new time namespace"
assert_match "$("$N" run --disable-cgroup-namespace -- cat /proc/self/cgroup | grep '^0::')" "^0::/.+/[0-9a-f]{32}\$" \
    "--disable-cgroup-namespace: the host's cgroup tree is seen"
finish
