#!/bin/bash
# Egress policy (--egress-allow, --egress-tcp-port, --egress-udp-port): enforced by
# nucleusd on the host side, so allowed CIDRs and ports connect, the rest is dropped,
# counted in inspect and logged with the prefix nucleus-egress-denied:; DNS goes only to
# the --dns servers; "" denies all; a workload with CAP_NET_ADMIN cannot lift it; the
# rules go with the sandbox and after a crash of nucleusd. Everything happens in network
# namespaces this test makes (lib.sh: start_supervisor_netns).
. "$(dirname "$0")/lib.sh"
command -v nft >/dev/null || skip "needs nft (Debian package nftables)"
BR=nbe$$; BR=${BR:0:15}
TABLE=nucleus-$BR
SUBNET=10.231.10.0/24
start_supervisor_netns --bridge "$BR" --bridge-subnet "$SUBNET"
PY=/usr/bin/python3

# The "outside": another namespace behind a veth pair, with two addresses (.2 and .3),
# each with TCP servers on 8000 and 8001 and a UDP echo on 53 (a stand-in resolver) and
# 5000.
outside_netns "vo$$" 172.31.251 29 3

SERVERS='import socket,threading,time
def tcp(a,p):
    s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind((a,p)); s.listen(16)
    while True:
        c,_=s.accept(); c.sendall(("tcp %s:%d\n"%(a,p)).encode()); c.close()
def udp(a,p):
    s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((a,p))
    while True:
        d,src=s.recvfrom(512); s.sendto(("udp %s:%d"%(a,p)).encode(),src)
for a in ("172.31.251.2","172.31.251.3"):
    for p in (8000,8001): threading.Thread(target=tcp,args=(a,p),daemon=True).start()
    for p in (53,5000): threading.Thread(target=udp,args=(a,p),daemon=True).start()
time.sleep(3600)'
nsenter --net="$OUT" "$PY" -c "$SERVERS" &
on_exit "kill $! 2>/dev/null"
# CLIENT proto host port [source]: prints what the server answered, or ERR.
CLIENT='import socket,sys
proto,host,port=sys.argv[1],sys.argv[2],int(sys.argv[3])
src=(sys.argv[4],0) if len(sys.argv)>4 else None
try:
    if proto=="tcp":
        c=socket.create_connection((host,port),timeout=1.5,source_address=src); print(c.recv(200).decode().strip())
    else:
        c=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); c.settimeout(1.5); c.sendto(b"q",(host,port)); print(c.recv(200).decode())
except Exception as e:
    print("ERR",type(e).__name__)'
try() { # sandbox proto host port [source]
    local sb=$1; shift
    "$N" exec "$sb" "$PY" -c "$CLIENT" "$@" 2>&1 || true
}
json() { # sandbox python-expression-on-inspect
    "$N" inspect "$1" | "$PY" -c "import json,sys; j=json.load(sys.stdin); print($2)"
}
# Wait until the outside servers answer (from nucleusd's namespace, no policy there).
for _ in $(seq 50); do
    [ "$(in_netns "$PY" -c "$CLIENT" tcp 172.31.251.3 8001)" = "tcp 172.31.251.3:8001" ] && break
    sleep 0.1
done

# Refusals: nothing to enforce on without a bridge; values checked. (Names: net_dnsgate.sh.)
assert_refused "only accepted with --network bridge: a --network none sandbox" "egress with --network none" \
    --egress-allow 10.0.0.0/8 -- true
assert_refused "only accepted with --network bridge: a --network host sandbox" "egress with --network host" \
    --network host --allow-host-network --trust-level trusted --egress-allow 10.0.0.0/8 -- true
assert_refused "invalid egress CIDR '10.0.0.1/8': host bits are set (did you mean 10.0.0.0/8?)" "a CIDR with host bits" \
    --network bridge --egress-allow 10.0.0.1/8 -- true
