#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Start latency of one sandboxed static `true`: bare exec, unshare (all namespaces),
# bubblewrap, crun, runc and `nucleus run --rm` (with the host's /usr, and with the same
# tiny rootfs the others get), side by side in one hyperfine invocation, plus the time
# of a first `nucleus run` that has to autostart its supervisor.
#
# Usage: sudo benches/startup.sh
# Environment:
#   RUNS        timed runs per variant (default 300; hyperfine warms up 20 runs first)
#   OUT         directory for startup-<UTC timestamp>.json and .md (default: benches/results)
#   NUCLEUS_BIN directory holding `nucleus` and `nucleusd` (default: build/bin of this repo)
# The Markdown table goes to stdout; hyperfine's progress goes to stderr.
set -euo pipefail

prog=startup.sh
# How this run was started, for the results: the settings given, then the script.
invocation=
for v in RUNS OUT NUCLEUS_BIN; do
        [ -z "${!v+set}" ] || invocation+="$v=${!v} "
done
invocation+=$0
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
repo=$(cd "$here/.." && pwd)
RUNS=${RUNS:-300}
OUT=${OUT:-$here/results}
NUCLEUS_BIN=${NUCLEUS_BIN:-$here/../build/bin}
AUTOSTART_RUNS=5


[ "$(id -u)" -eq 0 ] || die "must run as root (nucleusd and its sandboxes need root): sudo $0"
case $RUNS in '' | *[!0-9]*) die "RUNS='$RUNS' is not a positive integer" ;; esac
[ "$RUNS" -ge 1 ] || die "RUNS must be at least 1"

# Every tool, with all that are missing named at once.
missing=()
for tool in hyperfine bwrap unshare python3 date gcc crun runc; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ -x /usr/bin/true ] || missing+=("/usr/bin/true")
for b in nucleus nucleusd; do
        [ -x "$NUCLEUS_BIN/$b" ] || missing+=("$NUCLEUS_BIN/$b (build Nucleus first, or set NUCLEUS_BIN)")
