#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# What the lock-down adds to a sandbox's start, two ways:
#  1. nucleus-lockdown-bench (benches/lockdown.c): N rounds of fork -> lock-down steps ->
#     execve of a static `true` -> wait, with the sandbox library's own functions: no
#     steps, each kind alone (seccomp, Landlock, capabilities, rlimits + no_new_privs),
#     and the full default lock-down. Median and p99 per variant, and the added median.
#  2. The per-sandbox figure nucleusd records: `inspect`'s timings_us.exec_parts of
#     SANDBOXES real sandboxes running the same `true` under a private nucleusd.
#     `lockdown` is init's share (Landlock, capability and seccomp preparation);
#     `spawn` is fork until execve, which includes the child's steps.
#
# Usage: sudo benches/lockdown.sh
# Environment:
#   N           rounds per variant of part 1 (default 2000)
#   SANDBOXES   sandboxes of part 2 (default 200)
#   NUCLEUS_BIN directory holding nucleus, nucleusd and nucleus-lockdown-bench
#               (default: build/bin of this repo)
#   OUT         directory for lockdown-<UTC timestamp>.md (default: benches/results)
# The Markdown tables go to stdout and to that file.
set -euo pipefail

prog=lockdown.sh
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
N=${N:-2000}
SANDBOXES=${SANDBOXES:-200}
NUCLEUS_BIN=${NUCLEUS_BIN:-$here/../build/bin}
OUT=${OUT:-$here/results}

[ "$(id -u)" -eq 0 ] || die "must run as root (the capability drop, Landlock and nucleusd need it): sudo $0"
for v in N SANDBOXES; do
        case ${!v} in '' | *[!0-9]* | 0) die "$v='${!v}' is not a positive integer" ;; esac
done
for tool in gcc jq python3; do
        command -v "$tool" >/dev/null 2>&1 || die "missing: $tool (apt-get install -y gcc jq python3)"
done
for b in nucleus nucleusd nucleus-lockdown-bench; do
        [ -x "$NUCLEUS_BIN/$b" ] || die "missing: $NUCLEUS_BIN/$b (build Nucleus first, or set NUCLEUS_BIN)"
done
NUCLEUS_BIN=$(cd "$NUCLEUS_BIN" && pwd)
NUCLEUS=$NUCLEUS_BIN/nucleus
NUCLEUSD=$NUCLEUS_BIN/nucleusd

D=$(mktemp -d /tmp/nucleus-bench.XXXXXX)
# The static `true` must be executable under the default Landlock rules, which allow
# execution only from /usr (and /bin, /nix/store): a copy there for the run's duration.
TRUE_DIR=/usr/local/libexec/nucleus-bench-$$
BENCH_CGROUP=$cgmount/nucleus-bench-$$
BENCH_REMOVE=("$D" "$TRUE_DIR")
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$TRUE_DIR"
printf 'int main(void) { return 0; }\n' | gcc -O2 -static -x c -o "$TRUE_DIR/true" - || die "cannot build a static true with gcc"

mkdir -p "$OUT"
result=$OUT/lockdown-$(date -u +%Y%m%dT%H%M%SZ).md
exec > >(tee "$result")
echo "## Lock-down steps between fork and execve ($(uname -r), $(nproc) CPUs)"
echo
echo "Command: $0 (N=$N)"
echo
"$NUCLEUS_BIN/nucleus-lockdown-bench" -n "$N" -- "$TRUE_DIR/true"

start_supervisor "$D" "$BENCH_CGROUP"
for ((i = 0; i < SANDBOXES; i++)); do
        "$NUCLEUS" run --name "lb-$i" -- "$TRUE_DIR/true" || die "sandbox lb-$i failed"
done
for ((i = 0; i < SANDBOXES; i++)); do
        "$NUCLEUS" inspect "lb-$i" | jq -c '.timings_us | [.pool, .exec_parts.lockdown, .exec_parts.spawn, .exec, .total]'
done >"$D/parts"
"$NUCLEUS" rm -f $(seq -f 'lb-%g' 0 $((SANDBOXES - 1))) >/dev/null
echo
echo "## exec_parts of $SANDBOXES sandboxes (nucleus inspect: timings_us)"
echo
python3 - "$D/parts" <<'PY'
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows = [r for r in rows if r[1] is not None]
def pct(v, p):
    v = sorted(v)
    return v[max(0, math.ceil(p / 100 * len(v)) - 1)]
print("| part | median (µs) | p99 (µs) |\n|---|---:|---:|")
for i, name in ((1, "exec_parts.lockdown (init: Landlock, caps and seccomp preparation)"),
                (2, "exec_parts.spawn (fork to execve, the child's steps included)"),
                (3, "exec (claim delivered until the workload started)"),
                (4, "total (request until started)")):
    v = [r[i] for r in rows]
    print(f"| {name} | {pct(v, 50)} | {pct(v, 99)} |")
hits = sum(1 for r in rows if r[0] == "hit")
print(f"\n{len(rows)} sandboxes with exec_parts, {hits} from the warm pool.")
PY
echo "$prog: results in $result" >&2
