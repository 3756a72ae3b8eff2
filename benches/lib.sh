# SPDX-License-Identifier: Apache-2.0
# Shared by the benchmark scripts (sourced; they set `prog` first): errors, the cgroup2
# mount, and a private nucleusd that the timed commands talk to.

die() {
        echo "$prog: $*" >&2
        exit 1
}

# The cgroup2 mount: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host.
if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
        cgmount=/sys/fs/cgroup
elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
        cgmount=/sys/fs/cgroup/unified
else
        die "no cgroup2 mount at /sys/fs/cgroup or /sys/fs/cgroup/unified"
fi

sup_pid=
sup_pids=()
sup_prefix=()   # a command start_supervisor runs nucleusd under (e.g. unshare -n)

# Starts nucleusd in the foreground with its own socket, state dir and cgroup root
# (all under DIR) and waits until it serves. The NUCLEUS_* variables are exported so
# that the timed commands (which inherit the environment) talk to it;
# NUCLEUS_NUCLEUSD points nowhere so that a `nucleus run` that finds no supervisor
# fails loudly instead of quietly autostarting one and measuring that instead. A
# script may start more than one: the last one started is the one exported (sup_pid),
# the others are reached with `nucleus --socket DIR/s.sock`; all are stopped at exit.
start_supervisor() { # DIR CGROUP-ROOT [nucleusd args...]
        local dir=$1 cg=$2 ready=
        shift 2
        export NUCLEUS_SOCKET=$dir/s.sock
        export NUCLEUS_STATE_DIR=$dir/state
        export NUCLEUS_CGROUP_ROOT=$cg
        export NUCLEUS_IDLE_TIMEOUT=0
        export NUCLEUS_NUCLEUSD=$dir/no-autostart-during-the-benchmark
        mkfifo "$dir/ready"
        "${sup_prefix[@]}" "$NUCLEUSD" --log "$dir/log" --ready-fd 3 "$@" 3>"$dir/ready" &
        sup_pid=$!
        sup_pids+=("$sup_pid")
        read -r -t 10 ready <"$dir/ready" || true
        rm -f "$dir/ready"
        if [ "$ready" != R ]; then
                cat "$dir/log" >&2 2>/dev/null || true
                die "nucleusd did not become ready (log above)"
        fi
}

stop_supervisor() {
        local i p
        for p in "${sup_pids[@]}"; do
                if kill -TERM "$p" 2>/dev/null; then
                        for ((i = 0; i < 200; i++)); do
                                [ -d "/proc/$p" ] || break
                                sleep 0.05
                        done
                        kill -KILL "$p" 2>/dev/null || true
                fi
                wait "$p" 2>/dev/null || true
        done
        sup_pids=()
        sup_pid=
}

# On a hybrid host nucleusd mirrors its cgroup root into the v1 hierarchies (cpu,
# memory, pids, ...) and leaves those directories behind: removes them (empty ones, with
# their empty leaves) for the given cgroup2 roots, found by name within 4 levels.
bench_remove_v1_mirrors() { # CGROUP2-ROOT...
        local cg m d
        for cg in "$@"; do
                case $cg in "$cgmount"/*) ;; *) continue ;; esac
                awk '$3 == "cgroup" {print $2}' /proc/self/mounts | while read -r m; do
                        find "$m" -maxdepth 4 -type d -name "${cg##*/}" -print 2>/dev/null | while read -r d; do
                                find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
                        done
                done
        done
        return 0
}

# The usual exit path of a benchmark with private supervisors: set BENCH_CGROUP (and
# BENCH_CGROUPS, more of them) to their cgroup roots and BENCH_REMOVE to what to delete, then `trap bench_cleanup EXIT`.
bench_cleanup() {
        local rc=$?
        set +e
        stop_supervisor
        local cg
        for cg in ${BENCH_CGROUP:+"$BENCH_CGROUP"} ${BENCH_CGROUPS[@]+"${BENCH_CGROUPS[@]}"}; do
                [ -d "$cg" ] || continue
                find "$cg" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
                rmdir "$cg" 2>/dev/null
        done
        bench_remove_v1_mirrors ${BENCH_CGROUP:+"$BENCH_CGROUP"} ${BENCH_CGROUPS[@]+"${BENCH_CGROUPS[@]}"}
        rm -rf --one-file-system "${BENCH_REMOVE[@]}"
        exit "$rc"
}