assert_refused "invalid egress CIDR '10.0.0.0/33'" "a prefix over 32" --network bridge --egress-allow 10.0.0.0/33 -- true
assert_refused "invalid --egress-tcp-port '70000': a port number from 1 to 65535" "a port over 65535" \
    --network bridge --egress-allow 10.0.0.0/8 --egress-tcp-port 70000 -- true
assert_refused "add --egress-allow CIDR" "ports without a CIDR" --network bridge --egress-udp-port 53 -- true
assert_refused "cannot be combined with --egress-allow CIDR" "\"\" with a CIDR" \
    --network bridge --egress-allow "" --egress-allow 10.0.0.0/8 -- true

# Allowed: 172.31.251.2 on 8000/tcp and 5000/udp, DNS to .2 (the --dns server).
"$N" run -d --name a --network bridge --dns 172.31.251.2 --egress-allow 172.31.251.2/32 \
    --egress-tcp-port 8000 --egress-udp-port 5000 -- sleep 300 >/dev/null
wait_state a
id_a=$(json a 'j["id"]')
assert_eq "tcp 172.31.251.2:8000" "$(try a tcp 172.31.251.2 8000)" "an allowed address and TCP port connects"
assert_eq "udp 172.31.251.2:5000" "$(try a udp 172.31.251.2 5000)" "an allowed UDP port answers"
assert_eq "udp 172.31.251.2:53" "$(try a udp 172.31.251.2 53)" "DNS to the --dns server is allowed"
assert_eq "ERR TimeoutError" "$(try a tcp 172.31.251.2 8001)" "another port of an allowed address is dropped"
assert_eq "ERR TimeoutError" "$(try a tcp 172.31.251.3 8000)" "an allowed port on another address is dropped"
assert_eq "ERR TimeoutError" "$(try a udp 172.31.251.3 53)" "DNS to a server that is not a --dns one is dropped"
assert_eq "ERR TimeoutError" "$(try a tcp 10.231.10.1 22)" "the host's own address (the gateway) is not open either"
denied=$(json a 'j["network"]["egress"]["denied"]')
assert_match "$denied" '^[0-9]+$' "inspect shows a denied count"
[ "$denied" -ge 4 ] && echo "ok - every denied attempt is counted ($denied)" || fail "denied count $denied < 4"
assert_eq "['172.31.251.2/32'] [8000] [5000] True" \
    "$(json a 'j["network"]["egress"]["allow"], j["network"]["egress"]["tcp_ports"], j["network"]["egress"]["udp_ports"], j["network"]["egress"]["dns"]')" \
    "inspect shows the policy"
for _ in $(seq 50); do grep -q "nucleus-egress-denied: sandbox=$id_a dst=172.31.251.3 proto=tcp port=8000" "$T/nucleusd.log" && break; sleep 0.1; done
log=$(grep "nucleus-egress-denied:" "$T/nucleusd.log" || true)
assert_contains "$log" "nucleus-egress-denied: sandbox=$id_a dst=172.31.251.2 proto=tcp port=8001" "a denial is logged with the prefix, sandbox, dst, proto and port"
assert_contains "$log" "nucleus-egress-denied: sandbox=$id_a dst=172.31.251.3 proto=udp port=53" "a DNS denial is logged"
netrules=$("$N" inspect --network a)
assert_contains "$netrules" "chain egress-$id_a {" "inspect --network shows the sandbox's egress chain"
assert_contains "$netrules" "ip daddr 172.31.251.2 tcp dport 8000 accept" "with its allowed port"
assert_contains "$netrules" "log prefix \"$id_a\" group" "and the nflog rule"
assert_contains "$netrules" "table bridge $TABLE {" "and the bridge table that pins its veth to its address"

# A workload holding CAP_NET_ADMIN in its own namespace changes its address and flushes
# its own nftables: the policy is on the host side and still holds.
printf '[bounding]\nkeep = ["NET_ADMIN"]\n' >"$T/netadmin.toml"
"$N" run -d --name admin --network bridge --dns 172.31.251.2 --egress-allow 172.31.251.2/32 --egress-tcp-port 8000 \
    --caps-policy "$T/netadmin.toml" -- sleep 300 >/dev/null
