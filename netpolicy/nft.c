/* SPDX-License-Identifier: Apache-2.0 */
/* The firewall through libnftables, fed JSON built with jansson (no rule text is ever
 * concatenated). One table of nucleusd's own, family ip (docs/network.md):
 *
 *   postrouting (nat)   ip saddr SUBNET ip daddr != SUBNET masquerade
 *                       ip saddr 127.0.0.0/8 oifname BRIDGE masquerade
 *   prerouting (nat)    per published port: [ip daddr IP | fib daddr type local]
 *   output (nat)          tcp|udp dport HOST dnat to ADDR:PORT   comment "<sandbox id>"
 *   forward (filter)    iifname BRIDGE oifname BRIDGE drop  (sandbox to sandbox, routed)
 *   egress (filter, prerouting, mangle priority)
 *                       per sandbox: iifname {BRIDGE, VETH} ip saddr ADDR ct count over
 *                         NP_CONNTRACK_MAX drop
 *                       per sandbox with a policy: iifname {BRIDGE, VETH} ip saddr ADDR
 *                         jump egress-<id>   (that chain: the policy, then log + count + drop)
 *
 * and a table of the same name in family bridge, whose prerouting chain pins each
 * sandbox's veth to its address (IPv4 from ADDR and ARP only, never to 127/8): this is what makes "ip
 * saddr ADDR" mean "from that veth" at the IP layer, where the input interface is the
 * bridge and the port is no longer known (and this kernel has no bridge conntrack to
 * filter with state in family bridge itself).
 *
 * Per-sandbox rules carry the sandbox's id as their comment, and per-sandbox chains are
 * named by it: removal and the sweep after a crash find them by it. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "netpolicy.h"

/* One context for the process, kept: each context holds a netlink socket, and closing
 * one waits for an RCU grace period (10 ms and more here) — on the loop, on the path of
 * every bridge sandbox's setup and end. libnftables checks its cache against the
 * ruleset's generation on every command, so a long-lived context sees other writers'
 * changes. Only the loop thread uses it. */
static struct nft_ctx *json_ctx;

static struct nft_ctx *ctx_get(void)
{
        if (json_ctx) {
                /* Rewind both buffers: what the previous command left is not ours. */
                (void)nft_ctx_get_output_buffer(json_ctx);
                (void)nft_ctx_get_error_buffer(json_ctx);
                return json_ctx;
        }
        json_ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!json_ctx)
                return NULL;
        /* JSON in (libnftables parses JSON input when JSON output is on) and out, with
         * handles for deletion; errors are collected rather than printed. */
        nft_ctx_output_set_flags(json_ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
        nft_ctx_buffer_output(json_ctx);
        nft_ctx_buffer_error(json_ctx);
        return json_ctx;
}

void np_nft_close(void)
{
        if (json_ctx)
                nft_ctx_free(json_ctx);
        json_ctx = NULL;
}

/* Runs {"nftables": cmds} (stolen). */
static int run(json_t *cmds, struct nc_err *err, const char *what)
{
        struct nft_ctx *nft = ctx_get();
        json_t *doc = json_pack("{s:o}", "nftables", cmds);
        _cleanup_free_ char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        int r;

        json_decref(doc);
        if (!nft || !text)
                return -ENOMEM;
        r = nft_run_cmd_from_buffer(nft, text);
        if (r != 0) {
                const char *e = nft_ctx_get_error_buffer(nft);
                if (err)
                        nc_err_set(err, "Failed to %s with nftables: %.300s", what, e && *e ? e : "error");
                return -EIO;
        }
        return 0;
}

static json_t *ip4(uint32_t a)
{
        char buf[INET_ADDRSTRLEN];

        return json_string(inet_ntop(AF_INET, &a, buf, sizeof(buf)));
}

static json_t *match(const char *op, json_t *left, json_t *right)
{
        return json_pack("{s:{s:s, s:o, s:o}}", "match", "op", op, "left", left, "right", right);
}

static json_t *payload(const char *proto, const char *field)
{
        return json_pack("{s:{s:s, s:s}}", "payload", "protocol", proto, "field", field);
}

static json_t *meta(const char *key)
{
        return json_pack("{s:{s:s}}", "meta", "key", key);
}

