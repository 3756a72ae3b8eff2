/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "spec.h"

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

static void expect_error(const char *text, const char *needle)
{
        struct nc_err err = { { 0 } };
        struct nc_spec *s = decode(text, &err);

        assert_null(s);
        if (!strstr(err.msg, needle))
                fail_msg("error '%s' does not mention '%s'", err.msg, needle);
}

static void test_minimal(void **state)
{
        struct nc_err err = { { 0 } };
        struct nc_spec *s = decode("{\"args\":[\"true\"]}", &err);

        assert_non_null(s);
        assert_int_equal(s->argc, 1);
        assert_string_equal(s->argv[0], "true");
        assert_null(s->argv[1]);
        assert_int_equal(s->envc, 0);
        assert_null(s->name);
        nc_spec_free(s);
}

static void test_roundtrip_binary(void **state)
{
        struct nc_err err = { { 0 } };
        struct nc_spec *s = decode("{\"args\":[\"echo\",{\"base64\":\"/w==\"}],\"env\":[\"A=1\"],\"cwd\":\"/tmp\","
                                   "\"name\":\"box\",\"hostname\":\"h\"}", &err);
        struct nc_spec *t = NULL;
        json_t *j;

        assert_non_null(s);
        assert_string_equal(s->argv[1], "\xff");
        j = nc_spec_to_json(s);
        /* Invalid UTF-8 must travel base64-encoded, in a field that says so. */
        assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "args"), 1), "base64")), "/w==");
        assert_int_equal(nc_spec_from_json(j, &t, &err), 0);
        assert_string_equal(t->argv[1], "\xff");
        assert_string_equal(t->cwd, "/tmp");
        assert_string_equal(nc_spec_getenv(t, "A"), "1");
        json_decref(j);
        nc_spec_free(s);
        nc_spec_free(t);
}

static void test_rejections(void **state)
{
        expect_error("[]", "must be a JSON object");
        expect_error("{}", "'args' is required");
        expect_error("{\"args\":[]}", "no command given");
        expect_error("{\"args\":[\"\"]}", "no command given");
        expect_error("{\"args\":\"true\"}", "must be an array");
        expect_error("{\"args\":[1]}", "args[0] must be a string");
        expect_error("{\"args\":[{\"base64\":\"YQBi\"}]}", "NUL");
        expect_error("{\"args\":[{\"base64\":\"!!\"}]}", "invalid base64");
        expect_error("{\"args\":[\"x\"],\"bogus\":1}", "unknown spec field 'bogus'");
        expect_error("{\"args\":[\"x\"],\"name\":\"a/b\"}", "invalid name 'a/b'");
        expect_error("{\"args\":[\"x\"],\"hostname\":\"-x\"}", "invalid hostname");
        expect_error("{\"args\":[\"x\"],\"cwd\":\"rel\"}", "absolute path");
        expect_error("{\"args\":[\"x\"],\"env\":[\"NOEQUALS\"]}", "KEY=VALUE");
        expect_error("{\"args\":[\"x\"],\"env\":[\"=v\"]}", "KEY=VALUE");
        expect_error("{\"args\":[\"x\"],\"env\":[\"LD_PRELOAD=/x.so\"]}", "LD_PRELOAD is refused");
        /* Flags that would be accepted and do nothing are refused. */
        expect_error("{\"args\":[\"x\"],\"seccomp_mode\":\"trace\",\"seccomp_log\":\"t\",\"seccomp_log_denied\":true}",
                     "seccomp_log_denied (--seccomp-log-denied) cannot be combined with seccomp_mode trace");
        /* An entry of the wrong type is named by its index. */
        expect_error("{\"args\":[\"x\"],\"tmpfs\":[5]}", "tmpfs[0] must be a string");
        expect_error("{\"args\":[\"x\"],\"network\":{\"mode\":\"bridge\",\"dns\":[5]}}", "network.dns[0] must be a string");
        expect_error("{\"args\":[\"x\"],\"network\":{\"mode\":\"bridge\",\"publish\":[5]}}",
                     "network.publish[0] must be a string");
        expect_error("{\"args\":[\"x\"],\"limits\":{\"io\":[\"8:0 riops=1\",5]}}", "limits.io[1] must be a string");
        /* A tmpfs size out of range says the range. */
        expect_error("{\"args\":[\"x\"],\"tmpfs\":[\"/x:1K\"]}", "size '1K' is out of range: from 4K to 1024G");
        expect_error("{\"args\":[\"x\"],\"tmpfs\":[\"/x:1025G\"]}", "size '1025G' is out of range");
        expect_error("{\"args\":[\"x\"],\"tmpfs\":[\"/x:2T\"]}", "neither a size (4K to 1024G");
        /* A user names both ids: a missing gid was silently the root group. */
        expect_error("{\"args\":[\"x\"],\"user\":{\"uid\":1000}}", "user.gid is missing");
        expect_error("{\"args\":[\"x\"],\"user\":{\"gid\":5}}", "user.uid is missing");
        expect_error("{\"args\":[\"x\"],\"user\":{}}", "user.uid is missing");
}

