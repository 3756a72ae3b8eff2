#!/bin/bash
# --seccomp-mode trace records every distinct system call of the workload (seccomp user
# notification answered by nucleusd) into --seccomp-log as NDJSON; `nucleus seccomp
# generate` turns that into a minimal OCI profile that runs the same program enforced,
# and without one call it needs, the program is killed by SIGSYS.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed to read the trace"
start_supervisor
TR="$T/trace.ndjson"
P="$T/profile.json"

# --- trace ----------------------------------------------------------------------
out=$("$N" run --name traced --seccomp-mode trace --seccomp-log "$TR" -- "$H" ls /etc)
assert_eq 0 $? "a traced program runs"
assert_contains "$out" "hostname" "and does its work (lists /etc)"
assert_eq 644 "$(stat -c %a "$TR")" "the trace file is made by the CLI, 0644"
check=$(python3 - "$TR" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows, "empty trace"
for r in rows:
    assert sorted(r) == ["count", "name", "syscall"], r
    assert isinstance(r["syscall"], int) and isinstance(r["count"], int) and r["count"] > 0, r
nrs = [r["syscall"] for r in rows]
assert nrs == sorted(nrs) and len(set(nrs)) == len(nrs), "not sorted by number, or repeated"
names = {r["name"] for r in rows}
for need in ("execve", "exit_group", "getdents64", "openat", "write"):
    assert need in names, need + " missing"
ex = [r for r in rows if r["name"] == "execve"][0]
assert ex["count"] == 1, ex
# Nucleus's own hand-off of the listener (sendmsg on init's socket) is not recorded.
assert "sendmsg" not in names, "the hand-off leaked into the trace"
print("ok")
PY
) || true
assert_eq ok "$check" "the trace is sorted NDJSON with execve, exit_group, getdents64, openat, write, counts > 0"

insp=$("$N" inspect traced)
assert_contains "$insp" '"seccomp_mode": "trace"' "inspect shows the trace mode"
assert_contains "$insp" '"seccomp": "none"' "and that no filter ran"
assert_contains "$(cat "$T/nucleusd.log")" "runs without a seccomp filter" "nucleusd warns in its log"
A="$NUCLEUS_STATE_DIR/audit.jsonl"
audit=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["name"] == "traced" and r["event"].startswith("seccomp"): print(r["event"], r.get("warning", ""))' "$A")
assert_contains "$audit" "seccomp_trace the workload ran without a seccomp filter" "the audit log records the missing filter"
assert_not_contains "$audit" "seccomp_applied" "and no seccomp_applied"

# --- generate ---------------------------------------------------------------------
"$N" seccomp generate "$TR" -o "$P"
assert_eq 0 $? "generate writes a profile"
gen=$(python3 - "$P" "$TR" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
names = sorted({json.loads(l)["name"] for l in open(sys.argv[2])})
assert p["defaultAction"] == "SCMP_ACT_KILL_PROCESS", p["defaultAction"]
assert p["architectures"] == ["SCMP_ARCH_X86_64"], p["architectures"]
assert p["syscalls"] == [{"names": names, "action": "SCMP_ACT_ALLOW"}], p["syscalls"]
print("ok")
PY
) || true
assert_eq ok "$gen" "the profile allows exactly the traced names, sorted, and kills the rest"
assert_eq "$(cat "$P")" "$("$N" seccomp generate "$TR" -o -)" "-o - writes the same to stdout"
assert_eq "$(cat "$P")" "$("$N" seccomp generate "$TR")" "no -o writes stdout"
"$N" seccomp generate --help | grep -q "Usage: nucleus seccomp generate" && echo "ok - generate --help" || fail "generate --help"

# --- enforce the generated profile ------------------------------------------------------
out=$("$N" run --seccomp-profile "$P" -- "$H" ls /etc)
assert_eq 0 $? "the program runs under its generated profile"
assert_contains "$out" "hostname" "with the same output"
# Without getdents64 (the listing itself, long after startup) it is killed by SIGSYS.
python3 - "$P" "$T/short.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["syscalls"][0]["names"].remove("getdents64")
json.dump(p, open(sys.argv[2], "w"))
PY
rc=0; "$N" run --seccomp-profile "$T/short.json" -- "$H" ls /etc >/dev/null 2>&1 || rc=$?
assert_eq 159 "$rc" "without getdents64 the program is killed by SIGSYS (128+31)"

# A threaded program: clone3 fails with ENOSYS while tracing, as when enforced, so the
# trace holds clone too and the profile works.
"$N" run --seccomp-mode trace --seccomp-log "$T/sh.ndjson" -- /bin/sh -c "\"$H\" uid >/dev/null; echo done" >/dev/null
"$N" seccomp generate "$T/sh.ndjson" -o "$T/sh.json"
assert_eq "done" "$("$N" run --seccomp-profile "$T/sh.json" -- /bin/sh -c "\"$H\" uid >/dev/null; echo done")" \
    "a shell that starts a child runs under its generated profile"

