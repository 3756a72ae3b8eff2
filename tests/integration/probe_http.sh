#!/bin/bash
# HTTP probes: libcurl on nucleusd's loop, with a socket made inside the sandbox's
# network namespace, so a --network none sandbox's server answers; 200-399 passes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/probe_lib.sh"
start_supervisor

"$N" run -d --name web --network none --health-http http://127.0.0.1:8000/ --health-interval 200ms \
    --health-start-period 0 -- sh -c 'echo hello >/tmp/index.html; exec python3 -m http.server 8000 --bind 127.0.0.1 --directory /tmp' \
    >/dev/null
wait_health web healthy 10
out=$(field web 'd["health"]["log"][-1]["output"]')
assert_contains "$out" "HTTP 200" "the status is recorded"
assert_contains "$out" "hello" "with the start of the body"
assert_eq http "$(field web 'd["health"]["probe"]')" "inspect names the probe"

# localhost works without resolving anything in nucleusd's namespace (127.0.0.1 and ::1);
# so do IPv6 literals.
"$N" run -d --name local --network none --health-http http://localhost:8000/ --health-interval 200ms \
    --health-start-period 0 -- python3 -m http.server 8000 --bind 127.0.0.1 --directory /tmp >/dev/null
wait_health local healthy 10
"$N" run -d --name v6 --network none --health-http 'http://[::1]:8000/' --health-interval 200ms \
    --health-start-period 0 -- python3 -m http.server 8000 --bind ::1 --directory /tmp >/dev/null
wait_health v6 healthy 10
"$N" run -d --name local6 --network none --health-http http://localhost:8000/ --health-interval 200ms \
    --health-start-period 0 -- python3 -m http.server 8000 --bind ::1 --directory /tmp >/dev/null
wait_health local6 healthy 10

# A 404 fails, as curl -f would.
"$N" run -d --name missing --network none --health-http http://127.0.0.1:8000/nope --health-interval 200ms \
    --health-retries 1 --health-start-period 0 -- python3 -m http.server 8000 --bind 127.0.0.1 --directory /tmp >/dev/null
wait_health missing unhealthy 10
assert_contains "$(field missing 'd["health"]["log"][-1]["output"]')" "HTTP 404" "a 404 is unhealthy"

# A server that accepts and never answers: the timeout ends the check, the loop goes on.
"$N" run -d --name mute --network none --health-http http://127.0.0.1:8000/ --health-interval 200ms \
    --health-timeout 300ms --health-retries 1 --health-start-period 0 -- python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8000)); s.listen(16)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)' >/dev/null
wait_health mute unhealthy 10
assert_match "$(field mute 'd["health"]["log"][-1]["output"]')" "[Tt]imed out" "a silent server times out"
assert_eq healthy "$(health web)" "other sandboxes' checks carry on meanwhile"

# Nothing listens: refused.
"$N" run -d --name down --network none --health-http http://127.0.0.1:9/ --health-interval 200ms --health-retries 1 \
    --health-start-period 0 -- sleep 60 >/dev/null
wait_health down unhealthy 10
assert_match "$(field down 'd["health"]["log"][-1]["output"]')" "[Cc]ouldn.t connect|[Cc]onnection refused|Failed to connect" \
    "a closed port fails to connect"
"$N" rm -f web local v6 local6 missing mute down >/dev/null
finish
