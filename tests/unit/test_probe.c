/* SPDX-License-Identifier: Apache-2.0 */
/* Probes without a loop: the duration syntax of the flags, the spec's probe members,
 * and the health state machine (supervisor/probe_state.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "probe_state.h"
#include "spec.h"

static void expect_ms(const char *s, uint64_t want)
{
        uint64_t ms = 0;

        if (nc_duration_parse(s, &ms) != 0)
                fail_msg("'%s' was refused", s);
        if (ms != want)
                fail_msg("'%s': expected %llu ms, got %llu", s, (unsigned long long)want, (unsigned long long)ms);
}

static void test_duration_parse(void **state)
{
        uint64_t ms = 42;

        expect_ms("500ms", 500);
        expect_ms("2s", 2000);
        expect_ms("1m", 60000);
        expect_ms("1h", 3600000);
        expect_ms("30", 30000);         /* the seed's flags took plain seconds */
        expect_ms("0", 0);
        expect_ms("0ms", 0);
        static const char *const bad[] = { "", "s", "-1s", "+1s", "1.5s", "1 s", " 1s", "1sec", "1d", "1S", "ms",
                                           "99999999999999999999", "18446744073709551615s", "1s2" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (nc_duration_parse(bad[i], &ms) == 0)
                        fail_msg("'%s' was accepted as %llu ms", bad[i], (unsigned long long)ms);
        assert_int_equal(ms, 42);       /* untouched by the refusals */
        assert_int_not_equal(nc_duration_parse(NULL, &ms), 0);
}