wait_state admin
assert_eq "tcp 172.31.251.2:8000" "$(try admin tcp 172.31.251.2 8000)" "CAP_NET_ADMIN sandbox: the allowed port connects"
# (nft itself may be refused inside: the sandbox's own ruleset is empty anyway.)
"$N" exec admin nft flush ruleset >/dev/null 2>&1 || true
assert_eq "ERR TimeoutError" "$(try admin tcp 172.31.251.2 8001)" "after flushing its own nftables, a denied port is still dropped"
other=10.231.10.250
"$N" exec admin ip addr add "$other/24" dev eth0 >/dev/null 2>&1 || fail "the CAP_NET_ADMIN sandbox could not add an address"
assert_eq "ERR TimeoutError" "$(try admin tcp 172.31.251.2 8001 "$other")" \
    "from an address it gave itself (not its own), a denied port stays dropped"
assert_eq "ERR TimeoutError" "$(try admin tcp 172.31.251.2 8000 "$other")" \
    "... and so does an allowed one: the host drops what does not come from its address"

# Deny all: only DNS to the --dns server.
"$N" run -d --name d --network bridge --dns 172.31.251.2 --egress-allow "" -- sleep 300 >/dev/null
wait_state d
assert_eq "ERR TimeoutError" "$(try d tcp 172.31.251.2 8000)" "--egress-allow \"\" denies all"
assert_eq "udp 172.31.251.2:53" "$(try d udp 172.31.251.2 53)" "... but DNS to the --dns server"
assert_eq "[] True" "$(json d 'j["network"]["egress"]["allow"], j["network"]["egress"]["dns"]')" "inspect shows deny-all"

# A CIDR without ports: every port and protocol to it; the rest dropped.
"$N" run -d --name c --network bridge --dns 172.31.251.2 --egress-allow 172.31.251.2/31 -- sleep 300 >/dev/null
wait_state c
assert_eq "tcp 172.31.251.3:8001" "$(try c tcp 172.31.251.3 8001)" "a CIDR without ports allows every port"
assert_eq "udp 172.31.251.3:5000" "$(try c udp 172.31.251.3 5000)" "and UDP"
# (Allowed, 172.31.251.1 would refuse the connection: nucleusd's namespace has no server.)
assert_eq "ERR TimeoutError" "$(try c tcp 172.31.251.1 8001)" "an address outside the CIDR is dropped"

# No egress flag in agent mode: open, and inspect says so.
"$N" run -d --name o --network bridge --dns 172.31.251.2 -- sleep 300 >/dev/null
wait_state o
assert_eq "tcp 172.31.251.3:8001" "$(try o tcp 172.31.251.3 8001)" "without a policy, egress is open (agent mode)"
assert_eq "{'open': True}" "$(json o 'j["network"]["egress"]')" "and inspect says it is open"

# Production: without an egress flag, deny-all, DNS included; with one, what it allows.
# Its root has no python: the helper connects.
R="$T/rootfs"
mkdir -p "$R/usr/bin" "$R/etc"
install -m 0755 "$NUCLEUS_HELPER" "$R/usr/bin/helper"
ln -s usr/bin "$R/bin"
(cd "$R" && for f in usr/bin/helper bin/helper; do printf '%s\t%s\n' "$(sha256sum "$f" | cut -d' ' -f1)" "$f"; done) \
    >"$R/.nucleus-rootfs-sha256"
P=(--service-mode production --rootfs "$R" --verify-rootfs-attestation --memory 64M --cpus 1 --network bridge
   --dns 172.31.251.2)
assert_eq "ERR ETIMEDOUT" "$("$N" run "${P[@]}" -- helper connect tcp 172.31.251.3 8001 2>&1 || true)" \
    "production without egress flags: nothing gets out"
