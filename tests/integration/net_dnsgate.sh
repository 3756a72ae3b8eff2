#!/bin/bash
# The egress DNS gate (--egress-domain): a sandbox's only resolver, on the bridge's
# address. Allowed names resolve (following CNAME chains, over UDP and TCP) and their
# addresses connect; other names get NXDOMAIN without the gate asking upstream; an
# address never resolved stays closed; DNS past the gate is dropped; an address goes
# when its TTL ends; the rules and the set go with the sandbox. The "real" resolver is
# dns_server.py in a namespace this test makes.
. "$(dirname "$0")/lib.sh"
command -v nft >/dev/null || skip "needs nft (Debian package nftables)"
BR=nbd$$; BR=${BR:0:15}
TABLE=nucleus-$BR
GW=10.231.11.1
start_supervisor_netns --bridge "$BR" --bridge-subnet 10.231.11.0/24
PY=/usr/bin/python3

outside_netns "vo$$" 172.31.252 28 3 4 5 6 7
ASKED=$T/asked.log
: >"$ASKED"
nsenter --net="$OUT" "$PY" "$(dirname "$0")/dns_server.py" 172.31.252.2 "$ASKED" &
on_exit "kill $! 2>/dev/null"
SERVERS='import socket,threading,time
def tcp(a):
    s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind((a,8000)); s.listen(16)
    while True:
        c,_=s.accept(); c.sendall(("tcp %s\n"%a).encode()); c.close()
for i in range(3,8): threading.Thread(target=tcp,args=("172.31.252.%d"%i,),daemon=True).start()
time.sleep(3600)'
nsenter --net="$OUT" "$PY" -c "$SERVERS" &
on_exit "kill $! 2>/dev/null"

# In the sandbox: "resolve NAME" (the libc resolver, from resolv.conf), "connect HOST",
# "query udp|tcp SERVER NAME" (a hand-made A query: "rcode=N addrs=[...]").
CLIENT='import socket,struct,sys,random
cmd=sys.argv[1]
try:
    if cmd=="resolve":
        print(socket.gethostbyname(sys.argv[2]))
    elif cmd=="connect":
        c=socket.create_connection((sys.argv[2],8000),timeout=1.5); print(c.recv(100).decode().strip())
    else:
        proto,server,name=sys.argv[2],sys.argv[3],sys.argv[4]
        q=struct.pack(">HHHHHH",random.randrange(65536),0x0100,1,0,0,0)+b"".join(bytes([len(l)])+l.encode() for l in name.split("."))+b"\0"+struct.pack(">HH",1,1)
        if proto=="udp":
            s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(1.5); s.sendto(q,(server,53)); a=s.recv(4096)
        else:
            s=socket.create_connection((server,53),timeout=1.5); s.sendall(struct.pack(">H",len(q))+q)
            n=struct.unpack(">H",s.recv(2))[0]; a=b""
            while len(a)<n: a+=s.recv(n-len(a))
        rcode=a[3]&15; an=struct.unpack(">H",a[6:8])[0]; i=12
        while a[i]: i+=1+a[i]
        i+=5; addrs=[]
        for _ in range(an):
            i+=2 if a[i]&0xc0==0xc0 else 0
            if a[i-2]&0xc0!=0xc0:
                while a[i]: i+=1+a[i]
                i+=1
            t,_,_,l=struct.unpack(">HHIH",a[i:i+10]); i+=10
            if t==1: addrs.append(socket.inet_ntoa(a[i:i+4]))
            i+=l
        print("rcode=%d addrs=%s"%(rcode,addrs))
except Exception as e:
    print("ERR",type(e).__name__)'
in_sb() { # sandbox args...
    local sb=$1; shift
    "$N" exec "$sb" "$PY" -c "$CLIENT" "$@" 2>&1 || true
}
json() { "$N" inspect "$1" | "$PY" -c "import json,sys; j=json.load(sys.stdin); print($2)"; }
for _ in $(seq 50); do
    [ "$(in_netns "$PY" -c "$CLIENT" query udp 172.31.252.2 allowed.test)" = "rcode=0 addrs=['172.31.252.3']" ] && break
    sleep 0.1
