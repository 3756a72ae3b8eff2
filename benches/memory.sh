#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Memory of idle sandboxes, Nucleus beside bubblewrap, in one run:
#   - N idle sandboxes through `nucleus run -d` (a static program that pauses), then
#     the supervisor's RSS (zygote + loop process) per sandbox, and the user-space PSS
#     of the runtime's own processes in each sandbox (its init; not the workload);
#   - M idle bubblewrap sandboxes (`bwrap --unshare-all`, same program), the same PSS
#     figure for bwrap's own processes (the outer bwrap and its pid-1 bwrap);
#   - the kernel's side: the growth of Slab + PageTables + KernelStack (/proc/meminfo)
#     per sandbox while the N were started.
# PSS (proportional set size) splits shared pages among their users, so pages init
# shares with the zygote, and the idle program's with each other, count once in all.
#
# Usage: sudo benches/memory.sh
# Environment:
#   COUNT       idle Nucleus sandboxes (default 1000; the issue's figure is 10000)
#   BWRAP_COUNT idle bubblewrap sandboxes (default 100)
#   OUT         directory for memory-<UTC timestamp>.json and .md (default: benches/results)
#   NUCLEUS_BIN directory holding nucleus and nucleusd (default: build/bin)
set -euo pipefail

prog=memory.sh
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
# How this run was started, for the results: the settings given, then the script.
invocation=
for v in COUNT BWRAP_COUNT OUT NUCLEUS_BIN; do
        [ -z "${!v+set}" ] || invocation+="$v=${!v} "
done
invocation+=$0
COUNT=${COUNT:-1000}
BWRAP_COUNT=${BWRAP_COUNT:-100}
OUT=${OUT:-$here/results}
NUCLEUS_BIN=$(cd "${NUCLEUS_BIN:-$here/../build/bin}" && pwd)
NUCLEUS=$NUCLEUS_BIN/nucleus
NUCLEUSD=$NUCLEUS_BIN/nucleusd

[ "$(id -u)" -eq 0 ] || die "must run as root: sudo $0"
for n in $COUNT $BWRAP_COUNT; do
        case $n in '' | *[!0-9]* | 0) die "'$n' is not a positive number (COUNT, BWRAP_COUNT)" ;; esac
done
for tool in gcc bwrap python3; do
        command -v "$tool" >/dev/null || die "missing $tool (apt-get install -y gcc bubblewrap python3)"
done

D=$(mktemp -d /tmp/nucleus-memory.XXXXXX)
CG=$cgmount/nucleus-memory-$$
IDLE_DIR=/usr/local/libexec/nucleus-memory-$$
BENCH_CGROUP=$CG
BENCH_REMOVE=("$D" "$IDLE_DIR")
bwrap_pids=()
bare_pid=
cleanup_all() {
        local p
        for p in "${bwrap_pids[@]}" $bare_pid; do kill -KILL "$p" 2>/dev/null || true; done
        bench_cleanup
}
trap cleanup_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A static program that pauses: Landlock lets a default sandbox execute only from /usr.
mkdir -p "$IDLE_DIR"
printf '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n' | gcc -O2 -static -x c -o "$IDLE_DIR/idle" - ||
        die "cannot build a static idle program"
IDLE=$IDLE_DIR/idle

# PSS in KiB of the given pids (smaps_rollup), summed.
pss() {
        local p sum=0 v
        for p in "$@"; do
                v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
                sum=$((sum + ${v:-0}))
        done
        echo $sum
}
kernel_kb() { awk '/^(Slab|PageTables|KernelStack):/ {s += $2} END {print s}' /proc/meminfo; }

"$IDLE" & bare_pid=$!
disown $bare_pid
sleep 0.2
bare_pss=$(pss $bare_pid)
# The runtime's processes among pids: all but the workload (comm "idle").
not_idle() { local p; for p in "$@"; do [ "$(cat "/proc/$p/comm" 2>/dev/null)" = idle ] || echo "$p"; done; }

# Descriptors: the zygote and the loop process hold a few per sandbox (pidfd, control
# socket, log pipes, the OOM eventfd).
want=$((COUNT * 8 + 4096))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
        ulimit -Hn "$want" 2>/dev/null ||
                die "$COUNT sandboxes need about $want descriptors, and the hard limit is $hard (raise it, or lower COUNT to $(((hard - 4096) / 8)))"
fi
ulimit -n "$want"
# No warm pool: its parked members would be counted with the sandboxes.
start_supervisor "$D" "$CG" --max-sandboxes $((COUNT + 64)) --pool-size 0:0
rss_of_supervisor() { ps -o rss=,comm= -p "$sup_pid" --ppid "$sup_pid" | awk '$2 == "nucleusd" || $2 == "nucleusd-loop" {s += $1} END {print s + 0}'; }
sup_rss0=$(rss_of_supervisor)
echo "$prog: starting $COUNT idle sandboxes" >&2
k0=$(kernel_kb)
for ((i = 0; i < COUNT; i++)); do
        "$NUCLEUS" run -d -- "$IDLE" >/dev/null || die "sandbox $i of $COUNT did not start"