/* network.nat_backend (--nat-backend): bridge only; userspace takes no egress policy and
 * publishes on 127.0.0.1 only; a round trip keeps it. */
static void test_nat_backend(void **state)
{
#define BR(x) "{\"args\":[\"x\"],\"network\":{\"mode\":\"bridge\"" x "}}"
        struct nc_err err = { { 0 } };
        struct nc_spec *s = decode(BR(",\"nat_backend\":\"userspace\",\"publish\":[\"127.0.0.1:8080:80\"]"), &err);
        struct nc_spec *t = NULL;
        json_t *j;

        (void)state;
        assert_non_null(s);
        assert_int_equal(s->network.nat_backend, NC_NAT_USERSPACE);
        j = nc_spec_to_json(s);
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "network"), "nat_backend")), "userspace");
        assert_int_equal(nc_spec_from_json(j, &t, &err), 0);
        assert_int_equal(t->network.nat_backend, NC_NAT_USERSPACE);
        json_decref(j);
        nc_spec_free(s);
        nc_spec_free(t);
        /* auto (the default) is not written: nucleusd resolves it at create */
        s = decode(BR(""), &err);
        assert_non_null(s);
        assert_int_equal(s->network.nat_backend, NC_NAT_AUTO);
        j = nc_spec_to_json(s);
        assert_null(json_object_get(json_object_get(j, "network"), "nat_backend"));
        json_decref(j);
        nc_spec_free(s);

        expect_error(BR(",\"nat_backend\":\"slirp\""), "'network.nat_backend' must be \"auto\", \"kernel\" or \"userspace\"");
        expect_error(BR(",\"nat_backend\":1"), "'network.nat_backend' must be");
        expect_error("{\"args\":[\"x\"],\"network\":{\"mode\":\"none\",\"nat_backend\":\"kernel\"}}",
                     "'network.nat_backend' is only accepted with \"mode\": \"bridge\"");
        expect_error(BR(",\"nat_backend\":\"userspace\",\"egress\":{\"allow\":[\"10.0.0.0/8\"]}"),
                     "cannot be used with --nat-backend userspace");
        expect_error(BR(",\"nat_backend\":\"userspace\",\"publish\":[\"8080:80\"]"),
                     "-p 0.0.0.0:8080:80/tcp cannot be used with --nat-backend userspace");
        expect_error(BR(",\"nat_backend\":\"userspace\",\"publish\":[\"192.0.2.1:53:53/udp\"]"),
                     "give -p 127.0.0.1:53:53/udp");
#undef BR
}

/* network.egress (--egress-*): strict decoding with messages that name the value, the
 * rules that tie it to a bridge, and a lossless round trip. */
