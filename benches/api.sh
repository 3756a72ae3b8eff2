#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Sandbox lifecycles through the API (benches/apibench.c): throughput and latency at
# several concurrencies, and start latency against the number of sandboxes already
# live. Each lifecycle is a full sandbox.create (wait, auto_remove) of a static `true`:
# request sent -> sandbox.started (the workload exec'd) -> result (it exited).
#
# Usage: sudo benches/api.sh
# Environment:
#   COUNT        creates per concurrency level (default 2000; the issue's figure is 20000)
#   CONCURRENCY  levels (default "1 8 64")
#   LIVE         live idle sandboxes to measure start latency against (default "0 1000")
#   LIVE_COUNT   creates per LIVE level (default 300)
#   COLD_COUNT   creates at concurrency 1 and 8 against a second nucleusd without a warm
#                pool (--pool-size 0:0), for the hit/miss comparison (default 500)
#   NETWORKS     other network modes to measure at concurrency 1 and 8 (default "bridge
#                host"; the main runs are --network none: a namespace of its own with
#                lo). bridge runs against a third nucleusd in a network namespace of its
#                own (unshare -n), so the host's network is never touched.
#   NET_COUNT    creates per network mode and concurrency (default 300)
#   OUT          directory for api-<UTC timestamp>.json (default: benches/results)
#   NUCLEUS_BIN  directory holding nucleus, nucleusd, nucleus-apibench (default: build/bin)
set -euo pipefail

prog=api.sh
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
COUNT=${COUNT:-2000}
CONCURRENCY=${CONCURRENCY:-1 8 64}
LIVE=${LIVE:-0 1000}
LIVE_COUNT=${LIVE_COUNT:-300}
OUT=${OUT:-$here/results}
NUCLEUS_BIN=$(cd "${NUCLEUS_BIN:-$here/../build/bin}" && pwd)
NUCLEUS=$NUCLEUS_BIN/nucleus
NUCLEUSD=$NUCLEUS_BIN/nucleusd
APIBENCH=$NUCLEUS_BIN/nucleus-apibench

[ "$(id -u)" -eq 0 ] || die "must run as root (nucleusd and its sandboxes need root): sudo $0"
for b in "$NUCLEUS" "$NUCLEUSD" "$APIBENCH"; do
        [ -x "$b" ] || die "missing $b (build Nucleus first, or set NUCLEUS_BIN)"
done
command -v gcc >/dev/null || die "missing gcc (apt-get install -y gcc)"
COLD_COUNT=${COLD_COUNT:-500}
NETWORKS=${NETWORKS-bridge host}
NET_COUNT=${NET_COUNT:-300}
for n in $COUNT $CONCURRENCY $LIVE $LIVE_COUNT $COLD_COUNT $NET_COUNT; do
        case $n in '' | *[!0-9]*) die "'$n' is not a number (COUNT, CONCURRENCY, LIVE, LIVE_COUNT)" ;; esac
done

D=$(mktemp -d /tmp/nucleus-apibench.XXXXXX)
CG=$cgmount/nucleus-apibench-$$
TRUE_DIR=/usr/local/libexec/nucleus-apibench-$$
BENCH_CGROUP=$CG
BENCH_REMOVE=("$D" "$TRUE_DIR")
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A static `true` where a default sandbox may execute it (Landlock: only from /usr).
mkdir -p "$TRUE_DIR"
printf 'int main(void) { return 0; }\n' | gcc -O2 -static -x c -o "$TRUE_DIR/true" - || die "cannot build a static true"
printf '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n' | gcc -O2 -static -x c -o "$TRUE_DIR/idle" - ||
        die "cannot build a static idle program"

# Enough descriptors and id ranges for the live sandboxes: each holds a few descriptors
# in the zygote and in the loop process, and a host id range of its own.
max_live=0
for l in $LIVE; do [ "$l" -gt "$max_live" ] && max_live=$l; done
ulimit -n $((max_live * 8 + 4096))
start_supervisor "$D" "$CG" --max-sandboxes $((max_live + 1024))

# How many creates were pool hits: the supervisor's own count, before and after a run.
hits() { "$NUCLEUS" "$@" info | python3 -c 'import json,sys; print(json.load(sys.stdin)["create_latency"]["pool_hit"]["count"])'; }
with_hits() { # JSON from apibench, hits before -> {..., "pool_hits": N}
        python3 -c 'import json,sys; r = json.loads(sys.argv[1]); r["pool_hits"] = int(sys.argv[3]) - int(sys.argv[2]); print(json.dumps(r))' "$@"
}
results=()
for c in $CONCURRENCY; do
        echo "$prog: $COUNT lifecycles at concurrency $c" >&2
        h0=$(hits)
        r=$("$APIBENCH" --count "$COUNT" --concurrency "$c" -- "$TRUE_DIR/true")
        results+=("$(with_hits "$r" "$h0" "$(hits)")")
done
# The same without a warm pool: a second nucleusd (its own socket, state and cgroups).
mkdir "$D/cold"
cold=()
BENCH_CGROUPS+=("$CG-cold")
start_supervisor "$D/cold" "$CG-cold" --pool-size 0:0 --max-sandboxes 1024
for c in 1 8; do
        echo "$prog: $COLD_COUNT lifecycles at concurrency $c without a warm pool" >&2
        r=$("$APIBENCH" --socket "$D/cold/s.sock" --count "$COLD_COUNT" --concurrency "$c" -- "$TRUE_DIR/true")
        cold+=("$(with_hits "$r" 0 0)")
