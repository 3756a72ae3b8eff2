/* SPDX-License-Identifier: Apache-2.0 */
/* DNS messages as the egress DNS gate sees them (docs/network.md), parsed and built with
 * libldns: the gate reads a sandbox's query, answers NXDOMAIN (or REFUSED, SERVFAIL) by
 * itself, and takes the IPv4 addresses out of the upstream's answer, following the
 * CNAME chain from the name asked. Everything here reads input from a sandbox or from
 * the network: it is fuzzed (tests/fuzz/fuzz_dns.c). */
#include <errno.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "netpolicy.h"

static void pkt_freep(ldns_pkt **p) { if (*p) ldns_pkt_free(*p); }
#define _cleanup_pkt_ __attribute__((cleanup(pkt_freep)))

int np_dns_query_parse(const uint8_t *buf, size_t len, struct np_dns_query *ret)
{
        _cleanup_pkt_ ldns_pkt *p = NULL;
        ldns_rr *q;
        char *name;
        size_t n;

        if (len < 12 || len > NP_DNS_MSG_MAX || ldns_wire2pkt(&p, buf, len) != LDNS_STATUS_OK)
                return -EBADMSG;
        if (ldns_pkt_qr(p) || ldns_pkt_get_opcode(p) != LDNS_PACKET_QUERY || ldns_pkt_qdcount(p) != 1 ||
            ldns_rr_list_rr_count(ldns_pkt_question(p)) != 1)
                return -EBADMSG;
        q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
        if (ldns_rr_get_class(q) != LDNS_RR_CLASS_IN)
                return -EBADMSG;
        if (!(name = ldns_rdf2str(ldns_rr_owner(q))))
                return -ENOMEM;
        n = strlen(name);
        if (n >= sizeof(ret->name)) {
                free(name);
                return -EBADMSG;
        }
        memcpy(ret->name, name, n + 1);
        free(name);
        ret->id = ldns_pkt_id(p);
        ret->qtype = (uint16_t)ldns_rr_get_type(q);
        return 0;
}

int np_dns_reply_error(const uint8_t *query, size_t len, int rcode, uint8_t **ret, size_t *ret_len)
{
        _cleanup_pkt_ ldns_pkt *q = NULL, *r = NULL;
        ldns_rr *question;

        if (ldns_wire2pkt(&q, query, len) != LDNS_STATUS_OK || ldns_rr_list_rr_count(ldns_pkt_question(q)) != 1)
                return -EBADMSG;
        if (!(r = ldns_pkt_new()) || !(question = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q), 0))))
                return -ENOMEM;
        ldns_pkt_set_id(r, ldns_pkt_id(q));
        ldns_pkt_set_qr(r, true);
        ldns_pkt_set_rd(r, ldns_pkt_rd(q));
        ldns_pkt_set_ra(r, true);
        ldns_pkt_set_opcode(r, LDNS_PACKET_QUERY);
        ldns_pkt_set_rcode(r, (uint8_t)rcode);
        if (!ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, question)) {
                ldns_rr_free(question);
                return -ENOMEM;
        }
        if (ldns_pkt2wire(ret, r, ret_len) != LDNS_STATUS_OK)
                return -ENOMEM;
        return 0;
}

int np_dns_answer_addrs(const uint8_t *buf, size_t len, uint16_t id, const char *name, uint32_t *addrs,
                        uint32_t *ttls, size_t max, size_t *ret_n)
{
        _cleanup_pkt_ ldns_pkt *p = NULL;
        ldns_rdf *chain[NP_DNS_CHAIN_MAX] = { NULL };
        uint32_t chain_ttl[NP_DNS_CHAIN_MAX];
        ldns_rr_list *an;
        ldns_rr *q;
        size_t nchain = 1, n = 0;
        int r = 0;

        if (len < 12 || len > NP_DNS_MSG_MAX || ldns_wire2pkt(&p, buf, len) != LDNS_STATUS_OK)
                return -EBADMSG;
        if (!ldns_pkt_qr(p) || ldns_pkt_id(p) != id || ldns_rr_list_rr_count(ldns_pkt_question(p)) != 1)
                return -EBADMSG;
        q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
        if (!(chain[0] = ldns_dname_new_frm_str(name)))
                return -EBADMSG;
        /* The answer must be to the question asked. */
        if (ldns_dname_compare(ldns_rr_owner(q), chain[0]) != 0) {
                r = -EBADMSG;
                goto out;
        }
        chain_ttl[0] = UINT32_MAX;
        an = ldns_pkt_answer(p);
        /* The chain: name, its CNAME's target, that one's, ... (bounded: a loop ends it). */
        for (bool grown = true; grown && nchain < NP_DNS_CHAIN_MAX;) {
                grown = false;
                for (size_t i = 0; i < ldns_rr_list_rr_count(an) && !grown; i++) {
                        ldns_rr *rr = ldns_rr_list_rr(an, i);
                        ldns_rdf *target;
                        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
                            ldns_dname_compare(ldns_rr_owner(rr), chain[nchain - 1]) != 0 ||
                            !(target = ldns_rr_rdf(rr, 0)) || ldns_rdf_get_type(target) != LDNS_RDF_TYPE_DNAME)
                                continue;
                        bool seen = false;
                        for (size_t k = 0; k < nchain; k++)
                                seen = seen || ldns_dname_compare(chain[k], target) == 0;
                        if (seen)
                                break;
                        chain[nchain] = ldns_rdf_clone(target);
                        chain_ttl[nchain] = ldns_rr_ttl(rr) < chain_ttl[nchain - 1] ? ldns_rr_ttl(rr) : chain_ttl[nchain - 1];
                        nchain++;
                        grown = true;
                }
        }
        /* A records of any name in the chain, valid for as long as the whole chain is. */
        for (size_t i = 0; i < ldns_rr_list_rr_count(an) && n < max; i++) {
                ldns_rr *rr = ldns_rr_list_rr(an, i);
                ldns_rdf *a = ldns_rr_rdf(rr, 0);
                if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_A || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || !a ||
                    ldns_rdf_get_type(a) != LDNS_RDF_TYPE_A || ldns_rdf_size(a) != 4)
                        continue;
                for (size_t k = 0; k < nchain; k++)
                        if (ldns_dname_compare(ldns_rr_owner(rr), chain[k]) == 0) {
                                memcpy(&addrs[n], ldns_rdf_data(a), 4);
                                ttls[n] = ldns_rr_ttl(rr) < chain_ttl[k] ? ldns_rr_ttl(rr) : chain_ttl[k];
                                n++;
                                break;
                        }
        }
        *ret_n = n;
out:
        for (size_t k = 0; k < nchain; k++)
                ldns_rdf_deep_free(chain[k]);
        return r;
}