done
sleep 1
k1=$(kernel_kb)
# Every process of every sandbox: the members of the sandboxes' v2 leaves.
mapfile -t sbx_pids < <(cat "$CG"/*/cgroup.procs 2>/dev/null)
[ "${#sbx_pids[@]}" -ge "$COUNT" ] || die "found only ${#sbx_pids[@]} processes in $COUNT sandboxes"
sbx_pss=$(pss $(not_idle "${sbx_pids[@]}"))
sup_rss=$(rss_of_supervisor)
sup_pss=$(pss "$sup_pid" $(pgrep -P "$sup_pid" -x nucleusd-loop || true))
stop_supervisor

echo "$prog: starting $BWRAP_COUNT idle bubblewrap sandboxes" >&2
for ((i = 0; i < BWRAP_COUNT; i++)); do
        bwrap --unshare-all --ro-bind /usr /usr --symlink usr/lib64 /lib64 --symlink usr/lib /lib \
                --proc /proc --dev /dev --die-with-parent "$IDLE" &
        bwrap_pids+=($!)
        disown $!
done
sleep 1
# bwrap's processes: the outer one (ours) and its children (bwrap's pid-1 and the idle program).
all=()
for p in "${bwrap_pids[@]}"; do
        all+=("$p")
        for c in $(pgrep -P "$p" || true); do
                all+=("$c")
                mapfile -t -O "${#all[@]}" all < <(pgrep -P "$c" || true)
        done
done
bw_pss=$(pss $(not_idle "${all[@]}"))

ts=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
BENCH_TS=$ts BENCH_COMMIT=$(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo unknown) BENCH_KERNEL=$(uname -r) \
BENCH_CPUS=$(nproc) BENCH_INVOCATION=$invocation \
python3 - "$OUT/memory-$ts" "$COUNT" "$BWRAP_COUNT" "$bare_pss" "$sbx_pss" "${#sbx_pids[@]}" "$sup_rss" "$sup_pss" \
        "$bw_pss" "${#all[@]}" "$k0" "$k1" "$sup_rss0" <<'PY'
import json, os, sys
out, n, m, bare, sbx, nproc_sbx, sup_rss, sup_pss, bw, nproc_bw, k0, k1, rss0 = sys.argv[1], *map(int, sys.argv[2:])
env = os.environ
per_sbx = sbx / n                   # the runtime's processes only, not the workload
per_bw = bw / m
r = {"meta": {"date_utc": env["BENCH_TS"], "command": env["BENCH_INVOCATION"], "nucleus_commit": env["BENCH_COMMIT"],
              "kernel": env["BENCH_KERNEL"], "cpus": int(env["BENCH_CPUS"])},
     "nucleus": {"sandboxes": n, "processes": nproc_sbx, "pss_kib_total": sbx, "runtime_pss_kib_per_sandbox": per_sbx,
                 "supervisor_rss_kib": sup_rss, "supervisor_pss_kib": sup_pss,
                 "supervisor_rss_kib_per_sandbox": sup_rss / n, "supervisor_rss_kib_idle": rss0,
                 "supervisor_rss_kib_added_per_sandbox": (sup_rss - rss0) / n, "kernel_kib_per_sandbox": (k1 - k0) / n},
     "bubblewrap": {"sandboxes": m, "processes": nproc_bw, "pss_kib_total": bw, "runtime_pss_kib_per_sandbox": per_bw},
     "idle_program_pss_kib": bare,
     "ratio_pss_nucleus_to_bubblewrap": per_sbx / per_bw if per_bw > 0 else None}
md = [f"Idle sandboxes, {r['meta']['date_utc']}, kernel {r['meta']['kernel']}, {r['meta']['cpus']} CPUs, "
      f"nucleus {r['meta']['nucleus_commit']} (`{r['meta']['command']}`):", "",
      "| | sandboxes | the runtime's user-space PSS per sandbox (not the workload's) | ÷ bubblewrap |", "|---|---:|---:|---:|",
      f"| nucleus | {n} | {per_sbx:.0f} KiB | {r['ratio_pss_nucleus_to_bubblewrap']:.2f}× |",
      f"| bubblewrap | {m} | {per_bw:.0f} KiB | 1.00× |", "",
      f"nucleusd (zygote + loop process): RSS {sup_rss / 1024:.1f} MiB with {n} sandboxes, "
      f"{sup_rss / n:.1f} KiB per sandbox ({rss0 / 1024:.1f} MiB with none: {(sup_rss - rss0) / n:.1f} KiB added "
      f"per sandbox; PSS {sup_pss / 1024:.1f} MiB); the kernel's slab, page tables and "
      f"stacks grew by {(k1 - k0) / n:.0f} KiB per sandbox."]
open(out + ".json", "w").write(json.dumps(r, indent=2))
open(out + ".md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
PY
echo "$prog: wrote $OUT/memory-$ts.json" >&2