static json_t *subnet(const struct np_config *c)
{
        return json_pack("{s:{s:o, s:i}}", "prefix", "addr", ip4(c->subnet), "len", (int)c->prefix);
}

static json_t *rule(const struct np_config *c, const char *chain, json_t *expr, const char *comment)
{
        json_t *r = json_pack("{s:s, s:s, s:s, s:o}", "family", "ip", "table", c->table, "chain", chain, "expr", expr);

        if (comment)
                json_object_set_new(r, "comment", json_string(comment));
        return json_pack("{s:{s:o}}", "add", "rule", r);
}

static json_t *chain_in(const struct np_config *c, const char *family, const char *name, const char *type,
                        const char *hook, int prio)
{
        return json_pack("{s:{s:{s:s, s:s, s:s, s:s, s:s, s:i, s:s}}}", "add", "chain", "family", family, "table", c->table,
                         "name", name, "type", type, "hook", hook, "prio", prio, "policy", "accept");
}

static json_t *chain(const struct np_config *c, const char *name, const char *type, const char *hook, int prio)
{
        return chain_in(c, "ip", name, type, hook, prio);
}

int np_nft_setup(const struct np_config *c, struct nc_err *err)
{
        json_t *cmds = json_array();

        json_array_append_new(cmds, json_pack("{s:{s:{s:s, s:s}}}", "add", "table", "family", "ip", "name", c->table));
        json_array_append_new(cmds, chain(c, "prerouting", "nat", "prerouting", -100));
        json_array_append_new(cmds, chain(c, "output", "nat", "output", -100));
        json_array_append_new(cmds, chain(c, "postrouting", "nat", "postrouting", 100));
        json_array_append_new(cmds, chain(c, "forward", "filter", "forward", 0));
        json_array_append_new(cmds, chain(c, "isolate", "filter", "output", 0));
        /* After conntrack (-200), so that ct state is known, and before DNAT (-100), so
         * that a policy sees the address the sandbox asked for. */
        json_array_append_new(cmds, chain(c, NP_EGRESS_CHAIN, "filter", "prerouting", -150));
        json_array_append_new(cmds, json_pack("{s:{s:{s:s, s:s}}}", "add", "table", "family", "bridge", "name", c->table));
        json_array_append_new(cmds, chain_in(c, "bridge", "prerouting", "filter", "prerouting", -200));
        /* The fixed rules are rewritten each time; the per-sandbox chains are left alone. */
        json_array_append_new(cmds, json_pack("{s:{s:{s:s, s:s, s:s}}}", "flush", "chain", "family", "ip", "table",
                                              c->table, "name", "postrouting"));
        json_array_append_new(cmds, json_pack("{s:{s:{s:s, s:s, s:s}}}", "flush", "chain", "family", "ip", "table",
                                              c->table, "name", "forward"));
        json_array_append_new(cmds, rule(c, "postrouting",
                                         json_pack("[o, o, {s:n}]", match("==", payload("ip", "saddr"), subnet(c)),
                                                   match("!=", payload("ip", "daddr"), subnet(c)), "masquerade"),
                                         NULL));
        json_array_append_new(cmds, rule(c, "postrouting",
                                         json_pack("[o, o, {s:n}]",
                                                   match("==", payload("ip", "saddr"),
                                                         json_pack("{s:{s:s, s:i}}", "prefix", "addr", "127.0.0.0", "len", 8)),
                                                   match("==", meta("oifname"), json_string(c->bridge)), "masquerade"),
                                         NULL));
        json_array_append_new(cmds, rule(c, "forward",
                                         json_pack("[o, o, {s:n}]", match("==", meta("iifname"), json_string(c->bridge)),
                                                   match("==", meta("oifname"), json_string(c->bridge)), "drop"),
                                         NULL));
        /* A userspace-backend sandbox's connections are pasta's, made from the host: to
         * the bridge they would reach every kernel-backend sandbox, which port
         * isolation and the forward drop stop only for traffic that comes from a veth.
         * pasta runs with its sandbox's host gid (np_pasta_argv), so its sockets, and
         * no host process's, are in this range. */
        json_array_append_new(cmds, json_pack("{s:{s:{s:s, s:s, s:s}}}", "flush", "chain", "family", "ip", "table",
                                              c->table, "name", "isolate"));
        if (c->ids_last)
                json_array_append_new(cmds, rule(c, "isolate",
                                                 json_pack("[o, o, {s:n}]", match("==", meta("oifname"), json_string(c->bridge)),
                                                           match("==", meta("skgid"),
                                                                 json_pack("{s:[I, I]}", "range", (json_int_t)c->ids_first,
                                                                           (json_int_t)c->ids_last)),
                                                           "drop"),
                                                 NULL));
        return run(cmds, err, "set up the nucleus table");
}

