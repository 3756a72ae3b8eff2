#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Steady state of a real server: pgbench select-only (-S) and TPC-B (the default
# script) against Debian's PostgreSQL server running bare and inside a Nucleus sandbox,
# in one run, and the ratio of their TPS (sandbox / bare: 1.00 means no cost).
#
# The servers run at the same time, each on its own copy of one pgbench database
# (initdb and `pgbench -i` once, then the data directory is copied), as the `postgres`
# user, with the same options: `postgres -D DATA -k SOCKDIR -c listen_addresses=''`.
#   bare         under setsid + setpriv, in this script's cgroups (pgbench's)
#   bare-cgroup  the same, in cgroups shaped like the sandbox's (CGROUP_BARE=0: left out)
#   sandbox      `nucleus run -d --user UID --group GID` with the data directory and the
#                socket directory as volumes, through a private nucleusd
# pgbench runs on the host against each server's Unix socket, so the client is the
# same for all. The timed runs alternate between the variants (in order in odd rounds,
# reversed in even ones), each after a CHECKPOINT on every server.
#
# Usage: sudo benches/pgbench.sh
# Environment:
#   SCALE        pgbench scale factor (default 50: 5 million accounts, about 750 MB per copy)
#   CLIENTS      pgbench clients (default 8)
#   JOBS         pgbench threads (default: the CPU count, at most CLIENTS)
#   DURATION     seconds per timed run (default 15)
#   ROUNDS       rounds; each times every mode in every variant (default 2); the table
#                gives the median TPS over the rounds
#   WARMUP       seconds of select-only per server before the timed runs (default 5; 0: none)
#   MODES        which modes, of "select tpcb" (default both)
#   CGROUP_BARE  1 (default): a third server, bare but in cgroups of its own like the
#                sandbox's (variant bare-cgroup); 0: only bare and sandbox
#   PG_OPTS      more server options for every server, e.g. "-c shared_buffers=1GB"
#   SANDBOX_ARGS more `nucleus run` options for the sandboxed server, e.g.
#                "--cpu-weight 800" or "--landlock-policy FILE"
#   PGBIN        PostgreSQL's bin directory (default: the newest /usr/lib/postgresql/*/bin)
#   PGUSER_NAME  the system user the servers run as (default postgres)
#   INSTALL=1    apt-get install what is missing (postgresql postgresql-contrib)
#   OUT          directory for pgbench-<UTC timestamp>.json and .md (default: benches/results)
#   NUCLEUS_BIN  directory holding nucleus and nucleusd (default: build/bin of this repo)
# The Markdown goes to stdout; progress goes to stderr.
set -euo pipefail

prog=pgbench.sh
invocation=
for v in SCALE CLIENTS JOBS DURATION ROUNDS WARMUP MODES CGROUP_BARE PG_OPTS SANDBOX_ARGS PGBIN PGUSER_NAME INSTALL OUT NUCLEUS_BIN; do
        [ -n "${!v+set}" ] || continue
        val=${!v}
        [[ $val != *[[:space:]]* ]] || val=${val@Q}
        invocation+="$v=$val "
done
invocation+=$0
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=benches/lib.sh
. "$here/lib.sh"
repo=$(cd "$here/.." && pwd)
SCALE=${SCALE:-50}
CLIENTS=${CLIENTS:-8}
DURATION=${DURATION:-15}
ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-5}
MODES=${MODES:-select tpcb}
CGROUP_BARE=${CGROUP_BARE:-1}
PG_OPTS=${PG_OPTS:-}
SANDBOX_ARGS=${SANDBOX_ARGS:-}
PGUSER_NAME=${PGUSER_NAME:-postgres}
OUT=${OUT:-$here/results}
NUCLEUS_BIN=${NUCLEUS_BIN:-$here/../build/bin}
JOBS=${JOBS:-$(nproc)}

[ "$(id -u)" -eq 0 ] || die "must run as root (nucleusd and its sandboxes need root): sudo $0"
for v in SCALE CLIENTS JOBS DURATION ROUNDS WARMUP; do
        case ${!v} in '' | *[!0-9]*) die "$v='${!v}' is not a number" ;; esac
done
[ "$SCALE" -ge 1 ] && [ "$CLIENTS" -ge 1 ] && [ "$DURATION" -ge 1 ] && [ "$ROUNDS" -ge 1 ] ||
        die "SCALE, CLIENTS, DURATION and ROUNDS must be at least 1"
