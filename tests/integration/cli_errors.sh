#!/bin/bash
# The CLI: every seed flag that is not available is refused with its issue; usage
# errors are clear; --help is true.
. "$(dirname "$0")/lib.sh"
start_supervisor

rc=0; err=$("$N" run --credential-broker x -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "a planned flag is refused with 125"
assert_contains "$err" "--credential-broker is planned (no issue yet" "the refusal says no issue brings it yet"
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
# A valued flag given last, without its value, says so (it was "unknown option").
for c in "kill -s" "kill --signal" "stop -t" "stop --timeout" "logs -n" "logs --since-seq" "exec -e" "exec -w" "exec x -u" "exec --group"; do
    rc=0; err=$("$N" $c 2>&1) || rc=$?
    assert_eq 2 "$rc" "nucleus $c: a usage error"
    assert_contains "$err" "${c##* } needs a value" "nucleus $c: names the flag that lacks its value"
done
assert_contains "$("$N" attach 2>&1 || true)" "usage: nucleus attach ID" "attach without an ID shows attach's usage, not exec's"
# A flag that would do nothing in its combination is refused, not ignored.
rc=0; err=$("$N" run --rm --swap -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "--swap without --memory is refused"
assert_contains "$err" "--swap only goes with --memory SIZE" "and says what it needs"
assert_contains "$("$N" run --rm --seccomp-mode trace --seccomp-log "$T/trace" --seccomp-log-denied -- true 2>&1 || true)" \
    "seccomp_log_denied (--seccomp-log-denied) cannot be combined with seccomp_mode trace" "--seccomp-log-denied with trace mode is refused"
rc=0; err=$("$N" logs -n 2 --since-seq 3 x 2>&1) || rc=$?
assert_eq 2 "$rc" "logs -n with --since-seq is a usage error (-n was ignored)"
assert_contains "$err" "give either -n N (the last N records) or --since-seq S" "and says why"
assert_contains "$("$N" logs --help)" "-n, --tail N" "logs --help describes its flags"
assert_contains "$("$N" run --timeout 31536001 -- true 2>&1 || true)" "seconds from 1 to 31536000" \
    "a --timeout above the maximum names the range (it said 'at least 1')"
# info and version take only --json and --help; anything else is refused, not ignored.
assert_contains "$("$N" info --help)" "Usage: nucleus info" "info --help shows help, not the status"
assert_contains "$("$N" version --help)" "Usage: nucleus version" "version --help shows help"
for cmd in info version; do
    rc=0; err=$("$N" $cmd --bogus 2>&1) || rc=$?
    assert_eq 2 "$rc" "$cmd --bogus is a usage error"
    assert_contains "$err" "unexpected argument '--bogus' for $cmd" "$cmd names the argument it refuses"
done
assert_contains "$("$N" info --json)" '"api_version"' "info --json is accepted"
# Global paths: an empty one or one too long for a socket address is refused by name.
rc=0; err=$("$N" --socket= ps 2>&1) || rc=$?
assert_eq 2 "$rc" "--socket= is a usage error"
assert_contains "$err" "--socket needs a non-empty path" "an empty --socket is named"
assert_contains "$("$N" --root '' ps 2>&1 || true)" "--root needs a non-empty path" "an empty --root is named"
long=$(printf 's%.0s' $(seq 120))
rc=0; err=$("$N" --socket "$long" ps 2>&1) || rc=$?
assert_eq 2 "$rc" "a --socket too long is a usage error"
assert_contains "$err" "--socket '$long' is too long: at most 107 bytes" "and says the limit"
# The same from the environment names the variable (it said "a path from the
# environment is too long").
assert_contains "$(NUCLEUS_SOCKET="/tmp/$long" "$N" ps 2>&1 || true)" "NUCLEUS_SOCKET is too long: at most 107 bytes" \
    "an overlong NUCLEUS_SOCKET is named"
assert_contains "$(NUCLEUS_SOCKET="/tmp/$long" "$ND" 2>&1 || true)" "NUCLEUS_SOCKET is too long" "by nucleusd too"
for v in nan inf 1e300; do
    assert_contains "$(NUCLEUS_IDLE_TIMEOUT=$v timeout 10 "$ND" --socket "$T/idle.sock" --state-dir "$T/idle" 2>&1 || true)" \
        "NUCLEUS_IDLE_TIMEOUT='$v' is not a number of seconds from 0 to 31536000" "NUCLEUS_IDLE_TIMEOUT=$v is refused, as --idle-timeout $v is"
done
assert_eq 0 "$("$N" run -- true; echo $?)" "no refusal created a sandbox (and run still works)"
assert_eq 1 "$("$N" ps -a --json | grep -c '"id"')" "only the one real sandbox exists"
# A setup error names a non-ASCII value as given (it was shown as Latin-1 mojibake).
rc=0; err=$("$N" run --rm -w /café -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "a missing non-ASCII workdir fails setup"
assert_contains "$err" "working directory '/café'" "and the error names it as given"

# Every Planned/Rejected flag of docs/compat.md is refused by the CLI, and the refusal
# says what the table says: the same issue number, "no issue yet", or the reason.
compat="$(dirname "$0")/../../docs/compat.md"
missing=0 checked=0
while IFS='|' read -r _ flag _ status _; do
    flag=$(sed -E 's/^ *`([^ `]+).*/\1/; s#^(-[a-z])/.*#\1#' <<<"$flag")
    case "$status" in
        *"Planned (issue "*) want="is planned (issue $(sed -E 's/.*Planned \(issue ([0-9]+).*/\1/' <<<"$status"),";;
        *"Planned (no issue yet)"*) want="is planned (no issue yet" ;;
        *Rejected*) want="is not supported" ;;
        *) continue ;;
    esac
    checked=$((checked + 1))
    out=$("$N" run "$flag" x -- true 2>&1 || true)
    if ! grep -qF -- "$flag $want" <<<"$out"; then
        echo "compat.md says '$want' for $flag; the CLI says: $out" >&2; missing=$((missing + 1))
    fi
done < <(grep -E '^\| `-' "$compat")
[ "$checked" -ge 25 ] && echo "ok - $checked planned or rejected flags read from docs/compat.md" \
    || fail "only $checked planned or rejected flags found in docs/compat.md (the table's format changed?)"
assert_eq 0 "$missing" "every planned or rejected flag in docs/compat.md is refused as the table says"
finish
