#!/bin/bash
# --health-start-period: a slow start stays "starting", its failures recorded but not
# counted; a pass inside it makes the sandbox healthy at once; failures after it count.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/probe_lib.sh"
start_supervisor

# Ready after 1.5 s, well inside a 4 s start period, with 1 retry allowed.
"$N" run -d --name slow --health-cmd 'test -e /tmp/up' --health-interval 200ms --health-retries 1 \
    --health-start-period 4s -- sh -c 'sleep 1.5; touch /tmp/up; sleep 60' >/dev/null
sleep 1.2
assert_eq starting "$(health slow)" "failing checks inside the start period leave it starting"
assert_eq 0 "$(field slow 'd["health"]["failing_streak"]')" "and do not count towards the retries"
assert_eq yes "$(field slow '"yes" if d["health"]["failures"] >= 3 else d["health"]["failures"]')" "though they ran and failed"
wait_health slow healthy 3
assert_match "$("$N" ps)" 'slow +running +healthy' "ps: healthy once it passes"

# Never up: starting for the whole start period, unhealthy after it.
"$N" run -d --name never --health-cmd false --health-interval 200ms --health-retries 2 --health-start-period 1500ms \
    -- sleep 60 >/dev/null
sleep 1
assert_eq starting "$(health never)" "still starting within the start period"
wait_health never unhealthy 3
assert_match "$("$N" ps)" 'never +running +unhealthy' "unhealthy once the start period is over"

# The seed's defaults (30 s interval, 3 retries, 5 s start period, 5 s timeout).
"$N" run -d --name dflt --health-cmd true -- sleep 60 >/dev/null
assert_eq "30000 5000 3 5000" "$(field dflt '" ".join(str(d["spec"]["health"][k]) for k in ("interval_ms", "timeout_ms", "retries", "start_period_ms"))')" \
    "defaults: 30s interval, 5s timeout, 3 retries, 5s start period"
assert_eq "120000" "$("$N" run -d --name num --health-cmd true --health-interval 2m -- true >/dev/null; field num 'd["spec"]["health"]["interval_ms"]')" \
    "durations take units (2m)"
assert_eq "30000" "$("$N" run -d --name plain --health-cmd true --health-interval 30 -- true >/dev/null; field plain 'd["spec"]["health"]["interval_ms"]')" \
    "a plain number is seconds, as the seed's flag took it"
"$N" rm -f slow never dflt num plain >/dev/null
finish
