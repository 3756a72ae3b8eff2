#!/bin/bash
# --network bridge --nat-backend userspace: pasta gives the sandbox eth0 with an address
# and a default route, forwards its connections (to nucleusd's namespace and beyond) and
# its published ports, never the host's loopback; egress flags are refused; pasta is
# watched (its death is shown in inspect), killed with its sandbox, taken over by a new
# loop process and swept after a crash. Everything happens in network namespaces this
# test makes (lib.sh: start_supervisor_netns), with addresses it sets up itself.
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/pasta ] || skip "needs pasta (Debian package passt)"
BR=npt$$; BR=${BR:0:15}
start_supervisor_netns --bridge "$BR" --bridge-subnet 10.231.11.0/24
PY=/usr/bin/python3
UP=(--network bridge --nat-backend userspace --dns 172.31.253.2)

# nucleusd's namespace gets an address and a default route (pasta takes its template
# interface from the default route) toward an "outside" namespace with a DNS server.
outside_netns "vp$$" 172.31.253 30
in_netns ip route add default via 172.31.253.2

SERVER=$TCP_SERVER
CLIENT=$TCP_CLIENT
# eth0's address and the default route, as the sandbox sees them.
NETINFO='import fcntl,socket,struct
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
a=fcntl.ioctl(s.fileno(),0x8915,struct.pack("256s",b"eth0"))
print("eth0", socket.inet_ntoa(a[20:24]))
for l in open("/proc/net/route").read().splitlines()[1:]:
    f=l.split()
    if f[1]=="00000000": print("default via", socket.inet_ntoa(struct.pack("<I",int(f[2],16))), "dev", f[0])'
nsenter --net="$NETNS" "$PY" -c "$SERVER" 172.31.253.1 8000 host &
on_exit "kill $! 2>/dev/null"
nsenter --net="$NETNS" "$PY" -c "$SERVER" 127.0.0.1 8001 host-loopback &
on_exit "kill $! 2>/dev/null"
nsenter --net="$OUT" "$PY" -c "$SERVER" 172.31.253.2 8002 outside &
on_exit "kill $! 2>/dev/null"
nsenter --net="$OUT" "$PY" "$(dirname "$0")/dns_server.py" 172.31.253.2 "$T/asked" &
on_exit "kill $! 2>/dev/null"

pasta_alive() { # pid: running, not a zombie
    [ -r "/proc/$1/status" ] && ! grep -q '^State:.*Z' "/proc/$1/status"
}
wait_pasta_gone() { # pid what
    for _ in $(seq 100); do pasta_alive "$1" || break; sleep 0.05; done
    if pasta_alive "$1"; then fail "$2: pasta $1 is still running"; else echo "ok - $2"; fi
}
inspect_net() { # name python-expression over n (the network object)
    "$N" inspect "$1" | "$PY" -c "import json,sys; n=json.load(sys.stdin)['network']; print($2)"
}

# The sandbox's own view: eth0 with pasta's address, a default route, the --dns resolver.
out=$("$N" run "${UP[@]}" -- "$PY" -c "$NETINFO")
assert_contains "$out" "eth0 10.0.2.100" "the sandbox has eth0 with an address"
assert_contains "$out" "default via 10.0.2.2 dev eth0" "and a default route"
assert_contains "$("$N" run "${UP[@]}" -- cat /etc/resolv.conf)" "nameserver 172.31.253.2" "resolv.conf names --dns"
# Through pasta: nucleusd's namespace (pasta connects from there) and beyond it.
assert_eq "host from 172.31.253.1" "$(poll_connect 172.31.253.1 8000 -- "$N" run "${UP[@]}" --)" \
    "the sandbox reaches a server in nucleusd's namespace"
assert_eq "outside from 172.31.253.1" "$(poll_connect 172.31.253.2 8002 -- "$N" run "${UP[@]}" --)" \
    "and one beyond it, from nucleusd's address"
assert_eq "172.31.252.3" "$("$N" run "${UP[@]}" -- "$PY" -c 'import socket; print(socket.gethostbyname("allowed.test"))' 2>&1)" \
    "DNS to the --dns server goes through pasta"