static json_t *dnat_expr(const struct nc_spec_port *p, uint32_t addr)
{
        json_t *dst = p->host_ip ? match("==", payload("ip", "daddr"), ip4(p->host_ip))
                                 : match("==", json_pack("{s:{s:s, s:[s]}}", "fib", "result", "type", "flags", "daddr"),
                                         json_string("local"));
        const char *proto = p->proto == IPPROTO_UDP ? "udp" : "tcp";

        return json_pack("[o, o, {s:{s:o, s:i}}]", dst, match("==", payload(proto, "dport"), json_integer(p->host_port)),
                         "dnat", "addr", ip4(addr), "port", (int)p->port);
}

int np_nft_publish(const struct np_config *c, const char *id, uint32_t addr, const struct nc_spec_port *ports,
                   size_t nports, struct nc_err *err)
{
        json_t *cmds = json_array();

        if (nports == 0) {
                json_decref(cmds);
                return 0;
        }
        for (size_t i = 0; i < nports; i++) {
                json_array_append_new(cmds, rule(c, "prerouting", dnat_expr(&ports[i], addr), id));
                json_array_append_new(cmds, rule(c, "output", dnat_expr(&ports[i], addr), id));
        }
        return run(cmds, err, "publish ports");
}

/* The table of that family as JSON (libnftables' list output), or NULL when it does not
 * exist. */
static json_t *list_family(const struct np_config *c, const char *family)
{
        struct nft_ctx *nft = ctx_get();
        json_t *cmd = json_pack("{s:[{s:{s:{s:s, s:s}}}]}", "nftables", "list", "table", "family", family, "name", c->table);
        _cleanup_free_ char *text = cmd ? json_dumps(cmd, JSON_COMPACT) : NULL;
        json_t *out = NULL;

        json_decref(cmd);
        if (!nft || !text || nft_run_cmd_from_buffer(nft, text) != 0)
                return NULL;
        out = json_loads(nft_ctx_get_output_buffer(nft) ?: "", 0, NULL);
        return out;
}

static json_t *list_table(const struct np_config *c)
{
        return list_family(c, "ip");
}

char *np_nft_list(const struct np_config *c)
{
        json_t *t = list_table(c);
        char *s = t ? json_dumps(t, JSON_COMPACT) : NULL;

        json_decref(t);
        return s;
}

/* Appends table FAMILY's text to f, with the shared rules and only id's tagged rules and
 * egress chain. False when the table is absent. */
static bool rules_text_family(FILE *f, const struct np_config *c, const char *family, const char *id)
{
        struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
        char cmd[128], tag[64], own[96];
        const char *text;
        bool skip = false;

        if (!nft)
                return false;
        /* nft's own text, for people. The table name is ours (np_config_init checked the
         * bridge name it comes from), so the command is not built from caller input. */
        nft_ctx_buffer_output(nft);
        nft_ctx_buffer_error(nft);
        snprintf(cmd, sizeof(cmd), "list table %s %s", family, c->table);
        snprintf(tag, sizeof(tag), "comment \"%s\"", id);
        snprintf(own, sizeof(own), " " NP_EGRESS_CHAIN "-%s {", id);
        if (nft_run_cmd_from_buffer(nft, cmd) != 0) {
                nft_ctx_free(nft);
                return false;
        }
        text = nft_ctx_get_output_buffer(nft);
        /* The structure and the shared rules stay; rules tagged with another sandbox's id
         * and other sandboxes' egress chains go. */
        for (const char *p = text ? text : ""; *p;) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);

                /* "chain egress-<id> {" and "set egress-<id> {" (the DNS gate's) */
                if ((memmem(p, n, "\tchain " NP_EGRESS_CHAIN "-", strlen("\tchain " NP_EGRESS_CHAIN "-")) ||
                     memmem(p, n, "\tset " NP_EGRESS_CHAIN "-", strlen("\tset " NP_EGRESS_CHAIN "-"))) &&
                    !memmem(p, n, own, strlen(own)))
                        skip = true;
                if (!skip && (!memmem(p, n, "comment \"", 9) || memmem(p, n, tag, strlen(tag))))
                        fwrite(p, 1, n, f);
                if (skip && n >= 2 && p[0] == '\t' && p[1] == '}')
                        skip = false;
                p += n;
        }
        nft_ctx_free(nft);
        return true;
}

