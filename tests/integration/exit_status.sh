#!/bin/bash
# Exit status mapping: the code, 128+signal, 125 (nucleus), 126 (not executable),
# 127 (not found), each with one clear line.
. "$(dirname "$0")/lib.sh"
start_supervisor

rc=0; "$N" run -- true || rc=$?; assert_eq 0 "$rc" "true exits 0"
rc=0; "$N" run -- false || rc=$?; assert_eq 1 "$rc" "false exits 1"
rc=0; "$N" run -- sh -c 'exit 42' || rc=$?; assert_eq 42 "$rc" "exit code passes through"
rc=0; in_sandbox -- kill-self TERM || rc=$?; assert_eq 143 "$rc" "killed by SIGTERM: 128+15"
rc=0; in_sandbox -- kill-self SEGV || rc=$?; assert_eq 139 "$rc" "killed by SIGSEGV: 128+11"

rc=0; err=$("$N" run -- no-such-command-here 2>&1) || rc=$?
assert_eq 127 "$rc" "command not found: 127"
assert_contains "$err" "Failed to execute 'no-such-command-here': No such file or directory" "not-found message"
assert_eq 1 "$(grep -c . <<<"$err")" "one line of error"

rc=0; err=$("$N" run -- /etc/passwd 2>&1) || rc=$?
assert_eq 126 "$rc" "not executable: 126"
assert_contains "$err" "Permission denied" "not-executable message"
assert_eq 1 "$(grep -c . <<<"$err")" "one line of error for 126 too"

# Between fork and exec a failure comes back as {stage, errno, message}; the one line
# above is made of it, and the result keeps it.
rc=0; "$N" run --name nf -- no-such-command-here 2>/dev/null || rc=$?
f=$("$N" wait --json nf | jq -c '[.reason, .failure.stage, .failure.errno, .failure.errno_name, .failure.message, .exit_code]')
assert_eq '["setup_failed","exec",2,"ENOENT","Failed to execute '"'no-such-command-here'"'",127]' "$f" \
    "the result carries the failure's stage, errno and message"

rc=0; err=$("$N" run --workdir /nonexistent -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "bad workdir is a nucleus failure: 125"
assert_contains "$err" "working directory '/nonexistent'" "workdir message names the directory"
assert_eq 1 "$(grep -c . <<<"$err")" "one line of error for a setup failure"

rc=0; err=$("$N" run --name 'bad/name' -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "invalid name: 125"
assert_contains "$err" "invalid name 'bad/name'" "invalid name message"

rc=0; err=$("$N" run -e LD_PRELOAD=/x.so -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "LD_PRELOAD refused"
assert_contains "$err" "LD_PRELOAD is refused" "LD_PRELOAD message"
finish