assert_eq "ERR ETIMEDOUT" "$("$N" run "${P[@]}" -- helper connect udp 172.31.251.2 53 2>&1 || true)" \
    "... not even DNS to its --dns server"
assert_eq "answer tcp 172.31.251.2:8000" \
    "$("$N" run "${P[@]}" --egress-allow 172.31.251.2 --egress-tcp-port 8000 -- helper connect tcp 172.31.251.2 8000 2>&1 || true)" \
    "production with --egress-allow: the allowed port connects"
assert_eq "answer udp 172.31.251.2:53" \
    "$("$N" run "${P[@]}" --egress-allow "" -- helper connect udp 172.31.251.2 53 2>&1 || true)" \
    "production with --egress-allow \"\": DNS to the --dns server"
"$N" run "${P[@]}" -d --name prod -- helper sleep 300 >/dev/null
wait_state prod
assert_eq "[] False" "$(json prod 'j["network"]["egress"]["allow"], j["network"]["egress"]["dns"]')" \
    "inspect shows production's default policy"
"$N" kill prod >/dev/null; "$N" wait prod >/dev/null 2>&1 || true; "$N" rm prod >/dev/null

# Removal takes the rules, the chain and the veth pinning along; the count stays.
"$N" kill a >/dev/null; "$N" wait a >/dev/null || true
after=$(json a 'j["network"]["egress"]["denied"]')
[ "$after" -ge "$denied" ] 2>/dev/null && echo "ok - the denied count stays in inspect after the sandbox ended ($after)" ||
    fail "after the end, inspect's denied count is '$after', was $denied"
"$N" rm a >/dev/null
assert_eq 0 "$(in_netns nft list table ip "$TABLE" | grep -c "$id_a" || true)" "no rule or chain of a removed sandbox is left"
assert_eq 0 "$(in_netns nft list table bridge "$TABLE" | grep -c "$id_a" || true)" "no veth pinning of it either"

# A crash: nucleusd and the sandbox die; the next nucleusd removes the sandbox's chain.
id_c=$(json c 'j["id"]')
init_c=$(json c 'j["pid"]')
assert_contains "$(in_netns nft list table ip "$TABLE")" "chain egress-$id_c" "c's chain is there before the crash"
loop_pids=$(pgrep -P "$SUP_PID" nucleusd || true)
kill -KILL "$SUP_PID"; wait "$SUP_PID" 2>/dev/null || true
for p in $loop_pids; do kill -KILL "$p" 2>/dev/null || true; done
SUP_PID=
kill -KILL "$init_c"
for _ in $(seq 100); do [ -d "/proc/$init_c" ] || break; sleep 0.05; done
start_supervisor_netns --bridge "$BR" --bridge-subnet "$SUBNET"
"$N" ps -a >/dev/null
assert_eq 0 "$(in_netns nft list table ip "$TABLE" | grep -c "$id_c" || true)" "after a crash, the next nucleusd removed c's chain and rules"
assert_eq 0 "$(in_netns nft list table bridge "$TABLE" | grep -c "$id_c" || true)" "and its veth pinning"
id_d=$(json d 'j["id"]')
assert_contains "$(in_netns nft list table ip "$TABLE")" "chain egress-$id_d" "a live sandbox's chain is kept"
assert_eq "ERR TimeoutError" "$(try d tcp 172.31.251.2 8000)" "and its policy still holds"
for s in admin d o; do "$N" kill "$s" >/dev/null 2>&1 || true; "$N" wait "$s" >/dev/null 2>&1 || true; "$N" rm "$s" >/dev/null 2>&1 || true; done
"$N" rm "$id_c" >/dev/null 2>&1 || true
assert_eq 0 "$(in_netns nft list table ip "$TABLE" | grep -c 'egress-' || true)" "no egress chain is left at the end"
assert_eq 0 "$(in_netns nft -j list table bridge "$TABLE" | grep -c '"comment"' || true)" "nor a tagged bridge rule"
finish
