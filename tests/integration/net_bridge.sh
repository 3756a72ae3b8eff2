#!/bin/bash
# --network bridge: NAT to a test "host" beyond nucleusd's namespace, published ports
# (on every local address and on 127.0.0.1), two sandboxes with different addresses that
# cannot reach each other, and nothing left after removal. Everything happens in network
# namespaces this test makes (lib.sh: start_supervisor_netns).
. "$(dirname "$0")/lib.sh"
command -v nft >/dev/null || skip "needs nft (Debian package nftables)"
BR=nbt$$; BR=${BR:0:15}
TABLE=nucleus-$BR
start_supervisor_netns --bridge "$BR" --bridge-subnet 10.231.7.0/24
PY=/usr/bin/python3

# The "outside": another namespace behind a veth pair, with a server that answers with the
# address it sees the client come from.
outside_netns "vo$$" 172.31.250 30

SERVER=$TCP_SERVER
CLIENT=$TCP_CLIENT
nsenter --net="$OUT" "$PY" -c "$SERVER" 172.31.250.2 8000 outside &
on_exit "kill $! 2>/dev/null"


# NAT: the sandbox reaches the outside server, which sees nucleusd's address there.
out=$(poll_connect 172.31.250.2 8000 -- "$N" run --network bridge --dns 10.231.7.1 --)
assert_eq "outside from 172.31.250.1" "$out" "a bridge sandbox reaches a server beyond the host through NAT"
assert_contains "$("$N" run --network bridge --dns 10.231.7.1 -- cat /etc/resolv.conf)" "nameserver 10.231.7.1" \
    "resolv.conf names the --dns server"