static void test_egress(void **state)
{
#define NET(x) "{\"args\":[\"x\"],\"network\":{\"mode\":\"bridge\",\"dns\":[\"10.0.0.53\"],\"egress\":" x "}}"
        struct nc_err err = { { 0 } };
        struct nc_spec *s = decode(NET("{\"allow\":[\"10.0.0.0/8\",\"192.0.2.7\",\"0.0.0.0/0\"],\"tcp_ports\":[443,8443],"
                                       "\"udp_ports\":[5000]}"), &err);
        struct nc_spec *t = NULL;
        json_t *j;

        assert_non_null(s);
        assert_true(s->network.egress.set);
        assert_true(s->network.egress.dns);
        assert_int_equal(s->network.egress.nallow, 3);
        assert_int_equal(s->network.egress.allow[0].prefix, 8);
        assert_int_equal(s->network.egress.allow[1].prefix, 32);
        assert_int_equal(s->network.egress.allow[2].prefix, 0);
        assert_int_equal(s->network.egress.ntcp, 2);
        assert_int_equal(s->network.egress.tcp_ports[1], 8443);
        assert_int_equal(s->network.egress.udp_ports[0], 5000);
        j = nc_spec_to_json(s);
        assert_int_equal(nc_spec_from_json(j, &t, &err), 0);
        assert_memory_equal(&s->network.egress, &t->network.egress, sizeof(s->network.egress));
        assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(json_object_get(j, "network"),
                                                                                             "egress"), "allow"), 1)),
                            "192.0.2.7/32");
        json_decref(j);
        nc_spec_free(s);
        nc_spec_free(t);

        /* Deny all: an empty policy; production's default also turns DNS off. */
        s = decode(NET("{\"allow\":[],\"dns\":false}"), &err);
        assert_non_null(s);
        assert_true(s->network.egress.set);
        assert_false(s->network.egress.dns);
        assert_int_equal(s->network.egress.nallow, 0);
        nc_spec_free(s);

        expect_error(NET("{\"allow\":[\"10.0.0.1/8\"]}"), "invalid egress CIDR '10.0.0.1/8': host bits are set (did you mean 10.0.0.0/8?)");
        expect_error(NET("{\"allow\":[\"10.0.0.0/33\"]}"), "invalid egress CIDR '10.0.0.0/33'");
        expect_error(NET("{\"allow\":[\"10.0.0.0/\"]}"), "invalid egress CIDR '10.0.0.0/'");
        expect_error(NET("{\"allow\":[\"example.org\"]}"), "invalid egress CIDR 'example.org'");
        expect_error(NET("{\"allow\":[\"\"]}"), "invalid egress CIDR ''");
        expect_error(NET("{\"allow\":[8]}"), "entries must be strings");
        expect_error(NET("{\"allow\":\"10.0.0.0/8\"}"), "'network.egress.allow' must be an array");
        expect_error(NET("{\"allow\":[\"10.0.0.0/8\",\"10.0.0.0/8\"]}"), "--egress-allow 10.0.0.0/8 is given twice");
        expect_error(NET("{\"allow\":[\"10.0.0.0/8\"],\"tcp_ports\":[0]}"), "invalid 'network.egress.tcp_ports' entry 0");
        expect_error(NET("{\"allow\":[\"10.0.0.0/8\"],\"udp_ports\":[65536]}"), "invalid 'network.egress.udp_ports' entry 65536");
        expect_error(NET("{\"allow\":[\"10.0.0.0/8\"],\"tcp_ports\":[\"80\"]}"), "invalid 'network.egress.tcp_ports' entry \"80\"");
        expect_error(NET("{\"allow\":[\"10.0.0.0/8\"],\"tcp_ports\":[80,80]}"), "--egress-tcp-port 80 is given twice");
        expect_error(NET("{\"tcp_ports\":[80]}"), "add --egress-allow CIDR");
        expect_error(NET("{\"dns\":1}"), "'network.egress.dns' must be true or false");
        expect_error(NET("{\"names\":[\"example.org\"]}"), "unknown network.egress field 'names'");
        expect_error(NET("[]"), "'network.egress' must be an object");
        expect_error(NET("{\"domains\":[\"bad_name.org\"]}"), "invalid egress domain 'bad_name.org'");
        expect_error(NET("{\"domains\":[\"org\"]}"), "invalid egress domain 'org': give a name with at least two labels");
        expect_error(NET("{\"domains\":[\"-a.org\"]}"), "invalid egress domain '-a.org'");
        expect_error(NET("{\"domains\":[\"a..org\"]}"), "invalid egress domain 'a..org'");
        expect_error(NET("{\"domains\":[\"a.org\",\"A.org.\"]}"), "--egress-domain a.org is given twice");
        expect_error(NET("{\"domains\":[\"a.org\"],\"dns\":false}"), "leaves the sandbox no resolver");
        expect_error(NET("{\"domains\":\"a.org\"}"), "'network.egress.domains' must be an array");

        /* Names: stored lower case without the final dot; ports may go with names alone. */
        s = decode(NET("{\"domains\":[\"Api.Example.ORG.\",\"*.cdn.example.net\"],\"tcp_ports\":[443]}"), &err);
        assert_non_null(s);
        assert_int_equal(s->network.egress.ndomains, 2);
        assert_string_equal(s->network.egress.domains[0], "api.example.org");
        assert_string_equal(s->network.egress.domains[1], "*.cdn.example.net");
        assert_true(nc_spec_domain_match("api.example.org", "API.example.org."));
        assert_false(nc_spec_domain_match("api.example.org", "x.api.example.org."));
        assert_true(nc_spec_domain_match("*.cdn.example.net", "a.b.cdn.example.net."));
        assert_false(nc_spec_domain_match("*.cdn.example.net", "cdn.example.net."));
        assert_false(nc_spec_domain_match("*.cdn.example.net", "xcdn.example.net"));
        nc_spec_free(s);
        expect_error("{\"args\":[\"x\"],\"network\":{\"egress\":{\"allow\":[]}}}",
                     "only accepted with --network bridge: a --network none sandbox");
        expect_error("{\"args\":[\"x\"],\"trust_level\":\"trusted\",\"network\":{\"mode\":\"host\",\"allow_host\":true,"
                     "\"egress\":{\"allow\":[]}}}", "a --network host sandbox shares the host's namespace");
