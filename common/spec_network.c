/* SPDX-License-Identifier: Apache-2.0 */
/* The spec's "network" member: --network, --allow-host-network, --dns, -p, --egress-*. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macros.h"
#include "spec.h"

static const char *const network_names[] = { "none", "host", "bridge" };

int nc_network_mode_parse(const char *s)
{
        return nc_name_index(network_names, ARRAY_SIZE(network_names), s);
}

const char *nc_network_mode_name(int mode)
{
        return nc_name_at(network_names, ARRAY_SIZE(network_names), mode);
}

static const char *const nat_backend_names[] = { "auto", "kernel", "userspace" };

int nc_nat_backend_parse(const char *s)
{
        return nc_name_index(nat_backend_names, ARRAY_SIZE(nat_backend_names), s);
}

const char *nc_nat_backend_name(int backend)
{
        return nc_name_at(nat_backend_names, ARRAY_SIZE(nat_backend_names), backend);
}

int nc_spec_dns_parse(const char *s, uint32_t *ret, struct nc_err *err)
{
        struct in_addr a;

        if (!s || inet_pton(AF_INET, s, &a) != 1)
                return nc_err_set(err, "invalid DNS server '%.64s': give an IPv4 address (10.0.0.53)", s ? s : "");
        if (a.s_addr == 0 || (ntohl(a.s_addr) >> 24) == 127)
                return nc_err_set(err, "invalid DNS server '%.64s': loopback and 0.0.0.0 cannot be reached from a "
                                  "sandbox's own network namespace", s);
        *ret = a.s_addr;
        return 0;
}

static int port_number(const char *s, uint16_t *ret)
{
        char *end;
        unsigned long v;

        if (!*s || strspn(s, "0123456789") != strlen(s))
                return -EINVAL;
        v = strtoul(s, &end, 10);
        if (v == 0 || v > 65535)
                return -ERANGE;
        *ret = (uint16_t)v;
        return 0;
}

int nc_spec_port_parse(const char *str, struct nc_spec_port *ret, struct nc_err *err)
{
        char buf[128], *parts[3], *slash, *p;
        size_t n = 0;
        struct nc_spec_port port = { .proto = IPPROTO_TCP };
        struct in_addr a;

        if (!str || strlen(str) >= sizeof(buf))
                goto invalid;
        strcpy(buf, str);
        if ((slash = strchr(buf, '/'))) {
                *slash++ = 0;
                if (strcmp(slash, "tcp") == 0)
                        port.proto = IPPROTO_TCP;
                else if (strcmp(slash, "udp") == 0)
                        port.proto = IPPROTO_UDP;
                else
                        return nc_err_set(err, "invalid port '%.64s': the protocol must be tcp or udp", str);
        }
        for (p = buf; n < 3; n++) {
                parts[n] = p;
                if (!(p = strchr(p, ':'))) {
                        n++;
                        break;
                }
                *p++ = 0;
        }
        if (p || n < 2)
                goto invalid;
        if (n == 3) {
                if (inet_pton(AF_INET, parts[0], &a) != 1)
                        return nc_err_set(err, "invalid port '%.64s': '%s' is not an IPv4 address", str, parts[0]);
                port.host_ip = a.s_addr;
        }
        if (port_number(parts[n - 2], &port.host_port) < 0 || port_number(parts[n - 1], &port.port) < 0)
                return nc_err_set(err, "invalid port '%.64s': ports are numbers from 1 to 65535", str);
        *ret = port;
        return 0;
invalid:
        return nc_err_set(err, "invalid port '%.64s': use [IP:]HOST:CONTAINER[/tcp|udp] (8080:80, 127.0.0.1:5353:53/udp)",
                          str ? str : "");
}

void nc_spec_port_format(const struct nc_spec_port *p, char *buf, size_t cap)
{
        char ip[INET_ADDRSTRLEN];
        struct in_addr a = { .s_addr = p->host_ip };

        inet_ntop(AF_INET, &a, ip, sizeof(ip));
        snprintf(buf, cap, "%s:%u:%u/%s", ip, p->host_port, p->port, p->proto == IPPROTO_UDP ? "udp" : "tcp");
}

int nc_spec_cidr_parse(const char *s, struct nc_spec_cidr *ret, struct nc_err *err)
{
        char buf[32], *slash, *end = NULL;
        unsigned long len = 32;
        struct in_addr a;
        uint32_t mask;

        if (!s || !*s || strlen(s) >= sizeof(buf))
                goto bad;
        strcpy(buf, s);
        if ((slash = strchr(buf, '/'))) {
                *slash++ = 0;
                if (!*slash || strspn(slash, "0123456789") != strlen(slash) || strlen(slash) > 2)
                        goto bad;
                len = strtoul(slash, &end, 10);
                if (len > 32)
                        goto bad;
        }
        if (inet_pton(AF_INET, buf, &a) != 1)
                goto bad;
        mask = len == 0 ? 0 : htonl(~0u << (32 - len));
        if (a.s_addr & ~mask) {
                char net[INET_ADDRSTRLEN];
                return nc_err_set(err, "invalid egress CIDR '%.64s': host bits are set (did you mean %s/%lu?)", s,
                                  inet_ntop(AF_INET, &(struct in_addr){ a.s_addr & mask }, net, sizeof(net)), len);
        }
        *ret = (struct nc_spec_cidr){ .addr = a.s_addr, .prefix = (unsigned)len };
        return 0;
bad:
        return nc_err_set(err, "invalid egress CIDR '%.64s': use A.B.C.D/N with N from 0 to 32, or A.B.C.D for one "
                          "address (10.0.0.0/8, 192.0.2.7); --egress-allow \"\" alone denies all", s ? s : "");
}

void nc_spec_cidr_format(const struct nc_spec_cidr *c, char *buf, size_t cap)
{
        char ip[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, &(struct in_addr){ c->addr }, ip, sizeof(ip));
        snprintf(buf, cap, "%s/%u", ip, c->prefix);
}

int nc_spec_domain_parse(const char *s, char ret[NC_SPEC_DOMAIN_LEN + 1], struct nc_err *err)
{
        char buf[NC_SPEC_DOMAIN_LEN + 2];
        size_t len, label = 0, labels = 1;
        const char *p;

        if (!s || !*s || (len = strlen(s)) > NC_SPEC_DOMAIN_LEN + 1)
                goto bad;
        for (size_t i = 0; i <= len; i++)
                buf[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
        if (buf[len - 1] == '.')
                buf[--len] = 0;
        p = strncmp(buf, "*.", 2) == 0 ? buf + 2 : buf;
        if (!*p || strlen(buf) > NC_SPEC_DOMAIN_LEN)
                goto bad;
        for (const char *q = p;; q++) {
                if (*q == '.' || !*q) {
                        /* 1-63 characters, no '-' at either end */
                        if (label == 0 || label > 63 || q[-1] == '-' || q[-(ptrdiff_t)label] == '-')
                                goto bad;
                        if (!*q)
                                break;
                        labels++;
                        label = 0;
                } else if ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '-')
                        label++;
                else
                        goto bad;
        }
        if (labels < 2)
                return nc_err_set(err, "invalid egress domain '%.64s': give a name with at least two labels "
                                  "(example.org), or *.NAME for its subdomains", s);
        strcpy(ret, buf);
        return 0;
