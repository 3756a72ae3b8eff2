#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Unit test of nucleus-toml2json: usage: toml2json.sh PATH/TO/nucleus-toml2json
# JSON is compared after python's json.loads, so key order does not matter.
set -euo pipefail

bin=${1:?usage: $0 PATH/TO/nucleus-toml2json}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failed=1; }

# conv [ARGS...] <input: runs the helper, keeping its stdout, stderr and exit status.
conv() {
        rc=0
        "$bin" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
}

# check NAME EXPECTED_RC PYTHON_EXPR: the run exited EXPECTED_RC, wrote one line of
# JSON and PYTHON_EXPR holds with `v` bound to the parsed document.
check() {
        local name=$1 want_rc=$2 expr=$3
        if [ "$rc" != "$want_rc" ]; then
                not_ok "$name: exit $rc, want $want_rc; stderr: $(cat "$tmp/err")"
        elif [ "$(wc -l <"$tmp/out")" != 1 ] || [ -s "$tmp/err" ]; then
                not_ok "$name: output is not one line, or stderr is not empty"
        elif ! python3 -c 'import json, sys, math
v = json.loads(open(sys.argv[1], encoding="utf-8").read())
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$tmp/out" "$expr"; then
                not_ok "$name: got $(cat "$tmp/out")"
        else
                ok "$name"
        fi
}

# check_err NAME EXPECTED_RC STDERR_REGEX: the run failed as expected, printing nothing.
check_err() {
        local name=$1 want_rc=$2 re=$3
        if [ "$rc" != "$want_rc" ]; then
                not_ok "$name: exit $rc, want $want_rc"
        elif [ -s "$tmp/out" ]; then
                not_ok "$name: wrote to stdout on failure"
        elif ! grep -Eq "$re" "$tmp/err"; then
                not_ok "$name: stderr '$(cat "$tmp/err")' does not match '$re'"
        else
                ok "$name"
        fi
}

cat >"$tmp/caps.toml" <<'EOF'
[bounding]
keep = ["NET_BIND_SERVICE", "CAP_CHOWN"]
[ambient]
keep = []
EOF
conv "$tmp/caps.toml"
check "capability policy" 0 \
        'v == {"bounding": {"keep": ["NET_BIND_SERVICE", "CAP_CHOWN"]}, "ambient": {"keep": []}}'

cat >"$tmp/landlock.toml" <<'EOF'
min_abi = 3
[[rules]]
path = "/bin"
access = ["read", "execute"]
[[rules]]
path = "/tmp"
access = ["read", "write", "create", "remove"]
EOF
conv <"$tmp/landlock.toml"
check "landlock policy from stdin" 0 \
        'v == {"min_abi": 3, "rules": [{"path": "/bin", "access": ["read", "execute"]},
               {"path": "/tmp", "access": ["read", "write", "create", "remove"]}]}
         and type(v["min_abi"]) is int'
conv - <"$tmp/landlock.toml"
check "'-' reads stdin" 0 'v["min_abi"] == 3 and len(v["rules"]) == 2'

printf '[bounding]\nkeep = ["NET_BIND_SERVICE"]\n\nbad = "unterminated\n[ambient]\n' >"$tmp/bad.toml"
conv --name caps.toml <"$tmp/bad.toml"
check_err "syntax error names --name, line and column" 1 '^caps\.toml:4:[0-9]+: .+'
conv "$tmp/bad.toml"
check_err "syntax error names the file" 1 "^$tmp/bad\\.toml:4:[0-9]+: "
conv <"$tmp/bad.toml"
check_err "syntax error names stdin" 1 '^stdin:4:[0-9]+: '
printf 'a = 1\na = 2\n' >"$tmp/dup.toml"
conv --name=dup.toml "$tmp/dup.toml"
check_err "duplicate key is an error" 1 '^dup\.toml:2:[0-9]+: '

cat >"$tmp/nested.toml" <<'EOF'
mixed = [[1, 2], ["x"], []]
[a.b.c]
x = 1
[a]
y = { z = [1, { w = "v" }], "q.r" = true, e = {} }
[[srv]]
name = "one"
[srv.opts]
k = -7
[[srv]]
name = "two"
EOF
conv "$tmp/nested.toml"
check "nested tables, inline tables, arrays of tables" 0 \
        'v == {"a": {"b": {"c": {"x": 1}}, "y": {"z": [1, {"w": "v"}], "q.r": True, "e": {}}},
               "srv": [{"name": "one", "opts": {"k": -7}}, {"name": "two"}],
               "mixed": [[1, 2], ["x"], []]}'

