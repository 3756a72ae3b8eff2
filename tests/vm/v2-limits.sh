#!/bin/bash
# Resource limits through the cgroup v2 backend (sandbox/cgroup_v2.c), end to end.
#
# Runs INSIDE the test VM (vmrun.sh), as root, on a pure cgroup2 hierarchy: the hosts
# we build on are hybrid and always pick the v1 backend, so this is the only place the
# v2 one runs. The checks mirror tests/integration/resources.sh (same workloads, same
# assertions) plus what only v2 has: the leaf's own limit files, memory.oom.group,
# cgroup.kill on removal. Also: the lock-down on this kernel's older Landlock (ABI 2).
#
# Under TCG every fork+exec costs ~100x what it does on the host and computation ~20x,
# hence the generous timeouts and the wide CPU bounds.
#
#   env: NUCLEUS_BIN   directory with nucleus and nucleusd (required)
set -euo pipefail

: "${NUCLEUS_BIN:?the directory with nucleus and nucleusd}"
N="$NUCLEUS_BIN/nucleus"
ND="$NUCLEUS_BIN/nucleusd"
CG=/sys/fs/cgroup/nucleus-vm
# Upper bound for one CLI call; a hang fails that check instead of eating the whole
# VM's time budget (vmrun.sh would only say "timeout").
STEP=60
FAILURES=0
START=$(date +%s)

fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
die() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok - $*"; }
assert_eq() { # expected actual what
    if [ "$1" != "$2" ]; then fail "$3: expected '$1', got '$2'"; else ok "$3"; fi
}
assert_contains() { # haystack needle what
    if ! grep -qF -- "$2" <<<"$1"; then fail "$3: '$2' not in: $1"; else ok "$3"; fi
}
assert_not_contains() {
    if grep -qF -- "$2" <<<"$1"; then fail "$3: '$2' unexpectedly in: $1"; else ok "$3"; fi
}
assert_match() { # haystack regex what
    if ! grep -qE -- "$2" <<<"$1"; then fail "$3: /$2/ does not match: $1"; else ok "$3"; fi
}
section() { echo "# $* (t+$(($(date +%s) - START))s)"; }
# The CLI with a deadline. `nucleus run` forwards the SIGTERM to its sandbox.
nuc() { timeout -k 5 "$STEP" "$N" "$@"; }
json_num() { sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p" <<<"$2" | head -1; }

[ "$(id -u)" = 0 ] || die "needs root"
# Not a skip: this script exists for exactly this setup, so anything else is a harness bug.
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || die "/sys/fs/cgroup is not cgroup2: run this through tests/vm/vmrun.sh"

T=$(mktemp -d /tmp/nucleus-vm-test.XXXXXX)
chmod 755 "$T"
export NUCLEUS_SOCKET="$T/nucleus.sock"
export NUCLEUS_STATE_DIR="$T/state"
export NUCLEUS_CGROUP_ROOT=$CG
# A supervisor autostarted behind our back (ours died) would not hang around.
export NUCLEUS_IDLE_TIMEOUT=30
SUP_PID=

cleanup() {
    local rc=$?
    [ -z "$SUP_PID" ] || kill -KILL "$SUP_PID" 2>/dev/null || true
    if [ $rc -ne 0 ] || [ $FAILURES -ne 0 ]; then
        echo "--- nucleusd log (last 60 lines) ---"
        tail -n 60 "$T/nucleusd.log" 2>/dev/null || true
        echo "--- $CG ---"
        find "$CG" -maxdepth 1 2>/dev/null || true
    fi
    # The VM is thrown away, but leave it tidy for interactive use of vmrun.sh.
    for leaf in "$CG"/*/; do
        [ -d "$leaf" ] || continue
        echo 1 >"$leaf/cgroup.kill" 2>/dev/null || true
        rmdir "$leaf" 2>/dev/null || true
    done
    rm -rf "$T"
}
trap cleanup EXIT

# Waits until sandbox $1 is in state $2 (default running).
wait_state() {
    local want=${2:-running}
    for _ in $(seq 600); do
        "$N" inspect "$1" 2>/dev/null | grep -q "\"state\": \"$want\"" && return 0
        sleep 0.1
    done
    die "sandbox $1 never reached state $want"
}

section "kernel $(uname -r), cgroup controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
mkfifo "$T/ready"
# The warm pool is off: under TCG its members' preparation would compete with the
# tests for the CPU and blur the cpu.max measurement.
"$ND" --ready-fd 9 --log "$T/nucleusd.log" --log-level debug --pool-size 0:0 9>"$T/ready" &
SUP_PID=$!
read -r -t 60 _ <"$T/ready" || die "nucleusd did not become ready; log: $(cat "$T/nucleusd.log" 2>/dev/null)"

info=$(nuc info)
assert_contains "$info" '"limits_backend": "v2"' "nucleus info reports the v2 backend"
for c in memory pids cpu; do
    grep -qw "$c" "$CG/cgroup.subtree_control" && ok "controller $c is enabled for the leaves" \
        || fail "controller $c not in $CG/cgroup.subtree_control: $(cat "$CG/cgroup.subtree_control")"
done

section "memory"
# memory.max itself is read from a running sandbox's leaf below; a hog lives too briefly.
start=$(date +%s)
rc=0
nuc run --name hog --memory 64M -- python3 -c 'x = bytearray(512 << 20); print("survived")' >"$T/hog" 2>&1 || rc=$?
assert_eq 137 "$rc" "a memory hog is killed (after $(($(date +%s) - start)) s)"
assert_not_contains "$(cat "$T/hog")" "survived" "before it gets its memory"
res=$(nuc wait --json hog)
assert_contains "$res" '"reason": "oom_killed"' "the final result says oom_killed, not just 137"
assert_match "$res" '"oom_kills": [1-9]' "and counts the OOM kill"
peak=$(json_num memory_peak_bytes "$res")
if [ "${peak:-0}" -gt $((32 << 20)) ] && [ "${peak:-0}" -le $((64 << 20)) ]; then
    ok "peak memory $peak is near the 64 MiB limit (memory.max held)"
else
    fail "peak memory '$peak' not in (32 MiB, 64 MiB]"
fi

# memory.oom.group: the whole sandbox goes, not just the process the kernel picked.
start=$(date +%s)
rc=0
nuc run --name group --memory 64M -- sh -c 'sleep 60 & python3 -c "x = bytearray(512 << 20)"; echo after-oom; wait' >"$T/group" 2>&1 || rc=$?
assert_eq 137 "$rc" "an OOM in one process kills the whole sandbox"
assert_not_contains "$(cat "$T/group")" "after-oom" "the rest of the workload does not run on"
[ $(($(date +%s) - start)) -lt 45 ] && ok "and nobody waits for the sleeper" || fail "the sandbox outlived its OOM"
assert_contains "$(nuc wait --json group)" '"reason": "oom_killed"' "reported as oom_killed"

section "pids"
out=$(nuc run --pids 8 -- python3 -c '
import subprocess
ps = []
try:
    for i in range(20): ps.append(subprocess.Popen(["sleep", "2"]))
    print("all started")
except OSError as e:
    print("errno", e.errno)' 2>&1 || true)
assert_contains "$out" "errno 11" "--pids 8: fork fails with EAGAIN"
assert_contains "$(nuc run -- cat /proc/self/limits)" "Max processes" "(RLIMIT_NPROC stays as well)"

section "cpu"
# The script prints the CPU time of its interpreter's start-up, spent before the spin:
# under TCG that is ~0.3-0.4 s even at a quarter CPU (~20 ms on a host), and it moves
# with the load on the host. The bounds are for the spin, cpu_usec minus that.
out=$(nuc run --name spin --cpus 0.25 -- python3 -c '
import time
print(int(time.process_time() * 1e6))
end = time.monotonic() + 2
while time.monotonic() < end: pass') || fail "the spin sandbox failed"
cpu=$(json_num cpu_usec "$(nuc wait --json spin)")
spin=$((${cpu:-0} - ${out:-0}))
# 2 s of wall time at a quarter of a CPU: about 0.5 s.
if [ "$spin" -gt 200000 ] && [ "$spin" -lt 950000 ]; then
    ok "--cpus 0.25 throttles a 2 s spin to $spin us of CPU (cpu_usec $cpu, $out of it the start-up)"
else
    fail "--cpus 0.25: $spin us of CPU for a 2 s spin, expected 0.2-0.95 s (cpu_usec '$cpu', start-up '$out')"
fi

section "stats"
# Spins until killed: under TCG, start-up times vary too much for a fixed duration to
# be sure to outlast the samples.
nuc run --name busy --memory 256M -- python3 -c '
x = bytearray(32 * 1024 * 1024)
while True: pass' >/dev/null 2>&1 &
cli=$!
wait_state busy
sleep 1
s1=$(nuc stats --json --no-stream busy)
sleep 1
s2=$(nuc stats --json --no-stream busy)
c1=$(json_num cpu_usec "$s1")
c2=$(json_num cpu_usec "$s2")
[ "${c2:-0}" -gt "${c1:-0}" ] && ok "stats move ($c1 -> $c2 us)" || fail "stats did not move: '$c1' -> '$c2' ($s1 / $s2)"
assert_match "$s2" '"memory_bytes":[0-9]{8,}' "stats show the memory in use"
assert_contains "$s2" "\"memory_limit_bytes\":$((256 << 20))" "and the limit"
assert_contains "$(nuc stats --no-stream)" "busy" "the table lists the sandbox"
assert_match "$s2" '"io_read_bytes":[0-9]+,"io_write_bytes":[0-9]+' "stats has the I/O bytes (io.stat)"
assert_eq 512 "$(json_num pids_limit "$s2" | tr -d ,)" "pids.max is 512 by default"
nuc kill busy >/dev/null || fail "nucleus kill busy failed"
rc=0
wait $cli || rc=$?
assert_eq 137 "$rc" "the busy sandbox is killed"

section "the leaf's files, and rm -f of a running sandbox"
# A second process in the sandbox, so that the removal has more than init to kill.
# A device for io.max. The guest has no disk; opening a node of the loop driver's major
# makes the kernel autoload it (block-major-7, from the host's copy of this kernel's
# modules, see init), and its loop devices appear. The open itself may fail.
if [ -z "$(ls /sys/block 2>/dev/null)" ]; then
    mknod "$T/blk" b 7 0 2>/dev/null && { : <"$T/blk"; } 2>/dev/null || true
    for _ in $(seq 50); do [ -n "$(ls /sys/block 2>/dev/null)" ] && break; sleep 0.1; done
fi
dev=$(cat "$(ls /sys/block/*/dev 2>/dev/null | head -1)" 2>/dev/null || true)
IO=()
[ -z "$dev" ] || IO=(--io-limit "$dev riops=100 wbps=1048576")
nuc run --name victim --memory 64M --pids 8 --cpus 0.25 --cpu-weight 50 "${IO[@]}" -- sh -c 'sleep 600 & sleep 600' >/dev/null 2>&1 &
cli=$!
wait_state victim
insp=$(nuc inspect victim)
leaf=$(sed -n 's/.*"cgroup": "\(.*\)".*/\1/p' <<<"$insp")
[ -n "$leaf" ] && [ -d "$leaf" ] && ok "the sandbox has its leaf $leaf" || fail "no cgroup leaf in inspect: '$leaf'"
assert_eq "$CG" "$(dirname "$leaf")" "under the configured cgroup root"
assert_match "$(tr -d ' \n' <<<"$insp")" '"limits":\{"backend":"v2","not_applied":\[\]\}' "inspect: every limit applied through v2"
assert_eq 67108864 "$(cat "$leaf/memory.max")" "memory.max is 64 MiB while it runs"
# The kernel keeps memory.high in pages: 90 % of 64 MiB, rounded down to a page.
page=$(getconf PAGESIZE)
assert_eq $((64 * 1024 * 1024 / 10 * 9 / page * page)) "$(cat "$leaf/memory.high")" "memory.high is 90 % of it"
assert_eq 1 "$(cat "$leaf/memory.oom.group")" "memory.oom.group is set"
assert_eq 0 "$(cat "$leaf/memory.swap.max")" "memory.swap.max is 0 (no --swap)"
assert_eq 8 "$(cat "$leaf/pids.max")" "pids.max"
assert_eq "25000 100000" "$(cat "$leaf/cpu.max")" "cpu.max"
assert_eq 50 "$(cat "$leaf/cpu.weight")" "cpu.weight"
if [ -n "$dev" ]; then
    assert_eq "$dev rbps=max wbps=1048576 riops=100 wiops=max" "$(cat "$leaf/io.max")" "io.max"
else
    fail "no block device in the guest, not even a RAM disk: io.max unchecked"
fi
# cgroup.freeze: pause freezes the whole leaf, resume thaws it.
nuc pause victim >/dev/null || fail "nucleus pause failed"
for _ in $(seq 100); do grep -qx 'frozen 1' "$leaf/cgroup.events" && break; sleep 0.1; done
assert_contains "$(cat "$leaf/cgroup.events")" "frozen 1" "pause: the leaf is frozen (cgroup.events)"
assert_contains "$(nuc inspect victim)" '"state": "paused"' "and the sandbox is paused"
nuc resume victim >/dev/null || fail "nucleus resume failed"
for _ in $(seq 100); do grep -qx 'frozen 0' "$leaf/cgroup.events" && break; sleep 0.1; done
assert_contains "$(cat "$leaf/cgroup.events")" "frozen 0" "resume: thawed"
# Both sleeps, sh and init: wait until the workload has forked.
for _ in $(seq 100); do [ "$(wc -l <"$leaf/cgroup.procs")" -ge 3 ] && break; sleep 0.1; done
procs=$(wc -l <"$leaf/cgroup.procs")
[ "$procs" -ge 3 ] && ok "$procs processes in the leaf" || fail "only $procs processes in the leaf"
start=$(date +%s)
nuc rm -f victim >/dev/null || fail "nucleus rm -f victim failed"
ok "rm -f returned after $(($(date +%s) - start)) s"
assert_eq no "$([ -d "$leaf" ] && echo yes || echo no)" "its leaf is gone ($leaf)"
rc=0
wait $cli || rc=$?
assert_eq 137 "$rc" "the removed sandbox's CLI reports SIGKILL"

section "lock-down on this kernel's Landlock"
rc=0
nuc run --name plain -- true || rc=$?
assert_eq 0 "$rc" "a plain sandbox runs (no --allow-degraded-security needed)"
insp=$(nuc inspect plain)
assert_match "$insp" '"abi": 2[^0-9]' "inspect shows Landlock ABI 2"
assert_match "$(tr -d ' \n' <<<"$insp")" '"degraded":\[\]' "and nothing degraded"

section "the end"
ids=$(for n in hog group spin busy plain; do nuc inspect "$n" | sed -n 's/^  "id": "\(.*\)",$/\1/p'; done)
for n in hog group spin busy plain; do nuc rm "$n" >/dev/null || fail "nucleus rm $n failed"; done
left=$(for i in $ids; do if [ -d "$CG/$i" ]; then echo "$CG/$i"; fi; done)
assert_eq "" "$left" "no cgroup of a removed sandbox is left"
# Our supervisor must have lived through it all (a CLI would silently autostart another).
kill -0 "$SUP_PID" 2>/dev/null && ok "nucleusd is still running" || fail "nucleusd died"
kill -TERM "$SUP_PID" 2>/dev/null || true
for _ in $(seq 300); do kill -0 "$SUP_PID" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$SUP_PID" 2>/dev/null || true     # then the status below is 137: a failure
rc=0
wait "$SUP_PID" || rc=$?
SUP_PID=
assert_eq 0 "$rc" "nucleusd exits 0 on SIGTERM"
# The warm pool's members (prepared, never claimed) went with it.
assert_eq "" "$(find "$CG" -mindepth 1 -type d 2>/dev/null)" "no directory is left under $CG"

section "a delegated subtree (systemd Delegate=yes)"
# As under systemd: nucleusd alone in a cgroup of its own (svc.service), which it must
# divide itself: move into <own>/supervisor, then give sandboxes <own>/sandboxes/<id>.
SVC=/sys/fs/cgroup/nucleus-vm-svc.service
mkdir -p "$SVC"
unset NUCLEUS_CGROUP_ROOT
export NUCLEUS_SOCKET="$T/svc.sock" NUCLEUS_STATE_DIR="$T/svc-state"
mkfifo "$T/ready2"
sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --cgroup-delegated --pool-size 0:0 --ready-fd 9 --log "$3"' sh "$SVC" "$ND" "$T/svc.log" 9>"$T/ready2" &
SUP_PID=$!
read -r -t 60 _ <"$T/ready2" || die "delegated nucleusd did not become ready; log: $(cat "$T/svc.log" 2>/dev/null)"
assert_contains "$(cat "$SVC/supervisor/cgroup.procs" 2>/dev/null)" "$SUP_PID" "nucleusd moved itself into <own>/supervisor"
assert_eq "" "$(cat "$SVC/cgroup.procs")" "leaving its own cgroup without processes"
nuc run -d --name del --memory 32M --pids 4 -- sleep 60 >/dev/null || fail "run in the delegated subtree failed"
wait_state del
did=$(nuc inspect del | sed -n 's/^  "id": "\(.*\)",$/\1/p')
assert_eq 33554432 "$(cat "$SVC/sandboxes/$did/memory.max" 2>/dev/null)" "the sandbox's leaf is <own>/sandboxes/<id>, with its limits"
assert_eq 4 "$(cat "$SVC/sandboxes/$did/pids.max" 2>/dev/null)" "pids.max there too"
nuc rm -f del >/dev/null || fail "rm -f in the delegated subtree failed"
assert_eq no "$([ -d "$SVC/sandboxes/$did" ] && echo yes || echo no)" "and removed with it"
kill -TERM "$SUP_PID" 2>/dev/null || true
for _ in $(seq 300); do kill -0 "$SUP_PID" 2>/dev/null || break; sleep 0.1; done
rc=0; wait "$SUP_PID" || rc=$?
SUP_PID=
assert_eq 0 "$rc" "the delegated nucleusd exits 0 on SIGTERM"
assert_eq "" "$(find "$SVC/sandboxes" -mindepth 1 -type d 2>/dev/null)" "and its pool's leaves went with it"

section "a limit v2 cannot apply (integration/limits_missing.sh, no io controller)"
if [ -n "${NUCLEUS_HELPER:-}" ]; then
    rc=0
    NUCLEUS_TEST_NAME=limits_missing NUCLEUS_TEST_POOL=off NUCLEUS_TEST_READY_TIMEOUT=60 \
        timeout -k 5 120 "$(dirname "$(realpath "$0")")/../integration/limits_missing.sh" 2>&1 | sed 's/^/  /' || rc=$?
    assert_eq 0 "$rc" "limits_missing.sh on v2: agent warns, strict-agent and production refuse"
else
    fail "NUCLEUS_HELPER is not set: limits_missing.sh cannot run"
fi

# Not failures by themselves, but worth seeing in the test's output.
grep -E '\] (warn|error):' "$T/nucleusd.log" | sed 's/^/# nucleusd: /' || true

if [ $FAILURES -ne 0 ]; then
    echo "$FAILURES assertion(s) failed"
    exit 1
fi
echo "PASS ($(($(date +%s) - START)) s in the guest)"
