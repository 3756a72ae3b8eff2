#!/bin/bash
# Nothing is left behind after rm: processes, mounts, cgroup leaves, state files; and
# a foreground sandbox whose CLI dies is stopped.
. "$(dirname "$0")/lib.sh"
# No warm pool for the exact counts below (its members are cgroup leaves and processes
# by design); the pool's own cleanup is checked at the end.
start_supervisor --pool-size 0:0
mounts_before=$(wc -l </proc/self/mountinfo)
# Processes of this test's sandboxes (other tests may run sandboxes meanwhile).
procs_in_our_cgroups() { grep -l -- "::${NUCLEUS_CGROUP_ROOT#$CG_BASE}/" /proc/[0-9]*/cgroup 2>/dev/null | wc -l; }

for i in 1 2 3; do "$N" run --name c$i -- sh -c 'sleep 0.1 & echo x > /tmp/f'; done
assert_eq 3 "$(ls "$NUCLEUS_STATE_DIR/sandboxes" | wc -l)" "a state file per sandbox"
"$N" rm c1 c2 c3 >/dev/null
assert_eq 0 "$(ls "$NUCLEUS_STATE_DIR/sandboxes" | wc -l)" "no state files after rm"
assert_eq 0 "$(find "$NUCLEUS_CGROUP_ROOT" -mindepth 1 -type d | wc -l)" "no cgroup leaves after rm"
assert_eq "$mounts_before" "$(wc -l </proc/self/mountinfo)" "no mounts left on the host"
assert_eq 0 "$(procs_in_our_cgroups)" "no process is left in this supervisor's cgroups"

# A detached sandbox leaves more files (its log); rm takes every file named after it.
id=$("$N" run -d --name logged -- sh -c 'echo out; echo err >&2')
"$N" wait logged >/dev/null
assert_ne "" "$(find "$NUCLEUS_STATE_DIR" -name "*$id*")" "a detached sandbox has files named after it"
"$N" rm logged >/dev/null
assert_eq "" "$(find "$NUCLEUS_STATE_DIR" -name "*$id*")" "none is left after rm"
assert_eq 0 "$(find "$NUCLEUS_CGROUP_ROOT" -mindepth 1 -type d | wc -l)" "nor its cgroup leaf"

# The CLI of a foreground sandbox dies: its sandbox is stopped (pidfd, not the socket).
"$N" run --name orphan -- sleep 100 & cli=$!
wait_state orphan
kill -KILL $cli
wait $cli 2>/dev/null || true
rc=$(timeout 15 "$N" wait orphan)
assert_eq 143 "$rc" "its sandbox was stopped with SIGTERM"
assert_eq 0 "$(procs_in_our_cgroups)" "no sandbox process remains"

# A second nucleusd with its own socket and state dir but the same cgroup root is
# refused: its startup cleanup would kill every leaf it does not own, the first
# one's sandboxes included.
"$N" run -d --name keep -- sleep 60 >/dev/null
rc=0; err=$(timeout 10 "$ND" --socket "$T/second.sock" --state-dir "$T/second-state" 2>&1) || rc=$?
assert_eq 1 "$rc" "a second nucleusd on the same cgroup root exits 1"
assert_contains "$err" "Another nucleusd already uses cgroup root '$NUCLEUS_CGROUP_ROOT'" "and names the root"
assert_eq running "$("$N" inspect keep | sed -n 's/^  "state": "\(.*\)",$/\1/p')" "the first one's sandbox still runs"
"$N" rm -f keep >/dev/null
# A cgroup root that is not on cgroup2 is refused before anything is made there.
rc=0; err=$(timeout 10 "$ND" --socket "$T/third.sock" --state-dir "$T/third-state" --cgroup-root "$T/notcg/a" 2>&1) || rc=$?
assert_eq 1 "$rc" "a cgroup root off cgroup2 is refused"
assert_contains "$err" "cgroup root '$T/notcg/a' is not on a cgroup2 file system" "naming it"
assert_eq no "$(test -e "$T/notcg" && echo yes || echo no)" "and nothing is created there"

# A nucleusd whose stderr reader goes away keeps running: it was killed by SIGPIPE at
# its second log line ('nucleusd 2>&1 | head -1'), before it served anything.
cg4="$CG_BASE/nucleus-test-sigpipe-$$"
( NUCLEUS_CGROUP_ROOT="$cg4" "$ND" --socket "$T/fourth.sock" --state-dir "$T/fourth-state" --pool-size 0:0 2>&1 | head -1 >/dev/null ) &
for _ in $(seq 50); do [ -S "$T/fourth.sock" ] && break; sleep 0.1; done
assert_contains "$(NUCLEUS_SOCKET="$T/fourth.sock" "$N" info 2>&1)" '"api_version"' "a nucleusd whose stderr reader is gone still serves"
for p in $(pgrep -f -- "--socket $T/fourth.sock" || true); do
    [ "$(cat /proc/$p/comm 2>/dev/null)" = nucleusd ] && kill "$p"
done
for _ in $(seq 50); do pgrep -f -- "--socket $T/fourth.sock" >/dev/null || break; sleep 0.1; done
rmdir "$cg4" 2>/dev/null || true

# A supervisor that stops stops its sandboxes and removes its state.
"$N" run --name last -- sleep 100 & cli=$!
wait_state last
stop_supervisor
rc=0; wait $cli || rc=$?
assert_eq 143 "$rc" "stopping nucleusd stops its sandboxes gracefully"
assert_eq 0 "$(ls "$NUCLEUS_STATE_DIR/sandboxes" 2>/dev/null | wc -l)" "and removes their state"
assert_eq 0 "$(find "$NUCLEUS_CGROUP_ROOT" -mindepth 1 -type d 2>/dev/null | wc -l)" "and their cgroups"
assert_eq "no" "$(test -e "$NUCLEUS_SOCKET" && echo yes || echo no)" "and its socket"

# With a warm pool: its members (parked sandboxes nobody asked for yet) go with nucleusd.
start_supervisor --pool-size 3:5
for i in 1 2 3 4; do "$N" run --rm -- true; done
for _ in $(seq 100); do [ "$("$N" info | jq '.pool.profiles[0].ready')" -ge 3 ] && break; sleep 0.05; done
r=$("$N" info | jq ".pool.profiles[0].ready")
assert_eq yes "$([ "$r" -ge 3 ] && echo yes || echo no)" "the pool is refilled to at least its minimum ($r)"
members=$(find "$NUCLEUS_CGROUP_ROOT" -mindepth 1 -type d | wc -l)
assert_eq yes "$([ "$members" -ge 3 ] && echo yes || echo no)" "pool members have cgroup leaves ($members)"
stop_supervisor
assert_eq 0 "$(find "$NUCLEUS_CGROUP_ROOT" -mindepth 1 -type d 2>/dev/null | wc -l)" "stopping nucleusd removes the pool's leaves"
assert_eq 0 "$(procs_in_our_cgroups)" "and its members' processes"
assert_eq "$mounts_before" "$(wc -l </proc/self/mountinfo)" "and leaves no mount on the host"
finish
