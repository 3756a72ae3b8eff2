#!/bin/bash
# --network host: who may ask for it, and what such a sandbox sees (nucleusd's own
# namespace here: one the test makes, with an interface the test names). Also the
# bridge's refusals in the strict modes and production's --dns rule.
. "$(dirname "$0")/lib.sh"
start_supervisor_netns --bridge "nht$$" --bridge-subnet 10.231.8.0/24
in_netns ip link add "hostmark$$" type veth peer name "hmp$$"
on_exit "in_netns ip link del hostmark$$ 2>/dev/null"

refused() { # expected-message-part what -- run-args...
    local want=$1 what=$2; shift 3
    assert_refused "$want" "$what" "$@" -- true
}
refused "--allow-host-network" "host without --allow-host-network" -- --network host --trust-level trusted
refused "untrusted" "host for an untrusted workload (the default)" -- --network host --allow-host-network
refused "refused in strict-agent mode" "host in strict-agent mode" -- --network host --allow-host-network --trust-level trusted --strict-agent
refused "only accepted with --network host" "--allow-host-network alone" -- --allow-host-network
refused "only accepted with --network bridge" "--dns without bridge" -- --dns 10.0.0.53
refused "only accepted with --network bridge" "-p without bridge" -- -p 8080:80
refused "loopback" "a loopback --dns" -- --network bridge --dns 127.0.0.53
refused "invalid --network" "an unknown mode" -- --network overlay
refused "use [IP:]HOST:CONTAINER" "a malformed -p" -- --network bridge --dns 10.0.0.53 -p 80
refused "refused in production mode" "host in production mode" -- --service-mode production --network host --allow-host-network --trust-level trusted
refused "production needs --dns" "a production bridge without --dns" -- --service-mode production --network bridge

# The same rules through the API: the spec's own validation.
out=$("$N" run --network host --allow-host-network --trust-level trusted -- cat /proc/net/dev)
assert_contains "$out" "hostmark$$" "a host-network sandbox sees the host's interfaces"
assert_not_contains "$("$N" run -- cat /proc/net/dev)" "hostmark$$" "a none sandbox does not"
id=$("$N" run -d --network host --allow-host-network --trust-level trusted -- sleep 30)
insp=$("$N" inspect "$id")
assert_contains "$insp" '"mode": "host"' "inspect shows the host network"
assert_not_contains "$insp" '"net",' "... and no network namespace among the sandbox's namespaces"
"$N" kill "$id" >/dev/null; "$N" wait "$id" >/dev/null || true

# Strict agent with a bridge: IP sockets are allowed (the filter's no-inet variant is
# only for sandboxes without a network).
out=$("$N" run --strict-agent --network bridge --dns 10.231.8.1 -- /usr/bin/python3 -c \
      'import socket; socket.socket(); print("inet ok")' 2>&1 || true)
assert_eq "inet ok" "$out" "a strict-agent bridge sandbox may open IP sockets"
out=$("$N" run --strict-agent -- /usr/bin/python3 -c 'import socket; socket.socket(); print("inet ok")' 2>&1 || true)
assert_contains "$out" "PermissionError" "a strict-agent sandbox without a network may not"
finish
