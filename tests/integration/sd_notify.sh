#!/bin/bash
# nucleus run --sd-notify, as a Type=notify service's ExecStart (the NixOS module's way):
# READY=1 reaches the service manager's socket (a test socket stands in for systemd)
# only once the sandbox is ready, STOPPING=1 and a graceful stop when the service is
# stopped, and the run's exit status is the sandbox's (so Restart=on-failure works).
. "$(dirname "$0")/lib.sh"
start_supervisor

# The service manager's end: every datagram, one per line ("\n" inside shown as "|").
S=$T/notify.sock
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", "|") + "\n")
' "$S" "$T/notified" &
listener=$!
for _ in $(seq 100); do [ -S "$S" ] && break; sleep 0.02; done
notified() { cat "$T/notified" 2>/dev/null || true; }
wait_notified() { # PATTERN
    for _ in $(seq 250); do notified | grep -q -- "$1" && return 0; sleep 0.02; done
    return 1
}

rc=0; err=$(env -u NOTIFY_SOCKET "$N" run --sd-notify -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "without NOTIFY_SOCKET, --sd-notify fails"
assert_contains "$err" "needs \$NOTIFY_SOCKET" "saying what it needs"
rc=0; err=$(NOTIFY_SOCKET=$S "$N" run --sd-notify -d -- true 2>&1) || rc=$?
assert_contains "$err" "cannot be combined with -d" "and -d is refused"
assert_eq "" "$(notified)" "nothing was sent meanwhile"

# No readiness probe: ready when started. systemctl stop: SIGTERM to the main process.
NOTIFY_SOCKET=$S "$N" run --sd-notify --name svc1 -- sleep 100 & cli=$!
wait_notified "READY=1" && echo "ok - READY=1 once the sandbox started" || fail "no READY=1: $(notified)"
assert_contains "$(notified)" "STATUS=sandbox $("$N" inspect svc1 | jq -r .id | cut -c1-12) is ready" "with a STATUS= naming it"
kill -TERM $cli
rc=0; wait $cli || rc=$?
assert_eq 143 "$rc" "stopping the service stops the sandbox, whose status is the run's"
assert_contains "$(notified)" "STOPPING=1" "STOPPING=1 was sent"
assert_contains "$("$N" wait --json svc1)" '"signal": "SIGTERM"' "the sandbox was stopped by SIGTERM, gracefully"

# With a readiness probe: READY=1 only once it passes.
: >"$T/notified"
NOTIFY_SOCKET=$S "$N" run --sd-notify --name svc2 --readiness-exec 'test -e /tmp/up' --readiness-interval 100ms \
    -- sh -c 'sleep 2.5; touch /tmp/up; sleep 100' & cli=$!
wait_state svc2
sleep 0.7
assert_eq "" "$(notified)" "not ready before the readiness probe passes"
wait_notified "READY=1" && echo "ok - READY=1 once the readiness probe passed" || fail "no READY=1: $(notified)"
assert_contains "$("$N" inspect svc2 | jq -c .readiness)" '"ready":true' "when nucleusd says it is ready"
kill -TERM $cli
rc=0; wait $cli || rc=$?
assert_eq 143 "$rc" "and it stops the same way"

# A sandbox that ends before it is ready: no READY=1, and the status passes through.
: >"$T/notified"
rc=0; NOTIFY_SOCKET=$S "$N" run --sd-notify --readiness-exec 'false' -- sh -c 'sleep 0.3; exit 3' || rc=$?
assert_eq 3 "$rc" "the exit status is the workload's (Restart=on-failure sees it)"
assert_eq "" "$(notified)" "no READY=1 for a sandbox that was never ready"
# The service manager's socket is the CLI's, not the workload's.
assert_eq unset "$(NOTIFY_SOCKET=$S "$N" run --sd-notify -- sh -c 'echo ${NOTIFY_SOCKET:-unset}')" \
    "the workload does not see the service's NOTIFY_SOCKET"

# Placement: the unit's cgroup (Delegate=yes), simulated with a cgroup of the test's own.
# The CLI moves into a leaf of it, and the sandbox's leaf goes beside, so the unit's
# limits and KillMode cover the sandbox while a cgroup.kill of the sandbox spares the CLI.
U=$CG_BASE/nucleus-test-unit-$$
mkdir "$U"
on_exit "rmdir '$U/nucleus-run' '$U' 2>/dev/null || true"
: >"$T/notified"
sh -c 'echo $$ >"$1/cgroup.procs" && exec env NOTIFY_SOCKET="$2" "$3" run --sd-notify --name placed -- sleep 100' \
    sh "$U" "$S" "$N" & cli=$!
wait_notified "READY=1" && echo "ok - READY=1 from a placed run" || fail "no READY=1: $(notified)"
id=$("$N" inspect placed | jq -r .id)
assert_eq "$U/$id" "$("$N" inspect placed | jq -r .cgroup)" "the sandbox's leaf is in the service's cgroup"
assert_contains "$(cat "$U/nucleus-run/cgroup.procs")" "$cli" "the CLI moved into a leaf of its own there"
assert_contains "$(cat "$U/$id/cgroup.procs")" "$("$N" inspect placed | jq .pid)" "the sandbox's init is in the sandbox's leaf"
assert_eq "" "$(cat "$U/cgroup.procs")" "and the service's cgroup itself holds no process"
echo 1 >"$U/$id/cgroup.kill"
rc=0; wait $cli || rc=$?
assert_eq 137 "$rc" "a cgroup.kill of the sandbox's leaf ends the run with the sandbox's status (SIGKILL)"
for _ in $(seq 100); do [ -d "$U/$id" ] || break; sleep 0.05; done
assert_eq no "$([ -d "$U/$id" ] && echo yes || echo no)" "the sandbox's leaf is removed with it"

assert_contains "$(NOTIFY_SOCKET=$S "$N" run --sd-notify -- true 2>&1 >/dev/null)" "stays under nucleusd's (this process is in the root cgroup)" \
    "a run that cannot be placed says so"

# nucleusd believes no caller about where: the caller must live beneath the cgroup it names.
api() { timeout 20 python3 "$(dirname "$0")/api_client.py" "$@"; }
create() { echo '{"jsonrpc":"2.0","method":"sandbox.create","params":{"spec":{"args":["true"]},"cgroup_parent":'"$1"'},"id":1}'; }
assert_contains "$(api "$(create "\"${U#"$CG_BASE"}\"")")" "must hold the caller" "a cgroup the caller is not in is refused"
assert_contains "$(api "$(create '"/"')")" "must be an absolute cgroup path" "the root cgroup is refused"
assert_contains "$(api "$(create '"/a/../b"')")" "must be an absolute cgroup path" "a path with .. is refused"
assert_contains "$(api "$(create '7')")" "must be a cgroup path" "a number is refused"
kill $listener 2>/dev/null || true
finish
