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

# The workload's stdout is the caller's open file itself (passed with SCM_RIGHTS), not a
# relay: the same inode, written at the caller's offset.
echo first >"$T/shared"
"$N" run -- sh -c 'stat -L -c %i /proc/self/fd/1; echo appended' >>"$T/shared"
assert_eq "$(stat -c %i "$T/shared")" "$(sed -n 2p "$T/shared")" "stdout inside is the caller's file (same inode)"
assert_eq "first appended" "$(sed -n '1p;3p' "$T/shared" | xargs)" "the workload's lines follow the caller's in the one shared file"

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
    # `nucleus run -- cat` at a terminal: each line comes back before the next is typed
    # (the terminal's own echo, then cat's copy), and ^D ends it with status 0.
    rc=0
    out=$(python3 "$(dirname "$0")/pty_drive.py" --timeout 20 \
        --send "" 'one\r' --send $'one\r\none\r\n' 'two\r' --send $'two\r\ntwo\r\n' '\x04' -- "$N" run -- cat) || rc=$?
    assert_eq 0 "$rc" "interactive cat ends on ^D with status 0"
    assert_eq "one one two two" "$(tr -d '\r' <<<"$out" | xargs)" "interactive cat answers line by line"
else
    skip "script(1) from util-linux is needed for the terminal checks"
fi
finish
