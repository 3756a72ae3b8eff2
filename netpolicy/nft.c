/* SPDX-License-Identifier: Apache-2.0 */
/* The firewall through libnftables, fed JSON built with jansson (no rule text is ever
 * concatenated). One table of nucleusd's own, family ip (docs/network.md):
 *
 *   postrouting (nat)   ip saddr SUBNET ip daddr != SUBNET masquerade
 *                       ip saddr 127.0.0.0/8 oifname BRIDGE masquerade
 *   prerouting (nat)    per published port: [ip daddr IP | fib daddr type local]
 *   output (nat)          tcp|udp dport HOST dnat to ADDR:PORT   comment "<sandbox id>"
 *   forward (filter)    iifname BRIDGE oifname BRIDGE drop  (sandbox to sandbox, routed)
 *
 * Per-sandbox rules carry the sandbox's id as their comment: removal and the sweep after
 * a crash find them by it. */
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

static inline void nft_freep(struct nft_ctx **p) { if (*p) nft_ctx_free(*p); }
#define _cleanup_nft_ _cleanup_(nft_freep)

static struct nft_ctx *ctx_new(void)
{
        struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);

        if (!nft)
                return NULL;
        /* JSON in (libnftables parses JSON input when JSON output is on) and out, with
         * handles for deletion; errors are collected rather than printed. */
        nft_ctx_output_set_flags(nft, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
        nft_ctx_buffer_output(nft);
        nft_ctx_buffer_error(nft);
        return nft;
}

/* Runs {"nftables": cmds} (stolen). */
static int run(json_t *cmds, struct nc_err *err, const char *what)
{
        _cleanup_nft_ struct nft_ctx *nft = ctx_new();
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

static json_t *chain(const struct np_config *c, const char *name, const char *type, const char *hook, int prio)
{
        return json_pack("{s:{s:{s:s, s:s, s:s, s:s, s:s, s:i, s:s}}}", "add", "chain", "family", "ip", "table", c->table,
                         "name", name, "type", type, "hook", hook, "prio", prio, "policy", "accept");
}

int np_nft_setup(const struct np_config *c, struct nc_err *err)
{
        json_t *cmds = json_array();

        json_array_append_new(cmds, json_pack("{s:{s:{s:s, s:s}}}", "add", "table", "family", "ip", "name", c->table));
        json_array_append_new(cmds, chain(c, "prerouting", "nat", "prerouting", -100));
        json_array_append_new(cmds, chain(c, "output", "nat", "output", -100));
        json_array_append_new(cmds, chain(c, "postrouting", "nat", "postrouting", 100));
        json_array_append_new(cmds, chain(c, "forward", "filter", "forward", 0));
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

/* The table as JSON (libnftables' list output), or NULL when it does not exist. */
static json_t *list_table(const struct np_config *c)
{
        _cleanup_nft_ struct nft_ctx *nft = ctx_new();
        json_t *cmd = json_pack("{s:[{s:{s:{s:s, s:s}}}]}", "nftables", "list", "table", "family", "ip", "name", c->table);
        _cleanup_free_ char *text = cmd ? json_dumps(cmd, JSON_COMPACT) : NULL;
        json_t *out = NULL;

        json_decref(cmd);
        if (!nft || !text || nft_run_cmd_from_buffer(nft, text) != 0)
                return NULL;
        out = json_loads(nft_ctx_get_output_buffer(nft) ?: "", 0, NULL);
        return out;
}

char *np_nft_list(const struct np_config *c)
{
        json_t *t = list_table(c);
        char *s = t ? json_dumps(t, JSON_COMPACT) : NULL;

        json_decref(t);
        return s;
}

char *np_nft_rules_text(const struct np_config *c, const char *id)
{
        struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
        char cmd[128], tag[64], *out = NULL;
        const char *text;
        size_t len = 0;
        FILE *f;

        if (!nft)
                return NULL;
        /* nft's own text, for people. The table name is ours (np_config_init checked the
         * bridge name it comes from), so the command is not built from caller input. */
        nft_ctx_buffer_output(nft);
        nft_ctx_buffer_error(nft);
        snprintf(cmd, sizeof(cmd), "list table ip %s", c->table);
        snprintf(tag, sizeof(tag), "comment \"%s\"", id);
        if (nft_run_cmd_from_buffer(nft, cmd) != 0 || !(f = open_memstream(&out, &len))) {
                nft_ctx_free(nft);
                return NULL;
        }
        text = nft_ctx_get_output_buffer(nft);
        /* The structure and the shared rules stay; rules tagged with another sandbox's id
         * go. */
        for (const char *p = text ? text : ""; *p;) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);

                if (!memmem(p, n, "comment \"", 9) || memmem(p, n, tag, strlen(tag)))
                        fwrite(p, 1, n, f);
                p += n;
        }
        fclose(f);
        nft_ctx_free(nft);
        return out;
}

/* Deletes tagged rules: those whose comment is id (when id is set), or whose comment
 * names a sandbox that is not live. */
static int delete_tagged(const struct np_config *c, const char *id, np_live_fn live, void *userdata)
{
        json_t *t = list_table(c), *items, *item, *cmds = json_array();
        size_t i;
        int n = 0, r;

        if (!t) {
                json_decref(cmds);
                return 0;
        }
        items = json_object_get(t, "nftables");
        json_array_foreach(items, i, item) {
                json_t *rl = json_object_get(item, "rule");
                const char *comment = json_string_value(json_object_get(rl, "comment"));

                if (!rl || !comment)
                        continue;
                if (id ? strcmp(comment, id) != 0 : live(comment, userdata))
                        continue;
                json_array_append_new(cmds, json_pack("{s:{s:{s:s, s:s, s:O, s:O}}}", "delete", "rule", "family", "ip", "table",
                                                      c->table, "chain", json_object_get(rl, "chain"), "handle",
                                                      json_object_get(rl, "handle")));
                n++;
        }
        json_decref(t);
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
