#!/bin/bash
# Resource control through the backend this host has (v1 on a hybrid host, v2 on a pure
# one): memory OOM kills the sandbox as a whole and says so; pids makes fork fail with
# EAGAIN; cpus throttles; stats move; removal leaves no cgroup behind.
. "$(dirname "$0")/lib.sh"
start_supervisor
backend=$("$N" info | sed -n 's/.*"limits_backend": "\(.*\)".*/\1/p')
[ "$backend" = v1 ] || [ "$backend" = v2 ] || die "no limits backend (got '$backend')"
echo "# backend: $backend"
# nucleus info names the controllers that work, not just the backend.
ctl=$("$N" info | tr -d ' \n' | sed -n 's/.*"controllers":\[\([^]]*\)\].*/\1/p')
echo "# controllers: $ctl"
if [ "$backend" = v1 ]; then want='"memory" "pids" "cpu" "cpuacct" "blkio"'; else want='"memory" "pids" "cpu"'; fi
for c in $want; do assert_contains "$ctl" "$c" "nucleus info lists the $c controller"; done

"$N" events --json >"$T/events" 2>&1 & ev=$!
sleep 0.2   # subscribed before the hog starts
rc=0; "$N" run --name hog --memory 64M -- python3 -c 'x = bytearray(512 * 1024 * 1024); print("survived")' >"$T/hog" 2>&1 || rc=$?
assert_eq 137 "$rc" "a memory hog is killed"
assert_not_contains "$(cat "$T/hog")" "survived" "before it gets its memory"
res=$("$N" wait --json hog)
assert_contains "$res" '"reason": "oom_killed"' "the final result says oom_killed, not just 137"
assert_match "$res" '"oom_kills": [1-9]' "and counts the OOM kill"
peak=$(sed -n 's/.*"memory_peak_bytes": \([0-9]*\).*/\1/p' <<<"$res")
[ "${peak:-0}" -gt $((32 * 1024 * 1024)) ] && [ "${peak:-0}" -le $((64 * 1024 * 1024)) ] \
    && echo "ok - peak memory $peak is near the 64 MiB limit" || fail "peak memory $peak not in (32 MiB, 64 MiB]"

# The final event carries the same: reason, peak memory, CPU time, OOM kills.
kill "$ev" 2>/dev/null; wait "$ev" 2>/dev/null || true
final=$(grep '"state":"exited"' "$T/events" | grep '"name":"hog"' | head -1)
assert_contains "$final" '"reason":"oom_killed"' "the final event says oom_killed"
assert_match "$final" '"cpu_usec":[1-9][0-9]*' "with the total CPU time"
assert_match "$final" '"memory_peak_bytes":[1-9][0-9]{6,}' "the peak memory"
assert_match "$final" '"oom_kills":[1-9]' "and the OOM kill count"

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
[ "${cpu:-0}" -gt 250000 ] && [ "${cpu:-0}" -lt 900000 ] \
    && echo "ok - --cpus 0.25 throttles a 2 s spin to ${cpu} us of CPU ($(awk "BEGIN { printf \"%.2f\", ${cpu:-0} / 2e6 }") of a core)" \
    || fail "--cpus 0.25: ${cpu} us of CPU for a 2 s spin (expected 0.25-0.9 s)"

"$N" run --name busy --memory 256M -- python3 -c '
import time
x = bytearray(32 * 1024 * 1024)
end = time.monotonic() + 7
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
assert_contains "$("$N" stats --no-stream busy | head -1)" "BLOCK I/O" "and its block I/O"
assert_match "$s2" '"io_read_bytes":[0-9]+,"io_write_bytes":[0-9]+' "stats --json has the I/O bytes"
# Without --no-stream, stats keeps sampling (once a second, like top) until stopped.
heads=$(timeout 2.6 "$N" stats busy | grep -c '^ID ' || true)
[ "${heads:-0}" -ge 2 ] && echo "ok - stats streams ($heads samples in 2.6 s)" || fail "stats printed $heads samples in 2.6 s"
wait $cli