bad:
        return nc_err_set(err, "invalid egress domain '%.64s': a DNS name of letters, digits, '-' and '.' (labels of 1-63 "
                          "characters, at most 253 in all), optionally starting with '*.' for its subdomains "
                          "(api.example.org, *.example.org)", s ? s : "");
}

bool nc_spec_domain_match(const char *pattern, const char *name)
{
        size_t n = strlen(name), m;

        if (n && name[n - 1] == '.')
                n--;
        if (strncmp(pattern, "*.", 2) != 0)
                return n == strlen(pattern) && strncasecmp(name, pattern, n) == 0;
        /* "*.example.org": a.example.org and a.b.example.org, not example.org itself */
        m = strlen(pattern + 1);        /* ".example.org" */
        return n > m && strncasecmp(name + n - m, pattern + 1, m) == 0;
}

int nc_spec_egress_port_parse(const char *s, const char *flag, uint16_t *ret, struct nc_err *err)
{
        if (!s || port_number(s, ret) < 0)
                return nc_err_set(err, "invalid %s '%.64s': a port number from 1 to 65535", flag, s ? s : "");
        return 0;
}

static int egress_ports_from_json(const json_t *v, const char *what, uint16_t *ports, size_t *n, struct nc_err *err)
{
        const json_t *e;
        size_t i;

        if (!v)
                return 0;
        if (!json_is_array(v) || json_array_size(v) > NC_SPEC_EGRESS_MAX)
                return nc_err_set(err, "'network.egress.%s' must be an array of at most %d port numbers (1-65535)", what,
                                  NC_SPEC_EGRESS_MAX);
        json_array_foreach(v, i, e) {
                if (!json_is_integer(e) || json_integer_value(e) < 1 || json_integer_value(e) > 65535) {
                        char *t = json_dumps(e, JSON_ENCODE_ANY | JSON_COMPACT);
                        int r = nc_err_set(err, "invalid 'network.egress.%s' entry %.32s: a port number from 1 to 65535",
                                           what, t ? t : "?");
                        free(t);
                        return r;
                }
                ports[i] = (uint16_t)json_integer_value(e);
                *n = i + 1;
        }
        return 0;
}

