#!/bin/bash
# The audit log: <state_dir>/audit.jsonl, 0600, one JSON object per line; the
# lock-down steps recorded once the workload has started, container_exit with the
# final result; never argv, environment or secret content.
. "$(dirname "$0")/lib.sh"
start_supervisor
A="$NUCLEUS_STATE_DIR/audit.jsonl"
echo topsecret >"$T/key"
mkdir -p "$T/ctx"; echo x >"$T/ctx/f"

"$N" run --name a1 --secret "$T/key:/run/secrets/k" --context "$T/ctx" -e API_TOKEN=hunter2 -- true
"$N" run --name a2 -- sh -c 'exit 3' || true
"$N" run --name a3 -- /no/such/program 2>/dev/null || true

assert_eq "600" "$(stat -c %a "$A")" "the audit log is 0600"
events() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["name"] == sys.argv[2]: print(r["event"])' "$A" "$1" | tr '\n' ' ' | sed 's/ $//'; }
assert_eq "container_start namespace_created filesystem_mounted secrets_mounted capabilities_dropped seccomp_applied landlock_applied container_exit" \
    "$(events a1)" "a sandbox's records, in order"
assert_eq "container_start namespace_created filesystem_mounted capabilities_dropped seccomp_applied landlock_applied container_exit" \
    "$(events a2)" "no secrets_mounted without secrets"
assert_eq "container_exit" "$(events a3)" "a sandbox that never started has only its exit"
rec() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["name"] == sys.argv[2] and r["event"] == sys.argv[3]: print(json.dumps(r, sort_keys=True))' "$A" "$1" "$2"; }
assert_contains "$(rec a2 container_exit)" '"exit_code": 3' "container_exit carries the exit status"
assert_contains "$(rec a1 landlock_applied)" '"abi": ' "landlock_applied carries the ABI"
assert_contains "$(rec a1 secrets_mounted)" '"/run/secrets/k"' "secrets_mounted names destinations"
assert_contains "$(rec a1 filesystem_mounted)" '"mode": "copy"' "filesystem_mounted records the context mode"
assert_contains "$(rec a3 container_exit)" '"reason": ' "a failed start records its reason"
assert_not_contains "$(cat "$A")" "hunter2" "no environment values"
assert_not_contains "$(cat "$A")" "topsecret" "no secret content"
assert_not_contains "$(cat "$A")" "API_TOKEN" "no environment names either"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$A" && echo "ok - every line is one JSON object" || fail "a line is not JSON"

# Append-only across restarts: a second nucleusd keeps the earlier records.
lines=$(wc -l <"$A")
stop_supervisor
start_supervisor
"$N" run --name a4 -- true
assert_eq $((lines + 8 - 1)) "$(wc -l <"$A")" "a restarted nucleusd appends"
finish
