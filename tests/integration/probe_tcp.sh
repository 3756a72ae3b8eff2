#!/bin/bash
# TCP probes: a connect made from a socket nucleusd creates inside the sandbox's network
# namespace, so a --network none sandbox's loopback server can be checked, and a server
# on the host's loopback at the same port cannot fool it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/probe_lib.sh"
start_supervisor

# The server comes up after a second: not ready until then, ready and healthy after.
"$N" run -d --name web --network none --readiness-tcp 8000 --readiness-interval 200ms --health-tcp 8000 \
    --health-interval 200ms --health-start-period 0 -- \
    sh -c 'sleep 1; exec python3 -m http.server 8000 --bind 127.0.0.1 --directory /tmp' >/dev/null
wait_state web
assert_match "$("$N" ps)" 'web +running +[a-z]+ +no ' "not ready before the server listens"
assert_eq ready "$(timeout 10 "$N" wait --ready web)" "wait --ready returns once the port accepts"
assert_match "$("$N" ps)" 'web +running +[a-z]+ +yes ' "ps: ready"
assert_contains "$(field web 'd["readiness"]["log"][0]["output"]')" "Connection refused" "the early probes were refused"
assert_eq True "$(field web 'd["readiness"]["log"][-1]["passed"]')" "the last one connected"
wait_health web healthy 5
assert_contains "$(field web 'd["health"]["log"][-1]["output"]')" "connected to 127.0.0.1:8000 inside the sandbox" \
    "the health check connects inside"

# Nobody listens inside; a host server on the same port must not count.
port=$((20000 + RANDOM % 20000))
python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1 &
HOST_SRV=$!
on_exit "kill $HOST_SRV"
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break; sleep 0.1; done
"$N" run -d --name empty --network none --health-tcp "$port" --health-interval 200ms --health-retries 2 \
    --health-start-period 0 -- sleep 60 >/dev/null
wait_health empty unhealthy 5
assert_contains "$(field empty 'd["health"]["log"][-1]["output"]')" "Connection refused" \
    "the connect is made in the sandbox's namespace, not the host's"

# The server goes away: unhealthy.
"$N" exec web sh -c 'kill $(pgrep -f http.server)' >/dev/null 2>&1 || true
"$N" run -d --name gone --network none --health-tcp 8000 --health-interval 200ms --health-retries 2 \
    --health-start-period 0 -- sh -c 'timeout 1 python3 -m http.server 8000 --bind 127.0.0.1; sleep 60' >/dev/null
wait_health gone healthy 5
wait_health gone unhealthy 5
"$N" rm -f web empty gone >/dev/null
finish
