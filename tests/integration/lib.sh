# shellcheck shell=bash
# Shared by the integration tests: a private nucleusd per test (own socket, state dir
# and cgroup root), assertions that print both values, cleanup checks.
set -euo pipefail

: "${NUCLEUS_BIN:?set by ctest: the directory with nucleus and nucleusd}"
: "${NUCLEUS_HELPER:?set by ctest: the static test helper}"
TEST_NAME=${NUCLEUS_TEST_NAME:-$(basename "$0" .sh)}
N="$NUCLEUS_BIN/nucleus"
ND="$NUCLEUS_BIN/nucleusd"
FAILURES=0

skip() {
    if [ "${NUCLEUS_TEST_STRICT:-0}" = 1 ]; then
        echo "FAIL (strict mode forbids skips): $*" >&2
        exit 1
    fi
    echo "SKIP: $*" >&2
    exit 77
}

fail() { echo "FAIL: $*" >&2; FAILURES=$((FAILURES + 1)); }
die() { echo "FAIL: $*" >&2; exit 1; }

assert_eq() { # expected actual what
    if [ "$1" != "$2" ]; then fail "$3: expected '$1', got '$2'"; else echo "ok - $3"; fi
}
assert_ne() {
    if [ "$1" = "$2" ]; then fail "$3: both are '$1'"; else echo "ok - $3"; fi
}
assert_contains() { # haystack needle what
    if ! grep -qF -- "$2" <<<"$1"; then fail "$3: '$2' not in: $1"; else echo "ok - $3"; fi
}
assert_not_contains() {
    if grep -qF -- "$2" <<<"$1"; then fail "$3: '$2' unexpectedly in: $1"; else echo "ok - $3"; fi
}
assert_match() { # haystack regex what
    if ! grep -qE -- "$2" <<<"$1"; then fail "$3: /$2/ does not match: $1"; else echo "ok - $3"; fi
}

[ "$(id -u)" = 0 ] || skip "needs root"

cgroup2_base() {
    if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then echo /sys/fs/cgroup
    elif [ -d /sys/fs/cgroup/unified ] && [ "$(stat -fc %T /sys/fs/cgroup/unified)" = cgroup2fs ]; then echo /sys/fs/cgroup/unified
    else return 1; fi
}

T=$(mktemp -d "/tmp/nucleus-test-$TEST_NAME.XXXXXX")
chmod 755 "$T"
export NUCLEUS_SOCKET="$T/nucleus.sock"
export NUCLEUS_STATE_DIR="$T/state"
CG_BASE=$(cgroup2_base) || skip "no cgroup2 mount"
export NUCLEUS_CGROUP_ROOT="$CG_BASE/nucleus-test-$TEST_NAME-$$"
# Never autostart by accident with a long idle period.
export NUCLEUS_IDLE_TIMEOUT=${NUCLEUS_IDLE_TIMEOUT:-30}
SUP_PID=
ND_PREFIX=()

# NUCLEUS_TEST_POOL=off: no warm pool, every sandbox is cloned on demand (a suite runs
# both ways: tests/CMakeLists.txt, the *_cold entries).
start_supervisor() { # [extra nucleusd args]
    local fifo="$T/ready" pool=()
    [ "${NUCLEUS_TEST_POOL:-on}" = off ] && pool=(--pool-size 0:0)
    mkfifo "$fifo"
    "${ND_PREFIX[@]}" "$ND" --ready-fd 9 --log "$T/nucleusd.log" --log-level debug "${pool[@]}" "$@" 9>"$fifo" &
    SUP_PID=$!
    local line
    read -r -t "${NUCLEUS_TEST_READY_TIMEOUT:-10}" line <"$fifo" || die "nucleusd did not become ready; log: $(cat "$T/nucleusd.log" 2>/dev/null)"
    rm -f "$fifo"
}

# Stops our nucleusd with SIGTERM; it must exit 0 (under ASan, a leak makes it fail).
stop_supervisor() {
    local rc=0
    if [ -n "$SUP_PID" ] && kill -0 "$SUP_PID" 2>/dev/null; then
        kill -TERM "$SUP_PID"
        for _ in $(seq 100); do kill -0 "$SUP_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SUP_PID" 2>/dev/null || true
        wait "$SUP_PID" 2>/dev/null || rc=$?
        [ $rc -eq 0 ] || fail "nucleusd exited with status $rc"
    fi
    SUP_PID=
}