# Every limit's file, read from a running sandbox's own cgroups (README's table).
"$N" run --name files --memory 64M --cpus 0.25 --cpu-weight 50 --pids 8 -- sh -c 'sleep 600 & sleep 600' >/dev/null 2>&1 & cli=$!
"$N" run --name defpids --memory 64M --swap -- sleep 600 >/dev/null 2>&1 & cli2=$!
"$N" run --name nopids --pids 0 -- sleep 600 >/dev/null 2>&1 & cli3=$!
wait_state files; wait_state defpids; wait_state nopids
sid() { "$N" inspect "$1" | sed -n 's/^  "id": "\(.*\)",$/\1/p'; }
id=$(sid files)
leaf=$NUCLEUS_CGROUP_ROOT/$id
# Membership through the v2 leaf on both backends (CLONE_INTO_CGROUP; on a hybrid host
# the controller-less unified mount): init and the workload are in it.
for _ in $(seq 50); do [ "$(wc -l <"$leaf/cgroup.procs")" -ge 3 ] && break; sleep 0.1; done
procs=$(wc -l <"$leaf/cgroup.procs")
[ "$procs" -ge 3 ] && echo "ok - $procs processes in the v2 leaf $leaf" || fail "only $procs processes in $leaf"
assert_match "$(tr -d ' \n' <<<"$("$N" inspect files)")" "\"limits\":\\{\"backend\":\"$backend\",\"not_applied\":\\[\\]\\}" \
    "inspect: every limit applied through $backend"
if [ "$backend" = v1 ]; then
    v1dir() { find "/sys/fs/cgroup/$1" -maxdepth 6 -type d -path "*/${NUCLEUS_CGROUP_ROOT##*/}/$2" | head -1; }
    m=$(v1dir memory "$id"); c=$(v1dir cpu "$id"); p=$(v1dir pids "$id")
    assert_eq 67108864 "$(cat "$m/memory.limit_in_bytes")" "memory.limit_in_bytes is 64 MiB"
    assert_eq 67108864 "$(cat "$m/memory.memsw.limit_in_bytes")" "memory.memsw.limit_in_bytes too: no swap without --swap"
    assert_contains "$(cat "$m/memory.oom_control")" "oom_kill_disable 1" "the kernel's one-process OOM kill is off (nucleusd kills the group)"
    assert_eq 100000 "$(cat "$c/cpu.cfs_period_us")" "cpu.cfs_period_us"
    assert_eq 25000 "$(cat "$c/cpu.cfs_quota_us")" "cpu.cfs_quota_us: --cpus 0.25"
    assert_eq 512 "$(cat "$c/cpu.shares")" "cpu.shares: --cpu-weight 50 is 50 x 1024 / 100"
    assert_eq 8 "$(cat "$p/pids.max")" "pids.max"
    assert_eq 512 "$(cat "$(v1dir pids "$(sid defpids)")/pids.max")" "pids.max is 512 by default"
    memsw=$(cat "$(v1dir memory "$(sid defpids)")/memory.memsw.limit_in_bytes")
    [ "$memsw" -gt $((1 << 40)) ] && echo "ok - --swap: memory.memsw.limit_in_bytes stays unlimited" \
        || fail "--swap: memory.memsw.limit_in_bytes is $memsw"
    assert_eq max "$(cat "$(v1dir pids "$(sid nopids)")/pids.max")" "--pids 0: unlimited"
else
    page=$(getconf PAGESIZE)
    assert_eq 67108864 "$(cat "$leaf/memory.max")" "memory.max is 64 MiB"
    assert_eq $((64 * 1024 * 1024 / 10 * 9 / page * page)) "$(cat "$leaf/memory.high")" "memory.high is 90 % of it"
    assert_eq 1 "$(cat "$leaf/memory.oom.group")" "memory.oom.group is set"
    assert_eq 0 "$(cat "$leaf/memory.swap.max")" "memory.swap.max is 0 (no --swap)"
    assert_eq "25000 100000" "$(cat "$leaf/cpu.max")" "cpu.max"
    assert_eq 50 "$(cat "$leaf/cpu.weight")" "cpu.weight"
    assert_eq 8 "$(cat "$leaf/pids.max")" "pids.max"
    assert_eq 512 "$(cat "$NUCLEUS_CGROUP_ROOT/$(sid defpids)/pids.max")" "pids.max is 512 by default"
    assert_eq max "$(cat "$NUCLEUS_CGROUP_ROOT/$(sid defpids)/memory.swap.max")" "--swap: memory.swap.max stays max"
    assert_eq max "$(cat "$NUCLEUS_CGROUP_ROOT/$(sid nopids)/pids.max")" "--pids 0: unlimited"
