#!/bin/bash
# The CLI: every seed flag that is not available is refused with its issue; usage
# errors are clear; --help is true.
. "$(dirname "$0")/lib.sh"
start_supervisor

rc=0; err=$("$N" run --credential-broker x -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "a planned flag is refused with 125"
assert_contains "$err" "--credential-broker is planned (issue 7" "the refusal names the issue"
assert_contains "$("$N" run --help)" "--nat-backend auto|kernel|userspace" "run --help describes --nat-backend"
assert_contains "$("$N" run --quiet-id -- true 2>&1 || true)" "not supported" "a rejected flag says why"
assert_contains "$("$N" run --bogus -- true 2>&1 || true)" "unknown option '--bogus'" "an unknown flag is an error"
assert_contains "$("$N" compose up 2>&1 || true)" "'compose' is planned (no issue yet" "a planned command is refused"
assert_contains "$("$N" frobnicate 2>&1 || true)" "unknown command 'frobnicate'" "unknown command"
assert_contains "$("$N" run 2>&1 || true)" "no command given" "run without a command"
assert_contains "$("$N" kill -s BOGUS x 2>&1 || true)" "invalid signal 'BOGUS'" "bad signal"
assert_contains "$("$N" --help)" "Commands:" "--help"
assert_contains "$("$N" run --help)" "--workdir" "run --help"
assert_contains "$("$N" version)" "nucleusd 0.1.0" "version reports the supervisor"
assert_eq 0 "$("$N" run -- true; echo $?)" "no refusal created a sandbox (and run still works)"
assert_eq 1 "$("$N" ps -a --json | grep -c '"id"')" "only the one real sandbox exists"

# Every Planned/Rejected flag of docs/compat.md is refused by the CLI.
compat="$(dirname "$0")/../../docs/compat.md"
missing=0
while read -r flag; do
    out=$("$N" run "$flag" x -- true 2>&1 || true)
    if ! grep -qE "is planned|is not supported" <<<"$out"; then
        echo "not refused: $flag -> $out" >&2; missing=$((missing + 1))
    fi
done < <(grep -E '^\| `-' "$compat" | grep -E 'Planned|Rejected' | sed -E 's/^\| `([^ `]+).*/\1/' | sed -E 's#^(-[a-z])/.*#\1#')
assert_eq 0 "$missing" "every planned or rejected flag in docs/compat.md is refused"
finish