# Network tests: nucleusd runs in a network namespace of the test's own (held by a
# sleeping process, so it outlives a nucleusd killed with SIGKILL), with its own bridge
# name and subnet: its bridge, nft table and sysctls never touch the host's, and tests
# run in parallel. NETNS is that namespace; in_netns runs a command there.
NETNS=
HOLDERS=()
new_netns() { # sets NEW_NETNS to a new network namespace, kept until the test ends
    unshare -n sleep 3600 >/dev/null 2>&1 </dev/null &
    local pid=$!
    HOLDERS+=("$pid")
    for _ in $(seq 200); do
        [ "$(readlink "/proc/$pid/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
        sleep 0.01
    done
    NEW_NETNS=/proc/$pid/ns/net
}
start_supervisor_netns() { # [extra nucleusd args]
    if [ -z "$NETNS" ]; then new_netns; NETNS=$NEW_NETNS; fi
    nsenter --net="$NETNS" ip link set lo up
    ND_PREFIX=(nsenter --net="$NETNS")
    start_supervisor "$@"
    ND_PREFIX=()
}
in_netns() { nsenter --net="$NETNS" "$@"; }

# The "outside" of a network test: another namespace (OUT) behind a veth pair from
# nucleusd's namespace (host end HOST_IF with PREFIX.1/LEN; OUT's end "vi" with
# PREFIX.2 and any further host numbers given), lo up; removed at exit.
outside_netns() { # HOST_IF PREFIX LEN [HOST_NUMBER...]
    local host_if=$1 prefix=$2 len=$3 a
    shift 3
    new_netns; OUT=$NEW_NETNS
    in_netns ip link add "$host_if" type veth peer name vi netns "$OUT"
    in_netns ip addr add "$prefix.1/$len" dev "$host_if"
    in_netns ip link set "$host_if" up
    for a in 2 "$@"; do nsenter --net="$OUT" ip addr add "$prefix.$a/$len" dev vi; done
    nsenter --net="$OUT" ip link set vi up
    nsenter --net="$OUT" ip link set lo up
    on_exit "in_netns ip link del $host_if 2>/dev/null"
}
# python3 -c "$TCP_SERVER" ADDR PORT WORD: answers every connection with "WORD from PEER".
TCP_SERVER='import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
s.bind((sys.argv[1],int(sys.argv[2]))); s.listen(16)
while True:
    c,a=s.accept(); c.sendall((sys.argv[3]+" from "+a[0]+"\n").encode()); c.close()'
# python3 -c "$TCP_CLIENT" ADDR PORT TIMEOUT: prints the answer, or "ERR <exception>".
TCP_CLIENT='import socket,sys
try:
    c=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=float(sys.argv[3]))
    print(c.recv(200).decode().strip())
except Exception as e:
    print("ERR",type(e).__name__); sys.exit(1)'
# Polls TCP_CLIENT (run by "$@" with its arguments appended, under /usr/bin/python3)
# until it answers, up to 5 s; prints its last output either way.
poll_connect() { # host port -- command...
    local host=$1 port=$2 out; shift 3
    for _ in $(seq 50); do
        out=$("$@" /usr/bin/python3 -c "$TCP_CLIENT" "$host" "$port" 1 2>&1) && { echo "$out"; return 0; }
        sleep 0.1
    done
    echo "$out"
}

# python3 -c "$UDP_SINK" ADDR PORT: "got DATA" for the first datagram within 3 s, or
# "nothing".
UDP_SINK='import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((sys.argv[1],int(sys.argv[2]))); s.settimeout(3)
try: print("got", s.recvfrom(64)[0].decode())
except OSError: print("nothing")'
# python3 -c "$UDP_SEND" ADDR PORT: five datagrams "probe" from a socket bound to eth0
# (SO_BINDTODEVICE, which an unprivileged process may set), errors ignored.
UDP_SEND='import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET,socket.SO_BINDTODEVICE,b"eth0")
for _ in range(5):
    try: s.sendto(b"probe",(sys.argv[1],int(sys.argv[2])))
    except OSError: pass'

