#!/bin/bash
# The CLI starts a supervisor when none runs: exactly one, even when many CLIs race;
# an idle exit racing new clients loses nobody; never inside a systemd unit.
. "$(dirname "$0")/lib.sh"

# Zygotes only: the loop process shares the command line but is named nucleusd-loop.
count_supervisors() {
    local p n=0
    for p in $(pgrep -f -- "nucleusd --ready-fd 3 --socket $NUCLEUS_SOCKET " || true); do
        [ "$(cat /proc/$p/comm 2>/dev/null)" = nucleusd ] && n=$((n + 1))
    done
    echo $n
}

# Inside a systemd unit: refuse, and say what to start.
rc=0; err=$(INVOCATION_ID=0123 "$N" run -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "no autostart inside a systemd unit"
assert_contains "$err" "nucleus.service" "the message says what to start instead"
assert_eq 0 "$(count_supervisors)" "nothing was started"

# No nucleusd where NUCLEUS_NUCLEUSD says: 125 and one line naming the variable.
rc=0; err=$(NUCLEUS_NUCLEUSD=/nonexistent/nucleusd "$N" run -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "an autostart that cannot find nucleusd is a nucleus failure"
assert_eq "nucleus: nucleusd, the supervisor started when none is running, cannot be run: NUCLEUS_NUCLEUSD=/nonexistent/nucleusd is not an executable file" \
    "$err" "one line that names the variable"

# A supervisor that refuses to start says why in the log the CLI points to: what it
# refused before opening its log went to /dev/null, and the log had nothing.
rc=0; err=$(NUCLEUS_IDLE_TIMEOUT=abc "$N" run -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "an autostart with a bad NUCLEUS_IDLE_TIMEOUT fails"
assert_contains "$err" "see $NUCLEUS_STATE_DIR/nucleusd.log" "the CLI points to the log"
assert_contains "$(cat "$NUCLEUS_STATE_DIR/nucleusd.log" 2>/dev/null)" "NUCLEUS_IDLE_TIMEOUT='abc' is not a number of seconds" \
    "and the log says why"
assert_eq 0 "$(count_supervisors)" "nothing was left running"
rm -f "$NUCLEUS_STATE_DIR/nucleusd.log"

# Eight CLIs at once, no supervisor: all succeed, one nucleusd.
export NUCLEUS_IDLE_TIMEOUT=30
pids=()
for i in $(seq 8); do "$N" run -- sh -c "echo run$i" >"$T/out$i" & pids+=($!); done
ok=0
for p in "${pids[@]}"; do wait "$p" && ok=$((ok + 1)); done
assert_eq 8 "$ok" "eight concurrent autostarting CLIs succeed"
assert_eq 1 "$(count_supervisors)" "exactly one supervisor was started"
assert_eq "run5" "$(cat "$T/out5")" "each got its own output"
assert_eq yes "$(test -s "$NUCLEUS_STATE_DIR/nucleusd.log" && echo yes)" "the autostarted supervisor logs to the state dir"
assert_eq "unit" "$(INVOCATION_ID=0123 "$N" run -- echo unit)" "inside a systemd unit, a running supervisor is used as usual"
# Detached: none of the CLI's descriptors, session or parentage.
zy=$(for p in $(pgrep -f -- "nucleusd --ready-fd 3 --socket $NUCLEUS_SOCKET " || true); do
        [ "$(cat /proc/$p/comm 2>/dev/null)" = nucleusd ] && echo "$p"; done | head -1 || true)
[ -n "$zy" ] || die "the autostarted supervisor is not running"
assert_eq "/dev/null /dev/null $NUCLEUS_STATE_DIR/nucleusd.log" "$(readlink /proc/"$zy"/fd/0 /proc/"$zy"/fd/1 /proc/"$zy"/fd/2 | xargs)" \
    "the autostarted supervisor's stdin and stdout are /dev/null, its stderr its log"
assert_ne "$(ps -o sid= $$ | xargs)" "$(ps -o sid= "$zy" | xargs)" "it runs in a session of its own"
assert_ne "$$" "$(ps -o ppid= "$zy" | xargs)" "it is not a child of the test's shell"
pkill -TERM -f -- "--socket $NUCLEUS_SOCKET " || true
for _ in $(seq 100); do [ "$(count_supervisors)" = 0 ] && break; sleep 0.1; done
# A command substitution reads until every writer of its pipe is gone: a supervisor
# started by this very CLI must not hold on to it.
assert_eq "hello" "$(timeout 20 "$N" run -- echo hello)" "an autostarting run in \$(...) returns its output"
pkill -TERM -f -- "--socket $NUCLEUS_SOCKET " || true
for _ in $(seq 100); do [ "$(count_supervisors)" = 0 ] && break; sleep 0.1; done

# Idle exit races new clients: a 20 ms idle timeout, 40 runs in 4 parallel streams.
export NUCLEUS_IDLE_TIMEOUT=0.02
stream() { local k; for k in $(seq 10); do "$N" run -- true || echo "FAILED $1.$k"; sleep 0.0$((RANDOM % 4)); done; }
for s in 1 2 3 4; do stream $s >"$T/stream$s" 2>&1 & pids+=($!); done
wait
assert_eq "" "$(cat "$T"/stream*)" "no run failed while supervisors came and went"
for _ in $(seq 100); do [ "$(count_supervisors)" = 0 ] && break; sleep 0.1; done
assert_eq 0 "$(count_supervisors)" "an idle supervisor exits by itself"

# ... but not while a detached sandbox still holds logs someone may read.
export NUCLEUS_IDLE_TIMEOUT=0.2
"$N" run -d --name keep -- echo kept >/dev/null
sleep 1.5
assert_eq "kept" "$("$N" logs keep 2>&1)" "the logs of an exited detached sandbox outlive the idle timeout"
"$N" rm keep >/dev/null
for _ in $(seq 100); do [ "$(count_supervisors)" = 0 ] && break; sleep 0.1; done
assert_eq 0 "$(count_supervisors)" "once it is removed, the supervisor goes idle and exits"
assert_eq "no" "$(test -e "$NUCLEUS_SOCKET" && echo yes || echo no)" "and removes its socket"
finish
