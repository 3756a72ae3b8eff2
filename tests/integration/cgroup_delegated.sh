#!/bin/bash
# A delegated cgroup (systemd Delegate=yes, nucleusd --cgroup-delegated) on this host's
# layout: nucleusd moves itself into <own>/supervisor and puts each sandbox's leaf in
# <own>/sandboxes/<id>, on the hybrid host's controller-less unified mount too, and the
# limits still apply through the backend (v1 directories under nucleusd's own v1
# cgroups). The pure-v2 case also runs in the test VM (tests/vm/v2-limits.sh).
. "$(dirname "$0")/lib.sh"

# As under systemd: nucleusd alone in a cgroup of its own, the "service".
SVC=$CG_BASE/nucleus-test-deleg-$$.service
mkdir "$SVC"
ND_PREFIX=(sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$SVC")
v1dirs() { # the v1 directories nucleusd made: <hierarchy><its own v1 cgroup>/sandboxes
    local c own
    for c in memory pids cpu cpuacct blkio; do
        own=$(awk -F: -v c="$c" '$2 ~ "(^|,)" c "(,|$)" { print $3 }' "/proc/$1/cgroup")
        [ -d "/sys/fs/cgroup/$c" ] && echo "/sys/fs/cgroup/$c${own%/}/sandboxes"
    done
}
undo() {
    stop_supervisor
    rmdir "$SVC"/sandboxes/* "$SVC/sandboxes" "$SVC/supervisor" "$SVC" 2>/dev/null
    for d in "${V1[@]}"; do rmdir "$d"/* "$d" 2>/dev/null; done
    return 0
}
V1=()
on_exit undo
start_supervisor --cgroup-delegated
mapfile -t V1 < <(v1dirs "$SUP_PID")

assert_contains "$(cat "$SVC/supervisor/cgroup.procs")" "$SUP_PID" "nucleusd moved itself into <own>/supervisor"
assert_eq "" "$(cat "$SVC/cgroup.procs")" "leaving its own cgroup without processes"
info=$(tr -d ' \n' <<<"$("$N" info)")
assert_contains "$info" "\"leaves\":\"$SVC/sandboxes\"" "nucleus info: the leaves are under <own>/sandboxes"
backend=$(sed -n 's/.*"limits_backend":"\([a-z0-9]*\)".*/\1/p' <<<"$info")
echo "# backend: $backend"

"$N" run -d --name del --memory 32M --pids 8 -- sh -c 'sleep 60 & sleep 60' >/dev/null || fail "run in the delegated subtree failed"
wait_state del
id=$("$N" inspect del | sed -n 's/^  "id": "\(.*\)",$/\1/p')
leaf=$SVC/sandboxes/$id
for _ in $(seq 50); do [ "$(wc -l <"$leaf/cgroup.procs" 2>/dev/null)" -ge 3 ] && break; sleep 0.1; done
n=$(wc -l <"$leaf/cgroup.procs")
[ "$n" -ge 3 ] && echo "ok - the sandbox's $n processes are in <own>/sandboxes/<id>" || fail "only $n processes in $leaf"
assert_eq "0::/" "$("$N" exec del cat /proc/self/cgroup | grep '^0::')" "which is the root of its cgroup namespace"
if [ "$backend" = v1 ]; then
    for d in "${V1[@]}"; do
        case $d in */memory/*) mem=$d/$id ;; */pids/*) pids=$d/$id ;; esac
    done
    assert_eq 33554432 "$(cat "$mem/memory.limit_in_bytes")" "the memory limit, under nucleusd's own v1 memory cgroup"
    assert_eq 8 "$(cat "$pids/pids.max")" "and the pids limit"
else
    assert_eq 33554432 "$(cat "$leaf/memory.max")" "memory.max in the delegated leaf"
    assert_eq 8 "$(cat "$leaf/pids.max")" "and pids.max"
fi
"$N" pause del >/dev/null
assert_eq 1 "$(cat "$leaf/cgroup.freeze")" "pause freezes the delegated leaf"
"$N" resume del >/dev/null
"$N" rm -f del >/dev/null || fail "rm -f in the delegated subtree failed"
assert_eq no "$([ -d "$leaf" ] && echo yes || echo no)" "rm -f removes the leaf"
stop_supervisor
assert_eq "" "$(find "$SVC/sandboxes" -mindepth 1 -type d 2>/dev/null)" "no leaf is left once nucleusd stops (pool included)"
for d in "${V1[@]}"; do
    [ -d "$d" ] && fail "nucleusd left its v1 directory $d" || echo "ok - $d removed"
done
finish