char *np_nft_rules_text(const struct np_config *c, const char *id)
{
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        bool any;

        if (!f)
                return NULL;
        any = rules_text_family(f, c, "ip", id);
        any = rules_text_family(f, c, "bridge", id) || any;
        fclose(f);
        if (!any) {
                free(out);
                return NULL;
        }
        return out;
}

/* The id an egress chain's name carries, or NULL for any other chain. */
static const char *egress_chain_id(const char *name)
{
        size_t n = strlen(NP_EGRESS_CHAIN "-");

        return name && strncmp(name, NP_EGRESS_CHAIN "-", n) == 0 && name[n] ? name + n : NULL;
}

/* Adds to cmds the deletion of tagged rules in table FAMILY, those whose comment is id
 * (when id is set) or names a sandbox that is not live, and then of the egress chains
 * named by such ids (after the rules, among them the jumps to those chains). */
static int delete_tagged_family(const struct np_config *c, const char *family, json_t *cmds, const char *id,
                                np_live_fn live, void *userdata)
{
        json_t *t = list_family(c, family), *items, *item;
        size_t i;
        int n = 0;

        if (!t)
                return 0;
        items = json_object_get(t, "nftables");
        json_array_foreach(items, i, item) {
                json_t *rl = json_object_get(item, "rule");
                const char *comment = json_string_value(json_object_get(rl, "comment"));

                if (!rl || !comment || egress_chain_id(json_string_value(json_object_get(rl, "chain"))))
                        continue;       /* rules in an egress chain go with it */
                if (id ? strcmp(comment, id) != 0 : live(comment, userdata))
                        continue;
                json_array_append_new(cmds, json_pack("{s:{s:{s:s, s:s, s:O, s:O}}}", "delete", "rule", "family", family,
                                                      "table", c->table, "chain", json_object_get(rl, "chain"), "handle",
                                                      json_object_get(rl, "handle")));
                n++;
        }
        json_array_foreach(items, i, item) {
                json_t *ch = json_object_get(item, "chain");
                const char *name = json_string_value(json_object_get(ch, "name"));
                const char *owner = egress_chain_id(name);

                if (!ch || !owner || (id ? strcmp(owner, id) != 0 : live(owner, userdata)))
                        continue;
                json_array_append_new(cmds, json_pack("{s:{s:{s:s, s:s, s:s}}}", "flush", "chain", "family", family,
                                                      "table", c->table, "name", name));
                json_array_append_new(cmds, json_pack("{s:{s:{s:s, s:s, s:s}}}", "delete", "chain", "family", family,
                                                      "table", c->table, "name", name));
                n++;
        }
        /* The DNS gate's sets, once no rule refers to them. */
        json_array_foreach(items, i, item) {
                json_t *set = json_object_get(item, "set");
                const char *name = json_string_value(json_object_get(set, "name"));
                const char *owner = egress_chain_id(name);

                if (!set || !owner || (id ? strcmp(owner, id) != 0 : live(owner, userdata)))
                        continue;
                json_array_append_new(cmds, json_pack("{s:{s:{s:s, s:s, s:s}}}", "delete", "set", "family", family,
                                                      "table", c->table, "name", name));
                n++;
        }
        json_decref(t);
        return n;
}

/* Deletes what belongs to a sandbox: that of id (when id is set), or that of every
 * sandbox that is not live. Returns how many rules and chains. */
static int delete_tagged(const struct np_config *c, const char *id, np_live_fn live, void *userdata)
{
        json_t *cmds = json_array();
        int n, r;

        n = delete_tagged_family(c, "ip", cmds, id, live, userdata);
        n += delete_tagged_family(c, "bridge", cmds, id, live, userdata);
        if (n == 0) {
                json_decref(cmds);
                return 0;
        }
        r = run(cmds, NULL, "delete rules");
        return r < 0 ? r : n;
}