static int egress_from_json(const json_t *v, struct nc_spec_egress *eg, struct nc_err *err)
{
        static const char *const known[] = { "allow", "tcp_ports", "udp_ports", "dns", "domains" };
        const json_t *e;
        json_t *val;
        size_t i;
        int r;

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return nc_err_set(err, "'network.egress' must be an object with allow, tcp_ports, udp_ports, dns, domains");
        if ((r = nc_spec_fields_only(v, "network.egress", known, ARRAY_SIZE(known), err)) < 0)
                return r;
        eg->set = true;
        eg->dns = true;
        e = json_object_get(v, "allow");
        if (e && (!json_is_array(e) || json_array_size(e) > NC_SPEC_EGRESS_MAX))
                return nc_err_set(err, "'network.egress.allow' must be an array of at most %d CIDRs (\"10.0.0.0/8\")",
                                  NC_SPEC_EGRESS_MAX);
        json_array_foreach(e, i, val) {
                if (!json_is_string(val))
                        return nc_err_set(err, "'network.egress.allow' entries must be strings (\"10.0.0.0/8\")");
                if ((r = nc_spec_cidr_parse(json_string_value(val), &eg->allow[i], err)) < 0)
                        return r;
                eg->nallow = i + 1;
        }
        if ((r = egress_ports_from_json(json_object_get(v, "tcp_ports"), "tcp_ports", eg->tcp_ports, &eg->ntcp, err)) < 0 ||
            (r = egress_ports_from_json(json_object_get(v, "udp_ports"), "udp_ports", eg->udp_ports, &eg->nudp, err)) < 0)
                return r;
        e = json_object_get(v, "domains");
        if (e && (!json_is_array(e) || json_array_size(e) > NC_SPEC_DOMAINS_MAX))
                return nc_err_set(err, "'network.egress.domains' must be an array of at most %d names (\"example.org\")",
                                  NC_SPEC_DOMAINS_MAX);
        json_array_foreach(e, i, val) {
                if (!json_is_string(val))
                        return nc_err_set(err, "'network.egress.domains' entries must be strings (\"example.org\")");
                if ((r = nc_spec_domain_parse(json_string_value(val), eg->domains[i], err)) < 0)
                        return r;
                eg->ndomains = i + 1;
        }
        e = json_object_get(v, "dns");
        if (e && !json_is_boolean(e))
                return nc_err_set(err, "'network.egress.dns' must be true or false");
        if (e)
                eg->dns = json_is_true(e);
        return 0;
}

static json_t *egress_to_json(const struct nc_spec_egress *eg)
{
        json_t *allow = json_array(), *tcp = json_array(), *udp = json_array();
        char buf[32];

        for (size_t i = 0; i < eg->nallow; i++) {
                nc_spec_cidr_format(&eg->allow[i], buf, sizeof(buf));
                json_array_append_new(allow, json_string(buf));
        }
        for (size_t i = 0; i < eg->ntcp; i++)
                json_array_append_new(tcp, json_integer(eg->tcp_ports[i]));
        for (size_t i = 0; i < eg->nudp; i++)
                json_array_append_new(udp, json_integer(eg->udp_ports[i]));
        json_t *domains = json_array();

        for (size_t i = 0; i < eg->ndomains; i++)
                json_array_append_new(domains, json_string(eg->domains[i]));
        return json_pack("{s:o, s:o, s:o, s:b, s:o}", "allow", allow, "tcp_ports", tcp, "udp_ports", udp, "dns", eg->dns,
                         "domains", domains);
}

