/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the egress DNS gate's input path (netpolicy/dnsmsg.c): what a sandbox sends as
 * a query, and what comes back from upstream as an answer (the same bytes fed to both;
 * an answer is read for the question it carries, as the gate reads it for the query it
 * forwarded). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netpolicy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct np_dns_query q = { 0 };
        uint32_t addrs[8], ttls[8];
        uint8_t *wire = NULL;
        size_t n = 0, len = 0;
        uint16_t id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;

        if (np_dns_query_parse(data, size, &q) == 0 && np_dns_reply_error(data, size, 3, &wire, &len) == 0) {
                struct np_dns_query again = { 0 };
                /* Our own answer is a valid message for the same question. */
                if (np_dns_answer_addrs(wire, len, q.id, q.name, addrs, ttls, 8, &n) != 0 || n != 0)
                        abort();
                if (np_dns_query_parse(wire, len, &again) == 0)
                        abort();        /* an answer is not a query */
        }
        free(wire);
        (void)np_dns_answer_addrs(data, size, id, q.name[0] ? q.name : "example.org.", addrs, ttls, 8, &n);
        if (n > 8)
                abort();
        return 0;
}