done
: >"$ASKED"

assert_refused "invalid egress domain 'bad_name.test'" "a name with '_'" --network bridge --egress-domain bad_name.test -- true
assert_refused "invalid egress domain 'test': give a name with at least two labels" "a single label" \
    --network bridge --egress-domain test -- true
assert_refused "only accepted with --network bridge" "names with --network none" --egress-domain allowed.test -- true

"$N" run -d --name g --network bridge --dns 172.31.252.2 --egress-domain allowed.test --egress-domain WWW.alias.test. \
    --egress-domain short.test --egress-domain '*.wild.test' --egress-tcp-port 8000 -- sleep 300 >/dev/null
wait_state g
id=$(json g 'j["id"]')
assert_eq "['allowed.test', 'www.alias.test', 'short.test', '*.wild.test']" "$(json g 'j["network"]["egress"]["domains"]')" \
    "inspect shows the names, in lower case without the final dot"
assert_contains "$("$N" exec g cat /etc/resolv.conf)" "nameserver $GW" "the gate is the sandbox's resolver"
assert_not_contains "$("$N" exec g cat /etc/resolv.conf)" "172.31.252.2" "and the only one"
assert_contains "$(in_netns nft list table ip "$TABLE")" "set egress-$id {" "the sandbox has its set of answered addresses"

assert_eq "ERR TimeoutError" "$(in_sb g connect 172.31.252.3)" "before it is resolved, an allowed name's address is closed"
assert_eq "172.31.252.3" "$(in_sb g resolve allowed.test)" "an allowed name resolves through the gate"
assert_eq "tcp 172.31.252.3" "$(in_sb g connect 172.31.252.3)" "and then its address connects"
assert_eq "172.31.252.4" "$(in_sb g resolve www.alias.test)" "a name whose answer is a CNAME chain resolves"
assert_eq "tcp 172.31.252.4" "$(in_sb g connect 172.31.252.4)" "and the chain's address connects"
assert_eq "rcode=0 addrs=['172.31.252.6']" "$(in_sb g query tcp "$GW" sub.wild.test)" "*.wild.test: a subdomain, asked over TCP"
assert_eq "tcp 172.31.252.6" "$(in_sb g connect 172.31.252.6)" "and its address connects"
assert_eq "rcode=3 addrs=[]" "$(in_sb g query udp "$GW" wild.test)" "*.wild.test does not cover wild.test itself"
assert_eq "rcode=3 addrs=[]" "$(in_sb g query udp "$GW" denied.test)" "another name gets NXDOMAIN"
assert_eq "rcode=3 addrs=[]" "$(in_sb g query tcp "$GW" denied.test)" "also over TCP"
assert_eq "ERR gaierror" "$(in_sb g resolve denied.test)" "so the libc resolver finds nothing"
assert_eq "ERR TimeoutError" "$(in_sb g connect 172.31.252.7)" "an address never resolved stays closed"
assert_eq "ERR TimeoutError" "$(in_sb g query udp 172.31.252.2 denied.test)" "DNS past the gate is dropped"
assert_not_contains "$(cat "$ASKED")" "denied.test" "the gate never asked upstream for a name it does not allow"
assert_contains "$(cat "$ASKED")" "allowed.test" "(it did for the allowed ones)"
assert_contains "$(grep "nucleus-egress-denied:" "$T/nucleusd.log")" "sandbox=$id name=denied.test. proto=dns" \
    "a refused name is logged with the prefix"
assert_contains "$(in_netns nft list set ip "$TABLE" "egress-$id")" "172.31.252.3 timeout 1m" \
    "the set holds an answered address with its TTL as timeout"

