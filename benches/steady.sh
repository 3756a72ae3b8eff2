#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Steady-state cost of the sandbox: the same work bare and inside `nucleus run`,
# alternating, and the ratio of the medians (bare / sandboxed: 1.00 means no cost).
#   cpu   a static program that spins on integer arithmetic for a fixed number of rounds
#   scan  the same program walking /usr/lib and reading the first 4 KiB of every file
#         (path lookup through the sandbox's mounts, Landlock checks on every open)
# The time measured is the program's own (CLOCK_MONOTONIC around the work), so the
# sandbox's start and stop are not in it.
#
# Usage: sudo benches/steady.sh        (RUNS, default 10 per variant; OUT; NUCLEUS_BIN)
set -euo pipefail

prog=steady.sh
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
RUNS=${RUNS:-10}
OUT=${OUT:-$here/results}
NUCLEUS_BIN=$(cd "${NUCLEUS_BIN:-$here/../build/bin}" && pwd)
NUCLEUS=$NUCLEUS_BIN/nucleus
NUCLEUSD=$NUCLEUS_BIN/nucleusd
[ "$(id -u)" -eq 0 ] || die "must run as root: sudo $0"
case $RUNS in '' | *[!0-9]*) die "RUNS='$RUNS' is not a positive integer" ;; esac
command -v gcc >/dev/null || die "missing gcc (apt-get install -y gcc)"

D=$(mktemp -d /tmp/nucleus-steady.XXXXXX)
CG=$cgmount/nucleus-steady-$$
W=/usr/local/libexec/nucleus-steady-$$
BENCH_CGROUP=$CG
BENCH_REMOVE=("$D" "$W")
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$W"
gcc -O2 -static -o "$W/work" -x c - <<'C' || die "cannot build the workload"
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static long scan(int dfd, int depth)
{
        DIR *d = fdopendir(dfd);
        struct dirent *e;
        char buf[4096];
        long n = 0;
        if (!d) return 0;
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.') continue;
                int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
                if (fd < 0) continue;
                if (e->d_type == DT_DIR && depth < 8) { n += scan(fd, depth + 1); continue; }
                if (read(fd, buf, sizeof(buf)) > 0) n++;
                close(fd);
        }
        closedir(d);
        return n;
}
int main(int argc, char **argv)
{
        double t0 = now();
        if (argc > 1 && strcmp(argv[1], "scan") == 0) {
                long n = scan(open("/usr/lib", O_RDONLY | O_DIRECTORY), 0);
                printf("%.6f %ld\n", now() - t0, n);
        } else {
                volatile uint64_t x = 1;
                for (uint64_t i = 0; i < 600000000ull; i++) x = x * 6364136223846793005ull + 1442695040888963407ull;
                printf("%.6f %llu\n", now() - t0, (unsigned long long)(x & 1));
        }
        return 0;
}
C
start_supervisor "$D" "$CG"
"$W/work" scan >/dev/null       # warm the page cache for both
results=()
for kind in cpu scan; do
        for ((i = 0; i < RUNS; i++)); do
                results+=("$kind bare $("$W/work" "$kind" | cut -d' ' -f1)")
                results+=("$kind nucleus $("$NUCLEUS" run --rm -- "$W/work" "$kind" | cut -d' ' -f1)")
        done
done
ts=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
printf '%s\n' "${results[@]}" | BENCH_TS=$ts BENCH_KERNEL=$(uname -r) BENCH_COMMIT=$(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo unknown) \
        python3 -c '
import json, os, statistics, sys
rows = {}
for line in sys.stdin:
    kind, variant, secs = line.split()
    rows.setdefault(kind, {}).setdefault(variant, []).append(float(secs))
env = os.environ
ts, kernel, commit = env["BENCH_TS"], env["BENCH_KERNEL"], env["BENCH_COMMIT"]
runs = len(rows["cpu"]["bare"])
print(f"Steady state, {ts}, kernel {kernel}, nucleus {commit}: medians of {runs} alternating runs")
print()
print("| work | bare s | in nucleus s | bare ÷ nucleus |")
print("|---|---:|---:|---:|")
out = {}
for kind, v in rows.items():
    b, n = statistics.median(v["bare"]), statistics.median(v["nucleus"])
    out[kind] = {"bare_s": v["bare"], "nucleus_s": v["nucleus"], "ratio": b / n}
    print(f"| {kind} | {b:.3f} | {n:.3f} | {b / n:.3f} |")
json.dump(out, open(sys.argv[1], "w"), indent=2)
' "$OUT/steady-$ts.json"
echo "$prog: wrote $OUT/steady-$ts.json" >&2
