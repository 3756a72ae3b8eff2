/* SPDX-License-Identifier: Apache-2.0 */
/* The egress DNS gate (docs/network.md): the only resolver of sandboxes whose policy has
 * --egress-domain names. It listens on the bridge's address, port 53, over UDP and TCP;
 * knows the asking sandbox by its source address (the bridge table pins each veth to its
 * address, so it cannot be forged); answers NXDOMAIN for a name the policy does not
 * allow; asks the sandbox's --dns servers (over UDP) for one it does; adds the IPv4
 * addresses of the answer, along the CNAME chain, to the sandbox's nft set for their TTL
 * (netpolicy/), and only then passes the answer on, so the sandbox's connection finds
 * its address allowed. Messages are parsed with libldns (netpolicy/dnsmsg.c, fuzzed).
 *
 * Every query in flight owns an upstream socket and a timer; a TCP client is served one
 * query at a time. Objects holding handles free themselves in their last close callback;
 * what the loop's final close-all leaves is freed by sup_dnsgate_free. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dnsgate.h"
#include "log.h"
#include "netpolicy.h"
#include "sup.h"

#define QUERIES_MAX 256                 /* in flight, all sandboxes together */
#define QUERIES_PER_SANDBOX 32          /* in flight: one sandbox cannot take them all */
#define DENIALS_LOGGED_PER_S 20         /* "nucleus-egress-denied: ... proto=dns" lines */
#define CONNS_MAX 64                    /* TCP clients */
#define CONNS_PER_SANDBOX 4             /* of them: one sandbox cannot hold them all */
#define UPSTREAM_TIMEOUT_MS 2000        /* per server, then the next, then SERVFAIL */
#define CONN_IDLE_MS 10000
#define RCODE_SERVFAIL 2
#define RCODE_NXDOMAIN 3
#define RCODE_REFUSED 5

struct gate_conn;

struct gate_query {
        struct gate_query *next, **pprev;
        struct sup_dnsgate *g;
        char id[NC_ID_LEN + 1];         /* the sandbox's */
        struct sockaddr_in client;      /* UDP: where the answer goes */
        struct gate_conn *conn;         /* TCP: where the answer goes (NULL once it is gone) */
        bool tcp;
        struct np_dns_query q;
        uint8_t *msg;                   /* the sandbox's query, forwarded as it is */
        size_t len;
        uint32_t upstream[NC_SPEC_DNS_MAX];
        size_t nupstream, tried;
        uv_udp_t up;
        uv_timer_t timer;
        int open_handles;
};

struct gate_conn {
        struct gate_conn *next, **pprev;
        struct sup_dnsgate *g;
        uv_tcp_t tcp;
        uv_timer_t idle;
        uint32_t addr;                  /* the sandbox's */
        struct gate_query *pending;
        uint8_t buf[2 + NP_DNS_MSG_MAX];
        size_t have;
        int open_handles;
        bool closing, reading, processing;
};

struct sup_dnsgate {
        struct sup *s;
        uv_udp_t udp;
        uv_tcp_t tcp;
        struct gate_query *queries;
        struct gate_conn *conns;
        size_t nqueries, nconns;
        uint64_t log_second;            /* the second the lines below were logged in */
        unsigned logged, suppressed;
        int failed;                     /* < 0: it could not start (kept until nucleusd restarts) */
};

static uint8_t udp_buf[NP_DNS_MSG_MAX];

/* The sandbox that has addr and a policy with names. */
static struct sup_sandbox *sandbox_by_addr(struct sup *s, uint32_t addr)
{
        for (struct sup_sandbox *sb = s->sandboxes; sb; sb = sb->next)
                if (sb->net.leased && sb->net.addr == addr && sb->spec->network.egress.ndomains &&
                    sup_state_live(sb->state))
                        return sb;
        return NULL;
}

static size_t pending_of(const struct sup_dnsgate *g, const char *id)
{
        size_t n = 0;

        for (const struct gate_query *q = g->queries; q; q = q->next)
                n += strcmp(q->id, id) == 0;
        return n;
}