static void test_duration_format(void **state)
{
        static const struct { uint64_t ms; const char *text; } cases[] = {
                { 0, "0s" }, { 500, "500ms" }, { 1500, "1500ms" }, { 2000, "2s" }, { 90000, "90s" },
                { 60000, "1m" }, { 7200000, "2h" }, { 5400000, "90m" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char buf[32];
                uint64_t back;

                nc_duration_format(cases[i].ms, buf, sizeof(buf));
                assert_string_equal(buf, cases[i].text);
                assert_int_equal(nc_duration_parse(buf, &back), 0);
                assert_int_equal(back, cases[i].ms);
        }
}

static void test_health_state_machine(void **state)
{
        struct sup_health_state h;

        /* Start period until t=1000, 2 retries. */
        sup_health_init(&h, 2, 1000);
        assert_int_equal(h.status, SUP_HEALTH_STARTING);
        assert_int_equal(sup_health_record(&h, false, 100), SUP_HEALTH_STARTING);
        assert_int_equal(sup_health_record(&h, false, 200), SUP_HEALTH_STARTING);
        assert_int_equal(sup_health_record(&h, false, 300), SUP_HEALTH_STARTING);
        assert_int_equal(h.failing_streak, 0);          /* not counted in the start period */
        assert_int_equal(sup_health_record(&h, false, 1000), SUP_HEALTH_STARTING);
        assert_int_equal(h.failing_streak, 1);          /* counted from its end on */
        assert_int_equal(sup_health_record(&h, false, 1100), SUP_HEALTH_UNHEALTHY);
        assert_int_equal(h.failing_streak, 2);
        assert_int_equal(sup_health_record(&h, false, 1200), SUP_HEALTH_UNHEALTHY);
        assert_int_equal(h.failing_streak, 3);
        assert_int_equal(sup_health_record(&h, true, 1300), SUP_HEALTH_HEALTHY);
        assert_int_equal(h.failing_streak, 0);
        assert_int_equal(sup_health_record(&h, false, 1400), SUP_HEALTH_HEALTHY);      /* one of two */
        assert_int_equal(sup_health_record(&h, true, 1500), SUP_HEALTH_HEALTHY);
        assert_int_equal(sup_health_record(&h, false, 1600), SUP_HEALTH_HEALTHY);      /* the streak restarted */
        assert_int_equal(sup_health_record(&h, false, 1700), SUP_HEALTH_UNHEALTHY);

        /* A pass inside the start period: healthy at once, and from then on failures
         * count even inside it (it is no longer starting). */
        sup_health_init(&h, 1, 10000);
        assert_int_equal(sup_health_record(&h, true, 10), SUP_HEALTH_HEALTHY);
        assert_int_equal(sup_health_record(&h, false, 20), SUP_HEALTH_UNHEALTHY);

        /* No start period, one retry: the first failure decides. */
        sup_health_init(&h, 1, 0);
        assert_int_equal(sup_health_record(&h, false, 0), SUP_HEALTH_UNHEALTHY);

        /* retries 0 is taken as 1: a check must be able to fail. */
        sup_health_init(&h, 0, 0);
        assert_int_equal(sup_health_record(&h, false, 0), SUP_HEALTH_UNHEALTHY);

        assert_string_equal(sup_health_status_name(SUP_HEALTH_STARTING), "starting");
        assert_string_equal(sup_health_status_name(SUP_HEALTH_HEALTHY), "healthy");
        assert_string_equal(sup_health_status_name(SUP_HEALTH_UNHEALTHY), "unhealthy");
}

static void test_restart_backoff(void **state)
{
        unsigned step = 0;
        uint64_t want[] = { 100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000, 60000 };

        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                assert_int_equal(sup_restart_backoff(&step, 50), want[i]);      /* quick failures: doubling, capped */
        assert_int_equal(sup_restart_backoff(&step, 9999), 60000);
        assert_int_equal(sup_restart_backoff(&step, 10000), 100);               /* a stable run resets it */
        assert_int_equal(sup_restart_backoff(&step, 10), 200);
        step = 1000;
        assert_int_equal(sup_restart_backoff(&step, 0), 60000);                 /* no overflow far past the cap */
}

static void test_restart_policy(void **state)
{
        struct nc_spec_restart r;
        struct nc_err err = { { 0 } };

        assert_int_equal(nc_restart_parse("no", &r, &err), 0);
        assert_int_equal(r.policy, NC_RESTART_NO);
        assert_int_equal(nc_restart_parse("always", &r, &err), 0);
        assert_int_equal(r.policy, NC_RESTART_ALWAYS);
        assert_int_equal(nc_restart_parse("on-failure", &r, &err), 0);
        assert_int_equal(r.policy, NC_RESTART_ON_FAILURE);
        assert_int_equal(r.max, 0);
        assert_int_equal(nc_restart_parse("on-failure:5", &r, &err), 0);
        assert_int_equal(r.max, 5);
        static const char *const bad[] = { "", "yes", "always:3", "no:1", "on-failure:", "on-failure:0", "on-failure:-1",
                                           "on-failure:1x", "on-failure:99999999999", "On-failure", "unless-stopped" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (nc_restart_parse(bad[i], &r, &err) == 0)
                        fail_msg("'%s' was accepted", bad[i]);
                assert_non_null(strstr(err.msg, "no, on-failure, on-failure:MAX"));
        }
}

static struct nc_spec *decode(const char *text, struct nc_err *err)
{
        json_error_t jerr;
        json_t *j = json_loads(text, 0, &jerr);
        struct nc_spec *s = NULL;

        assert_non_null(j);
        if (nc_spec_from_json(j, &s, err) < 0)
                s = NULL;
        json_decref(j);
        return s;
}

static void test_spec_probes(void **state)
{
        struct nc_err err = { { 0 } };
        struct nc_spec *s = decode("{\"args\":[\"x\"],\"health\":{\"cmd\":\"pg_isready\"},\"readiness\":{\"tcp\":5432}}", &err);
        json_t *j;

        if (!s)
                fail_msg("%s", err.msg);
        assert_int_equal(s->health.kind, NC_PROBE_EXEC);
        assert_string_equal(s->health.cmd, "pg_isready");
        /* The seed's defaults are filled in. */
        assert_int_equal(s->health.interval_ms, 30000);
        assert_int_equal(s->health.timeout_ms, 5000);
        assert_int_equal(s->health.retries, 3);
        assert_int_equal(s->health.start_period_ms, 5000);
        assert_int_equal(s->readiness.kind, NC_PROBE_TCP);
        assert_int_equal(s->readiness.port, 5432);
        assert_int_equal(s->readiness.interval_ms, 1000);
        /* And survive a round trip. */
        j = nc_spec_to_json(s);
        nc_spec_free(s);
        s = NULL;
        assert_int_equal(nc_spec_from_json(j, &s, &err), 0);
        json_decref(j);
        assert_int_equal(s->health.kind, NC_PROBE_EXEC);
        assert_int_equal(s->health.retries, 3);
        assert_int_equal(s->readiness.port, 5432);
        nc_spec_free(s);

        s = decode("{\"args\":[\"x\"],\"health\":{\"http\":\"http://[::1]:8080/h?x=1\",\"interval_ms\":100,\"timeout_ms\":10,"
                   "\"retries\":1000,\"start_period_ms\":0},\"readiness\":{\"sd_notify\":true}}", &err);
        if (!s)
                fail_msg("%s", err.msg);
        assert_int_equal(s->health.kind, NC_PROBE_HTTP);
        assert_int_equal(s->readiness.kind, NC_PROBE_SD_NOTIFY);
        nc_spec_free(s);

        static const struct { const char *json, *needle; } bad[] = {
                { "{\"args\":[\"x\"],\"health\":{}}", "exactly one of cmd, tcp and http" },
                { "{\"args\":[\"x\"],\"health\":{\"cmd\":\"a\",\"http\":\"http://1.2.3.4/\"}}", "exactly one" },
                { "{\"args\":[\"x\"],\"health\":{\"cmd\":\"\"}}", "non-empty command" },
                { "{\"args\":[\"x\"],\"health\":{\"tcp\":0}}", "port number from 1 to 65535" },
                { "{\"args\":[\"x\"],\"health\":{\"tcp\":\"80\"}}", "port number from 1 to 65535" },
                { "{\"args\":[\"x\"],\"health\":{\"tcp\":80,\"interval_ms\":99}}", "from 100 to" },
                { "{\"args\":[\"x\"],\"health\":{\"tcp\":80,\"timeout_ms\":86400001}}", "timeout_ms" },
                { "{\"args\":[\"x\"],\"health\":{\"tcp\":80,\"retries\":0}}", "health.retries must be" },
                { "{\"args\":[\"x\"],\"health\":{\"tcp\":80,\"retries\":1.5}}", "health.retries must be" },
                { "{\"args\":[\"x\"],\"health\":{\"sd_notify\":true}}", "unknown health field 'sd_notify'" },
                { "{\"args\":[\"x\"],\"health\":\"curl -f x\"}", "'health' must be an object" },
                { "{\"args\":[\"x\"],\"health\":{\"http\":\"http://db/\"}}", "IP address or localhost" },
                { "{\"args\":[\"x\"],\"health\":{\"http\":\"http://user@1.2.3.4/\"}}", "IP address or localhost" },
                { "{\"args\":[\"x\"],\"health\":{\"http\":\"http://1.2.3.4:99999/\"}}", "port must be" },
                { "{\"args\":[\"x\"],\"health\":{\"http\":\"http://[::1/\"}}", "closing ']'" },
                { "{\"args\":[\"x\"],\"health\":{\"http\":\"http://1.2.3.4/a b\"}}", "percent-encoded" },
                { "{\"args\":[\"x\"],\"health\":{\"http\":\"file:///etc/passwd\"}}", "use http://" },
                { "{\"args\":[\"x\"],\"readiness\":{\"sd_notify\":1}}", "readiness.sd_notify must be true" },
                { "{\"args\":[\"x\"],\"readiness\":{\"tcp\":80,\"retries\":3}}", "unknown readiness field 'retries'" },
                { "{\"args\":[\"x\"],\"restart\":{\"policy\":\"always\",\"max\":3}}", "only goes with the on-failure" },
                { "{\"args\":[\"x\"],\"restart\":{\"policy\":\"on-failure:3\"}}", "restart.policy must be" },
                { "{\"args\":[\"x\"],\"restart\":{\"policy\":\"always\",\"on_unhealthy\":true}}", "needs a health check" },
                { "{\"args\":[\"x\"],\"health\":{\"tcp\":1},\"restart\":{\"policy\":\"no\",\"on_unhealthy\":true}}", "needs a restart policy" },
                { "{\"args\":[\"x\"],\"restart\":{\"policy\":\"always\",\"delay\":1}}", "unknown restart field 'delay'" },
                { "{\"args\":[\"x\"],\"restart\":\"always\"}", "'restart' must be an object" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                s = decode(bad[i].json, &err);
                if (s)
                        fail_msg("accepted: %s", bad[i].json);
                if (!strstr(err.msg, bad[i].needle))
                        fail_msg("%s: error '%s' does not mention '%s'", bad[i].json, err.msg, bad[i].needle);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_duration_parse),
                cmocka_unit_test(test_duration_format),
                cmocka_unit_test(test_health_state_machine),
                cmocka_unit_test(test_spec_probes),
                cmocka_unit_test(test_restart_backoff),
                cmocka_unit_test(test_restart_policy),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