int np_nft_unpublish(const struct np_config *c, const char *id)
{
        return delete_tagged(c, id, NULL, NULL);
}

int np_nft_sweep(const struct np_config *c, np_live_fn live, void *userdata)
{
        return delete_tagged(c, NULL, live, userdata);
}

static json_t *rule_in(const struct np_config *c, const char *family, const char *chain_name, json_t *expr,
                       const char *comment)
{
        json_t *r = rule(c, chain_name, expr, comment);

        json_object_set_new(json_object_get(json_object_get(r, "add"), "rule"), "family", json_string(family));
        return r;
}

/* A value or, for more than one, an anonymous set of them (stolen). */
static json_t *one_or_set(json_t *values)
{
        json_t *v;

        if (json_array_size(values) == 1) {
                v = json_incref(json_array_get(values, 0));
                json_decref(values);
                return v;
        }
        return json_pack("{s:o}", "set", values);
}

static json_t *ports_value(const uint16_t *ports, size_t n)
{
        json_t *a = json_array();

        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, json_integer(ports[i]));
        return one_or_set(a);
}

static json_t *verdict(const char *v)
{
        return json_pack("{s:n}", v);
}

int np_nft_egress_apply(const struct np_config *c, const char *id, const char *veth, uint32_t addr, const uint8_t mac[6],
                        const struct nc_spec_egress *eg, const uint32_t *dns, size_t ndns, struct nc_err *err)
{
        json_t *cmds = json_array(), *e;
        char name[96], prefix[64];

        /* The veth pinned to the sandbox's address, for every bridge sandbox: so that a
         * workload cannot take another's address (and its policy, counters and replies),
         * and reaches the host over IPv4 only (the bridge has no IPv6). */
        json_array_append_new(cmds, rule_in(c, "bridge", "prerouting",
                                            json_pack("[o, o, o]", match("==", meta("iifname"), json_string(veth)),
                                                      match("!=", payload("ether", "type"),
                                                            json_pack("{s:[s, s]}", "set", "ip", "arp")),
                                                      verdict("drop")), id));
        json_array_append_new(cmds, rule_in(c, "bridge", "prerouting",
                                            json_pack("[o, o, o]", match("==", meta("iifname"), json_string(veth)),
                                                      match("!=", payload("ip", "saddr"), ip4(addr)), verdict("drop")),
                                            id));
        json_array_append_new(cmds, rule_in(c, "bridge", "prerouting",
                                            json_pack("[o, o, o]", match("==", meta("iifname"), json_string(veth)),
                                                      match("!=", payload("arp", "saddr ip"), ip4(addr)), verdict("drop")),
                                            id));
        /* And from eth0's own Ethernet address: the bridge learns where a MAC lives from
         * what arrives, so a workload allowed to change its MAC (a capability policy
         * keeping NET_ADMIN) could take another sandbox's, or the host's, and be sent
         * their frames. */
        char mac_text[18];
        snprintf(mac_text, sizeof(mac_text), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                 mac[5]);
        json_array_append_new(cmds, rule_in(c, "bridge", "prerouting",
                                            json_pack("[o, o, o]", match("==", meta("iifname"), json_string(veth)),
                                                      match("!=", payload("ether", "saddr"), json_string(mac_text)),
                                                      verdict("drop")),
                                            id));
        /* Nothing to the host's loopback: route_localnet, which published ports on the
         * host's 127.0.0.1 need, makes the bridge accept 127/8 as a destination, and a
         * workload can send there (SO_BINDTODEVICE eth0 routes 127.0.0.1 out of its
         * namespace). The host's loopback-only services would get its datagrams and
         * SYNs. Replies to published ports are unaffected: on the wire they go to the
         * gateway's address, which conntrack rewrites back only after this hook. */
        json_array_append_new(cmds, rule_in(c, "bridge", "prerouting",
                                            json_pack("[o, o, o]", match("==", meta("iifname"), json_string(veth)),
                                                      match("==", payload("ip", "daddr"),
                                                            json_pack("{s:{s:s, s:i}}", "prefix", "addr", "127.0.0.0", "len", 8)),
                                                      verdict("drop")),
                                            id));
        /* The host's conntrack table is one for everything in its namespace
         * (nf_conntrack_max, 262144 here): every flow a sandbox starts, to the host or
         * through the NAT, takes an entry for as long as it lives (UDP: 30 s after its
         * last packet). A workload sending to many ports filled it, after which the
         * host and every other sandbox could start no new tracked flow. So a sandbox
         * gets NP_CONNTRACK_MAX live flows; a new one beyond that is dropped. Closed
         * TCP connections do not count. Pinning the veth to the address (above) is what
         * makes the address name the sandbox. */
        json_array_append_new(cmds, rule(c, NP_EGRESS_CHAIN,
                                         json_pack("[o, o, {s:{s:i, s:b}}, o]",
                                                   match("==", meta("iifname"),
                                                         json_pack("{s:[s, s]}", "set", c->bridge, veth)),
                                                   match("==", payload("ip", "saddr"), ip4(addr)),
                                                   "ct count", "val", NP_CONNTRACK_MAX, "inv", 1, verdict("drop")),
                                         id));
        if (!eg || !eg->set)
                return run(cmds, err, "pin the sandbox's veth to its address");

        snprintf(name, sizeof(name), NP_EGRESS_CHAIN "-%s", id);
        json_array_append_new(cmds, json_pack("{s:{s:{s:s, s:s, s:s}}}", "add", "chain", "family", "ip", "table", c->table,
                                              "name", name));
        /* The jump is added last: the chain is complete before any packet reaches it
         * (one transaction anyway, but the order reads right). */
        json_array_append_new(cmds, rule(c, name,
                                         json_pack("[o, o]", match("in", json_pack("{s:{s:s}}", "ct", "key", "state"),
                                                                   json_pack("[s, s]", "established", "related")),
                                                   verdict("accept")), id));
        /* With names, DNS goes to the gate only (on the gateway), which asks the --dns
         * servers itself: the sandbox cannot bypass it. */
        if (eg->ndomains) {
                dns = &c->gateway;
                ndns = 1;
        }
        if (eg->dns && ndns > 0) {
                static const char *const protos[] = { "udp", "tcp" };
                for (size_t p = 0; p < ARRAY_SIZE(protos); p++) {
                        json_t *servers = json_array();
                        for (size_t i = 0; i < ndns; i++)
                                json_array_append_new(servers, ip4(dns[i]));
                        json_array_append_new(cmds, rule(c, name,
                                                         json_pack("[o, o, o]",
                                                                   match("==", payload("ip", "daddr"), one_or_set(servers)),
                                                                   match("==", payload(protos[p], "dport"), json_integer(53)),
                                                                   verdict("accept")), id));
                }
        }
        if (eg->ndomains)
                /* The addresses the gate answered for the names, each for its TTL. */
                json_array_append_new(cmds, json_pack("{s:{s:{s:s, s:s, s:s, s:s, s:[s]}}}", "add", "set", "family", "ip",
                                                      "table", c->table, "name", name, "type", "ipv4_addr", "flags",
                                                      "timeout"));
        for (size_t i = 0; i < eg->nallow + (eg->ndomains ? 1 : 0); i++) {
                const struct nc_spec_cidr *cidr = i < eg->nallow ? &eg->allow[i] : NULL;
                char setref[100];
                json_t *dst;

                snprintf(setref, sizeof(setref), "@%s", name);
                /* 0.0.0.0/0 matches everything: no address match at all. */
                if (!cidr)
                        dst = match("==", payload("ip", "daddr"), json_string(setref));
                else if (cidr->prefix == 0)
                        dst = NULL;
                else
                        dst = match("==", payload("ip", "daddr"),
                                    cidr->prefix == 32 ? ip4(cidr->addr)
                                                       : json_pack("{s:{s:o, s:i}}", "prefix", "addr", ip4(cidr->addr), "len",
                                                                   (int)cidr->prefix));
                if (eg->ntcp == 0 && eg->nudp == 0) {
                        e = json_array();
                        if (dst)
                                json_array_append_new(e, dst);
                        json_array_append_new(e, verdict("accept"));
                        json_array_append_new(cmds, rule(c, name, e, id));
                        continue;
                }
                for (int p = 0; p < 2; p++) {
                        const uint16_t *ports = p == 0 ? eg->tcp_ports : eg->udp_ports;
                        size_t n = p == 0 ? eg->ntcp : eg->nudp;
                        if (n == 0)
                                continue;
                        e = json_array();
                        if (dst)
                                json_array_append_new(e, json_incref(dst));
                        json_array_append_new(e, match("==", payload(p == 0 ? "tcp" : "udp", "dport"), ports_value(ports, n)));
                        json_array_append_new(e, verdict("accept"));
                        json_array_append_new(cmds, rule(c, name, e, id));
                }
                json_decref(dst);
        }
        /* The rest is denied: logged through nflog (nucleusd reads the group and names the
         * sandbox from the prefix), at most 10 a second so a busy workload cannot flood
         * nucleusd's log, and every one counted. */
        snprintf(prefix, sizeof(prefix), "%s", id);
        json_array_append_new(cmds, rule(c, name,
                                         json_pack("[{s:{s:i, s:i, s:s}}, {s:{s:s, s:i}}]", "limit", "rate", 10, "burst", 20,
                                                   "per", "second", "log", "prefix", prefix, "group", (int)c->nflog_group),
                                         id));
        json_array_append_new(cmds, rule(c, name, json_pack("[{s:{s:i, s:i}}, o]", "counter", "packets", 0, "bytes", 0,
                                                            verdict("drop")), id));
        json_array_append_new(cmds, rule(c, NP_EGRESS_CHAIN,
                                         json_pack("[o, o, {s:{s:s}}]",
                                                   match("==", meta("iifname"),
                                                         json_pack("{s:[s, s]}", "set", c->bridge, veth)),
                                                   match("==", payload("ip", "saddr"), ip4(addr)), "jump", "target", name),
                                         id));
        return run(cmds, err, "apply the egress policy");
}

