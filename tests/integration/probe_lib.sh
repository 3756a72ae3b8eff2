# shellcheck shell=bash
# Shared by the probe tests (sourced after lib.sh): reading a sandbox's health and
# readiness from inspect, and waiting for them.

# health NAME: starting, healthy, unhealthy (or "none").
health() { "$N" inspect "$1" | python3 -c 'import json,sys; h=json.load(sys.stdin)["health"]; print(h["status"] if h else "none")'; }
# field NAME PYEXPR: a value out of inspect's JSON (d), e.g. 'd["health"]["failing_streak"]'.
field() { "$N" inspect "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"; }
# wait_health NAME STATUS [SECONDS]
wait_health() {
    local end=$((SECONDS + ${3:-10}))
    while [ $SECONDS -lt "$end" ]; do
        [ "$(health "$1")" = "$2" ] && return 0
        sleep 0.05
    done
    fail "sandbox $1 never became $2 (it is $(health "$1"))"
    return 1
}
