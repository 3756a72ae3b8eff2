#!/bin/bash
# The probe flags and spec fields are validated strictly, with errors that name the
# value and what is accepted; nothing starts on a bad one.
. "$(dirname "$0")/lib.sh"
start_supervisor

refused() { # what expected-substring nucleus-run-args...
    local what=$1 want=$2; shift 2
    assert_refused "$want" "$what" "$@" -- true
}
refused "a bad duration" "invalid --health-interval '5x': a duration like 500ms, 2s, 1m or 1h" \
    --health-cmd true --health-interval 5x
refused "a negative duration" "invalid --health-timeout '-1s'" --health-cmd true --health-timeout -1s
refused "an interval too short" "invalid --health-interval '10ms': from 100ms to 24h" --health-cmd true --health-interval 10ms
refused "a duration too long" "from 100ms to 24h" --health-cmd true --health-interval 25h
refused "retries 0" "invalid --health-retries '0'" --health-cmd true --health-retries 0
refused "a port out of range" "invalid --health-tcp '70000': a TCP port from 1 to 65535" --health-tcp 70000
refused "two health checks" "give one health check" --health-cmd true --health-tcp 80
refused "two readiness probes" "give one readiness probe" --readiness-sd-notify --readiness-tcp 80
refused "timing without a check" "need a health check" --health-interval 1s
refused "a host name in a URL" "must be an IP address or localhost" --health-http http://example.com/
refused "a scheme curl should not use" "use http://HOST[:PORT][/PATH]" --health-http ftp://127.0.0.1/
refused "a bad URL port" "the port must be a number from 1 to 65535" --health-http http://127.0.0.1:0/
refused "an empty command" "--health-cmd needs a command" --health-cmd ''

assert_eq 0 "$("$N" ps -a --json | grep -c '"id"' || true)" "nothing was created"

# The API refuses what the CLI would: unknown fields, two kinds, out-of-range values.
api() { python3 "$(dirname "$0")/api_client.py" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sandbox.create\",\"params\":{\"spec\":{\"args\":[\"true\"],$1}}}" 2>&1; }
assert_contains "$(api '"health":{"cmd":"true","bogus":1}')" "unknown health field 'bogus'" "an unknown health field"
assert_contains "$(api '"health":{"cmd":"true","tcp":80}')" "needs exactly one of cmd, tcp and http" "two kinds at once"
assert_contains "$(api '"health":{"tcp":80,"interval_ms":5}')" "health.interval_ms must be an integer number of milliseconds from 100" \
    "an interval below the minimum"
assert_contains "$(api '"readiness":{"http":"http://127.0.0.1/"}')" "unknown readiness field 'http'" "no http readiness"
assert_contains "$(api '"readiness":{"sd_notify":false}')" "readiness.sd_notify must be true" "sd_notify false"
assert_contains "$(api '"health":{"http":"http://host.example/"}')" "must be an IP address or localhost" "a URL naming a host"
finish