#undef NET
}

/* Trace mode: the mode and the log go together, trace excludes opt-ins, and both
 * survive the codec (init gets the spec as JSON). */
static void test_seccomp_mode(void **state)
{
        struct nc_err err = { { 0 } };
        struct nc_spec *s = decode("{\"args\":[\"x\"],\"seccomp_mode\":\"trace\",\"seccomp_log\":\"t.ndjson\"}", &err), *t = NULL;
        json_t *j;

        assert_non_null(s);
        assert_int_equal(s->seccomp_mode, NC_SECCOMP_TRACE);
        j = nc_spec_to_json(s);
        assert_string_equal(json_string_value(json_object_get(j, "seccomp_mode")), "trace");
        assert_int_equal(nc_spec_from_json(j, &t, &err), 0);
        assert_int_equal(t->seccomp_mode, NC_SECCOMP_TRACE);
        assert_string_equal(t->seccomp_log, "t.ndjson");
        json_decref(j);
        nc_spec_free(s);
        nc_spec_free(t);

        s = decode("{\"args\":[\"x\"],\"seccomp_mode\":\"enforce\"}", &err);
        assert_non_null(s);
        j = nc_spec_to_json(s);
        assert_null(json_object_get(j, "seccomp_mode"));      /* the default is left out */
        json_decref(j);
        nc_spec_free(s);

        expect_error("{\"args\":[\"x\"],\"seccomp_mode\":\"trace\"}", "needs seccomp_log (--seccomp-log FILE)");
        expect_error("{\"args\":[\"x\"],\"seccomp_log\":\"t\"}", "only accepted with seccomp_mode trace");
        expect_error("{\"args\":[\"x\"],\"seccomp_mode\":\"trace\",\"seccomp_log\":\"t\",\"seccomp_allow\":[\"sysinfo\"]}",
                     "cannot be combined with seccomp_mode trace");
        expect_error("{\"args\":[\"x\"],\"seccomp_mode\":\"kill\"}", "'seccomp_mode' must be \"enforce\" or \"trace\"");
        expect_error("{\"args\":[\"x\"],\"seccomp_mode\":1}", "'seccomp_mode' must be");
        expect_error("{\"args\":[\"x\"],\"seccomp_mode\":\"trace\",\"seccomp_log\":\"\"}", "must name a file");
        assert_int_equal(nc_seccomp_mode_parse("trace"), NC_SECCOMP_TRACE);
        assert_int_equal(nc_seccomp_mode_parse(NULL), -EINVAL);
        assert_string_equal(nc_seccomp_mode_name(NC_SECCOMP_ENFORCE), "enforce");
}