# Commands a test registers to undo a host setting it changed; run first at exit.
EXIT_HOOKS=()
on_exit() { EXIT_HOOKS+=("$*"); }

cleanup() {
    local rc=$? hook pid
    for hook in "${EXIT_HOOKS[@]}"; do eval "$hook" || true; done
    stop_supervisor
    for pid in "${HOLDERS[@]}"; do kill "$pid" 2>/dev/null || true; done
    # Supervisors started by autostart in this test use this socket.
    pkill -TERM -f -- "--socket $NUCLEUS_SOCKET " 2>/dev/null || true
    sleep 0.2
    if [ -d "$NUCLEUS_CGROUP_ROOT" ]; then
        for leaf in "$NUCLEUS_CGROUP_ROOT"/*/; do
            [ -d "$leaf" ] || continue
            echo 1 >"$leaf/cgroup.kill" 2>/dev/null || true
            rmdir "$leaf" 2>/dev/null || true
        done
        rmdir "$NUCLEUS_CGROUP_ROOT" 2>/dev/null || true
    fi
    # The v1 hierarchies of a hybrid host: directories named like our v2 root.
    local base=${NUCLEUS_CGROUP_ROOT##*/} d
    for d in $(find /sys/fs/cgroup -maxdepth 6 -type d -name "$base" 2>/dev/null); do
        find "$d" -mindepth 1 -maxdepth 1 -type d -exec rmdir {} \; 2>/dev/null || true
        rmdir "$d" 2>/dev/null || true
    done
    if [ $rc -ne 0 ] || [ $FAILURES -ne 0 ]; then
        echo "--- nucleusd log ($T/nucleusd.log) ---" >&2
        tail -n 40 "$T/nucleusd.log" 2>/dev/null >&2 || true
    fi
    [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$T"
    [ -z "${HELPER_DIR:-}" ] || rm -rf "$HELPER_DIR"
    rmdir /usr/local/libexec/nucleus-tests 2>/dev/null || true
}
trap cleanup EXIT

# The static helper must be where a sandbox can execute it: nothing of the host's build
# tree is visible inside, and Landlock allows execution only from /usr. So each test
# copies it under /usr/local/libexec for its own duration (volumes will replace this).
HELPER_DIR=/usr/local/libexec/nucleus-tests/$TEST_NAME-$$
mkdir -p "$HELPER_DIR"
install -m 0755 "$NUCLEUS_HELPER" "$HELPER_DIR/helper"
H="$HELPER_DIR/helper"

# Runs the helper inside a new sandbox. Usage:
#   in_sandbox [nucleus run options] -- HELPER-ARGS...
in_sandbox() {
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    shift
    "$N" run "${opts[@]}" -- "$H" "$@"
}

# Waits until the sandbox is in STATE (default running).
# A sandbox's result comes before its init is reaped; its host id range and cgroup
# leaf are released just after. Checks of which range the next sandbox gets wait here
# until no leaf (a 32-hex directory) is left but those of sandboxes still running.
wait_released() { # [leaves expected to stay]
    local keep=${1:-0}
    for _ in $(seq 200); do
        [ "$(find "$NUCLEUS_CGROUP_ROOT" -mindepth 1 -maxdepth 1 -type d -regex '.*/[0-9a-f]\{32\}' 2>/dev/null | wc -l)" -le "$keep" ] &&
            return 0
        sleep 0.025
    done
    die "the cgroup leaves of ended sandboxes were not released"
}

# `nucleus run ARGS...` must fail with status 125 (Nucleus refused it) and say WANT.
assert_refused() { # expected-message what run-args...
    local want=$1 what=$2 out rc=0
    shift 2
    out=$("$N" run "$@" 2>&1) || rc=$?
    assert_eq 125 "$rc" "$what: exit status"
    assert_contains "$out" "$want" "$what"
}

wait_state() { # name [state]
    local want=${2:-running}
    for _ in $(seq 200); do
        "$N" inspect "$1" 2>/dev/null | grep -q "\"state\": \"$want\"" && return 0
        sleep 0.025
    done
    die "sandbox $1 never reached state $want"
}

finish() {
    stop_supervisor
    if [ $FAILURES -ne 0 ]; then
        echo "$FAILURES assertion(s) failed" >&2
        exit 1
    fi
    echo "PASS"
}