done
if [ ${#missing[@]} -gt 0 ]; then
        for m in "${missing[@]}"; do
                echo "$prog: missing: $m" >&2
        done
        echo "$prog: the tools come from: apt-get install -y hyperfine bubblewrap crun runc gcc" >&2
        exit 1
fi
NUCLEUS_BIN=$(cd "$NUCLEUS_BIN" && pwd)
NUCLEUS=$NUCLEUS_BIN/nucleus
NUCLEUSD=$NUCLEUS_BIN/nucleusd
HYPERFINE=$(command -v hyperfine)
BWRAP=$(command -v bwrap)
UNSHARE=$(command -v unshare)
CRUN=$(command -v crun)
RUNC=$(command -v runc)


D=$(mktemp -d /tmp/nucleus-bench.XXXXXX)
cgroots=("$cgmount/nucleus-bench-$$")
auto_pids=()
# The static `true` must be executable in a default sandbox, where Landlock allows
# execution only from /usr: a copy there for the benchmark's duration.
HOSTTRUE_DIR=/usr/local/libexec/nucleus-bench-$$

# Stop a process that is not our child: SIGTERM, then SIGKILL after 10 s.
stop_foreign() {
        local pid=$1 i
        kill -TERM "$pid" 2>/dev/null || return 0
        for ((i = 0; i < 200; i++)); do
                [ -d "/proc/$pid" ] || return 0
                sleep 0.05
        done
        echo "$prog: nucleusd $pid ignored SIGTERM for 10 s; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
        local rc=$? pid cg
        set +e
        stop_supervisor
        # Out of the peers' group (if we joined it), so that it can be removed.
        [ -z "${peer_cg:-}" ] || echo $$ >"$cgmount/cgroup.procs"
        for pid in "${auto_pids[@]}"; do
                stop_foreign "$pid"
        done
        for cg in "${cgroots[@]}"; do
                [ -d "$cg" ] || continue
                # Sandbox leaves first (normally none are left), then the root itself.
                find "$cg" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
                rmdir "$cg" 2>/dev/null || echo "$prog: could not remove cgroup $cg" >&2
        done
        bench_remove_v1_mirrors "${cgroots[@]}"
        rm -rf --one-file-system "$D" "$HOSTTRUE_DIR"
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The workload: a static `true` (no dynamic loader, so the runtimes' own costs show),
# in a tiny root file system that bubblewrap, crun, runc and `nucleus --rootfs` share.
R=$D/rootfs
mkdir -p "$R/usr/bin" "$R/proc" "$R/dev" "$R/sys" "$R/tmp" "$HOSTTRUE_DIR"
ln -s usr/bin "$R/bin"
printf 'int main(void) { return 0; }\n' | gcc -O2 -static -x c -o "$R/usr/bin/true" - || die "cannot build a static true with gcc"
cp "$R/usr/bin/true" "$HOSTTRUE_DIR/true"
gcc -O2 -static -o "$D/idexec" "$here/idexec.c" || die "cannot build $here/idexec.c"
# OCI bundles: crun's default spec with the static true, a read-only root, no terminal,
# and no linux.resources (root here lacks CAP_SYS_RESOURCE for the memlock rlimit the
# default sets). One bundle serves crun and runc.
mkdir -p "$D/bundle"
(cd "$D/bundle" && "$CRUN" spec) || die "crun spec failed"
python3 - "$D/bundle/config.json" "$R" <<'PY'
import json, sys
p, root = sys.argv[1:3]
c = json.load(open(p))
c["process"]["args"] = ["/usr/bin/true"]
c["process"]["terminal"] = False
c["root"] = {"path": root, "readonly": True}
c["linux"].pop("resources", None)
json.dump(c, open(p, "w"), indent=1)
PY

# The command lines, as hyperfine runs them (-N: split into words, no shell).
cmd_bare="$R/usr/bin/true"
cmd_unshare="$UNSHARE --user --map-root-user --pid --fork --mount --net --uts --ipc --cgroup $R/usr/bin/true"
cmd_bwrap="$BWRAP --unshare-all --ro-bind $R / --proc /proc --dev /dev /usr/bin/true"
cmd_crun="$D/idexec $CRUN run -b $D/bundle @ID@"
cmd_runc="$D/idexec $RUNC run -b $D/bundle @ID@"
cmd_nucleus="$NUCLEUS run --rm -- $HOSTTRUE_DIR/true"
# The same against a supervisor without a warm pool: every sandbox cloned on demand.
cmd_nucleus_cold="$NUCLEUS --socket $D/cold/s.sock run --rm -- $HOSTTRUE_DIR/true"
# nucleusd can only clone a tree of its own mount namespace (open_tree), and on a hybrid
# host the timed commands run in a private one (below): the CLI reaches the rootfs
# through a descriptor opened here, which still names the host's mount.
exec {rootfs_fd}<"$R"
cmd_nucleus_rootfs="$NUCLEUS run --rm --rootfs /proc/self/fd/$rootfs_fd -- /usr/bin/true"
case $NUCLEUS_BIN$D in *[[:space:]]*) die "NUCLEUS_BIN and TMPDIR must not contain spaces: '$NUCLEUS_BIN' '$D'" ;; esac

# crun 1.8 refuses hybrid cgroup hosts ("cgroups in hybrid mode not supported"). On
# one, the timed commands run in a private mount namespace whose /sys/fs/cgroup is a
# fresh cgroup2 mount, from a group of the v2 tree; the OCI runtimes then create and
# remove their groups there. nucleus runs in it too (it only talks to its supervisor,
# which runs outside), so every variant shares the same conditions.
peer_ns=()
if [ "$cgmount" != /sys/fs/cgroup ]; then
        peer_cg=$cgmount/nucleus-bench-$$-peers
        cgroots+=("$peer_cg")
        mkdir -p "$peer_cg"
        echo $$ >"$peer_cg/cgroup.procs"
        peer_ns=("$UNSHARE" -m --propagation private sh -c 'umount -l /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec "$@"' sh)
fi

mkdir "$D/cold"
cgroots+=("$cgmount/nucleus-bench-$$-cold")
start_supervisor "$D/cold" "$cgmount/nucleus-bench-$$-cold" --pool-size 0:0
start_supervisor "$D" "${cgroots[0]}"

# Each variant must work before it is timed (hyperfine would stop on a failure anyway,
# but with less to go on).
check() {
        local name=$1 cmd=$2 err
        # shellcheck disable=SC2086 # word splitting is what hyperfine -N does too
        if ! err=$("${peer_ns[@]}" $cmd 2>&1 </dev/null); then
                printf '%s: the %s variant does not work here:\n  %s\n%s\n' "$prog" "$name" "$cmd" "$err" >&2
                exit 1
        fi
}
check bare "$cmd_bare"
check unshare "$cmd_unshare"
check bubblewrap "$cmd_bwrap"
check crun "$cmd_crun"
check runc "$cmd_runc"
check nucleus "$cmd_nucleus"
check nucleus-cold "$cmd_nucleus_cold"
check nucleus-rootfs "$cmd_nucleus_rootfs"

echo "$prog: $RUNS runs per variant after 20 warm-up runs; hyperfine follows on stderr" >&2
"${peer_ns[@]}" "$HYPERFINE" -N --warmup 20 --runs "$RUNS" --export-json "$D/hyperfine.json" \
        -n bare "$cmd_bare" \
        -n unshare "$cmd_unshare" \
        -n bubblewrap "$cmd_bwrap" \
        -n crun "$cmd_crun" \
        -n runc "$cmd_runc" \
        -n nucleus "$cmd_nucleus" \
        -n nucleus-cold "$cmd_nucleus_cold" \
        -n nucleus-rootfs "$cmd_nucleus_rootfs" >&2
# The peers must leave nothing behind either.
peers_left=$(($("${peer_ns[@]}" "$CRUN" list -q | wc -l) + $("${peer_ns[@]}" "$RUNC" list -q | wc -l)))

[ -d "/proc/$sup_pid" ] || die "nucleusd exited during the benchmark; see its log"
leftover=$("$NUCLEUS" ps -a --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
stop_supervisor

# First `nucleus run` that has to autostart its supervisor: a fresh socket, state dir
# and cgroup root each time. INVOCATION_ID is dropped because nucleus refuses to
# autostart inside a systemd unit. The autostarted nucleusd (its zygote, the process
# named "nucleusd" whose command line holds this socket) is stopped afterwards.
find_zygote() {
        local sock=$1 p
        for p in /proc/[0-9]*; do
                [ "$(cat "$p/comm" 2>/dev/null)" = nucleusd ] || continue
                if tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -qxF -- "$sock"; then
                        echo "${p#/proc/}"
                        return 0
                fi
        done
        return 1
}
auto_ns=()
timer_ns=()
for ((i = 1; i <= AUTOSTART_RUNS; i++)); do
        A=$D/auto$i
        mkdir "$A"
        cg=$cgmount/nucleus-bench-$$-auto$i
        cgroots+=("$cg")
        t0=$(date +%s%N)
        env -u INVOCATION_ID -u NUCLEUS_NUCLEUSD NUCLEUS_SOCKET="$A/s.sock" NUCLEUS_STATE_DIR="$A/state" \
                NUCLEUS_CGROUP_ROOT="$cg" NUCLEUS_IDLE_TIMEOUT=30 "$NUCLEUS" run --rm -- /usr/bin/true
        t1=$(date +%s%N)
        auto_ns+=($((t1 - t0)))
        pid=$(find_zygote "$A/s.sock") || die "cannot find the nucleusd that autostarted on $A/s.sock"
        auto_pids+=("$pid")
        stop_foreign "$pid"
        # The same two `date` calls around a bare /usr/bin/true: the cost of the timer.
        t0=$(date +%s%N)
        /usr/bin/true
        t1=$(date +%s%N)
        timer_ns+=($((t1 - t0)))
done

ts=$(date -u +%Y%m%dT%H%M%SZ)
commit=unknown
if command -v git >/dev/null 2>&1 && commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null); then
        # Changes under benches/ do not change the binaries measured.
        git -C "$repo" diff --quiet HEAD -- . ':!benches' 2>/dev/null || commit="$commit (with uncommitted changes)"
else
        commit=unknown
fi
mkdir -p "$OUT"
json_out=$OUT/startup-$ts.json
md_out=$OUT/startup-$ts.md

# Statistics in Python; everything from the shell comes in through the environment.
BENCH_TS=$ts BENCH_INVOCATION=$invocation BENCH_RUNS=$RUNS BENCH_COMMIT=$commit BENCH_NUCLEUS_BIN=$NUCLEUS_BIN \
BENCH_KERNEL=$(uname -r) BENCH_CPUS=$(nproc) \
BENCH_CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1) \
BENCH_HYPERFINE=$("$HYPERFINE" --version) BENCH_BWRAP=$("$BWRAP" --version) \
BENCH_CRUN=$("$CRUN" --version | head -n1) BENCH_RUNC=$("$RUNC" --version | head -n1) BENCH_PEERS_LEFT=$peers_left \
BENCH_CGMOUNT=$cgmount BENCH_LEFTOVER=$leftover \
BENCH_AUTO_NS="${auto_ns[*]}" BENCH_TIMER_NS="${timer_ns[*]}" \
python3 - "$D/hyperfine.json" "$json_out" "$md_out" <<'PY'
import json, os, statistics, sys

hf_path, json_out, md_out = sys.argv[1:4]
env = os.environ
with open(hf_path) as f:
    hf = json.load(f)

def pct(xs, q):
    # Linear interpolation between the closest ranks (numpy's default method).
    xs = sorted(xs)
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)

labels = {"bare": "bare static `true`", "unshare": "unshare, all namespaces",
          "bubblewrap": "bubblewrap `--unshare-all`", "crun": "crun run", "runc": "runc run",
          "nucleus": "nucleus run --rm (host /usr, warm pool)",
          "nucleus-cold": "nucleus run --rm (host /usr, no pool: cloned on demand)",
          "nucleus-rootfs": "nucleus run --rm --rootfs (warm pool, rootfs profile)"}
rows = []
for r in hf["results"]:
    t = [x * 1000 for x in r["times"]]
    rows.append({"variant": r["command"], "label": labels.get(r["command"], r["command"]),
                 "runs": len(t), "median_ms": statistics.median(t), "p99_ms": pct(t, 0.99),
                 "mean_ms": statistics.fmean(t), "min_ms": min(t), "max_ms": max(t)})
bw = next(r["median_ms"] for r in rows if r["variant"] == "bubblewrap")
for r in rows:
    r["ratio_to_bubblewrap_median"] = r["median_ms"] / bw

auto = [int(x) / 1e6 for x in env["BENCH_AUTO_NS"].split()]
timer = [int(x) / 1e6 for x in env["BENCH_TIMER_NS"].split()]
meta = {
    "date_utc": env["BENCH_TS"],
    "command": env["BENCH_INVOCATION"],
    "runs": int(env["BENCH_RUNS"]), "warmup": 20,
    "kernel": env["BENCH_KERNEL"], "cpus": int(env["BENCH_CPUS"]), "cpu_model": env["BENCH_CPU_MODEL"],
    "nucleus_commit": env["BENCH_COMMIT"], "nucleus_bin": env["BENCH_NUCLEUS_BIN"],
    "hyperfine": env["BENCH_HYPERFINE"], "bubblewrap": env["BENCH_BWRAP"],
    "crun": env["BENCH_CRUN"], "runc": env["BENCH_RUNC"],
    "oci_containers_left_after_benchmark": env["BENCH_PEERS_LEFT"],
    "cgroup2_mount": env["BENCH_CGMOUNT"],
    "nucleus_records_left_after_benchmark": int(env["BENCH_LEFTOVER"]),
}

md = [
    f"Start latency of a static `true`, {meta['date_utc']}, `{meta['command']}` as root: "
    f"kernel {meta['kernel']}, {meta['cpus']} CPUs ({meta['cpu_model'] or 'model unknown'}), "
    f"nucleus {meta['nucleus_commit']}, {meta['hyperfine']}, {meta['bubblewrap']}, {meta['crun']}, {meta['runc']}; "
    f"{meta['runs']} runs after {meta['warmup']} warm-up runs per variant.",
    "",
    "| variant | median ms | p99 ms | mean ms | ÷ bubblewrap |",
    "|---|---:|---:|---:|---:|",
]
for r in rows:
    md.append(f"| {r['label']} | {r['median_ms']:.2f} | {r['p99_ms']:.2f} | {r['mean_ms']:.2f} "
              f"| {r['ratio_to_bubblewrap_median']:.2f}× |")
md += [
    "",
    f"First `nucleus run --rm` that autostarts nucleusd ({len(auto)} runs, a fresh socket each, "
    f"timed with `date +%s%N`): median {statistics.median(auto):.1f} ms "
    f"(runs: {', '.join(f'{x:.1f}' for x in auto)}); "
    f"the same timer around a bare `/usr/bin/true`: median {statistics.median(timer):.1f} ms.",
    "",
    f"Sandbox records left in the supervisor after the benchmark: "
    f"{meta['nucleus_records_left_after_benchmark']}; OCI containers left by crun and runc: "
    f"{meta['oci_containers_left_after_benchmark']}.",
]
text = "\n".join(md) + "\n"

out = {"meta": meta, "variants": rows,
       "autostart": {"runs_ms": auto, "median_ms": statistics.median(auto),
                     "timer_overhead_runs_ms": timer, "timer_overhead_median_ms": statistics.median(timer)},
       "hyperfine": hf}
with open(json_out, "w") as f:
    json.dump(out, f, indent=2)
    f.write("\n")
with open(md_out, "w") as f:
    f.write(text)
sys.stdout.write(text)
PY
echo "$prog: wrote $json_out and $md_out" >&2
