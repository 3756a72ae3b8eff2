#!/bin/bash
# On a kernel without Landlock (simulated: nucleusd runs under a seccomp filter that
# makes landlock_create_ruleset fail with ENOSYS, exactly what such a kernel returns),
# a sandbox is refused unless --allow-degraded-security asks for it; then it runs with
# a warning and inspect marks it. Nothing else degrades.
. "$(dirname "$0")/lib.sh"

# start_supervisor, but through the helper's seccomp wrapper.
start_supervisor_without_landlock() {
    local fifo="$T/ready"
    mkfifo "$fifo"
    "$NUCLEUS_HELPER" exec-without-landlock "$ND" --ready-fd 9 --log "$T/nucleusd.log" 9>"$fifo" &
    SUP_PID=$!
    read -r -t 10 _ <"$fifo" || die "nucleusd did not become ready"
    rm -f "$fifo"
}
start_supervisor_without_landlock

rc=0; err=$("$N" run -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "without Landlock, a sandbox is refused"
assert_contains "$err" "Landlock is unavailable" "and the error says why"

rc=0; out=$("$N" run --name deg --allow-degraded-security -- sh -c 'grep -E "^(Seccomp|NoNewPrivs|CapEff):" /proc/self/status' 2>"$T/err") || rc=$?
assert_eq 0 "$rc" "with --allow-degraded-security it runs"
assert_contains "$(cat "$T/err")" "warning: security degraded: landlock skipped" "with a warning"
assert_contains "$out" "Seccomp:	2" "seccomp is still applied"
assert_contains "$out" "CapEff:	0000000000000000" "capabilities are still dropped"
insp=$("$N" inspect deg | tr -d ' \n')
assert_contains "$insp" '"degraded":[{"step":"landlock"' "inspect marks the sandbox degraded"
assert_contains "$insp" '"landlock":{"abi":0' "and shows no Landlock ABI"

printf 'min_abi = 1\n[[rules]]\npath = "/usr"\naccess = ["read"]\n' >"$T/ll.toml"
rc=0; "$N" run --allow-degraded-security --landlock-policy "$T/ll.toml" -- true 2>/dev/null || rc=$?
assert_eq 0 "$rc" "a Landlock policy degrades the same way when the kernel has no Landlock at all"
finish
