#!/bin/bash
# Resource control through the backend this host has (v1 on a hybrid host, v2 on a pure
# one): memory OOM kills the sandbox as a whole and says so; pids makes fork fail with
# EAGAIN; cpus throttles; stats move; removal leaves no cgroup behind.
. "$(dirname "$0")/lib.sh"
start_supervisor
backend=$("$N" info | sed -n 's/.*"limits_backend": "\(.*\)".*/\1/p')
[ "$backend" = v1 ] || [ "$backend" = v2 ] || die "no limits backend (got '$backend')"
echo "# backend: $backend"

rc=0; "$N" run --name hog --memory 64M -- python3 -c 'x = bytearray(512 * 1024 * 1024); print("survived")' >"$T/hog" 2>&1 || rc=$?
assert_eq 137 "$rc" "a memory hog is killed"
assert_not_contains "$(cat "$T/hog")" "survived" "before it gets its memory"
res=$("$N" wait --json hog)
assert_contains "$res" '"reason": "oom_killed"' "the final result says oom_killed, not just 137"
assert_match "$res" '"oom_kills": [1-9]' "and counts the OOM kill"
peak=$(sed -n 's/.*"memory_peak_bytes": \([0-9]*\).*/\1/p' <<<"$res")
[ "${peak:-0}" -gt $((32 * 1024 * 1024)) ] && [ "${peak:-0}" -le $((64 * 1024 * 1024)) ] \
    && echo "ok - peak memory $peak is near the 64 MiB limit" || fail "peak memory $peak not in (32 MiB, 64 MiB]"

# The whole sandbox goes, not just the process the kernel picked (memory.oom.group on
# v2; emulated from the memory.oom_control eventfd on v1).
start=$(date +%s)
rc=0; "$N" run --name group --memory 64M -- sh -c 'sleep 60 & python3 -c "x = bytearray(512 << 20)"; echo after-oom; wait' >"$T/group" 2>&1 || rc=$?
assert_eq 137 "$rc" "an OOM in one process kills the whole sandbox"
assert_not_contains "$(cat "$T/group")" "after-oom" "the rest of the workload does not run on"
[ $(( $(date +%s) - start )) -lt 30 ] && echo "ok - and nobody waits for the sleeper" || fail "the sandbox outlived its OOM"
assert_contains "$("$N" wait --json group)" '"reason": "oom_killed"' "reported as oom_killed"

out=$("$N" run --pids 8 -- python3 -c '
import subprocess
ps = []
try:
    for i in range(20): ps.append(subprocess.Popen(["sleep", "2"]))
    print("all started")
except OSError as e:
    print("errno", e.errno)')
assert_contains "$out" "errno 11" "--pids 8: fork fails with EAGAIN"
assert_contains "$("$N" run -- cat /proc/self/limits)" "Max processes" "(RLIMIT_NPROC stays as well)"

"$N" run --name spin --cpus 0.25 -- python3 -c '
import time
end = time.monotonic() + 2
while time.monotonic() < end: pass'
cpu=$("$N" wait --json spin | sed -n 's/.*"cpu_usec": \([0-9]*\).*/\1/p')
# 2 s of wall time at a quarter of a CPU: about 0.5 s; allow a wide range.
[ "${cpu:-0}" -gt 250000 ] && [ "${cpu:-0}" -lt 900000 ] && echo "ok - --cpus 0.25 throttles a 2 s spin to ${cpu} us of CPU" \
    || fail "--cpus 0.25: ${cpu} us of CPU for a 2 s spin (expected 0.25-0.9 s)"

"$N" run --name busy --memory 256M -- python3 -c '
import time
x = bytearray(32 * 1024 * 1024)
end = time.monotonic() + 3
while time.monotonic() < end: pass' & cli=$!
wait_state busy
sleep 1
s1=$("$N" stats --json --no-stream busy)
sleep 1
s2=$("$N" stats --json --no-stream busy)
c1=$(sed -n 's/.*"cpu_usec":\([0-9]*\).*/\1/p' <<<"$s1"); c2=$(sed -n 's/.*"cpu_usec":\([0-9]*\).*/\1/p' <<<"$s2")
[ "${c2:-0}" -gt "${c1:-0}" ] && echo "ok - stats move ($c1 -> $c2 us)" || fail "stats did not move: $c1 -> $c2"
assert_match "$s2" '"memory_bytes":[0-9]{8,}' "stats show the memory in use"
assert_contains "$s2" "\"memory_limit_bytes\":$((256 * 1024 * 1024))" "and the limit"
assert_contains "$("$N" stats --no-stream)" "busy" "the table lists the sandbox"
wait $cli

# I/O limits land in the device's throttle settings (enforcement is the kernel's).
dev=
for f in /sys/block/*/dev; do
    dev=$(cat "$f")
    case $f in */loop*|*/zram*) ;; *) break ;; esac   # prefer a real disk
done
if [ -n "$dev" ]; then
    "$N" run --name io --io-limit "$dev riops=100 wbps=1048576" -- sleep 2 & cli=$!
    wait_state io
    id=$("$N" inspect io | sed -n 's/^  "id": "\(.*\)",$/\1/p')
    if [ "$backend" = v2 ]; then
        got=$(cat "$NUCLEUS_CGROUP_ROOT/$id/io.max")
        assert_contains "$got" "$dev" "io.max names the device"
        assert_contains "$got" "riops=100" "with its read IOPS limit"
        assert_contains "$got" "wbps=1048576" "and its write bandwidth limit"
    else
        dir=$(find /sys/fs/cgroup/blkio -maxdepth 6 -type d -path "*/${NUCLEUS_CGROUP_ROOT##*/}/$id" | head -1)
        assert_contains "$(cat "$dir/blkio.throttle.read_iops_device")" "$dev 100" "blkio read IOPS limit applied"
        assert_contains "$(cat "$dir/blkio.throttle.write_bps_device")" "$dev 1048576" "blkio write bandwidth limit applied"
    fi
    wait $cli
    "$N" rm io >/dev/null
else
    fail "no block device found for the io limit check"
fi
assert_contains "$("$N" run --io-limit "8:0 fast=1" -- true 2>&1 || true)" "'fast=1' is not riops=" "a bad io key is refused"

assert_contains "$("$N" run --memory 1X -- true 2>&1 || true)" "invalid --memory '1X'" "a bad size is refused with the accepted forms"
assert_contains "$("$N" run --cpus 0 -- true 2>&1 || true)" "invalid --cpus '0'" "a bad CPU count is refused"
for n in hog group spin busy; do "$N" rm "$n" >/dev/null; done
# After nucleusd stops: its warm pool's members hold leaves (v1 and v2) until then.
stop_supervisor
base=${NUCLEUS_CGROUP_ROOT##*/}
left=$(find /sys/fs/cgroup -maxdepth 6 -path "*/$base/*" -type d 2>/dev/null | wc -l)
assert_eq 0 "$left" "no cgroup of a removed sandbox or pool member is left, v1 or v2"
finish