/* A refused name is logged like the firewall's denials, and as those, at a bounded rate:
 * a sandbox asking for names in a loop cannot flood nucleusd's log. */
static void log_denied_name(struct sup_dnsgate *g, const char *id, const char *name)
{
        uint64_t now = uv_now(&g->s->loop) / 1000;

        if (now != g->log_second) {
                if (g->suppressed)
                        log_info("nucleus-egress-denied: %u more refused name(s) not logged", g->suppressed);
                g->log_second = now;
                g->logged = g->suppressed = 0;
        }
        if (g->logged >= DENIALS_LOGGED_PER_S) {
                g->suppressed++;
                return;
        }
        g->logged++;
        log_info("nucleus-egress-denied: sandbox=%s name=%s proto=dns", id, name);
}

static bool name_allowed(const struct nc_spec_egress *eg, const char *name)
{
        for (size_t i = 0; i < eg->ndomains; i++)
                if (nc_spec_domain_match(eg->domains[i], name))
                        return true;
        return false;
}

static void conn_close(struct gate_conn *c);
static void conn_read_start(struct gate_conn *c);
static void on_conn_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf);
static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);

/* Sends msg to where q came from: a datagram (the gate's socket), or a TCP frame. */
struct frame_write {
        uv_write_t req;
        uint8_t data[];
};

static void on_frame_written(uv_write_t *req, int status)
{
        struct gate_conn *c = req->data;

        free(req);
        if (status < 0 && c) {
                conn_close(c);
                return;
        }
}

static void reply_to(struct sup_dnsgate *g, const struct sockaddr_in *client, struct gate_conn *conn,
                     const uint8_t *msg, size_t len)
{
        if (!conn && !client)
                return;         /* a TCP client that has gone */
        if (!conn) {
                uv_buf_t b = uv_buf_init((char *)msg, (unsigned)len);
                /* A datagram that does not fit the socket buffer now is dropped: the
                 * sandbox's resolver asks again. */
                (void)uv_udp_try_send(&g->udp, &b, 1, (const struct sockaddr *)client);
                return;
        }
        if (conn->closing)
                return;
        struct frame_write *w = malloc(sizeof(*w) + 2 + len);
        uv_buf_t b;

        if (!w) {
                conn_close(conn);
                return;
        }
        w->data[0] = (uint8_t)(len >> 8);
        w->data[1] = (uint8_t)len;
        memcpy(w->data + 2, msg, len);
        w->req.data = conn;
        b = uv_buf_init((char *)w->data, (unsigned)(2 + len));
        if (uv_write(&w->req, (uv_stream_t *)&conn->tcp, &b, 1, on_frame_written) < 0) {
                free(w);
                conn_close(conn);
        }
}

static void reply_error(struct sup_dnsgate *g, const struct sockaddr_in *client, struct gate_conn *conn,
                        const uint8_t *query, size_t len, int rcode)
{
        uint8_t *wire = NULL;
        size_t n = 0;

        if (np_dns_reply_error(query, len, rcode, &wire, &n) == 0)
                reply_to(g, client, conn, wire, n);
        free(wire);
}

static void query_closed(uv_handle_t *h)
{
        struct gate_query *q = h->data;

        if (--q->open_handles > 0)
                return;
        *q->pprev = q->next;
        if (q->next)
                q->next->pprev = q->pprev;
        q->g->nqueries--;
        free(q->msg);
        free(q);
}

/* Ends q; its TCP client (if any) may read the next query. */
static void query_done(struct gate_query *q)
{
        struct gate_conn *c = q->conn;

        if (c) {
                c->pending = NULL;
                q->conn = NULL;
                conn_read_start(c);
        }
        uv_close((uv_handle_t *)&q->up, query_closed);
        uv_close((uv_handle_t *)&q->timer, query_closed);
}

static void query_fail(struct gate_query *q)
{
        reply_error(q->g, q->tcp ? NULL : &q->client, q->conn, q->msg, q->len, RCODE_SERVFAIL);
        query_done(q);
}

