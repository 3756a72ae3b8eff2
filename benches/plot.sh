#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# PNG plots (gnuplot) of the benchmarks' JSON results:
#   startup-TS-cdf.png        start latency of every variant of startup.sh: the CDF of
#                             all of hyperfine's samples, log time axis
#   api-TS-throughput.png     sandboxes/s against concurrency (api.sh), warm pool and
#                             no pool
#   api-TS-latency.png        request -> started p50 and p99 against concurrency (api.sh),
#                             warm pool and no pool (apibench keeps percentiles only)
#   pgbench-TS.png            TPS per variant and mode (pgbench.sh): the medians as bars, every
#                             round's run as a dot, the sandbox's ratios in each panel's title
# TS is the timestamp of the JSON file the plot comes from.
#
# Usage: benches/plot.sh [RESULT.json ...]
#   Without arguments: the newest startup-*.json, api-*.json and pgbench-*.json in
#   RESULTS (whichever exist). With arguments: those files (their kind from their name).
# Environment:
#   RESULTS  where to look for the newest results (default: benches/results)
#   OUT      where the PNGs go (default: RESULTS)
# Needs gnuplot (apt-get install -y gnuplot-nox) and python3; not root.
set -euo pipefail

prog=plot.sh
here=$(cd "$(dirname "$0")" && pwd)
RESULTS=${RESULTS:-$here/results}
OUT=${OUT:-$RESULTS}
die() {
        echo "$prog: $*" >&2
        exit 1
}
command -v gnuplot >/dev/null || die "missing gnuplot (apt-get install -y gnuplot-nox)"
command -v python3 >/dev/null || die "missing python3"

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
        for kind in startup api pgbench; do
                # The timestamp in the name sorts as text.
                f=$(find "$RESULTS" -maxdepth 1 -name "$kind-*.json" 2>/dev/null | sort | tail -n1)
                [ -z "$f" ] || files+=("$f")
        done
        [ ${#files[@]} -gt 0 ] || die "no startup-*.json, api-*.json or pgbench-*.json in $RESULTS"
fi
mkdir -p "$OUT"
T=$(mktemp -d /tmp/nucleus-plot.XXXXXX)
trap 'rm -rf "$T"' EXIT

# Python turns each JSON file into data files and a gnuplot script; gnuplot draws.
for f in "${files[@]}"; do
        [ -r "$f" ] || die "cannot read $f"
        base=$(basename "$f" .json)
        case $base in
        startup-*) kind=startup ;;
        api-*) kind=api ;;
        pgbench-*) kind=pgbench ;;
        *) die "$f: not a startup-, api- or pgbench- result (by its name)" ;;
        esac
        rm -rf "${T:?}"/*
        python3 - "$kind" "$f" "$T" "$OUT/$base" <<'PY' || die "cannot read $f"
import json, os, sys

kind, path, tmp, out = sys.argv[1:5]
d = json.load(open(path))
meta = d.get("meta", {})
def q(s):  # a gnuplot string, double-quoted; gnuplot would run a `command` even in one
    return '"' + str(s).replace("`", "").replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
machine = f"kernel {meta.get('kernel', '?')}, {meta.get('cpus', '?')} CPUs, nucleus {meta.get('nucleus_commit', '?')}"
gp = ["set terminal pngcairo size 1000,620 font 'sans,10' noenhanced", "set grid", "set key outside right top"]
outs = []

if kind == "startup":
    labels = {r["variant"]: r.get("label", r["variant"]) for r in d.get("variants", [])}
    plots = []
    for i, r in enumerate(d["hyperfine"]["results"]):
        t = sorted(x * 1000 for x in r["times"])
        fn = os.path.join(tmp, f"startup{i}.dat")
        with open(fn, "w") as f:
            for j, x in enumerate(t):
                f.write(f"{x:.6f} {(j + 1) / len(t):.6f}\n")
        plots.append(f"{q(fn)} using 1:2 with steps lw 2 title {q(labels.get(r['command'], r['command']))}")
    outs.append(out + "-cdf.png")
    gp += [f"set output {q(outs[-1])}",
           f"set title {q('Start latency of a static true, CDF of every run (startup.sh ' + meta.get('date_utc', '') + '; ' + machine + ')')}",
           "set key inside right bottom box opaque", "set logscale x", "set xlabel 'ms (log scale)'",
           "set ylabel 'fraction of runs'", "set yrange [0:1]", "set mxtics 10",
           "plot " + ", ".join(plots)]

elif kind == "api":
    series = [("warm pool", d.get("concurrency", [])), ("no pool", d.get("cold", []))]
    series = [(n, sorted(rs, key=lambda r: r["concurrency"])) for n, rs in series if rs]
    for i, (name, rs) in enumerate(series):
        with open(os.path.join(tmp, f"api{i}.dat"), "w") as f:
            for r in rs:
                f.write(f"{r['concurrency']} {r['sandboxes_per_second']:.3f} {r['to_started']['p50_us'] / 1000:.4f} "
                        f"{r['to_started']['p99_us'] / 1000:.4f} {r['to_result']['p50_us'] / 1000:.4f} "
                        f"{r['to_result']['p99_us'] / 1000:.4f}\n")
    concs = sorted({r["concurrency"] for _, rs in series for r in rs})
    xtics = "set xtics (" + ", ".join(f'"{c}" {c}' for c in concs) + ")"
    common = ["set logscale x 2", xtics, f"set xrange [{concs[0] / 1.5}:{concs[-1] * 1.5}]", "set xlabel 'concurrency (connections)'"]
    sub = f"(api.sh {meta.get('date_utc', '')}; {machine})"
    outs.append(out + "-throughput.png")
    gp += [f"set output {q(outs[-1])}", f"set title {q('Sandbox lifecycles per second through the API ' + sub)}"] + common + [
        "set ylabel 'sandboxes/s'", "set yrange [0:*]",
        "plot " + ", ".join(f"{q(os.path.join(tmp, f'api{i}.dat'))} using 1:2 with linespoints lw 2 pt 7 title {q(n)}"
                            for i, (n, _) in enumerate(series))]
    outs.append(out + "-latency.png")
    plots = []
    for i, (n, _) in enumerate(series):
        fn = q(os.path.join(tmp, f"api{i}.dat"))
        plots.append(f"{fn} using 1:3 with linespoints lw 2 pt 7 lc {i + 1} title {q(n + ', p50')}")
        plots.append(f"{fn} using 1:4 with linespoints lw 2 pt 5 dt 2 lc {i + 1} title {q(n + ', p99')}")
    gp += ["unset yrange", f"set output {q(outs[-1])}",
           f"set title {q('Request sent -> sandbox.started, p50 and p99 ' + sub)}",
           "set logscale y", "set ylabel 'ms (log scale)'", "plot " + ", ".join(plots)]

elif kind == "pgbench":
    # One panel per mode: a bar per variant, the sandbox's ratios over its bar.
    names = {"select": "select-only (-S)", "tpcb": "TPC-B (default script)"}
    vnames = {"bare": "bare", "bare-cgroup": "bare, own cgroups", "sandbox": "in nucleus"}
    variants = d.get("variants") or ["bare", "sandbox"]
    modes = list(d["summary"])
    outs.append(out + ".png")
    gp += [f"set output {q(outs[-1])}", "unset key", "set style fill solid 0.8 border -1", "set boxwidth 0.6",
           "set ylabel 'transactions/s'", "set yrange [0:*]", "set xrange [-0.6:" + str(len(variants) - 0.4) + "]",
           "set offsets 0, 0, graph 0.1, 0",
           f"set multiplot layout 1,{len(modes)} title "
           + q(f"pgbench, PostgreSQL bare and in a Nucleus sandbox: scale {meta.get('scale')}, {meta.get('clients')} clients, "
               f"{meta.get('duration_s')} s per run, {meta.get('rounds')} round(s) (pgbench.sh {meta.get('date_utc', '')})\n{machine}")]
    for i, mode in enumerate(modes):
        s = d["summary"][mode]
        fn = os.path.join(tmp, f"pgbench{i}.dat")
        with open(fn, "w") as f:
            for j, v in enumerate(variants):
                tps = s[v.replace("-", "_") + "_tps"]
                lab = f"{tps:.0f}"
                f.write(f"{j} {tps:.2f} {q(vnames.get(v, v))} {q(lab)}\n")
        # Every run's TPS as a point over its variant's bar: the spread over the rounds.
        rn = os.path.join(tmp, f"pgbench{i}-runs.dat")
        with open(rn, "w") as f:
            for r in d.get("runs", []):
                if r["mode"] == mode and r["variant"] in variants:
                    f.write(f"{variants.index(r['variant'])} {r['tps']:.2f}\n")
        title = f"{names.get(mode, mode)}\nin nucleus: {s['ratio']:.3f} x bare"
        if "ratio_to_bare_cgroup" in s:
            title += f", {s['ratio_to_bare_cgroup']:.3f} x bare in own cgroups"
        gp += [f"set title {q(title)}",
               f"plot {q(fn)} using 1:2:($1 + 1):xtic(3) with boxes lc variable, '' using 1:2:4 with labels offset 0,1.5 notitle, "
               f"{q(rn)} using 1:2 with points pt 7 ps 0.8 lc rgb 'black' notitle"]
    gp.append("unset multiplot")

with open(os.path.join(tmp, "plot.gp"), "w") as f:
    f.write("\n".join(gp) + "\n")
with open(os.path.join(tmp, "outputs"), "w") as f:
    f.write("\n".join(outs) + "\n")
PY
        gnuplot "$T/plot.gp" || die "gnuplot failed on $f"
        while read -r png; do
                echo "$prog: wrote $png" >&2
        done <"$T/outputs"
done