static void test_setenv_replaces(void **state)
{
        struct nc_spec *s = nc_spec_new();
        struct nc_err err = { { 0 } };

        assert_int_equal(nc_spec_setenv(s, "A=1", &err), 0);
        assert_int_equal(nc_spec_setenv(s, "AB=2", &err), 0);
        assert_int_equal(nc_spec_setenv(s, "A=3", &err), 0);
        assert_int_equal(s->envc, 2);
        assert_string_equal(nc_spec_getenv(s, "A"), "3");
        assert_string_equal(nc_spec_getenv(s, "AB"), "2");
        assert_null(nc_spec_getenv(s, "B"));
        assert_int_not_equal(nc_spec_setenv(s, "LD_AUDIT=x", &err), 0);
        nc_spec_free(s);
}

static void test_size_limit(void **state)
{
        json_t *j = json_pack("{s:[s]}", "args", "x");
        json_t *args = json_object_get(j, "args");
        struct nc_err err = { { 0 } };
        struct nc_spec *s = NULL;
        char big[8192];

        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        for (int i = 0; i < 100; i++)
                json_array_append_new(args, json_string(big));
        assert_int_not_equal(nc_spec_from_json(j, &s, &err), 0);
        assert_non_null(strstr(err.msg, "bytes"));
        json_decref(j);
}

static void test_limits(void **state)
{
        struct nc_err err = { { 0 } };
        struct nc_spec *s = decode("{\"args\":[\"x\"],\"limits\":{\"memory\":67108864,\"cpu_millis\":250,"
                                   "\"pids\":0,\"io\":[\"8:0 riops=10 wbps=1048576\"]}}", &err);
        struct nc_spec_io io;
        json_t *j;

        assert_non_null(s);
        assert_int_equal(s->limits.memory, 67108864);
        assert_int_equal(s->limits.cpu_millis, 250);
        assert_int_equal(s->limits.pids, 0);
        assert_int_equal(s->limits.cpu_weight, NC_LIMIT_DEFAULT);
        assert_int_equal(s->limits.nio, 1);
        assert_int_equal(s->limits.io[0].major, 8);
        assert_int_equal(s->limits.io[0].riops, 10);
        assert_int_equal(s->limits.io[0].wbps, 1048576);
        j = nc_spec_to_json(s);
        assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(j, "limits"), "io"), 0)),
                            "8:0 riops=10 wbps=1048576");
        json_decref(j);
        nc_spec_free(s);

        assert_int_equal(nc_spec_io_parse("253:1 rbps=5", &io, &err), 0);
        assert_int_equal(io.minor, 1);
        assert_int_equal(io.rbps, 5);
        assert_int_not_equal(nc_spec_io_parse("8:0", &io, &err), 0);
        assert_int_not_equal(nc_spec_io_parse("8:0 riops=-1", &io, &err), 0);
        assert_int_not_equal(nc_spec_io_parse("sda riops=1", &io, &err), 0);
        expect_error("{\"args\":[\"x\"],\"limits\":{\"memory\":1024}}", "below 4 MiB");
        expect_error("{\"args\":[\"x\"],\"limits\":{\"cpu_weight\":0}}", "from 1 to 10000");
        expect_error("{\"args\":[\"x\"],\"limits\":{\"disk\":1}}", "unknown limit 'disk'");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_minimal),    cmocka_unit_test(test_roundtrip_binary),
                cmocka_unit_test(test_rejections), cmocka_unit_test(test_setenv_replaces),
                cmocka_unit_test(test_size_limit), cmocka_unit_test(test_limits),
                cmocka_unit_test(test_seccomp_mode), cmocka_unit_test(test_egress),
                cmocka_unit_test(test_nat_backend),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
