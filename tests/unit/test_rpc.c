/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "rpc.h"

static void test_framer_lines(void **state)
{
        struct nc_framer f;
        char *line;
        size_t len;

        nc_framer_init(&f, 64);
        assert_int_equal(nc_framer_push(&f, "{\"a\":1}\n{\"b\"", 12), 0);
        assert_int_equal(nc_framer_next(&f, &line, &len), 1);
        assert_string_equal(line, "{\"a\":1}");
        assert_int_equal(nc_framer_next(&f, &line, &len), 0);
        assert_int_equal(nc_framer_push(&f, ":2}\r\n\n", 6), 0);
        assert_int_equal(nc_framer_next(&f, &line, &len), 1);
        assert_string_equal(line, "{\"b\":2}");
        assert_int_equal(len, 7);
        assert_int_equal(nc_framer_next(&f, &line, &len), 0);   /* blank line skipped */
        nc_framer_done(&f);
}

static void test_framer_oversize(void **state)
{
        struct nc_framer f;
        char big[200], *line;
        size_t len;

        memset(big, 'x', sizeof(big));
        nc_framer_init(&f, 64);
        /* Arrives in pieces, newline last: reported once, then skipped. */
        assert_int_equal(nc_framer_push(&f, big, 100), 0);
        assert_int_equal(nc_framer_next(&f, &line, &len), -EMSGSIZE);
        assert_int_equal(nc_framer_push(&f, big, 100), 0);
        assert_int_equal(nc_framer_next(&f, &line, &len), 0);
        assert_int_equal(nc_framer_push(&f, "tail\nok\n", 8), 0);
        assert_int_equal(nc_framer_next(&f, &line, &len), 1);
        assert_string_equal(line, "ok");
        /* Arrives whole, newline included. */
        assert_int_equal(nc_framer_push(&f, big, 100), 0);
        assert_int_equal(nc_framer_push(&f, "\nnext\n", 6), 0);
        assert_int_equal(nc_framer_next(&f, &line, &len), -EMSGSIZE);
        assert_int_equal(nc_framer_next(&f, &line, &len), 1);
        assert_string_equal(line, "next");
        nc_framer_done(&f);
}

static int parse(const char *text, struct nc_err *err)
{
        struct nc_rpc_request r = { 0 };
        json_t *id = NULL;
        int code = nc_rpc_request_parse(text, strlen(text), &r, &id, err);

        json_decref(id);
        if (code == 0)
                nc_rpc_request_done(&r);
        return code;
}

static void test_requests(void **state)
{
        struct nc_err err = { { 0 } };
        struct nc_rpc_request r = { 0 };
        json_t *id = NULL;
        const char *ok = "{\"jsonrpc\":\"2.0\",\"method\":\"sandbox.list\",\"id\":7}";

        assert_int_equal(nc_rpc_request_parse(ok, strlen(ok), &r, &id, &err), 0);
        assert_string_equal(r.method, "sandbox.list");
        assert_true(json_is_object(r.params));
        assert_int_equal(json_integer_value(r.id), 7);
        json_decref(id);
        nc_rpc_request_done(&r);

        assert_int_equal(parse("{", &err), NC_RPC_PARSE_ERROR);
        assert_int_equal(parse("[1,2]", &err), NC_RPC_INVALID_REQUEST);
        /* Valid JSON that is not an object is an invalid request, not a parse error. */
        assert_int_equal(parse("1", &err), NC_RPC_INVALID_REQUEST);
        assert_int_equal(parse("\"x\"", &err), NC_RPC_INVALID_REQUEST);
        assert_int_equal(parse("null", &err), NC_RPC_INVALID_REQUEST);
        assert_int_equal(parse("{\"jsonrpc\":\"1.0\",\"method\":\"x\"}", &err), NC_RPC_INVALID_REQUEST);
        assert_int_equal(parse("{\"jsonrpc\":\"2.0\"}", &err), NC_RPC_INVALID_REQUEST);
        assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":[1]}", &err), NC_RPC_INVALID_PARAMS);
        assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"id\":{}}", &err), NC_RPC_INVALID_REQUEST);
        assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"extra\":1}", &err), NC_RPC_INVALID_REQUEST);
        assert_non_null(strstr(err.msg, "extra"));
        assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"method\":\"y\"}", &err), NC_RPC_PARSE_ERROR);
}

static void test_params(void **state)
{
        static const char *const known[] = { "id", "all", NULL };
        json_t *p = json_pack("{s:b, s:s, s:i}", "all", 1, "id", "abc", "n", 5);
        struct nc_err err = { { 0 } };
        const char *s;
        long long n;
        bool b;

        assert_int_equal(nc_param_bool(p, "all", false, &b, &err), 0);
        assert_true(b);
        assert_int_not_equal(nc_param_bool(p, "id", false, &b, &err), 0);
        assert_non_null(strstr(err.msg, "'id' must be true or false"));
        assert_int_equal(nc_param_string(p, "id", true, &s, &err), 0);
        assert_string_equal(s, "abc");
        assert_int_not_equal(nc_param_string(p, "missing", true, &s, &err), 0);
        assert_int_equal(nc_param_int(p, "n", 0, 1, 10, &n, &err), 0);
        assert_int_equal(n, 5);
        assert_int_not_equal(nc_param_int(p, "n", 0, 6, 10, &n, &err), 0);
        assert_int_not_equal(nc_params_only(p, known, &err), 0);
        assert_non_null(strstr(err.msg, "unknown parameter 'n'"));
        json_decref(p);
}

/* An error message quoting invalid UTF-8 (a byte string, a character cut in two by a
 * fixed-size buffer) still makes a reply: the bad bytes become '?'. */
static void test_error_utf8(void **state)
{
        static const struct { const char *in, *out; } cases[] = {
                { "plain", "plain" },
                { "caf\xc3\xa9", "caf\xc3\xa9" },
                { "cut '\xc3'", "cut '?'" },               /* é split by a truncation */
                { "byte \xff!", "byte ?!" },
                { "overlong \xc0\xaf", "overlong ??" },
                { "surrogate \xed\xa0\x80", "surrogate ???" },
                { "\xe2\x82", "??" },                    /* a 3-byte sequence cut short */
        };

        json_t *id = json_integer(1);

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                json_t *e = nc_rpc_make_error(id, -32602, cases[i].in, NULL);

                assert_non_null(e);
                assert_string_equal(json_string_value(json_object_get(json_object_get(e, "error"), "message")),
                                    cases[i].out);
                json_decref(e);
        }
        json_decref(id);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_framer_lines), cmocka_unit_test(test_framer_oversize),
                cmocka_unit_test(test_requests),     cmocka_unit_test(test_params),
                cmocka_unit_test(test_error_utf8),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