int64_t np_nft_egress_denied(const struct np_config *c, const char *id)
{
        struct nft_ctx *nft = ctx_get();
        char name[96];
        json_t *cmd, *out, *item;
        _cleanup_free_ char *text = NULL;
        int64_t packets = -ENOENT;
        size_t i;

        snprintf(name, sizeof(name), NP_EGRESS_CHAIN "-%s", id);
        cmd = json_pack("{s:[{s:{s:{s:s, s:s, s:s}}}]}", "nftables", "list", "chain", "family", "ip", "table", c->table,
                        "name", name);
        text = cmd ? json_dumps(cmd, JSON_COMPACT) : NULL;
        json_decref(cmd);
        if (!nft || !text)
                return -ENOMEM;
        if (nft_run_cmd_from_buffer(nft, text) != 0)
                return -ENOENT;
        out = json_loads(nft_ctx_get_output_buffer(nft) ?: "", 0, NULL);
        json_array_foreach(json_object_get(out, "nftables"), i, item) {
                json_t *expr = json_object_get(json_object_get(item, "rule"), "expr"), *x;
                size_t k;
                json_array_foreach(expr, k, x) {
                        json_t *counter = json_object_get(x, "counter");
                        if (counter)
                                packets = json_integer_value(json_object_get(counter, "packets"));
                }
        }
        json_decref(out);
        return packets;
}

int np_nft_egress_allow(const struct np_config *c, const char *id, const uint32_t *addrs, const uint32_t *ttls, size_t n,
                        struct nc_err *err)
{
        json_t *elems = json_array();
        char name[96];

        if (n == 0) {
                json_decref(elems);
                return 0;
        }
        snprintf(name, sizeof(name), NP_EGRESS_CHAIN "-%s", id);
        for (size_t i = 0; i < n; i++) {
                uint32_t t = ttls[i] < NP_DNS_TTL_MIN ? NP_DNS_TTL_MIN : ttls[i] > NP_DNS_TTL_MAX ? NP_DNS_TTL_MAX : ttls[i];
                json_array_append_new(elems, json_pack("{s:{s:o, s:I}}", "elem", "val", ip4(addrs[i]), "timeout",
                                                       (json_int_t)t));
        }
        return run(json_pack("[{s:{s:{s:s, s:s, s:s, s:o}}}]", "add", "element", "family", "ip", "table", c->table, "name",
                             name, "elem", elems),
                   err, "allow the addresses the DNS gate answered");
}