# TTL: short.test answers with TTL 1, clamped to 5 s; then the address goes.
assert_eq "172.31.252.5" "$(in_sb g resolve short.test)" "a name with a short TTL resolves"
assert_eq "tcp 172.31.252.5" "$(in_sb g connect 172.31.252.5)" "and connects"
sleep 6
assert_not_contains "$(in_netns nft list set ip "$TABLE" "egress-$id")" "172.31.252.5" "after its TTL (5 s at least) the address is gone"
assert_eq "ERR TimeoutError" "$(in_sb g connect 172.31.252.5)" "and connecting to it is refused"
assert_eq "172.31.252.5" "$(in_sb g resolve short.test)" "asking again allows it again"
assert_eq "tcp 172.31.252.5" "$(in_sb g connect 172.31.252.5)" "for another TTL"

# A sandbox without names gets REFUSED from the gate.
"$N" run -d --name o --network bridge --dns 172.31.252.2 -- sleep 300 >/dev/null
wait_state o
assert_eq "rcode=5 addrs=[]" "$(in_sb o query udp "$GW" allowed.test)" "the gate refuses a sandbox whose policy has no names"

# The gate's 64 TCP clients are shared: one sandbox (with names: only those are
# served) holds at most 4 of them, so another still gets its answer over TCP while the
# first tries to take them all.
"$N" run -d --name h --network bridge --dns 172.31.252.2 --egress-domain '*.wild.test' -- sleep 300 >/dev/null
wait_state h
HOG='import socket,time
held=[]
for _ in range(70):
    try:
        c=socket.create_connection(("'"$GW"'",53),timeout=1); held.append(c)
    except OSError: pass
print("held", flush=True); time.sleep(6)'
"$N" exec g "$PY" -c "$HOG" >"$T/hog" 2>&1 &
hog=$!
for _ in $(seq 100); do grep -q held "$T/hog" && break; sleep 0.05; done
assert_eq "rcode=0 addrs=['172.31.252.6']" "$(in_sb h query tcp "$GW" sub.wild.test)" \
    "a sandbox's TCP query is answered while another opens 70 connections to the gate"
wait $hog

# A new loop process (the old one killed) starts the gate again for the sandboxes it
# takes over.
kill -KILL "$(pgrep -P "$SUP_PID" -x nucleusd-loop)"
for _ in $(seq 200); do "$N" ps >/dev/null 2>&1 && break; sleep 0.02; done
assert_eq "172.31.252.3" "$(in_sb g resolve allowed.test)" "after a loop restart the gate answers again"

# Removal: the chain, the set and the rules go.
"$N" kill o >/dev/null; "$N" wait o >/dev/null 2>&1 || true
id_o=$(json o 'j["id"]')
"$N" rm o >/dev/null
assert_eq 0 "$(in_netns nft list table ip "$TABLE" | grep -c "$id_o" || true)" "no rule of a removed sandbox is left"

# A crash of nucleusd with the sandbox gone meanwhile: the next one sweeps its chain and set.
init=$(json g 'j["pid"]')
loop_pids=$(pgrep -P "$SUP_PID" nucleusd || true)
kill -KILL "$SUP_PID"; wait "$SUP_PID" 2>/dev/null || true
for p in $loop_pids; do kill -KILL "$p" 2>/dev/null || true; done
SUP_PID=
kill -KILL "$init"
for _ in $(seq 100); do [ -d "/proc/$init" ] || break; sleep 0.05; done
assert_contains "$(in_netns nft list table ip "$TABLE")" "set egress-$id {" "(the set outlived the crash)"
start_supervisor_netns --bridge "$BR" --bridge-subnet 10.231.11.0/24
"$N" ps -a >/dev/null
assert_eq 0 "$(in_netns nft list table ip "$TABLE" | grep -c "$id" || true)" "the next nucleusd removed the chain, set and rules"
"$N" rm g >/dev/null 2>&1 || true
finish
