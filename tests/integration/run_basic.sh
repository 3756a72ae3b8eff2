#!/bin/bash
# A first sandbox end to end: output, PATH lookup, environment, hostname, workdir.
. "$(dirname "$0")/lib.sh"
start_supervisor

assert_eq "hello" "$("$N" run -- /bin/echo hello)" "absolute command"
assert_eq "hello" "$("$N" run -- echo hello)" "command found on the sandbox's PATH"
assert_eq "a b  c" "$("$N" run -- printf '%s %s %s' a b ' c')" "arguments pass through unchanged"

env_out=$(in_sandbox -e FOO=bar -e 'SPACED=a b' -- env)
assert_contains "$env_out" "FOO=bar" "-e sets a variable"
assert_contains "$env_out" "SPACED=a b" "-e keeps spaces"
assert_contains "$env_out" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "default PATH"
assert_contains "$env_out" "HOME=/root" "default HOME"
assert_not_contains "$env_out" "NUCLEUS_SOCKET" "the caller's environment does not leak in"
assert_not_contains "$env_out" "TERM=" "no TERM when stdout is not a terminal"
assert_eq 4 "$(grep -c . <<<"$env_out")" "nothing else: PATH, HOME, FOO, SPACED"

# Arguments and environment are bytes: what is not UTF-8 arrives unchanged (it travels
# base64-encoded in a field that says so, docs/api.md "Text and byte strings").
assert_eq "ff fe 41" "$("$N" run --name bytes -- printf '%s' $'\xff\xfeA' | od -An -tx1 | xargs)" "a non-UTF-8 argument arrives byte for byte"
assert_eq '{"base64":"//5B"}' "$("$N" inspect bytes | jq -c '.spec.args[2]')" "and the spec shows it base64-encoded"
assert_eq "e9 ff" "$("$N" run -e $'LATIN=\xe9\xff' -- sh -c 'printf %s "$LATIN"' | od -An -tx1 | xargs)" "a non-UTF-8 -e value arrives byte for byte"

export FROMHOST=yes
assert_contains "$(in_sandbox -e FROMHOST -- env)" "FROMHOST=yes" "-e K copies K from the caller"

assert_eq "hostname=box" "$(in_sandbox --name box -- hostname | head -1)" "hostname defaults to the name"
assert_eq "hostname=other" "$(in_sandbox --name box2 --hostname other -- hostname | head -1)" "--hostname"
h=$(in_sandbox -- hostname | head -1)
assert_match "$h" '^hostname=[0-9a-f]{12}$' "unnamed sandbox: hostname is the short id"
assert_eq "/tmp" "$("$N" run --workdir /tmp -- pwd)" "--workdir"
assert_eq "/" "$("$N" run -- pwd)" "default workdir is /"
finish
