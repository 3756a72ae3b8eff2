#!/bin/bash
# Names are unique; ids are 32 hex; any unique prefix works; ambiguity is an error.
. "$(dirname "$0")/lib.sh"
start_supervisor

"$N" run --name uniq -- true
rc=0; err=$("$N" run --name uniq -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "a name in use is refused"
assert_contains "$err" "the name 'uniq' is already in use" "name conflict message"
id=$("$N" inspect uniq | sed -n 's/^  "id": "\(.*\)",$/\1/p')
assert_match "$id" '^[0-9a-f]{32}$' "ids are 32 hex characters"
assert_eq "$id" "$("$N" inspect "${id:0:6}" | sed -n 's/^  "id": "\(.*\)",$/\1/p')" "a unique prefix finds the sandbox"
"$N" rm uniq >/dev/null
"$N" run --name uniq -- true && echo "ok - the name is free again after rm" || fail "name not released by rm"

# Eight creates of one name at once: exactly one wins, the others are told why.
pids=()
for i in $(seq 8); do "$N" run -d --name race -- sleep 30 >"$T/race$i" 2>&1 & pids+=($!); done
won=0
for p in "${pids[@]}"; do wait "$p" && won=$((won + 1)); done
assert_eq 1 "$won" "eight concurrent creates of one name: exactly one succeeds"
assert_eq 7 "$(cat "$T"/race* | grep -c "the name 'race' is already in use")" "the seven others are refused by name"
assert_eq 1 "$("$N" ps -a --json | jq '[.[] | select(.name == "race")] | length')" "one sandbox has the name"
"$N" rm -f race >/dev/null

for i in $(seq 24); do "$N" run -- true; done
prefix=$("$N" ps -a --json | sed -n 's/.*"id": "\(.\).*/\1/p' | sort | uniq -d | head -1)
if [ -n "$prefix" ]; then
    rc=0; err=$("$N" inspect "$prefix" 2>&1) || rc=$?
    assert_eq 1 "$rc" "an ambiguous prefix fails"
    assert_contains "$err" "matches more than one sandbox" "ambiguity message"
fi
rc=0; err=$("$N" inspect nope 2>&1) || rc=$?
assert_eq 1 "$rc" "unknown name fails"
assert_contains "$err" "no sandbox 'nope'" "unknown name message"
# A hex name is found by its name before any id prefix.
"$N" run --name "${id:0:4}" -- true
assert_contains "$("$N" inspect "${id:0:4}")" "\"name\": \"${id:0:4}\"" "an exact name wins over an id prefix"
finish