# Never the host's loopback: not through the gateway (--no-map-gw), not through the
# sandbox's own loopback (-T none).
for dst in 10.0.2.2 127.0.0.1; do
    out=$("$N" run "${UP[@]}" -- "$PY" -c "$CLIENT" "$dst" 8001 1 2>&1 || true)
    assert_contains "$out" "ERR" "a server on nucleusd's 127.0.0.1 is not reachable at $dst"
done
# Nor one bound to eth0 (SO_BINDTODEVICE), whose 127.0.0.1 would leave through the
# default route and be sent by pasta to nucleusd's own loopback, replies included. The
# same datagram to nucleusd's address shows that the probe itself gets through.
for dst in 127.0.0.1 172.31.253.1; do
    in_netns "$PY" -c "$UDP_SINK" "$dst" 18099 >"$T/sink" &
    sink=$!; sleep 0.3
    "$N" run "${UP[@]}" -- "$PY" -c "$UDP_SEND" "$dst" 18099
    wait $sink
    if [ $dst = 127.0.0.1 ]; then
        assert_eq "nothing" "$(cat "$T/sink")" "a socket bound to eth0 cannot send to nucleusd's 127.0.0.1"
    else
        assert_eq "got probe" "$(cat "$T/sink")" "while nucleusd's address gets the same datagram"
    fi
done

# Nor another sandbox: pasta's connections leave from the host, where port isolation
# and the forward drop do not apply, so the isolate chain drops them by pasta's group
# (its sandbox's host gid). The host itself still reaches the kernel-backend sandbox.
"$N" run -d --name kb --network bridge --dns 172.31.253.2 -- "$PY" -c "$SERVER" 0.0.0.0 9000 sandbox-kb >/dev/null
wait_state kb
ip_kb=$("$N" inspect kb | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["network"]["address"].split("/")[0])')
assert_contains "$(poll_connect "$ip_kb" 9000 -- in_netns)" "sandbox-kb" "the host reaches a kernel-backend sandbox"
assert_contains "$("$N" run "${UP[@]}" -- "$PY" -c "$CLIENT" "$ip_kb" 9000 1.5 2>&1 || true)" "ERR" \
    "a userspace-backend sandbox does not (its pasta's connections leave from the host)"
"$N" rm -f kb >/dev/null