static void on_upstream_timeout(uv_timer_t *t);

static void query_send(struct gate_query *q)
{
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(53) };
        uv_buf_t b = uv_buf_init((char *)q->msg, (unsigned)q->len);

        to.sin_addr.s_addr = q->upstream[q->tried++];
        if (uv_udp_try_send(&q->up, &b, 1, (const struct sockaddr *)&to) < 0) {
                query_fail(q);
                return;
        }
        uv_timer_start(&q->timer, on_upstream_timeout, UPSTREAM_TIMEOUT_MS, 0);
}

static void on_upstream_timeout(uv_timer_t *t)
{
        struct gate_query *q = t->data;

        if (q->tried < q->nupstream) {
                uv_timer_stop(t);
                query_send(q);
                return;
        }
        log_debug("DNS gate: no answer for %s from the --dns servers of sandbox %s", q->q.name, q->id);
        query_fail(q);
}

static void upstream_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        *buf = uv_buf_init((char *)udp_buf, sizeof(udp_buf));
}

static void on_upstream(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from, unsigned flags)
{
        struct gate_query *q = h->data;
        const struct sockaddr_in *sin = (const struct sockaddr_in *)from;
        uint32_t addrs[64], ttls[64];
        struct nc_err err = { { 0 } };
        size_t naddrs = 0;
        bool known = false;
        int r;

        if (n <= 0 || !from || from->sa_family != AF_INET || sin->sin_port != htons(53))
                return;
        for (size_t i = 0; i < q->tried; i++)
                known = known || q->upstream[i] == sin->sin_addr.s_addr;
        /* Only an answer to this query from a server it went to; anything else is
         * ignored and the timer still runs. */
        if (!known || np_dns_answer_addrs((const uint8_t *)buf->base, (size_t)n, q->q.id, q->q.name, addrs, ttls,
                                          ARRAY_SIZE(addrs), &naddrs) < 0)
                return;
        /* The addresses first: the sandbox connects as soon as it has the answer. */
        if (naddrs && (r = np_nft_egress_allow(&q->g->s->net, q->id, addrs, ttls, naddrs, &err)) < 0) {
                log_warn_errno(-r, "DNS gate: %s (sandbox %s, %s), answering SERVFAIL", err.msg, q->id, q->q.name);
                query_fail(q);
                return;
        }
        log_debug("DNS gate: sandbox %s asked %s (type %u): %zu address(es) allowed", q->id, q->q.name, q->q.qtype,
                  naddrs);
        reply_to(q->g, q->tcp ? NULL : &q->client, q->conn, (const uint8_t *)buf->base, (size_t)n);
        query_done(q);
}

/* One query from a sandbox, over UDP (conn NULL) or TCP. */
static void handle_query(struct sup_dnsgate *g, uint32_t src, const struct sockaddr_in *client, struct gate_conn *conn,
                         const uint8_t *msg, size_t len)
{
        struct sup_sandbox *sb = sandbox_by_addr(g->s, src);
        const struct nc_spec_network *n;
        struct np_dns_query dq;
        struct gate_query *q;

        if (np_dns_query_parse(msg, len, &dq) < 0)
                return;         /* not a query we answer: dropped */
        if (!sb) {
                reply_error(g, client, conn, msg, len, RCODE_REFUSED);
                return;
        }
        n = &sb->spec->network;
        if (!name_allowed(&n->egress, dq.name)) {
                log_denied_name(g, sb->id, dq.name);
                reply_error(g, client, conn, msg, len, RCODE_NXDOMAIN);
                return;
        }
        if (g->nqueries >= QUERIES_MAX || pending_of(g, sb->id) >= QUERIES_PER_SANDBOX || n->ndns == 0 ||
            !(q = calloc(1, sizeof(*q)))) {
                reply_error(g, client, conn, msg, len, RCODE_SERVFAIL);
                return;
        }
        if (!(q->msg = malloc(len))) {
                free(q);
                reply_error(g, client, conn, msg, len, RCODE_SERVFAIL);
                return;
        }
        memcpy(q->msg, msg, len);
        q->len = len;
        q->g = g;
        q->q = dq;
        snprintf(q->id, sizeof(q->id), "%s", sb->id);
        if (client)
                q->client = *client;
        q->tcp = conn != NULL;
        q->conn = conn;
        if (conn)
                conn->pending = q;
        memcpy(q->upstream, n->dns, sizeof(q->upstream));
        q->nupstream = n->ndns;
        q->next = g->queries;
        q->pprev = &g->queries;
        if (g->queries)
                g->queries->pprev = &q->next;
        g->queries = q;
        g->nqueries++;
        uv_udp_init(&g->s->loop, &q->up);
        uv_timer_init(&g->s->loop, &q->timer);
        q->up.data = q->timer.data = q;
        q->open_handles = 2;
        if (uv_udp_recv_start(&q->up, upstream_alloc, on_upstream) < 0) {
                query_fail(q);
                return;
        }
        query_send(q);
}