done
export NUCLEUS_SOCKET=$D/s.sock NUCLEUS_STATE_DIR=$D/state NUCLEUS_CGROUP_ROOT=$CG
nets=()
for net in $NETWORKS; do
        case $net in
        host) sock=$D/s.sock ;;
        bridge)
                mkdir "$D/bridge"
                BENCH_CGROUPS+=("$CG-bridge")
                sup_prefix=(unshare -n)
                start_supervisor "$D/bridge" "$CG-bridge" --max-sandboxes 1024
                sup_prefix=()
                sock=$D/bridge/s.sock
                export NUCLEUS_SOCKET=$D/s.sock NUCLEUS_STATE_DIR=$D/state NUCLEUS_CGROUP_ROOT=$CG ;;
        *) die "NETWORKS: '$net' is not bridge or host" ;;
        esac
        for c in 1 8; do
                echo "$prog: $NET_COUNT lifecycles at concurrency $c with --network $net" >&2
                h0=$(hits --socket "$sock")
                # A documentation address for resolv.conf: never asked (the workload is true).
                dns=()
                [ "$net" = bridge ] && dns=(--dns 192.0.2.53)
                r=$("$APIBENCH" --socket "$sock" --count "$NET_COUNT" --concurrency "$c" --network "$net" "${dns[@]}" \
                        -- "$TRUE_DIR/true")
                nets+=("$net=$(with_hits "$r" "$h0" "$(hits --socket "$sock")")")
        done
done
live=()
held=0
for l in $LIVE; do
        echo "$prog: $l live sandboxes, then $LIVE_COUNT lifecycles at concurrency 1" >&2
        while [ "$held" -lt "$l" ]; do
                "$NUCLEUS" run -d -- "$TRUE_DIR/idle" >/dev/null || die "sandbox $held of $l did not start"
                held=$((held + 1))
        done
        live+=("$l=$("$APIBENCH" --count "$LIVE_COUNT" --concurrency 1 -- "$TRUE_DIR/true")")
done
# The supervisor's own memory: the zygote (nucleusd) and the loop process (nucleusd-loop), not
# the sandboxes' inits (also the zygote's children, named nucleus-init).
main_pid=${sup_pids[0]}
rss_kb=$(ps -o rss=,comm= -p "$main_pid" --ppid "$main_pid" | awk '$2 == "nucleusd" || $2 == "nucleusd-loop" {s += $1} END {print s + 0}')

ts=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
json_out=$OUT/api-$ts.json
BENCH_TS=$ts BENCH_COMMIT=$(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo unknown) \
BENCH_KERNEL=$(uname -r) BENCH_CPUS=$(nproc) BENCH_RSS_KB=$rss_kb BENCH_HELD=$held \
python3 - "$json_out" "${results[@]}" -- "${live[@]}" -- "${cold[@]}" -- "${nets[@]}" <<'PY'
import json, os, sys
out_path = sys.argv[1]
rest = sys.argv[2:]
seps = [i for i, x in enumerate(rest) if x == "--"]
conc = [json.loads(x) for x in rest[:seps[0]]]
live = [(int(x.split("=", 1)[0]), json.loads(x.split("=", 1)[1])) for x in rest[seps[0] + 1:seps[1]]]
cold = [json.loads(x) for x in rest[seps[1] + 1:seps[2]]]
nets = [(x.split("=", 1)[0], json.loads(x.split("=", 1)[1])) for x in rest[seps[2] + 1:]]
env = os.environ
meta = {"date_utc": env["BENCH_TS"], "nucleus_commit": env["BENCH_COMMIT"], "kernel": env["BENCH_KERNEL"],
        "cpus": int(env["BENCH_CPUS"])}
ms = lambda us: f"{us / 1000:.2f}"
print(f"API lifecycles of a static `true` (sandbox.create wait+auto_remove), {meta['date_utc']}, "
      f"kernel {meta['kernel']}, {meta['cpus']} CPUs, nucleus {meta['nucleus_commit']}:")
print()
print("| pool | network | concurrency | creates | pool hits | sandboxes/s | → started p50 ms | p99 ms | → result p50 ms | p99 ms |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for pool, net, rs in [("warm", "none", conc), ("none", "none", cold)] + [("warm", n, [r]) for n, r in nets]:
    for r in rs:
        print(f"| {pool} | {net} | {r['concurrency']} | {r['count']} | {r['pool_hits']} | {r['sandboxes_per_second']:.0f} "
              f"| {ms(r['to_started']['p50_us'])} | {ms(r['to_started']['p99_us'])} | {ms(r['to_result']['p50_us'])} "
              f"| {ms(r['to_result']['p99_us'])} |")
print()
print("| live sandboxes | → started p50 ms | p99 ms |")
print("|---:|---:|---:|")
for n, r in live:
    print(f"| {n} | {ms(r['to_started']['p50_us'])} | {ms(r['to_started']['p99_us'])} |")
print()
held = int(env["BENCH_HELD"]); rss = int(env["BENCH_RSS_KB"])
print(f"nucleusd (zygote + loop process) RSS with {held} idle sandboxes: {rss / 1024:.1f} MiB"
      + (f" ({rss * 1024 / held / 1024:.1f} KiB per sandbox)" if held else ""))
json.dump({"meta": meta, "concurrency": conc, "cold": cold, "networks": [{"network": n, **r} for n, r in nets], "live": [{"live": n, **r} for n, r in live],
           "supervisor_rss_kb": rss, "idle_sandboxes": held}, open(out_path, "w"), indent=2)
PY
echo "$prog: wrote $json_out" >&2
