#!/bin/bash
# The warm pool (supervisor/pool.c): sandboxes prepared ahead of their requests are
# claimed by creates of their profile, refilled off the request path, never listed, and
# hold host id ranges of their own; a profile first asked for is a miss and is warmed
# from then on; --pool-size is validated; timings and histograms say hit or miss.
. "$(dirname "$0")/lib.sh"

for bad in 2:1 x 3 -1:4 1:-2 0:257; do
    assert_contains "$("$ND" --pool-size "$bad" 2>&1 || true)" "invalid value '$bad' for --pool-size" "--pool-size $bad is refused"
done
assert_contains "$("$ND" --pool-size 2:1 2>&1 || true)" "0 <= MIN <= MAX <= 256" "saying what is valid"

start_supervisor --pool-size 2:6
ready() { "$N" info | jq "[.pool.profiles[] | select(.profile.proc_rw == ${1:-false})][0].ready // 0"; }
wait_ready() { # N [proc_rw]
    for _ in $(seq 200); do [ "$(ready "${2:-false}")" -ge "$1" ] && return 0; sleep 0.05; done
    fail "the pool did not reach $1 ready members: $("$N" info | jq -c .pool)"
}
wait_ready 2
assert_eq 0 "$("$N" ps -a --json | jq length)" "pool members are not listed by ps -a"

"$N" run --name h1 -- true
assert_eq hit "$("$N" inspect h1 | jq -r .timings_us.pool)" "a create of the default profile is a pool hit"
for k in queue claim exec total; do
    assert_eq true "$("$N" inspect h1 | jq ".timings_us.$k >= 0")" "inspect shows the $k phase"
done
assert_eq null "$("$N" inspect h1 | jq .timings_us.clone)" "and no clone phase: the clone was before the request"
assert_eq 1 "$("$N" ps -a --json | jq length)" "ps -a lists the sandbox, not the pool"

# From inside, a pool hit is an ordinary sandbox: fresh hostname, its own id map.
wait_ready 2
"$N" run -d --name a -- sleep 100 >/dev/null
"$N" run -d --name b -- sleep 100 >/dev/null
assert_eq hit "$("$N" inspect a | jq -r .timings_us.pool)$("$N" inspect b | jq -r .timings_us.pool | sed 's/hit//')" "two detached creates, both hits"
ba=$("$N" inspect a | jq .security.uid_map_base)
bb=$("$N" inspect b | jq .security.uid_map_base)
assert_eq yes "$([ "$ba" != "$bb" ] && echo yes || echo no)" "pool members come with host id ranges of their own ($ba, $bb)"
assert_eq "0 $ba 65536" "$("$N" exec a -- cat /proc/self/uid_map | awk '{print $1, $2, $3}')" "the range inspect shows is the one in force"
assert_eq a "$("$N" exec a -- hostname)" "the hostname is the claim's, not the member's"
assert_eq "$("$N" inspect a | jq -r .id)" "$(jq -r .id "$NUCLEUS_STATE_DIR/sandboxes/$("$N" inspect a | jq -r .id).json")" \
    "the state file is under the member's id, which is the sandbox's"
"$N" rm -f a b >/dev/null

# Detached output of a pool hit survives a restart of the loop process: the zygote
# got its log pipes after the claim ("logs").
wait_ready 2
"$N" run -d --name talker -- sh -c 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.02; done' >/dev/null
assert_eq hit "$("$N" inspect talker | jq -r .timings_us.pool)" "the detached talker is a pool hit"
loop=$("$N" info | jq .loop_pid)
kill -KILL "$loop"
for _ in $(seq 100); do
    l2=$("$N" info 2>/dev/null | jq .loop_pid 2>/dev/null || true)
    [ -n "$l2" ] && [ "$l2" != "$loop" ] && break
    sleep 0.05
done
sleep 0.3
out=$("$N" logs talker)
assert_eq "$(seq "$(wc -l <<<"$out")")" "$out" "its log has no gap across the loop restart"
assert_contains "$("$N" inspect talker)" '"state": "running"' "and it still runs"
"$N" rm -f talker >/dev/null
wait_ready 2
assert_eq 1 "$("$N" ps -a --json | jq length)" "the restarted loop's pool members are not listed either (h1 is)"

# Another profile: the first create is a miss, and from then on the profile is warmed.
"$N" run --name m1 --proc-rw -- true
assert_eq miss "$("$N" inspect m1 | jq -r .timings_us.pool)" "the first create of another profile is a miss"
assert_eq true "$("$N" inspect m1 | jq '.timings_us.clone > 0 and .timings_us.setup > 0')" "a miss shows its clone and setup"
wait_ready 2 true
"$N" run --name m2 --proc-rw -- sh -c 'grep -c " /proc .*rw," /proc/self/mountinfo' >"$T/m2.out" || true
assert_eq hit "$("$N" inspect m2 | jq -r .timings_us.pool)" "the second is a hit from that profile's pool"
assert_eq 1 "$(cat "$T/m2.out")" "and it has what its profile says (/proc read-write)"

info=$("$N" info)
# (since the loop process restarted: the histograms are its own)
assert_eq true "$(jq '.create_latency.pool_hit.count >= 1 and .create_latency.pool_miss.count >= 1' <<<"$info")" \
    "info counts hits and misses"
assert_eq true "$(jq '.create_latency.pool_hit.p50_us > 0 and .create_latency.pool_hit.p99_us >= .create_latency.pool_hit.p50_us' <<<"$info")" \
    "with p50 <= p99"
assert_eq 2 "$(jq '.pool.profiles | length' <<<"$info")" "two profiles are pooled"

# Bursts raise the target up to MAX, never beyond.
burst=()
for i in $(seq 8); do "$N" run --rm -- true & burst+=($!); done
wait "${burst[@]}"
sleep 0.5
t=$("$N" info | jq '.pool.profiles[0].target')
assert_eq yes "$([ "$t" -gt 2 ] && [ "$t" -le 6 ] && echo yes || echo no)" "after a burst the target is between MIN and MAX ($t)"

# A pool member that dies while parked is replaced, and its leaf removed.
wait_ready 2
leaf=$(find "$NUCLEUS_CGROUP_ROOT" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | while read -r l; do
    "$N" inspect "$l" >/dev/null 2>&1 || { echo "$l"; break; }; done)
victim=$(head -1 "$NUCLEUS_CGROUP_ROOT/$leaf/cgroup.procs")
assert_eq yes "$([ -n "$victim" ] && echo yes || echo no)" "a pool member's init is in a leaf no sandbox owns ($leaf)"
kill -KILL "$victim"
for _ in $(seq 100); do [ -d "$NUCLEUS_CGROUP_ROOT/$leaf" ] || break; sleep 0.02; done
assert_eq no "$([ -d "$NUCLEUS_CGROUP_ROOT/$leaf" ] && echo yes || echo no)" "a killed member's leaf is removed"
wait_ready 2
"$N" run --name after -- true
assert_eq 0 "$("$N" inspect after | jq .result.exit_code)" "and creates go on"
finish