static void gate_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        *buf = uv_buf_init((char *)udp_buf, sizeof(udp_buf));
}

static void on_udp(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from, unsigned flags)
{
        const struct sockaddr_in *sin = (const struct sockaddr_in *)from;

        if (n <= 0 || !from || from->sa_family != AF_INET || (flags & UV_UDP_PARTIAL))
                return;
        handle_query(h->data, sin->sin_addr.s_addr, sin, NULL, (const uint8_t *)buf->base, (size_t)n);
}

static void conn_closed(uv_handle_t *h)
{
        struct gate_conn *c = h->data;

        if (--c->open_handles > 0)
                return;
        *c->pprev = c->next;
        if (c->next)
                c->next->pprev = c->pprev;
        c->g->nconns--;
        free(c);
}

static void conn_close(struct gate_conn *c)
{
        if (c->closing)
                return;
        c->closing = true;
        if (c->pending)
                c->pending->conn = NULL;        /* its answer has nowhere to go */
        c->pending = NULL;
        uv_close((uv_handle_t *)&c->tcp, conn_closed);
        uv_close((uv_handle_t *)&c->idle, conn_closed);
}

static void on_conn_idle(uv_timer_t *t)
{
        conn_close(t->data);
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        struct gate_conn *c = h->data;

        *buf = uv_buf_init((char *)c->buf + c->have, (unsigned)(sizeof(c->buf) - c->have));
}

/* Handles the complete frames buffered, one query at a time: reading stops while one is
 * with the upstream and resumes when it is done. A loop, not recursion: a client can
 * send many small frames at once. */
static void conn_process(struct gate_conn *c)
{
        size_t len;

        if (c->processing)
                return;         /* the loop below goes on */
        c->processing = true;
        while (!c->pending && !c->closing && c->have >= 2 && c->have >= 2 + (len = (size_t)c->buf[0] << 8 | c->buf[1])) {
                uv_timer_again(&c->idle);
                handle_query(c->g, c->addr, NULL, c, c->buf + 2, len);  /* copies what it keeps */
                memmove(c->buf, c->buf + 2 + len, c->have - 2 - len);
                c->have -= 2 + len;
        }
        c->processing = false;
        if (c->closing)
                return;
        if (c->pending && c->reading) {
                uv_read_stop((uv_stream_t *)&c->tcp);
                c->reading = false;
        } else if (!c->pending && !c->reading) {
                if (uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, on_conn_read) < 0) {
                        conn_close(c);
                        return;
                }
                c->reading = true;
        }
}

static void on_conn_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
        struct gate_conn *c = st->data;

        if (n < 0) {
                conn_close(c);
                return;
        }
        c->have += (size_t)n;
        conn_process(c);
}

static void conn_read_start(struct gate_conn *c)
{
        conn_process(c);
}

/* Open TCP clients from addr (one sandbox: its veth is pinned to its address). */
static unsigned conns_of(const struct sup_dnsgate *g, uint32_t addr)
{
        unsigned n = 0;

        for (const struct gate_conn *c = g->conns; c; c = c->next)
                n += c->addr == addr && !c->closing;
        return n;
}

