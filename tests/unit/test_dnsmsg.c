/* SPDX-License-Identifier: Apache-2.0 */
/* The egress DNS gate's messages (netpolicy/dnsmsg.c): queries it accepts, the errors it
 * answers by itself, and the addresses it takes from an answer (the CNAME chain, the
 * lowest TTL along it, nothing from off the chain). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "netpolicy.h"

static size_t put_name(uint8_t *p, const char *name)
{
        size_t n = 0;

        while (*name) {
                const char *dot = strchr(name, '.');
                size_t l = dot ? (size_t)(dot - name) : strlen(name);
                p[n++] = (uint8_t)l;
                memcpy(p + n, name, l);
                n += l;
                name += l + (dot ? 1 : 0);
        }
        p[n++] = 0;
        return n;
}

static size_t put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; return 2; }
static size_t put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); return 4; }

static size_t query(uint8_t *buf, uint16_t id, const char *name, unsigned qtype)
{
        size_t n = 0;

        n += put16(buf + n, id);
        n += put16(buf + n, 0x0100);
        n += put16(buf + n, 1);
        memset(buf + n, 0, 6);
        n += 6;
        n += put_name(buf + n, name);
        n += put16(buf + n, qtype);
        n += put16(buf + n, 1);
        return n;
}

static size_t rr(uint8_t *buf, const char *owner, unsigned type, uint32_t ttl, const uint8_t *data, size_t dlen)
{
        size_t n = put_name(buf, owner);

        n += put16(buf + n, type);
        n += put16(buf + n, 1);
        n += put32(buf + n, ttl);
        n += put16(buf + n, (unsigned)dlen);
        memcpy(buf + n, data, dlen);
        return n + dlen;
}

static void test_query(void **state)
{
        uint8_t buf[512];
        struct np_dns_query q;
        uint8_t *wire = NULL;
        size_t len = query(buf, 0xbeef, "Api.Example.org", 1), wlen = 0;

        assert_int_equal(np_dns_query_parse(buf, len, &q), 0);
        assert_int_equal(q.id, 0xbeef);
        assert_int_equal(q.qtype, 1);
        assert_string_equal(q.name, "Api.Example.org.");
        assert_int_equal(np_dns_query_parse(buf, 11, &q), -EBADMSG);
        buf[2] |= 0x80;                 /* an answer is not a query */
        assert_int_equal(np_dns_query_parse(buf, len, &q), -EBADMSG);
        buf[2] &= 0x7f;

        assert_int_equal(np_dns_reply_error(buf, len, 3, &wire, &wlen), 0);
        assert_int_equal(wire[0] << 8 | wire[1], 0xbeef);
        assert_true(wire[2] & 0x80);            /* QR */
        assert_int_equal(wire[3] & 0xf, 3);     /* NXDOMAIN */
        assert_int_equal(wire[6] << 8 | wire[7], 0);
        free(wire);
}

static void test_answer_chain(void **state)
{
        uint8_t buf[1024], target[64];
        const uint8_t a1[] = { 192, 0, 2, 7 }, a2[] = { 198, 51, 100, 1 };
        uint32_t addrs[8], ttls[8];
        size_t len = query(buf, 7, "www.example.org", 1), n = 0;
        char ip[INET_ADDRSTRLEN];

        buf[2] = 0x81;
        buf[3] = 0x80;
        buf[7] = 3;                             /* ANCOUNT */
        len += rr(buf + len, "www.example.org", 5, 300, target, put_name(target, "cdn.example.net"));
        len += rr(buf + len, "cdn.example.net", 1, 60, a1, 4);
        len += rr(buf + len, "other.example.com", 1, 600, a2, 4);      /* not on the chain */
        assert_int_equal(np_dns_answer_addrs(buf, len, 7, "www.example.org.", addrs, ttls, 8, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(inet_ntop(AF_INET, &addrs[0], ip, sizeof(ip)), "192.0.2.7");
        assert_int_equal(ttls[0], 60);
        /* Another id, another question: not this query's answer. */
        assert_int_equal(np_dns_answer_addrs(buf, len, 8, "www.example.org.", addrs, ttls, 8, &n), -EBADMSG);
        assert_int_equal(np_dns_answer_addrs(buf, len, 7, "cdn.example.net.", addrs, ttls, 8, &n), -EBADMSG);
}

static void test_answer_cname_loop(void **state)
{
        uint8_t buf[1024], target[64];
        const uint8_t a1[] = { 192, 0, 2, 9 };
        uint32_t addrs[8], ttls[8];
        size_t len = query(buf, 9, "a.example.org", 1), n = 0;

        buf[2] = 0x81;
        buf[3] = 0x80;
        buf[7] = 3;
        len += rr(buf + len, "a.example.org", 5, 30, target, put_name(target, "b.example.org"));
        len += rr(buf + len, "b.example.org", 5, 10, target, put_name(target, "a.example.org"));   /* a loop */
        len += rr(buf + len, "b.example.org", 1, 600, a1, 4);
        assert_int_equal(np_dns_answer_addrs(buf, len, 9, "a.example.org.", addrs, ttls, 8, &n), 0);
        assert_int_equal(n, 1);
        /* Valid for as long as the chain to it: the CNAME to b (30 s); the loop back to a
         * ends the chain and is not a link of it. */
        assert_int_equal(ttls[0], 30);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_query),
                cmocka_unit_test(test_answer_chain),
                cmocka_unit_test(test_answer_cname_loop),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