# Published ports, through pasta's own forwarding: on 127.0.0.1 only (this pasta never
# completes a connection that reaches a published port over its tap; docs/network.md).
"$N" run -d --name srv "${UP[@]}" -p 127.0.0.1:18095:9000 -- "$PY" -c "$SERVER" 0.0.0.0 9000 sandbox-srv >/dev/null
wait_state srv
assert_contains "$(poll_connect 127.0.0.1 18095 -- in_netns)" "sandbox-srv" "a port published on 127.0.0.1 answers there"
rc=0; err=$("$N" run "${UP[@]}" -p 127.0.0.1:18095:80 -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "a host port another sandbox publishes is refused"
assert_contains "$err" "already published by sandbox" "... saying by whom"
rc=0; err=$("$N" run "${UP[@]}" -p 18097:80 -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "a port published on every address is refused with the userspace backend"
assert_contains "$err" "only on 127.0.0.1 (give -p 127.0.0.1:18097:80" "... saying what works"
insp=$("$N" inspect srv)
for key in '"nat_backend": "userspace"' '"address": "10.0.2.100/24"' '"gateway": "10.0.2.2"' '"state": "running"' \
           '"127.0.0.1:18095:9000/tcp"'; do
    assert_contains "$insp" "$key" "inspect shows $key"
done
assert_not_contains "$insp" '"veth"' "no veth"
pasta=$(inspect_net srv "n['pasta']['pid']")
assert_contains "$(tr '\0' ' ' <"/proc/$pasta/cmdline")" "--no-map-gw" "inspect's pasta pid is our pasta"
assert_eq 0 "$(in_netns ip -o link | grep -c ": nv" || true)" "no veth on nucleusd's side"
assert_not_contains "$("$N" inspect --network srv)" "table ip" "no nft rules apply to it"

# Only the loop process dies: the new one takes pasta over with the sandbox.
kill -KILL "$(pgrep -P "$SUP_PID" -x nucleusd-loop)"
for _ in $(seq 200); do "$N" ps >/dev/null 2>&1 && break; sleep 0.02; done
assert_eq "$pasta running" "$(inspect_net srv "n['pasta']['pid'], n['pasta']['state']")" \
    "after a loop restart the same pasta is watched"
assert_contains "$(poll_connect 127.0.0.1 18095 -- in_netns)" "sandbox-srv" "and the port still answers"

"$N" rm -f srv >/dev/null
wait_pasta_gone "$pasta" "a taken-over pasta goes with its sandbox too"

# pasta dies: the sandbox goes on, its network marked degraded in inspect.
"$N" run -d --name brief2 "${UP[@]}" -- sleep 300 >/dev/null
wait_state brief2
pasta=$(inspect_net brief2 "n['pasta']['pid']")
kill -KILL "$pasta"
for _ in $(seq 100); do [ "$(inspect_net brief2 "n['pasta']['state']")" = exited ] && break; sleep 0.05; done
assert_eq "exited True" "$(inspect_net brief2 "n['pasta']['state'], n.get('degraded')")" "a dead pasta is shown in inspect"
assert_contains "$(inspect_net brief2 "n.get('error')")" "killed by signal SIGKILL" "with how it ended"
assert_contains "$(cat "$T/nucleusd.log")" "its network is gone" "and logged"
"$N" rm -f brief2 >/dev/null

# pasta goes with its sandbox.
"$N" run -d --name brief "${UP[@]}" -- sleep 300 >/dev/null
wait_state brief
pasta=$(inspect_net brief "n['pasta']['pid']")
assert_eq 0 "$(pasta_alive "$pasta"; echo $?)" "a running sandbox has its pasta"
"$N" kill brief >/dev/null; "$N" wait brief >/dev/null || true
wait_pasta_gone "$pasta" "pasta is gone when its sandbox ends"
assert_eq "" "$(ls "$NUCLEUS_STATE_DIR/network/pasta")" "and so are its files"
"$N" rm brief >/dev/null

# A crash: every nucleusd process and then the sandbox die; the next nucleusd kills
# the pasta that nobody owns any more.
id=$("$N" run -d "${UP[@]}" -- sleep 300)
wait_state "$id"
pasta=$(inspect_net "$id" "n['pasta']['pid']")
init=$("$N" inspect "$id" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
loop_pids=$(pgrep -P "$SUP_PID" nucleusd || true)
kill -KILL "$SUP_PID"; wait "$SUP_PID" 2>/dev/null || true
for p in $loop_pids; do kill -KILL "$p" 2>/dev/null || true; done
SUP_PID=
kill -KILL "$init"
for _ in $(seq 100); do [ -d "/proc/$init" ] || break; sleep 0.05; done
assert_eq 0 "$(pasta_alive "$pasta"; echo $?)" "pasta outlives a crashed nucleusd"
start_supervisor_netns --bridge "$BR" --bridge-subnet 10.231.11.0/24
"$N" ps -a >/dev/null
wait_pasta_gone "$pasta" "the next nucleusd kills the pasta of a sandbox nobody owns"
assert_contains "$(cat "$T/nucleusd.log")" "Killed 1 pasta process(es)" "and says so"
assert_eq "" "$(ls "$NUCLEUS_STATE_DIR/network/pasta")" "its record is gone"

# Refusals.
rc=0; err=$("$N" run "${UP[@]}" --egress-allow 10.0.0.0/8 -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "an egress policy with the userspace backend is refused"
assert_contains "$err" "cannot be used with --nat-backend userspace" "... saying why"
assert_contains "$("$N" run "${UP[@]}" --egress-domain example.org -- true 2>&1 || true)" "no veth on the host" \
    "--egress-domain too"
assert_contains "$("$N" run --nat-backend userspace -- true 2>&1 || true)" "only accepted with --network bridge" \
    "--nat-backend without --network bridge"
assert_contains "$("$N" run --network bridge --nat-backend slirp -- true 2>&1 || true)" \
    "invalid --nat-backend 'slirp': auto, kernel or userspace" "an unknown backend"
# auto is the kernel backend for a root nucleusd.
id=$("$N" run -d --network bridge --nat-backend auto --dns 10.231.11.1 -- sleep 300)
wait_state "$id"
assert_eq "kernel" "$(inspect_net "$id" "n['nat_backend']")" "auto picks the kernel backend as root"
"$N" rm -f "$id" >/dev/null
finish