fi
assert_contains "$("$N" stats --json --no-stream nopids)" '"pids_limit":null' "stats: no pids limit"
# cgroup.freeze of the v2 leaf, on the hybrid host's controller-less mount too.
"$N" pause files >/dev/null
assert_eq 1 "$(cat "$leaf/cgroup.freeze")" "pause writes the leaf's cgroup.freeze"
"$N" resume files >/dev/null
assert_eq 0 "$(cat "$leaf/cgroup.freeze")" "resume thaws it"
for n in files defpids nopids; do "$N" rm -f "$n" >/dev/null; done
for c in $cli $cli2 $cli3; do wait "$c" 2>/dev/null || true; done
[ -d "$leaf" ] && fail "rm -f left the leaf $leaf" || echo "ok - rm -f removes the leaf (cgroup.kill, rmdir)"

# Block I/O: direct reads bypass the page cache, so they reach the block layer as the
# sandbox's own, on v1 (blkio.throttle.io_service_bytes) and v2 (io.stat) alike.
big=$(readlink -f /usr/bin/python3)
size=$(stat -c %s "$big")
"$N" run --name reader -- dd if="$big" of=/dev/null bs=1M iflag=direct status=none || fail "the direct read failed"
rd=$("$N" wait --json reader | sed -n 's/.*"io_read_bytes": \([0-9]*\).*/\1/p')
[ "${rd:-0}" -ge $((size / 2)) ] && echo "ok - io_read_bytes $rd after a $size-byte direct read" \
    || fail "io_read_bytes '${rd}' after a direct read of $size bytes"
"$N" rm reader >/dev/null
# And an I/O limit is enforced, not just written: the same direct read at 2 MiB/s takes
# over 2 s (6-7 MiB of python3 here: ~3 s). The limit must name the whole disk under /usr.
udev=$(stat -c '%Hd:%Ld' "$big")
[ -e "/sys/dev/block/$udev/partition" ] && udev=$(cat "$(readlink -f "/sys/dev/block/$udev")/../dev")
if [ -e "/sys/dev/block/$udev" ] && [ "$size" -gt $((4 << 20)) ]; then
    t0=$(date +%s%N)
    "$N" run --io-limit "$udev rbps=2097152" -- dd if="$big" of=/dev/null bs=1M iflag=direct status=none \
        || fail "the throttled direct read failed"
    ms=$((($(date +%s%N) - t0) / 1000000))
    want=$((size * 1000 / 2097152 * 2 / 3))
    [ "$ms" -ge "$want" ] && echo "ok - --io-limit rbps=2MiB/s: a $size-byte direct read took $ms ms (>= $want)" \
        || fail "--io-limit rbps=2MiB/s: a $size-byte direct read took only $ms ms (expected >= $want)"
else
    echo "# $big is not on a block device ($udev): the I/O limit's enforcement is not checked here"
fi

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

out=$("$N" run --memory 1X -- true 2>&1 || true)
assert_contains "$out" "invalid --memory '1X'" "a bad size is refused"
assert_contains "$out" "use bytes or a K, M or G suffix" "with the accepted forms"
assert_contains "$("$N" run --memory 1M -- true 2>&1 || true)" "at least 4M" "a size below 4M is refused"
# Sizes: plain bytes, K, M and G all land as the same byte count in the limit.
for form in 67108864 65536K 64M 1G; do
    case $form in 1G) bytes=1073741824 ;; *) bytes=67108864 ;; esac
    "$N" run --name "size-$form" --memory "$form" -- true || fail "--memory $form refused"
    assert_contains "$("$N" wait --json "size-$form")" "\"memory_limit_bytes\": $bytes" "--memory $form is $bytes bytes"
    "$N" rm "size-$form" >/dev/null
done
assert_contains "$("$N" run --cpus 0 -- true 2>&1 || true)" "invalid --cpus '0'" "a bad CPU count is refused"
for n in hog group spin busy; do "$N" rm "$n" >/dev/null; done
# After nucleusd stops: its warm pool's members hold leaves (v1 and v2) until then.
stop_supervisor
base=${NUCLEUS_CGROUP_ROOT##*/}
left=$(find /sys/fs/cgroup -maxdepth 6 -path "*/$base/*" -type d 2>/dev/null | wc -l)
assert_eq 0 "$left" "no cgroup of a removed sandbox or pool member is left, v1 or v2"
finish