int nc_spec_network_from_json(const json_t *v, struct nc_spec_network *n, struct nc_err *err)
{
        static const char *const known[] = { "mode", "allow_host", "dns", "publish", "egress", "nat_backend" };
        const json_t *e;
        json_t *val;
        size_t i;
        int r;

        *n = (struct nc_spec_network){ .mode = NC_NET_NONE };
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return nc_err_set(err, "'network' must be an object with mode, allow_host, dns, publish, egress, "
                                  "nat_backend");
        if ((r = nc_spec_fields_only(v, "network", known, ARRAY_SIZE(known), err)) < 0)
                return r;
        e = json_object_get(v, "mode");
        if (e && (r = nc_network_mode_parse(json_string_value(e))) < 0)
                return nc_err_set(err, "'network.mode' must be \"none\", \"host\" or \"bridge\"");
        if (e)
                n->mode = r;
        e = json_object_get(v, "nat_backend");
        if (e && (r = nc_nat_backend_parse(json_string_value(e))) < 0)
                return nc_err_set(err, "'network.nat_backend' must be \"auto\", \"kernel\" or \"userspace\"");
        if (e && n->mode != NC_NET_BRIDGE)
                return nc_err_set(err, "'network.nat_backend' is only accepted with \"mode\": \"bridge\"");
        if (e)
                n->nat_backend = r;
        e = json_object_get(v, "allow_host");
        if (e && !json_is_boolean(e))
                return nc_err_set(err, "'network.allow_host' must be true or false");
        n->allow_host = json_is_true(e);
        e = json_object_get(v, "dns");
        if (e && (!json_is_array(e) || json_array_size(e) > NC_SPEC_DNS_MAX))
                return nc_err_set(err, "'network.dns' must be an array of at most %d IPv4 addresses", NC_SPEC_DNS_MAX);
        json_array_foreach(e, i, val) {
                if (!json_is_string(val))   /* it was "invalid DNS server ''" */
                        return nc_err_set(err, "network.dns[%zu] must be a string, an IPv4 address (\"10.0.0.53\")", i);
                if ((r = nc_spec_dns_parse(json_string_value(val), &n->dns[i], err)) < 0)
                        return r;
                n->ndns = i + 1;
        }
        e = json_object_get(v, "publish");
        if (e && (!json_is_array(e) || json_array_size(e) > NC_SPEC_PUBLISH_MAX))
                return nc_err_set(err, "'network.publish' must be an array of at most %d \"[IP:]HOST:CONTAINER[/tcp|udp]\"",
                                  NC_SPEC_PUBLISH_MAX);
        json_array_foreach(e, i, val) {
                if (!json_is_string(val))   /* it was "invalid port ''" */
                        return nc_err_set(err, "network.publish[%zu] must be a string \"[IP:]HOST:CONTAINER[/tcp|udp]\"", i);
                if ((r = nc_spec_port_parse(json_string_value(val), &n->publish[i], err)) < 0)
                        return r;
                n->npublish = i + 1;
        }
        return egress_from_json(json_object_get(v, "egress"), &n->egress, err);
}

json_t *nc_spec_network_to_json(const struct nc_spec_network *n)
{
        json_t *j, *dns = json_array(), *pub = json_array();
        char buf[64];

        for (size_t i = 0; i < n->ndns; i++) {
                struct in_addr a = { .s_addr = n->dns[i] };
                json_array_append_new(dns, json_string(inet_ntop(AF_INET, &a, buf, sizeof(buf))));
        }
        for (size_t i = 0; i < n->npublish; i++) {
                nc_spec_port_format(&n->publish[i], buf, sizeof(buf));
                json_array_append_new(pub, json_string(buf));
        }
        j = json_pack("{s:s}", "mode", nc_network_mode_name(n->mode));
        if (n->allow_host)
                json_object_set_new(j, "allow_host", json_true());
        if (n->ndns)
                json_object_set(j, "dns", dns);
        if (n->npublish)
                json_object_set(j, "publish", pub);
        if (n->egress.set)
                json_object_set_new(j, "egress", egress_to_json(&n->egress));
        if (n->nat_backend != NC_NAT_AUTO)
                json_object_set_new(j, "nat_backend", json_string(nc_nat_backend_name(n->nat_backend)));
        json_decref(dns);
        json_decref(pub);
        return j;
}

