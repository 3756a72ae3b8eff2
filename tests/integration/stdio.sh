#!/bin/bash
# The caller's own descriptors are the workload's stdio: pipes both ways, files, a
# terminal; nothing else leaks in.
. "$(dirname "$0")/lib.sh"
start_supervisor

assert_eq "abc" "$(echo abc | "$N" run -- cat)" "stdin from a pipe"
seq 1 20000 >"$T/in"
"$N" run -- cat <"$T/in" >"$T/out"
cmp -s "$T/in" "$T/out" && echo "ok - 100 KB through a file both ways" || fail "file round trip differs"
assert_eq "err" "$("$N" run -- sh -c 'echo err >&2' 2>&1 >/dev/null)" "stderr is the caller's stderr"
assert_eq "out" "$("$N" run -- sh -c 'echo out; echo err >&2' 2>/dev/null)" "stdout and stderr stay separate"

fds=$(in_sandbox -- fds </dev/null)
assert_eq 3 "$(grep -c '^fd=' <<<"$fds")" "only fds 0, 1, 2 inside"
assert_not_contains "$fds" "socket" "no socket of the supervisor leaks in"

# A closed stdin becomes /dev/null.
assert_eq "0" "$("$N" run -- sh -c 'cat | wc -c' <&-)" "closed stdin reads as empty"

if command -v script >/dev/null; then
    out=$(script -qec "$N run -- sh -c 'test -t 0 && test -t 1 && echo TTY \$TERM'" /dev/null </dev/null | tr -d '\r')
    assert_contains "$out" "TTY" "a terminal stays a terminal inside"
    assert_match "$out" "TTY [a-z0-9-]+" "TERM is set when stdout is a terminal"
    out=$(printf 'typed\n' | script -qec "$N run -- head -n1" /dev/null | tr -d '\r')
    assert_contains "$out" "typed" "interactive input reaches the workload"
else
    skip "script(1) from util-linux is needed for the terminal checks"
fi
finish
