#!/bin/bash
# A bridge sandbox's network across crashes: a restarted loop process and a new
# nucleusd that takes the sandbox over keep it; when the sandbox itself died while no
# nucleusd ran, the next one finds its veth, nft rules and lease by the sandbox's id and
# removes them.
. "$(dirname "$0")/lib.sh"
command -v nft >/dev/null || skip "needs nft (Debian package nftables)"
BR=nct$$; BR=${BR:0:15}
TABLE=nucleus-$BR
LEASES=$NUCLEUS_STATE_DIR/network/$BR.leases.json
start_supervisor_netns --bridge "$BR" --bridge-subnet 10.231.9.0/24

id=$("$N" run -d --network bridge --dns 10.231.9.1 -p 18090:80 -- sleep 300)
wait_state "$id"
assert_eq 1 "$(in_netns ip -o link | grep -c ": nv${id:0:13}")" "the sandbox's veth is on the bridge"
assert_contains "$(cat "$LEASES")" "$id" "its lease is in the state dir"
assert_contains "$(in_netns nft -j list table ip "$TABLE")" "\"comment\": \"$id\"" "its rules are in the table"

# Only the loop process dies: the zygote hands the sandbox to a new one, which finds its
# network again (lease, veth, rules) instead of sweeping it.
addr=$("$N" inspect "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["network"]["address"])')
kill -KILL "$(pgrep -P "$SUP_PID" -x nucleusd-loop)"
for _ in $(seq 200); do "$N" ps >/dev/null 2>&1 && break; sleep 0.02; done
assert_eq "$addr" "$("$N" inspect "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["network"]["address"])')" \
    "after a loop restart inspect still shows the address"
assert_eq 1 "$(in_netns ip -o link | grep -c ": nv${id:0:13}")" "and the veth is kept"
assert_contains "$(in_netns nft -j list table ip "$TABLE")" "\"comment\": \"$id\"" "and the rules"

kill_all() { # every nucleusd process of this test's supervisor
    local loop_pids
    loop_pids=$(pgrep -P "$SUP_PID" nucleusd || true)
    kill -KILL "$SUP_PID"
    wait "$SUP_PID" 2>/dev/null || true
    for p in $loop_pids; do kill -KILL "$p" 2>/dev/null || true; done
    SUP_PID=
}

# Every nucleusd process dies: the next one takes the running sandbox over (restart
# level 2) and keeps its network.
kill_all
assert_eq 1 "$(in_netns ip -o link | grep -c ": nv${id:0:13}")" "after SIGKILL the veth is still there"
start_supervisor_netns --bridge "$BR" --bridge-subnet 10.231.9.0/24
"$N" ps -a >/dev/null   # served once the loop has swept (ready comes with the socket, earlier)
assert_eq running "$("$N" inspect "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" \
    "a new nucleusd took the sandbox over"
assert_eq "$addr" "$("$N" inspect "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["network"]["address"])')" \
    "with its address"
assert_eq 1 "$(in_netns ip -o link | grep -c ": nv${id:0:13}")" "its veth"
assert_contains "$(in_netns nft -j list table ip "$TABLE")" "\"comment\": \"$id\"" "and its rules"

# Now the sandbox dies too while no nucleusd runs: what it held belongs to nobody, and
# the next nucleusd finds it by the sandbox's id and removes it.
init=$("$N" inspect "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
kill_all
kill -KILL "$init"
for _ in $(seq 100); do [ -d "/proc/$init" ] || break; sleep 0.05; done
start_supervisor_netns --bridge "$BR" --bridge-subnet 10.231.9.0/24
"$N" ps -a >/dev/null
assert_eq 0 "$(in_netns ip -o link | grep -c ": nv" || true)" "the next nucleusd removed the veth"
assert_eq 0 "$(in_netns nft -j list table ip "$TABLE" | grep -c '"comment"' || true)" "... and the tagged rules"
assert_not_contains "$(cat "$LEASES")" "$id" "... and the lease"
# The namespace's teardown may delete the pair before the network sweep gets to it.
# 2 DNAT rules (prerouting, output), 5 that pin the veth to its addresses and keep it off
# 127/8 (bridge table), and its conntrack cap (egress).
assert_match "$(grep -h "previous nucleusd left" "$T/nucleusd.log")" "[01] veth\(s\), 8 nft rule\(s\), 1 lease\(s\)" \
    "the log says what was removed"
# The freed port and address are usable again.
out=$("$N" run --network bridge --dns 10.231.9.1 -p 18090:80 -- cat /proc/net/route)
assert_contains "$out" "eth0" "a new bridge sandbox starts with the same published port"
finish