static int ports_validate(const uint16_t *ports, size_t n, const char *flag, struct nc_err *err)
{
        if (n > NC_SPEC_EGRESS_MAX)
                return nc_err_set(err, "at most %d %s", NC_SPEC_EGRESS_MAX, flag);
        for (size_t i = 0; i < n; i++) {
                if (ports[i] == 0)
                        return nc_err_set(err, "invalid %s 0: a port number from 1 to 65535", flag);
                for (size_t k = 0; k < i; k++)
                        if (ports[k] == ports[i])
                                return nc_err_set(err, "%s %u is given twice", flag, ports[i]);
        }
        return 0;
}

static int egress_validate(const struct nc_spec_network *n, struct nc_err *err)
{
        const struct nc_spec_egress *eg = &n->egress;
        int r;

        if (!eg->set) {
                if (eg->nallow || eg->ntcp || eg->nudp)
                        return nc_err_set(err, "egress CIDRs or ports without an egress policy");
                return 0;
        }
        /* Nothing to enforce on: none has no route out, host has no veth of its own. */
        if (n->mode != NC_NET_BRIDGE)
                return nc_err_set(err, "--egress-allow/--egress-tcp-port/--egress-udp-port/--egress-domain are only "
                                  "accepted with --network bridge: %s", n->mode == NC_NET_HOST
                                  ? "a --network host sandbox shares the host's namespace, with no veth of its own to "
                                    "enforce a policy on"
                                  : "a --network none sandbox has no network beyond lo, so nothing leaves it anyway");
        if (eg->nallow > NC_SPEC_EGRESS_MAX)
                return nc_err_set(err, "at most %d --egress-allow", NC_SPEC_EGRESS_MAX);
        for (size_t i = 0; i < eg->nallow; i++) {
                const struct nc_spec_cidr *c = &eg->allow[i];
                char buf[32];

                if (c->prefix > 32 || (c->prefix < 32 && (ntohl(c->addr) & (~0u >> c->prefix))))
                        return nc_err_set(err, "invalid egress CIDR: the prefix must be 0-32 with no host bits set");
                for (size_t k = 0; k < i; k++)
                        if (eg->allow[k].addr == c->addr && eg->allow[k].prefix == c->prefix) {
                                nc_spec_cidr_format(c, buf, sizeof(buf));
                                return nc_err_set(err, "--egress-allow %s is given twice", buf);
                        }
        }
        if ((r = ports_validate(eg->tcp_ports, eg->ntcp, "--egress-tcp-port", err)) < 0 ||
            (r = ports_validate(eg->udp_ports, eg->nudp, "--egress-udp-port", err)) < 0)
                return r;
        if ((eg->ntcp || eg->nudp) && eg->nallow == 0 && eg->ndomains == 0)
                return nc_err_set(err, "--egress-tcp-port/--egress-udp-port open ports on the --egress-allow CIDRs (or "
                                  "--egress-domain names), and none is given: add --egress-allow CIDR (0.0.0.0/0 for "
                                  "any address)");
        if (eg->ndomains > NC_SPEC_DOMAINS_MAX)
                return nc_err_set(err, "at most %d --egress-domain", NC_SPEC_DOMAINS_MAX);
        for (size_t i = 0; i < eg->ndomains; i++) {
                char again[NC_SPEC_DOMAIN_LEN + 1];
                if (memchr(eg->domains[i], 0, sizeof(eg->domains[i])) == NULL ||
                    nc_spec_domain_parse(eg->domains[i], again, err) < 0 || strcmp(again, eg->domains[i]) != 0)
                        return nc_err_set(err, "invalid egress domain: lower case, no final dot");
                for (size_t k = 0; k < i; k++)
                        if (strcmp(eg->domains[k], eg->domains[i]) == 0)
                                return nc_err_set(err, "--egress-domain %s is given twice", eg->domains[i]);
        }
        /* The gate answers the names: it must be reachable. */
        if (eg->ndomains && !eg->dns)
                return nc_err_set(err, "'network.egress.dns' false leaves the sandbox no resolver, and its "
                                  "--egress-domain names are resolved by nucleusd's DNS gate");
        return 0;
}

/* pasta has no veth nucleusd could enforce an egress policy on, and no DNS gate: a
 * policy would be a promise nobody keeps. Also called by nucleusd once it has resolved
 * auto and production's default policy. */
