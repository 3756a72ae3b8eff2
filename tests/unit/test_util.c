/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "util.h"

/* --memory and the API's sizes: plain bytes or a K/M/G suffix (either case), nothing
 * else; an overflow is an error, not a wrapped small limit. */
static void test_sizes(void **state)
{
        uint64_t v;

        assert_int_equal(nc_parse_size("67108864", &v), 0);
        assert_int_equal(v, 67108864);
        assert_int_equal(nc_parse_size("65536K", &v), 0);
        assert_int_equal(v, 64ull << 20);
        assert_int_equal(nc_parse_size("64m", &v), 0);
        assert_int_equal(v, 64ull << 20);
        assert_int_equal(nc_parse_size("2G", &v), 0);
        assert_int_equal(v, 2ull << 30);
        assert_int_equal(nc_parse_size("0", &v), 0);
        assert_int_equal(v, 0);
        for (const char *bad[] = { "", "M", "1X", "1MB", "1.5G", "-1", " 1", "1 ", "1KK", "17179869184G",
                                   "99999999999999999999", NULL }, **b = bad; *b; b++)
                assert_int_equal(nc_parse_size(*b, &v), -EINVAL);
        assert_int_equal(nc_parse_size(NULL, &v), -EINVAL);
}

static void test_ids(void **state)
{
        char a[NC_ID_LEN + 1], b[NC_ID_LEN + 1];

        assert_int_equal(nc_id_new(a), 0);
        assert_int_equal(nc_id_new(b), 0);
        assert_int_equal(strlen(a), NC_ID_LEN);
        assert_true(nc_id_valid(a));
        assert_string_not_equal(a, b);
        assert_false(nc_id_valid("abc"));
        assert_false(nc_id_valid("ABCDEF0123456789ABCDEF0123456789"));
        assert_true(nc_id_prefix_valid("a"));
        assert_false(nc_id_prefix_valid(""));
        assert_false(nc_id_prefix_valid("0123456789abcdef0123456789abcdef0"));
}

static void test_names(void **state)
{
        char long_name[200];

        assert_true(nc_name_valid("web-1.prod_x"));
        assert_false(nc_name_valid(""));
        assert_false(nc_name_valid("."));
        assert_false(nc_name_valid(".."));
        assert_false(nc_name_valid("a/b"));
        assert_false(nc_name_valid("a b"));
        memset(long_name, 'a', 128);
        long_name[128] = 0;
        assert_true(nc_name_valid(long_name));
        long_name[128] = 'a';
        long_name[129] = 0;
        assert_false(nc_name_valid(long_name));
}

static void test_hostnames(void **state)
{
        assert_true(nc_hostname_valid("box"));
        assert_true(nc_hostname_valid("a-b.example"));
        assert_false(nc_hostname_valid("-a"));
        assert_false(nc_hostname_valid("a-"));
        assert_false(nc_hostname_valid("a..b"));
        assert_false(nc_hostname_valid("a_b"));
        assert_false(nc_hostname_valid(""));
        assert_false(nc_hostname_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void test_signals(void **state)
{
        assert_int_equal(nc_signal_parse("TERM"), SIGTERM);
        assert_int_equal(nc_signal_parse("sigterm"), SIGTERM);
        assert_int_equal(nc_signal_parse("SIGKILL"), SIGKILL);
        assert_int_equal(nc_signal_parse("9"), 9);
        assert_int_equal(nc_signal_parse("0"), -EINVAL);
        assert_int_equal(nc_signal_parse("65"), -EINVAL);
        assert_int_equal(nc_signal_parse("NOPE"), -EINVAL);
        assert_int_equal(nc_signal_parse("9x"), -EINVAL);
        assert_string_equal(nc_signal_name(SIGINT), "SIGINT");
        assert_string_equal(nc_signal_name(200), "SIG?");
}

static void test_exit_codes(void **state)
{
        assert_int_equal(nc_exit_code_from_wstatus(W_EXITCODE(0, 0)), 0);
        assert_int_equal(nc_exit_code_from_wstatus(W_EXITCODE(42, 0)), 42);
        assert_int_equal(nc_exit_code_from_wstatus(SIGKILL), 137);
        assert_int_equal(nc_exit_code_from_wstatus(SIGTERM), 143);
}

static void roundtrip(const char *in)
{
        char enc[256];
        uint8_t dec[256];
        ssize_t n;

        nc_b64_encode((const uint8_t *)in, strlen(in), enc);
        n = nc_b64_decode(enc, strlen(enc), dec, sizeof(dec));
        assert_int_equal(n, (ssize_t)strlen(in));
        assert_memory_equal(dec, in, strlen(in));
}

static void test_base64(void **state)
{
        char enc[64];
        uint8_t dec[64];

        nc_b64_encode((const uint8_t *)"foobar", 6, enc);
        assert_string_equal(enc, "Zm9vYmFy");
        nc_b64_encode((const uint8_t *)"fo", 2, enc);
        assert_string_equal(enc, "Zm8=");
        roundtrip("");
        roundtrip("f");
        roundtrip("fo");
        roundtrip("foo");
        roundtrip("\xff\xfe\x80 invalid utf-8");
        assert_int_equal(nc_b64_decode("Zm9", 3, dec, sizeof(dec)), -EINVAL);
        assert_int_equal(nc_b64_decode("Zm==Zm9v", 8, dec, sizeof(dec)), -EINVAL);
        assert_int_equal(nc_b64_decode("Z!9v", 4, dec, sizeof(dec)), -EINVAL);
        assert_int_equal(nc_b64_decode("Zm9vYmFy", 8, dec, 5), -ENOBUFS);
}

static void test_rfc3339(void **state)
{
        char buf[64];

        nc_format_rfc3339(1700000000123456789ull, buf);
        assert_string_equal(buf, "2023-11-14T22:13:20.123456789Z");
}

/* Reads to EOF across many small writes, NUL-terminates, and stops past the cap. */
static void test_read_all(void **state)
{
        int p[2];
        char *buf = NULL;
        char chunk[1000];

        memset(chunk, 'a', sizeof(chunk));
        assert_int_equal(pipe(p), 0);
        for (int i = 0; i < 9; i++)
                assert_int_equal(write(p[1], chunk, sizeof(chunk)), (ssize_t)sizeof(chunk));
        close(p[1]);
        assert_int_equal(nc_read_all(p[0], 9000, &buf), 9000);
        assert_int_equal(strlen(buf), 9000);
        free(buf);
        close(p[0]);

        buf = NULL;
        assert_int_equal(pipe(p), 0);
        assert_int_equal(write(p[1], chunk, sizeof(chunk)), (ssize_t)sizeof(chunk));
        close(p[1]);
        assert_int_equal(nc_read_all(p[0], 999, &buf), -EFBIG);
        assert_null(buf);
        close(p[0]);

        assert_int_equal(pipe(p), 0);
        close(p[1]);
        assert_int_equal(nc_read_all(p[0], 10, &buf), 0);
        assert_string_equal(buf, "");
        free(buf);
        close(p[0]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ids),      cmocka_unit_test(test_names),   cmocka_unit_test(test_hostnames),
                cmocka_unit_test(test_signals),  cmocka_unit_test(test_exit_codes), cmocka_unit_test(test_base64),
                cmocka_unit_test(test_rfc3339), cmocka_unit_test(test_read_all), cmocka_unit_test(test_sizes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
