#!/bin/bash
# The shape of DESIGN.md's process tree, seen from the host: the zygote is nucleusd
# (single-threaded), forks the loop (nucleusd-loop) and clones every sandbox's init
# itself, which the loop could not do without the zygote; the API socket is 0660.
# And: socket, state dir and cgroup root set by flags instead of the environment, so
# that two supervisors run side by side without colliding; nucleusd by hand, in the
# foreground, logs to stderr.
. "$(dirname "$0")/lib.sh"
start_supervisor --pool-size 0:0
zygote=$SUP_PID
parent() { awk '/^PPid:/ { print $2 }' "/proc/$1/status"; }

assert_eq nucleusd "$(cat "/proc/$zygote/comm")" "the process started is the zygote, nucleusd"
assert_eq 1 "$(awk '/^Threads:/ { print $2 }' "/proc/$zygote/status")" "the zygote is single-threaded"
# No libuv in the zygote: libuv's loop is an epoll instance, and the zygote has none
# (the loop process has).
epolls() { for f in /proc/"$1"/fd/*; do readlink "$f"; done | grep -c '^anon_inode:\[eventpoll\]$' || true; }
assert_eq 0 "$(epolls "$zygote")" "the zygote runs no event loop (no epoll descriptor)"
loop=$(pgrep -P "$zygote" -x nucleusd-loop || true)
assert_match "$loop" '^[0-9]+$' "the loop process is the zygote's child"
assert_ne 0 "$(epolls "$loop")" "the loop process runs libuv's (an epoll descriptor)"
"$N" run -d --name t1 -- sleep 60 >/dev/null
wait_state t1
init=$("$N" inspect t1 | jq -r .pid)
assert_eq "$zygote" "$(parent "$init")" "the sandbox's init is the zygote's child, not the loop's"
assert_eq "nucleus-init" "$(cat "/proc/$init/comm")" "and it is nucleus-init"
workload=$(pgrep -P "$init" || true)
assert_eq "sleep" "$(cat "/proc/$workload/comm" 2>/dev/null)" "the workload is init's child: init is the only spawner"
assert_eq 1 "$(awk '/^Threads:/ { print $2 }' "/proc/$zygote/status")" "the zygote is still single-threaded with a sandbox"
# The zygote holds a pidfd of every sandbox's init (it reaps them, and a new loop gets
# copies), and so does the loop, which got its copy over SCM_RIGHTS.
pidfd_of() { cat /proc/"$1"/fdinfo/* 2>/dev/null | awk -v p="$2" '$1 == "Pid:" && $2 == p { n++ } END { print n + 0 }'; }
assert_ne 0 "$(pidfd_of "$zygote" "$init")" "the zygote holds a pidfd of the sandbox's init"
assert_ne 0 "$(pidfd_of "$loop" "$init")" "so does the loop"
assert_eq "660 root" "$(stat -c '%a %U' "$NUCLEUS_SOCKET")" "the API socket is mode 0660, owned by root"

# A second supervisor configured by flags only, beside the first (configured by the
# environment, as every test's). Neither sees the other's sandboxes, names or files.
S2=$T/second
mkdir -p "$S2"
CG2="$CG_BASE/nucleus-test-$TEST_NAME-flags-$$"
on_exit "pkill -TERM -f -- '--socket $S2/api.sock ' ; sleep 0.5; rmdir '$CG2' 2>/dev/null"
mkfifo "$S2/ready"
env -u NUCLEUS_SOCKET -u NUCLEUS_STATE_DIR -u NUCLEUS_CGROUP_ROOT \
    "$ND" --socket "$S2/api.sock" --state-dir "$S2/state" --cgroup-root "$CG2" --pool-size 0:0 \
    --ready-fd 9 9>"$S2/ready" 2>"$S2/nucleusd.log" &
sup2=$!
read -r -t 10 _ <"$S2/ready" || die "the second nucleusd did not become ready: $(cat "$S2/nucleusd.log")"
n2() { env -u NUCLEUS_SOCKET -u NUCLEUS_STATE_DIR -u NUCLEUS_CGROUP_ROOT "$N" --socket "$S2/api.sock" --root "$S2/state" "$@"; }

# Without --log, nucleusd is a foreground program for debugging: it logs to stderr.
for _ in $(seq 100); do grep -q "Serving the API" "$S2/nucleusd.log" && break; sleep 0.02; done
assert_contains "$(cat "$S2/nucleusd.log")" "Serving the API on $S2/api.sock" "run by hand without --log, nucleusd logs to stderr"
assert_eq "660" "$(stat -c %a "$S2/api.sock")" "the second socket is where --socket says"
n2 run -d --name t1 -- sleep 60 >/dev/null && echo "ok - the same name is free in the second supervisor" \
    || fail "the second supervisor refused a name only the first uses"
wait_state_2() { for _ in $(seq 200); do n2 inspect "$1" 2>/dev/null | grep -q '"state": "running"' && return 0; sleep 0.025; done; return 1; }
wait_state_2 t1 || fail "t1 never ran in the second supervisor"
id1=$("$N" inspect t1 | jq -r .id)
id2=$(n2 inspect t1 | jq -r .id)
assert_ne "$id1" "$id2" "two sandboxes, one per supervisor"
assert_eq "yes" "$(test -f "$S2/state/sandboxes/$id2.json" && echo yes)" "its state file is in --state-dir"
assert_eq "no" "$(test -e "$NUCLEUS_STATE_DIR/sandboxes/$id2.json" && echo yes || echo no)" "and not in the first's"
init2=$(n2 inspect t1 | jq -r .pid)
assert_eq "yes" "$(test -d "$CG2/$id2" && echo yes)" "its cgroup leaf is under --cgroup-root"
assert_contains "$(cat "/proc/$init2/cgroup")" "${CG2#$CG_BASE}/$id2" "and its init runs in that leaf"
assert_eq "1 1" "$("$N" ps --json | jq length) $(n2 ps --json | jq length)" "each lists only its own sandbox"

n2 rm -f t1 >/dev/null
"$N" rm -f t1 >/dev/null
kill -TERM "$sup2"
rc=0; wait "$sup2" || rc=$?
assert_eq 0 "$rc" "the second nucleusd stops cleanly"
assert_eq "no" "$(test -e "$S2/api.sock" && echo yes || echo no)" "and removes its own socket"
assert_eq "yes" "$(test -S "$NUCLEUS_SOCKET" && echo yes)" "the first's socket is untouched"
assert_contains "$("$N" run -- echo still)" "still" "and the first still serves"
finish