cat >"$tmp/escapes.toml" <<'EOF'
"we\"ird" = "line1\nline2\ttab \\ back \u0001 del\u007f é 🦀 '"
'lit\n' = 'C:\path'
multi = """
two
lines"""
EOF
conv "$tmp/escapes.toml"
check "string escapes round-trip" 0 \
        'v == {"we\"ird": "line1\nline2\ttab \\ back \x01 del\x7f é 🦀 '"'"'",
               "lit\\n": "C:\\path", "multi": "two\nlines"}'

cat >"$tmp/scalars.toml" <<'EOF'
f = [0.1, 1e300, -0.0, 5e-324, 3.141592653589793, -2.5e-7, 1.0]
i = [0, -9223372036854775808, 9223372036854775807, 0xff]
b = [true, false]
odt = 1979-05-27T07:32:00.999999-07:00
utc = 1979-05-27T07:32:00Z
ldt = 1979-05-27T07:32:00
ld = 1979-05-27
lt = 07:32:00.5
EOF
conv "$tmp/scalars.toml"
check "floats round-trip and stay reals" 0 \
        'v["f"] == [0.1, 1e300, -0.0, 5e-324, 3.141592653589793, -2.5e-7, 1.0]
         and all(type(x) is float for x in v["f"]) and math.copysign(1, v["f"][2]) < 0'
check "integers and booleans" 0 \
        'v["i"] == [0, -2**63, 2**63 - 1, 255] and v["b"] == [True, False]'
check "dates and times are RFC 3339 strings" 0 \
        'v["odt"] == "1979-05-27T07:32:00.999999-07:00" and v["utc"] == "1979-05-27T07:32:00Z"
         and v["ldt"] == "1979-05-27T07:32:00" and v["ld"] == "1979-05-27" and v["lt"] == "07:32:00.5"'

for x in inf -inf nan; do
        conv <<<"x = [1.0, $x]"
        check_err "$x is refused" 1 '^nucleus-toml2json: .*(inf|nan)'
done

printf '[bounding]\nkeep = ["x\\u0000y"]\n' >"$tmp/nul.toml"
conv --name nul.toml "$tmp/nul.toml"
check_err "a NUL in a string is refused, naming the file (found by fuzz_toml)" 1 '^nucleus-toml2json: nul\.toml: .*NUL'

conv </dev/null
check "empty input is an empty object" 0 'v == {}'

# A comment line padded to exactly 1 MiB is fine; one byte more is refused.
python3 -c 'import sys; sys.stdout.write("#" + "x" * (1048576 - 2) + "\n")' >"$tmp/1mib.toml"
conv "$tmp/1mib.toml"
check "input of exactly 1 MiB is read" 0 'v == {}'
{ cat "$tmp/1mib.toml"; echo; } >"$tmp/big.toml"
conv <"$tmp/big.toml"
check_err "input over 1 MiB is refused" 1 '^nucleus-toml2json: .*1 MiB'

# toml++ does not bound dotted keys; the helper must fail cleanly, not overflow its stack.
python3 -c 'import sys; sys.stdout.write("a." * 100000 + "a = 1\n")' >"$tmp/deep.toml"
conv "$tmp/deep.toml"
check_err "very deep dotted key fails cleanly" 1 '^nucleus-toml2json: .*deep'

conv "$tmp/does-not-exist.toml"
check_err "missing file" 1 '^nucleus-toml2json: .*does-not-exist\.toml: No such file'
conv "$tmp"
check_err "unreadable input (a directory)" 1 '^nucleus-toml2json: read: '

conv --bogus </dev/null
check_err "unknown option exits 2" 2 '^Usage: '
conv "$tmp/caps.toml" "$tmp/caps.toml"
check_err "two files exit 2" 2 '^Usage: '
conv --name
check_err "--name without value exits 2" 2 '^Usage: '
rc=0
"$bin" --help >"$tmp/help.out" 2>&1 || rc=$?
if [ "$rc" = 0 ] && grep -q '^Usage: ' "$tmp/help.out"; then ok "--help exits 0"; else not_ok "--help: exit $rc"; fi

if [ "$failed" != 0 ]; then
        echo "FAILED"
        exit 1
fi
echo "all checks passed"