# exec'd processes keep the default filter and are not traced; the trace is written
# when the sandbox is stopped.
"$N" run -d --name bg --seccomp-mode trace --seccomp-log "$T/bg.ndjson" -- "$H" sleep 30 >/dev/null
wait_state bg
assert_contains "$("$N" exec bg -- "$H" caps)" "Seccomp=2" "exec in a traced sandbox works, with a filter"
rc=0; "$N" exec bg -- "$H" try-syscall ptrace >/dev/null 2>&1 || rc=$?
assert_eq 159 "$rc" "an exec'd process has the default filter (ptrace kills)"
"$N" stop bg >/dev/null
"$N" wait bg >/dev/null || true
assert_contains "$(cat "$T/bg.ndjson")" '"name":"clock_nanosleep"' "a stopped traced sandbox's trace is written"
assert_not_contains "$(cat "$T/bg.ndjson")" '"name":"ptrace"' "exec'd processes are not in the trace"

# --- refusals -------------------------------------------------------------------------
err=$("$N" run --seccomp-mode trace -- true 2>&1) && fail "trace without a log accepted" || true
assert_contains "$err" "needs seccomp_log (--seccomp-log FILE)" "trace without --seccomp-log is refused"
err=$("$N" run --seccomp-log "$T/nolog" -- true 2>&1) && fail "a log without trace accepted" || true
assert_contains "$err" "only accepted with seccomp_mode trace (--seccomp-mode trace)" "--seccomp-log without trace is refused"
[ ! -e "$T/nolog" ] && echo "ok - a refused command line does not create the log" || fail "the log was created"
err=$("$N" run --seccomp-mode trace --seccomp-log "$T/x" --seccomp-profile "$P" -- true 2>&1) && fail "trace + profile accepted" || true
assert_contains "$err" "--seccomp-profile cannot be combined with --seccomp-mode trace" "trace with --seccomp-profile is refused"
err=$("$N" run --seccomp-mode trace --seccomp-log "$T/x" --seccomp-allow sysinfo -- true 2>&1) && fail "trace + allow accepted" || true
assert_contains "$err" "cannot be combined with seccomp_mode trace" "trace with --seccomp-allow is refused"
err=$("$N" run --seccomp-mode audit -- true 2>&1) && fail "a bad mode accepted" || true
assert_contains "$err" "invalid --seccomp-mode 'audit': enforce (the default) or trace" "a bad mode names what is accepted"
mkfifo "$T/fifo"
err=$("$N" run --seccomp-mode trace --seccomp-log "$T/fifo" -- true 2>&1) && fail "a FIFO log accepted" || true
assert_contains "$err" "not a regular file" "the log must be a regular file"

# The API applies the same rules: no CLI involved.
api() { timeout 20 python3 "$(dirname "$0")/api_client.py" "$@"; }
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.create","params":{"spec":{"args":["x"],"seccomp_mode":"trace"}},"id":1}')" \
    "needs seccomp_log" "API: trace without a log"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.create","params":{"spec":{"args":["x"],"seccomp_mode":"trace","seccomp_log":"t"}},"id":1}')" \
    "needs 1 descriptors" "API: a log needs its descriptor"
assert_contains "$(api '{"jsonrpc":"2.0","method":"sandbox.create","params":{"spec":{"args":["x"],"seccomp_mode":"strict"}},"id":1}')" \
    "must be \\\"enforce\\\" or \\\"trace\\\"" "API: a bad mode"

# --- generate refuses bad traces, naming the line ------------------------------------
printf '{"syscall":0,"name":"read","count":1}\n{"syscall":1,"name":"write"}\n' >"$T/bad1"
err=$("$N" seccomp generate "$T/bad1" -o "$T/out.json" 2>&1) && fail "a line without count accepted" || true
assert_contains "$err" "bad1:2: 'count' must be a positive integer" "a bad line is named by number"
[ ! -e "$T/out.json" ] && echo "ok - nothing is written for a bad trace" || fail "a profile was written for a bad trace"
printf '{"syscall":0,"name":"read","count":1}\nnot json\n' >"$T/bad2"
assert_contains "$("$N" seccomp generate "$T/bad2" 2>&1 || true)" "bad2:2: not JSON" "a line that is not JSON"
printf '{"syscall":0,"name":"Read;rm","count":1}\n' >"$T/bad3"
assert_contains "$("$N" seccomp generate "$T/bad3" 2>&1 || true)" "bad3:1: 'name' must be a system call name" "a bad name"
: >"$T/empty"
assert_contains "$("$N" seccomp generate "$T/empty" 2>&1 || true)" "no system calls in the trace" "an empty trace"
rc=0; "$N" seccomp generate "$T/empty" 2>/dev/null || rc=$?
assert_eq 1 "$rc" "a refused trace exits 1"
finish