# Two sandboxes: different addresses, each with a server; published ports reach them.
"$N" run -d --name a --network bridge --dns 10.231.7.1 -p 18080:9000 -p 127.0.0.1:18081:9000 -- "$PY" -c "$SERVER" 0.0.0.0 9000 sandbox-a >/dev/null
"$N" run -d --name b --network bridge --dns 10.231.7.1 -- "$PY" -c "$SERVER" 0.0.0.0 9000 sandbox-b >/dev/null
wait_state a; wait_state b
addr_a=$("$N" inspect a | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["network"]["address"])')
addr_b=$("$N" inspect b | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["network"]["address"])')
assert_match "$addr_a" '^10\.231\.7\.[0-9]+/24$' "sandbox a has an address in the subnet"
assert_ne "$addr_a" "$addr_b" "two sandboxes get different addresses"
ip_a=${addr_a%/*}; ip_b=${addr_b%/*}
assert_contains "$(poll_connect "$ip_a" 9000 -- in_netns)" "sandbox-a from 10.231.7.1" "the host reaches a sandbox on the bridge"
assert_contains "$(poll_connect 127.0.0.1 18080 -- in_netns)" "sandbox-a" "a published port is reachable on the host's 127.0.0.1"
assert_contains "$(poll_connect 172.31.250.1 18080 -- in_netns)" "sandbox-a" "... and on the host's other addresses"
assert_contains "$(poll_connect 127.0.0.1 18081 -- in_netns)" "sandbox-a" "a port published on 127.0.0.1 is reachable there"
assert_contains "$(poll_connect 172.31.250.1 18080 -- nsenter --net="$OUT")" "sandbox-a" \
    "a published port is reachable from another machine (prerouting DNAT)"
insp=$("$N" inspect a)
for key in '"mode": "bridge"' '"gateway": "10.231.7.1"' '"dns"' '"0.0.0.0:18080:9000/tcp"' '"127.0.0.1:18081:9000/tcp"' '"veth": "nv'; do
    assert_contains "$insp" "$key" "inspect shows $key"
done
# Port isolation: b cannot reach a, neither directly nor through the host.
out=$("$N" run --network bridge --dns 10.231.7.1 -- "$PY" -c "$CLIENT" "$ip_a" 9000 2 2>&1 || true)
assert_contains "$out" "ERR" "a sandbox cannot reach another sandbox's address (port isolation): $out"
rc=0; err=$("$N" run --network bridge --dns 10.231.7.1 -p 18080:80 -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "a host port another sandbox publishes is refused"
assert_contains "$err" "already published by sandbox" "... and the refusal says by whom"

# The host's loopback is not reachable, not even one way: a datagram a workload sends to
# 127.0.0.1 out of eth0 (SO_BINDTODEVICE) stays in the sandbox (its local route on eth0),
# and the veth drops it anyway (route_localnet on the bridge would accept it). The same
# datagram to the gateway's address shows that the probe itself gets through.
for dst in 127.0.0.1 10.231.7.1; do
    in_netns "$PY" -c "$UDP_SINK" "$dst" 18099 >"$T/sink" &
    sink=$!; sleep 0.3
    "$N" run --network bridge --dns 10.231.7.1 -- "$PY" -c "$UDP_SEND" "$dst" 18099
    wait $sink
    if [ $dst = 127.0.0.1 ]; then
        assert_eq "nothing" "$(cat "$T/sink")" "a sandbox cannot send to the host's 127.0.0.1 through its veth"
    else
        assert_eq "got probe" "$(cat "$T/sink")" "while the gateway's address gets the same datagram"
    fi
done

# The veth is pinned to eth0's MAC too: a workload allowed to change it (a capability
# policy keeping NET_ADMIN) would otherwise have the bridge learn any MAC on its port
# (the frames are dropped before the bridge learns from them).
printf '[bounding]\nkeep = ["NET_ADMIN"]\n' >"$T/netadmin.toml"
in_netns "$PY" -c "$UDP_SINK" 10.231.7.1 18098 >"$T/sink" &
sink=$!; sleep 0.3
"$N" run --network bridge --dns 10.231.7.1 --caps-policy "$T/netadmin.toml" -- sh -c \
    'ip link set eth0 down && ip link set eth0 address 02:00:00:00:00:99 && ip link set eth0 up &&
     ip route add default via 10.231.7.1 && "$0" -c "$1" 10.231.7.1 18098' "$PY" "$UDP_SEND"
wait $sink
assert_eq "nothing" "$(cat "$T/sink")" "a sandbox that changes its MAC sends nothing through the bridge"

# The host's conntrack table is shared: a sandbox holds at most 4096 live flows in it.
# 5000 datagrams to as many ports of the gateway would otherwise leave 5000 entries.
"$N" run --network bridge --dns 10.231.7.1 -- "$PY" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in range(20000, 25000): s.sendto(b"x", ("10.231.7.1", p))'
ct=$(in_netns cat /proc/sys/net/netfilter/nf_conntrack_count)
[ "$ct" -ge 4000 ] && [ "$ct" -le 4200 ] && echo "ok - a sandbox's flows stop at 4096 conntrack entries ($ct)" ||
    fail "a sandbox's flows stop at 4096 conntrack entries: $ct in the table"

rules=$(in_netns nft -j list table ip "$TABLE")
assert_contains "$rules" "\"comment\": \"$("$N" inspect a | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')\"" \
    "published-port rules are tagged with the sandbox id"
# inspect --network: the network, then the rules that apply, in nft's words: the shared
# ones and a's own, not b's (b publishes nothing; a's rules carry a's id).
id_a=$("$N" inspect a | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
netrules=$("$N" inspect --network a)
assert_contains "$netrules" "table ip $TABLE {" "inspect --network prints the table"
assert_contains "$netrules" "masquerade" "with the shared NAT rule"
assert_contains "$netrules" "dnat to $ip_a:9000 comment \"$id_a\"" "and a's published ports"
assert_contains "$("$N" inspect --network b)" "table ip $TABLE {" "b's view has the table too"
assert_not_contains "$("$N" inspect --network b)" "$id_a" "but not a's rules"

# Removal frees everything.
"$N" kill a >/dev/null; "$N" kill b >/dev/null
"$N" wait a >/dev/null || true; "$N" wait b >/dev/null || true
"$N" rm a b >/dev/null
assert_eq 0 "$(in_netns ip -o link | grep -c ": nv" || true)" "no sandbox veth is left"
assert_eq 0 "$(in_netns nft -j list table ip "$TABLE" | grep -c '"comment"' || true)" "no tagged nft rule is left"
assert_eq '{}' "$("$PY" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["leases"]))' "$NUCLEUS_STATE_DIR/network/$BR.leases.json")" \
    "no lease is left"
# A freed port can be published again.
assert_eq "" "$("$N" run --network bridge --dns 10.231.7.1 -p 18080:80 -- true 2>&1)" "a freed host port can be published again"
finish
