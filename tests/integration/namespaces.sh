#!/bin/bash
# Every namespace is new; root inside maps to the documented unprivileged host range.
. "$(dirname "$0")/lib.sh"
start_supervisor

inside=$(in_sandbox -- ns)
for ns in user pid mnt net uts ipc cgroup; do
    host=$(readlink /proc/self/ns/$ns)
    got=$(grep "^$ns=" <<<"$inside" | cut -d= -f2)
    assert_ne "$host" "$got" "$ns namespace is new"
    assert_match "$got" "^$ns:\[[0-9]+\]\$" "$ns namespace is readable inside"
done
assert_eq "$(readlink /proc/self/ns/time)" "$(grep '^time=' <<<"$inside" | cut -d= -f2)" "time namespace is shared (opt-in later)"

ids=$(in_sandbox -- uid)
assert_contains "$ids" "uid=0" "root inside"
assert_contains "$ids" "gid=0" "root group inside"
assert_eq "0 100000 65536" "$("$N" run -- cat /proc/self/uid_map | awk '{print $1, $2, $3}')" "uid map: 0 -> host 100000, 65536 ids"
assert_eq "0 100000 65536" "$("$N" run -- cat /proc/self/gid_map | awk '{print $1, $2, $3}')" "gid map"

pids=$(in_sandbox -- pid)
assert_contains "$pids" "ppid=1" "the workload's parent is init, PID 1"
assert_eq "0::/" "$("$N" run -- cat /proc/self/cgroup | grep '^0::')" "cgroup namespace rooted at the sandbox's leaf"
assert_eq "1" "$("$N" run -- sh -c 'ls /proc | grep -cE "^1$"')" "init is PID 1 in /proc"
# Host processes are invisible: only init and the shell exist (the shell expands the
# glob itself, so no other process can race the listing).
assert_eq "/proc/1 /proc/2" "$("$N" run -- sh -c 'echo /proc/[0-9]*')" "only the sandbox's processes in /proc"
assert_eq "0" "$(in_sandbox -- dumpable | sed -n 's/dumpable=//p' | grep -c 0 || true)" "workload is dumpable again after exec"
finish
