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

# Starts nucleusd in the foreground with its own socket, state dir and cgroup root
# (all under DIR) and waits until it serves. The NUCLEUS_* variables are exported so
# that the timed commands (which inherit the environment) talk to it;
# NUCLEUS_NUCLEUSD points nowhere so that a `nucleus run` that finds no supervisor
# fails loudly instead of quietly autostarting one and measuring that instead.
start_supervisor() { # DIR CGROUP-ROOT [nucleusd args...]
        local dir=$1 cg=$2 ready=
        shift 2
        export NUCLEUS_SOCKET=$dir/s.sock
        export NUCLEUS_STATE_DIR=$dir/state
        export NUCLEUS_CGROUP_ROOT=$cg
        export NUCLEUS_IDLE_TIMEOUT=0
        export NUCLEUS_NUCLEUSD=$dir/no-autostart-during-the-benchmark
        mkfifo "$dir/ready"
        "$NUCLEUSD" --log "$dir/log" --ready-fd 3 "$@" 3>"$dir/ready" &
        sup_pid=$!
        read -r -t 10 ready <"$dir/ready" || true
        rm -f "$dir/ready"
        if [ "$ready" != R ]; then
                cat "$dir/log" >&2 2>/dev/null || true
                die "nucleusd did not become ready (log above)"
        fi
}

stop_supervisor() {
        local i
        [ -n "$sup_pid" ] || return 0
        if kill -TERM "$sup_pid" 2>/dev/null; then
                for ((i = 0; i < 200; i++)); do
                        [ -d "/proc/$sup_pid" ] || break
                        sleep 0.05
                done
                kill -KILL "$sup_pid" 2>/dev/null || true
        fi
        wait "$sup_pid" 2>/dev/null || true
        sup_pid=
}


# The usual exit path of a benchmark with one private supervisor: set BENCH_CGROUP to
# its cgroup root and BENCH_REMOVE to what to delete, then `trap bench_cleanup EXIT`.
bench_cleanup() {
        local rc=$?
        set +e
        stop_supervisor
        if [ -n "${BENCH_CGROUP:-}" ] && [ -d "$BENCH_CGROUP" ]; then
                find "$BENCH_CGROUP" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
                rmdir "$BENCH_CGROUP" 2>/dev/null
        fi
        rm -rf --one-file-system "${BENCH_REMOVE[@]}"
        exit "$rc"
}