static void on_connection(uv_stream_t *server, int status)
{
        struct sup_dnsgate *g = server->data;
        struct sockaddr_storage peer;
        int plen = sizeof(peer);
        struct gate_conn *c;

        if (status < 0 || !(c = calloc(1, sizeof(*c))))
                return;
        c->g = g;
        uv_tcp_init(&g->s->loop, &c->tcp);
        uv_timer_init(&g->s->loop, &c->idle);
        c->tcp.data = c->idle.data = c;
        c->open_handles = 2;
        c->next = g->conns;
        c->pprev = &g->conns;
        if (g->conns)
                g->conns->pprev = &c->next;
        g->conns = c;
        g->nconns++;
        if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 ||
            uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&peer, &plen) < 0 || peer.ss_family != AF_INET ||
            g->nconns > CONNS_MAX || !sandbox_by_addr(g->s, ((struct sockaddr_in *)&peer)->sin_addr.s_addr)) {
                conn_close(c);
                return;
        }
        c->addr = ((struct sockaddr_in *)&peer)->sin_addr.s_addr;
        /* A client keeps its connection as long as it asks something every 10 s (a
         * refused name costs the gate nothing upstream), so without a share of its own
         * one sandbox could hold all CONNS_MAX and leave every other without TCP DNS. */
        if (conns_of(g, c->addr) > CONNS_PER_SANDBOX) {
                conn_close(c);
                return;
        }
        uv_timer_start(&c->idle, on_conn_idle, CONN_IDLE_MS, CONN_IDLE_MS);
        conn_read_start(c);
}

int sup_dnsgate_ensure(struct sup *s, struct nc_err *err)
{
        struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(53) };
        struct sup_dnsgate *g;
        char ip[INET_ADDRSTRLEN];
        int r;

        if (s->dnsgate) {
                if (s->dnsgate->failed < 0)
                        nc_err_set_errno(err, s->dnsgate->failed, "The DNS gate could not start (see nucleusd's log)");
                return s->dnsgate->failed;
        }
        if (!(g = calloc(1, sizeof(*g))))
                return -ENOMEM;
        g->s = s;
        addr.sin_addr.s_addr = s->net.gateway;
        inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof(ip));
        uv_udp_init(&s->loop, &g->udp);
        uv_tcp_init(&s->loop, &g->tcp);
        g->udp.data = g->tcp.data = g;
        s->dnsgate = g;
        if ((r = uv_udp_bind(&g->udp, (const struct sockaddr *)&addr, UV_UDP_REUSEADDR)) < 0 ||
            (r = uv_udp_recv_start(&g->udp, gate_alloc, on_udp)) < 0 ||
            (r = uv_tcp_bind(&g->tcp, (const struct sockaddr *)&addr, 0)) < 0 ||
            (r = uv_listen((uv_stream_t *)&g->tcp, 64, on_connection)) < 0) {
                /* Left bound as far as it got: closed with the loop; a later sandbox tries
                 * again after nucleusd restarts. */
                nc_err_set_errno(err, r, "Failed to start the DNS gate on %s:53 (udp and tcp): %s", ip, uv_strerror(r));
                log_error("%s", err->msg);
                g->failed = r;
                return r;
        }
        log_info("DNS gate listening on %s:53 (udp, tcp)", ip);
        return 0;
}

void sup_dnsgate_free(struct sup *s)
{
        struct sup_dnsgate *g = s->dnsgate;

        if (!g)
                return;
        /* The loop has closed every handle: what is still listed was closed by its final
         * close-all, without our callbacks. */
        while (g->queries) {
                struct gate_query *q = g->queries;
                g->queries = q->next;
                free(q->msg);
                free(q);
        }
        while (g->conns) {
                struct gate_conn *c = g->conns;
                g->conns = c->next;
                free(c);
        }
        free(g);
        s->dnsgate = NULL;
}