int nc_spec_nat_backend_check(const struct nc_spec_network *n, struct nc_err *err)
{
        if (n->mode != NC_NET_BRIDGE || n->nat_backend != NC_NAT_USERSPACE)
                return 0;
        /* pasta 2023-03 completes only connections that reach a published port over
         * loopback, which it splices; one that comes over its tap (any other address)
         * is handed to the sandbox and answered there, and pasta never completes the
         * handshake (docs/network.md). A port that would hang is not published. */
        for (size_t i = 0; i < n->npublish; i++)
                if (n->publish[i].host_ip != htonl(INADDR_LOOPBACK)) {
                        char p[64];
                        nc_spec_port_format(&n->publish[i], p, sizeof(p));
                        return nc_err_set(err, "-p %s cannot be used with --nat-backend userspace: this pasta forwards "
                                          "published ports only on 127.0.0.1 (give -p 127.0.0.1:%u:%u%s, or use "
                                          "--nat-backend kernel; docs/network.md)", p, n->publish[i].host_port,
                                          n->publish[i].port, n->publish[i].proto == IPPROTO_UDP ? "/udp" : "");
                }
        if (!n->egress.set)
                return 0;
        return nc_err_set(err, "--egress-allow/--egress-tcp-port/--egress-udp-port/--egress-domain cannot be used with "
                          "--nat-backend userspace: pasta forwards the sandbox's connections from nucleusd's own "
                          "sockets, with no veth on the host to enforce a policy on (use --nat-backend kernel)%s",
                          n->egress.nallow || n->egress.ndomains || n->egress.dns
                          ? "" : "; production's default is a deny-all policy, so production needs the kernel backend");
}

/* The rules every caller gets; the service modes' own rules are in supervisor/modes.c. */
int nc_spec_network_validate(const struct nc_spec *s, struct nc_err *err)
{
        const struct nc_spec_network *n = &s->network;
        int r;

        if (n->mode < NC_NET_NONE || n->mode > NC_NET_BRIDGE)
                return nc_err_set(err, "invalid network mode %d: none, host or bridge", n->mode);
        if (n->ndns > NC_SPEC_DNS_MAX || n->npublish > NC_SPEC_PUBLISH_MAX)
                return nc_err_set(err, "too many DNS servers or published ports");
        if (n->nat_backend < NC_NAT_AUTO || n->nat_backend > NC_NAT_USERSPACE)
                return nc_err_set(err, "invalid NAT backend %d: auto, kernel or userspace", n->nat_backend);
        if (n->mode != NC_NET_BRIDGE && n->nat_backend != NC_NAT_AUTO)
                return nc_err_set(err, "--nat-backend is only accepted with --network bridge (%s has no NAT)",
                                  nc_network_mode_name(n->mode));
        if ((r = nc_spec_nat_backend_check(n, err)) < 0)
                return r;
        if (n->mode != NC_NET_BRIDGE && n->ndns)
                return nc_err_set(err, "--dns is only accepted with --network bridge (%s has %s)", nc_network_mode_name(n->mode),
                                  n->mode == NC_NET_HOST ? "the host's /etc/resolv.conf" : "no network");
        if (n->mode != NC_NET_BRIDGE && n->npublish)
                return nc_err_set(err, "-p/--publish is only accepted with --network bridge");
        if (n->mode != NC_NET_HOST && n->allow_host)
                return nc_err_set(err, "--allow-host-network is only accepted with --network host");
        if (n->mode == NC_NET_HOST && !n->allow_host)
                return nc_err_set(err, "--network host shares the host's network namespace with the workload: add "
                                  "--allow-host-network (and --trust-level trusted) to accept that");
        if (n->mode == NC_NET_HOST && s->trust_level != NC_TRUST_TRUSTED)
                return nc_err_set(err, "--network host is refused for an untrusted workload (the default trust level): "
                                  "give --trust-level trusted --allow-host-network, or use --network bridge");
        if ((r = egress_validate(n, err)) < 0)
                return r;
        for (size_t i = 0; i < n->npublish; i++) {
                if (n->publish[i].host_port == 0 || n->publish[i].port == 0)
                        return nc_err_set(err, "published ports are numbers from 1 to 65535");
                for (size_t k = 0; k < i; k++)
                        if (n->publish[k].host_port == n->publish[i].host_port && n->publish[k].proto == n->publish[i].proto &&
                            (n->publish[k].host_ip == n->publish[i].host_ip || !n->publish[k].host_ip || !n->publish[i].host_ip))
                                return nc_err_set(err, "host port %u/%s is published twice", n->publish[i].host_port,
                                                  n->publish[i].proto == IPPROTO_UDP ? "udp" : "tcp");
        }
        return 0;
}