[ "$JOBS" -ge 1 ] && [ "$JOBS" -le "$CLIENTS" ] || JOBS=$CLIENTS
for m in $MODES; do
        case $m in select | tpcb) ;; *) die "MODES: '$m' is neither select nor tpcb" ;; esac
done

# PostgreSQL: the server (postgresql, which brings pgbench too) and its client tools.
pg_bin() {
        if [ -n "${PGBIN:-}" ]; then
                echo "$PGBIN"
        else
                find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n1
        fi
}
pg_missing() {
        local b dir
        dir=$(pg_bin)
        missing=()
        for b in postgres initdb pgbench psql pg_isready; do
                [ -n "$dir" ] && [ -x "$dir/$b" ] || missing+=("${dir:-/usr/lib/postgresql/VERSION/bin}/$b")
        done
        id -u "$PGUSER_NAME" >/dev/null 2>&1 || missing+=("the system user $PGUSER_NAME")
        for b in setpriv setsid python3 git; do
                command -v "$b" >/dev/null 2>&1 || missing+=("$b")
        done
        [ ${#missing[@]} -eq 0 ]
}
if ! pg_missing; then
        if [ "${INSTALL:-0}" = 1 ]; then
                echo "$prog: installing postgresql postgresql-contrib" >&2
                DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql postgresql-contrib >&2 ||
                        die "apt-get install failed"
        fi
        if ! pg_missing; then
                for m in "${missing[@]}"; do
                        echo "$prog: missing: $m" >&2
                done
                die "install them with: apt-get install -y postgresql postgresql-contrib (or run with INSTALL=1)"
        fi
fi
PGBIN=$(pg_bin)
for b in nucleus nucleusd; do
        [ -x "$NUCLEUS_BIN/$b" ] || die "missing $NUCLEUS_BIN/$b (build Nucleus first, or set NUCLEUS_BIN)"
done
NUCLEUS_BIN=$(cd "$NUCLEUS_BIN" && pwd)
NUCLEUS=$NUCLEUS_BIN/nucleus
NUCLEUSD=$NUCLEUS_BIN/nucleusd
# The commit measured, read now: the tree may move while the benchmark runs.
commit=unknown
if command -v git >/dev/null 2>&1 && commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null); then
        # Changes under benches/ do not change the binaries measured.
        git -C "$repo" diff --quiet HEAD -- . ':!benches' 2>/dev/null || commit="$commit (with uncommitted changes)"
fi
PG_UID=$(id -u "$PGUSER_NAME")
PG_GID=$(id -g "$PGUSER_NAME")

# Everything lives under $D (the volumes' sources too: /tmp is no sensitive source).
D=$(mktemp -d /tmp/nucleus-pgbench.XXXXXX)
chmod 755 "$D"          # the postgres user must reach its directories below
CG=$cgmount/nucleus-pgbench-$$
BENCH_CGROUP=$CG
BENCH_REMOVE=("$D")
declare -A bare_pids=()
sandbox_id=
BENCH_CGROUPS=()
pg_cleanup() {
        local rc=$? i p
        set +e
        # Fast shutdown of every server before the supervisor goes (which kills the sandbox).
        if [ -n "$sandbox_id" ]; then
                "$NUCLEUS" kill "$sandbox_id" INT >/dev/null 2>&1
                timeout 20 "$NUCLEUS" wait "$sandbox_id" >/dev/null 2>&1
        fi
        for p in "${bare_pids[@]}"; do
                kill -INT "$p" 2>/dev/null || continue
                for ((i = 0; i < 200; i++)); do
                        [ -d "/proc/$p" ] || break
                        sleep 0.1
                done
                kill -KILL "$p" 2>/dev/null
                wait "$p" 2>/dev/null
        done
        (exit "$rc")
        bench_cleanup
}
trap pg_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

as_pg() { setpriv --reuid "$PG_UID" --regid "$PG_GID" --clear-groups "$@"; }
server_args=(-c listen_addresses=)
# shellcheck disable=SC2206 # PG_OPTS is split on purpose
server_args+=($PG_OPTS)

# Waits until the server on socket directory $1 accepts connections.
wait_ready() { # SOCKDIR WHAT
        local i
        for ((i = 0; i < 300; i++)); do
                "$PGBIN/pg_isready" -q -h "$1" -U postgres -d postgres && return 0
                sleep 0.1
        done
        if [ "$2" = sandboxed ]; then
                "$NUCLEUS" logs "$sandbox_id" >&2
        else
                cat "$D/$2.log" >&2
        fi
        die "the $2 server did not become ready (its log above)"
}
# A bare server on $D/data-NAME and $D/sock-NAME, first moved into the given cgroup
# directories (none: it stays in this script's cgroups, as pgbench does). setsid does
# not fork here (the subshell leads no process group), so $! is the postmaster.
start_bare() { # NAME [CGROUP-DIR...]
        local name=$1 c
        shift
        (
                for c in "$@"; do
                        echo "$BASHPID" >"$c/cgroup.procs"
                done
                # A session of its own, as pg_ctl gives it. (Each backend makes its own
                # anyway; with sched_autogroup on, every session in the root cpu cgroup is a
                # scheduling entity of its own: see benches/README.md, bare-cgroup.)
                cd / && exec setsid setpriv --reuid "$PG_UID" --regid "$PG_GID" --clear-groups \
                        env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/ \
                        "$PGBIN/postgres" -D "$D/data-$name" -k "$D/sock-$name" "${server_args[@]}"
        ) >"$D/$name.log" 2>&1 &
        bare_pids[$name]=$!
        wait_ready "$D/sock-$name" "$name"
}
stop_bare() { # NAME
        kill -INT "${bare_pids[$1]}"
        wait "${bare_pids[$1]}" 2>/dev/null || true
        unset "bare_pids[$1]"
}
psql_c() { # SOCKDIR SQL
        "$PGBIN/psql" -X -q -h "$1" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$2" >/dev/null
}

variants=(bare sandbox)
[ "$CGROUP_BARE" = 0 ] || variants=(bare bare-cgroup sandbox)
mkdir "$D/sup"
for v in "${variants[@]}"; do
        mkdir "$D/sock-$v"
        chown "$PG_UID:$PG_GID" "$D/sock-$v"
done
mkdir -m 700 "$D/data-bare"
chown "$PG_UID:$PG_GID" "$D/data-bare"
echo "$prog: initdb and pgbench -i -s $SCALE" >&2
(cd / && as_pg "$PGBIN/initdb" -D "$D/data-bare" -U postgres --auth=trust --no-locale -E UTF8) >"$D/initdb.log" 2>&1 ||
        { cat "$D/initdb.log" >&2; die "initdb failed (log above)"; }
start_bare bare
"$PGBIN/pgbench" -h "$D/sock-bare" -U postgres -i -q -s "$SCALE" postgres >"$D/init.log" 2>&1 ||
        { cat "$D/init.log" >&2; die "pgbench -i failed (log above)"; }
stop_bare bare
for v in "${variants[@]}"; do
        [ "$v" = bare ] || cp -a "$D/data-bare" "$D/data-$v"
done

echo "$prog: starting the servers: ${variants[*]}" >&2
start_supervisor "$D/sup" "$CG"
# shellcheck disable=SC2086 # SANDBOX_ARGS is split on purpose
sandbox_id=$("$NUCLEUS" run -d --name pgbench-server --user "$PG_UID" --group "$PG_GID" $SANDBOX_ARGS \
        -v "$D/data-sandbox:/pgdata" -v "$D/sock-sandbox:/pgsock" -- \
        "$PGBIN/postgres" -D /pgdata -k /pgsock "${server_args[@]}") || die "the sandboxed server did not start"
wait_ready "$D/sock-sandbox" sandboxed
sandbox_cmd="nucleus run -d --user $PG_UID --group $PG_GID ${SANDBOX_ARGS:+$SANDBOX_ARGS }-v DATA:/pgdata -v SOCKDIR:/pgsock -- $PGBIN/postgres -D /pgdata -k /pgsock ${server_args[*]}"
start_bare bare
# bare-cgroup: the bare server in cgroups of its own, shaped like the sandbox's: in every
# hierarchy where nucleusd put the sandbox, a sibling of the sandbox's leaf (under
# nucleusd's cgroup root; nucleusd ignores names that are no sandbox id) with the
# sandbox's CPU and I/O weights. The cgroups matter here: pgbench's threads stay in this
# script's cgroups, and once the server's processes are a group of their own, the
# scheduler shares the CPUs between the groups instead of between the processes.
bare_cgroups=()
if [ "$CGROUP_BARE" != 0 ]; then
        spid=$("$NUCLEUS" inspect "$sandbox_id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
        while IFS=: read -r h ctrls path; do
                case $path in */"${CG##*/}"/*) ;; *) continue ;; esac
                if [ "$h" = 0 ]; then mnt=$cgmount; else mnt=/sys/fs/cgroup/${ctrls#name=}; fi
                [ -d "$mnt$path" ] || { echo "$prog: no mount found for the $ctrls hierarchy, skipped" >&2; continue; }
                dir=$mnt${path%/*}/bare-server
                mkdir -p "$dir"
                for f in cpu.shares cpu.weight blkio.weight blkio.bfq.weight io.weight; do
                        [ -w "$dir/$f" ] && [ -r "$mnt$path/$f" ] && { cat "$mnt$path/$f" >"$dir/$f"; } 2>/dev/null || true
                done
                bare_cgroups+=("$dir")
        done <"/proc/$spid/cgroup"
        [ ${#bare_cgroups[@]} -gt 0 ] || die "cannot find the sandbox's cgroups in /proc/$spid/cgroup"
        start_bare bare-cgroup "${bare_cgroups[@]}"
fi

# One pgbench run against SOCKDIR; prints "tps latency_ms transactions".
run_pgbench() { # SOCKDIR MODE SECONDS
        local flags=() out
        [ "$2" = select ] && flags+=(-S)
        out=$("$PGBIN/pgbench" -h "$1" -U postgres -c "$CLIENTS" -j "$JOBS" -T "$3" "${flags[@]}" postgres 2>&1) ||
                { echo "$out" >&2; die "pgbench failed against $1 (output above)"; }
        echo "$out" >>"$D/pgbench.log"
        awk '/^tps = / {tps = $3} /^latency average = / {lat = $4}
             /^number of transactions actually processed: / {n = $NF}
             END {if (tps == "") exit 1; print tps, lat, n}' <<<"$out" ||
                { echo "$out" >&2; die "cannot read pgbench's output (above)"; }
}

if [ "$WARMUP" -gt 0 ]; then
        for v in "${variants[@]}"; do
                echo "$prog: warm-up, $WARMUP s of select-only against $v" >&2
                run_pgbench "$D/sock-$v" select "$WARMUP" >/dev/null
        done
fi
runs=()
for ((r = 1; r <= ROUNDS; r++)); do
        for m in $MODES; do
                # The variants in order in odd rounds, in reverse in even ones.
                order=("${variants[@]}")
                if [ $((r % 2)) -eq 0 ]; then
                        order=()
                        for ((i = ${#variants[@]} - 1; i >= 0; i--)); do order+=("${variants[i]}"); done
                fi
                for v in "${order[@]}"; do
                        for w in "${variants[@]}"; do
                                psql_c "$D/sock-$w" CHECKPOINT
                        done
                        echo "$prog: round $r, $m, $v: $CLIENTS clients, $DURATION s" >&2
                        res=$(run_pgbench "$D/sock-$v" "$m" "$DURATION")
                        echo "$prog:   tps ${res%% *}" >&2
                        runs+=("$r $m $v $res")
                done
        done
done
state=$("$NUCLEUS" inspect "$sandbox_id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
[ "$state" = running ] || die "the sandboxed server is $state after the runs"

ts=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
json_out=$OUT/pgbench-$ts.json
md_out=$OUT/pgbench-$ts.md
BENCH_RUNS=$(printf '%s\n' "${runs[@]}") \
BENCH_TS=$ts BENCH_INVOCATION=$invocation BENCH_COMMIT=$commit BENCH_KERNEL=$(uname -r) BENCH_CPUS=$(nproc) \
BENCH_CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1) \
BENCH_PG=$("$PGBIN/postgres" --version) BENCH_PGBENCH=$("$PGBIN/pgbench" --version) \
BENCH_SCALE=$SCALE BENCH_CLIENTS=$CLIENTS BENCH_JOBS=$JOBS BENCH_DURATION=$DURATION BENCH_ROUNDS=$ROUNDS \
BENCH_WARMUP=$WARMUP BENCH_SERVER_ARGS="${server_args[*]}" BENCH_SANDBOX_CMD=$sandbox_cmd BENCH_PG_UID=$PG_UID \
python3 - "$json_out" "$md_out" <<'PY'
import json, os, statistics, sys

json_out, md_out = sys.argv[1:3]
env = os.environ
runs = []
for line in env["BENCH_RUNS"].splitlines():
    r, mode, variant, tps, lat, n = line.split()
    runs.append({"round": int(r), "mode": mode, "variant": variant, "tps": float(tps),
                 "latency_avg_ms": float(lat), "transactions": int(n)})
meta = {
    "date_utc": env["BENCH_TS"], "command": env["BENCH_INVOCATION"],
    "kernel": env["BENCH_KERNEL"], "cpus": int(env["BENCH_CPUS"]), "cpu_model": env["BENCH_CPU_MODEL"],
    "nucleus_commit": env["BENCH_COMMIT"], "postgres": env["BENCH_PG"], "pgbench": env["BENCH_PGBENCH"],
    "scale": int(env["BENCH_SCALE"]), "clients": int(env["BENCH_CLIENTS"]), "jobs": int(env["BENCH_JOBS"]),
    "duration_s": int(env["BENCH_DURATION"]), "rounds": int(env["BENCH_ROUNDS"]),
    "warmup_s": int(env["BENCH_WARMUP"]), "server_options": env["BENCH_SERVER_ARGS"],
    "sandboxed_server": env["BENCH_SANDBOX_CMD"], "server_uid": int(env["BENCH_PG_UID"]),
}
names = {"select": "select-only (`-S`)", "tpcb": "TPC-B (default script)"}
variants = list(dict.fromkeys(r["variant"] for r in runs))
summary = {}
for mode in dict.fromkeys(r["mode"] for r in runs):
    s = {}
    for v in variants:
        xs = [r for r in runs if r["mode"] == mode and r["variant"] == v]
        k = v.replace("-", "_")
        s[k + "_tps"] = statistics.median(r["tps"] for r in xs)
        s[k + "_latency_avg_ms"] = statistics.median(r["latency_avg_ms"] for r in xs)
    s["ratio"] = s["sandbox_tps"] / s["bare_tps"]
    if "bare-cgroup" in variants:
        s["ratio_to_bare_cgroup"] = s["sandbox_tps"] / s["bare_cgroup_tps"]
    summary[mode] = s
cg = "bare-cgroup" in variants
md = [
    f"pgbench against PostgreSQL bare and inside a Nucleus sandbox, {meta['date_utc']}, "
    f"`{meta['command']}` as root: kernel {meta['kernel']}, {meta['cpus']} CPUs "
    f"({meta['cpu_model'] or 'model unknown'}), nucleus {meta['nucleus_commit']}, {meta['postgres']}; "
    f"scale {meta['scale']}, {meta['clients']} clients, {meta['jobs']} threads, {meta['duration_s']} s per run, "
    f"{meta['rounds']} round(s) (medians); all servers up at once, the runs alternating between them.",
    "",
    "| mode | bare TPS |" + (" bare, own cgroups TPS |" if cg else "") + " in nucleus TPS | nucleus ÷ bare |"
    + (" nucleus ÷ bare, own cgroups |" if cg else "") + " latency avg ms |",
    "|---|---:|" + ("---:|" if cg else "") + "---:|---:|" + ("---:|" if cg else "") + "---:|",
]
for mode, s in summary.items():
    lat = " / ".join(f"{s[v.replace('-', '_') + '_latency_avg_ms']:.2f}" for v in variants)
    md.append(f"| {names[mode]} | {s['bare_tps']:.0f} |" + (f" {s['bare_cgroup_tps']:.0f} |" if cg else "")
              + f" {s['sandbox_tps']:.0f} | {s['ratio']:.3f} |" + (f" {s['ratio_to_bare_cgroup']:.3f} |" if cg else "")
              + f" {lat} |")
md += ["", "Latency avg is pgbench's, per variant in the order " + ", ".join(variants) + "."]
if cg:
    md += ["bare, own cgroups: the bare server in cgroups of its own shaped like the sandbox's "
           "(the same hierarchies and weights), while pgbench stays in the script's."]
text = "\n".join(md) + "\n"
with open(json_out, "w") as f:
    json.dump({"meta": meta, "variants": variants, "summary": summary, "runs": runs}, f, indent=2)
    f.write("\n")
with open(md_out, "w") as f:
    f.write(text)
sys.stdout.write(text)
PY
echo "$prog: wrote $json_out and $md_out" >&2
