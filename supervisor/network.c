/* SPDX-License-Identifier: Apache-2.0 */
/* A sandbox's network as the loop sees it (docs/network.md): admission (DNS defaults,
 * host port conflicts), setup after the clone and before the claim, release when the
 * sandbox ends, and the sweep at start of whatever a crashed nucleusd left behind. The
 * kernel work is netpolicy/'s. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnsgate.h"
#include "log.h"
#include "netpolicy.h"
#include "sup.h"

static bool userspace(const struct nc_spec_network *n)
{
        return n->mode == NC_NET_BRIDGE && n->nat_backend == NC_NAT_USERSPACE;
}

/* Live for the sweeps: a sandbox of ours that holds (or is about to hold) a network. */
static bool is_live(const char *id_prefix, void *userdata)
{
        const struct sup *s = userdata;
        size_t n = strlen(id_prefix);

        for (const struct sup_sandbox *sb = s->sandboxes; sb; sb = sb->next)
                if (strncmp(sb->id, id_prefix, n) == 0 && (sup_state_live(sb->state) || sb->net.leased))
                        return true;
        return false;
}

static const char *proto_name(int proto, char buf[8])
{
        if (proto == IPPROTO_TCP)
                return "tcp";
        if (proto == IPPROTO_UDP)
                return "udp";
        if (proto == IPPROTO_ICMP)
                return "icmp";
        snprintf(buf, 8, "%d", proto);
        return buf;
}

static void on_denial(const struct np_denial *d, void *userdata)
{
        char dst[INET_ADDRSTRLEN], p[8];

        inet_ntop(AF_INET, &d->daddr, dst, sizeof(dst));
        log_info("nucleus-egress-denied: sandbox=%s dst=%s proto=%s port=%u", d->id, dst, proto_name(d->proto, p),
                 d->dport);
}

static void on_nflog(uv_poll_t *h, int status, int events)
{
        struct sup *s = h->data;
        int r = np_nflog_read(s->nflog);

        if (r == -ENOBUFS)
                log_warn("Some egress denials were not logged (the nflog socket overflowed); they are counted");
        else if (r < 0)
                log_warn_errno(-r, "Failed to read egress denials from nflog group %u, ignoring", s->net.nflog_group);
}

/* Denials are logged as they come; a nucleusd that cannot read the group (another process
 * reads it) still enforces and counts them. */
static void nflog_start(struct sup *s)
{
        struct nc_err err = { { 0 } };
        int r = np_nflog_open(s->net.nflog_group, on_denial, s, &s->nflog, &err);

        if (r < 0) {
                log_warn_errno(-r, "%s: egress denials will be counted but not logged, ignoring", err.msg);
                return;
        }
        uv_poll_init(&s->loop, &s->nflog_poll, np_nflog_fd(s->nflog));
        s->nflog_poll.data = s;
        uv_poll_start(&s->nflog_poll, UV_READABLE, on_nflog);
}

int sup_network_init(struct sup *s)
{
        struct nc_err err = { { 0 } };
        int r, links, rules, leases;

        r = np_config_init(&s->net, s->opt->bridge, s->opt->bridge_subnet, s->opt->paths.state_dir, &err);
        if (r < 0)
                return log_error_errno(-r, "%s", err.msg), r;
        s->net.ids_first = s->cfg->uid_base;
        s->net.ids_last = (uint32_t)((uint64_t)s->cfg->uid_base + (uint64_t)sup_uid_slots(s->opt) * s->cfg->uid_count - 1);
        r = np_ipam_open(&s->net, &s->ipam, &err);
        if (r < 0)
                return log_error_errno(-r, "%s", err.msg), r;
        /* What carries the id of no sandbox we know was left by a nucleusd that did not
         * get to clean up. */
        /* Sandboxes a previous loop process handed over keep their network: what it
         * holds is found again from the lease (the veth and the rules are named by id). */
        for (struct sup_sandbox *sb = s->sandboxes; sb; sb = sb->next)
                if (sup_state_live(sb->state) && sb->spec->network.mode == NC_NET_BRIDGE &&
                    np_ipam_lookup(s->ipam, sb->id, &sb->net.addr) == 0) {
                        sb->net.leased = sb->net.attached = true;
                        np_veth_name(sb->id, sb->net.veth);
                }
        links = np_links_sweep(&s->net, is_live, s);
        rules = np_nft_sweep(&s->net, is_live, s);
        leases = np_ipam_sweep(s->ipam, is_live, s);
        if (links > 0 || rules > 0 || leases > 0)
                log_info("Removed what sandboxes of a previous nucleusd left: %d veth(s), %d nft rule(s), %d lease(s)",
                         links > 0 ? links : 0, rules > 0 ? rules : 0, leases > 0 ? leases : 0);
        if (links < 0 || rules < 0 || leases < 0)
                log_warn("Failed to sweep the network left by a previous nucleusd (%d, %d, %d), ignoring", links, rules,
                         leases);
        /* pasta processes: a taken-over sandbox's goes on, the others are killed. */
        (void)sup_pasta_sweep(s);
        nflog_start(s);
        /* Sandboxes a previous loop process handed over keep their resolver. */
        for (struct sup_sandbox *sb = s->sandboxes; sb; sb = sb->next)
                if (sb->net.leased && sb->spec->network.egress.ndomains) {
                        struct nc_err gerr = { { 0 } };
                        if (sup_dnsgate_ensure(s, &gerr) < 0)
                                log_warn("%s: sandboxes with --egress-domain names cannot resolve them, ignoring", gerr.msg);
                        break;
                }
        return 0;
}

/* After the loop has closed its handles (the nflog poll among them). */
void sup_network_done(struct sup *s)
{
        sup_pasta_done(s);
        sup_dnsgate_free(s);
        np_nflog_free(s->nflog);
        s->nflog = NULL;
        np_ipam_free(s->ipam);
        s->ipam = NULL;
        np_nft_close();
}

/* The host's resolvers, for agent-mode bridge sandboxes without --dns. Loopback ones
 * (systemd-resolved's 127.0.0.53, a local dnsmasq) cannot be reached from a sandbox's
 * namespace, and IPv6 ones are not routed by the bridge: both are left out. */
static size_t host_resolvers(uint32_t *ret, size_t max)
{
        _cleanup_(nc_fclosep) FILE *f = fopen("/etc/resolv.conf", "re");
        char line[512], addr[128];
        size_t n = 0;
        struct in_addr a;

        while (f && n < max && fgets(line, sizeof(line), f))
                if (sscanf(line, " nameserver %127s", addr) == 1 && inet_pton(AF_INET, addr, &a) == 1 &&
                    (ntohl(a.s_addr) >> 24) != 127 && a.s_addr != 0)
                        ret[n++] = a.s_addr;
        return n;
}

static bool ports_clash(const struct nc_spec_port *a, const struct nc_spec_port *b)
{
        return a->proto == b->proto && a->host_port == b->host_port &&
               (a->host_ip == b->host_ip || !a->host_ip || !b->host_ip);
}

int sup_network_admit(struct sup *s, struct nc_spec *spec, struct nc_err *err)
{
        struct nc_spec_network *n = &spec->network;

        if (n->mode != NC_NET_BRIDGE)
                return 0;
        /* auto: the kernel backend needs root (the bridge, the veths, nft); a rootless
         * nucleusd (a later issue) gets pasta. The spec keeps what was chosen. */
        if (n->nat_backend == NC_NAT_AUTO)
                n->nat_backend = geteuid() == 0 ? NC_NAT_KERNEL : NC_NAT_USERSPACE;
        /* Production's default is deny-all, DNS included (as in the seed): a service
         * says what it talks to, --egress-allow "" for DNS only. */
        if (spec->service_mode == NC_MODE_PRODUCTION && !n->egress.set)
                n->egress = (struct nc_spec_egress){ .set = true, .dns = false };
        if (nc_spec_nat_backend_check(n, err) < 0)
                return -EINVAL;
        if (userspace(n) && access(NP_PASTA_EXE, X_OK) < 0)
                return nc_err_set(err, "--nat-backend userspace needs pasta (Debian package passt) at %s: %s",
                                  NP_PASTA_EXE, strerror(errno));
        if (n->ndns == 0) {
                n->ndns = host_resolvers(n->dns, NC_SPEC_DNS_MAX);
                if (n->ndns == 0)
                        return nc_err_set(err, "--network bridge needs a resolver: the host's /etc/resolv.conf names none "
                                          "that a sandbox can reach (loopback ones cannot be); give --dns IP");
        }
        for (size_t i = 0; i < n->npublish; i++)
                for (const struct sup_sandbox *o = s->sandboxes; o; o = o->next) {
                        if (!sup_state_live(o->state) && !o->net.leased)
                                continue;
                        for (size_t k = 0; k < o->spec->network.npublish; k++)
                                if (ports_clash(&n->publish[i], &o->spec->network.publish[k])) {
                                        char p[64];
                                        nc_spec_port_format(&o->spec->network.publish[k], p, sizeof(p));
                                        return nc_err_set(err, "host port %u/%s is already published by sandbox %s (%s)",
                                                          n->publish[i].host_port,
                                                          n->publish[i].proto == IPPROTO_UDP ? "udp" : "tcp", o->id, p);
                                }
                }
        return 0;
}

int sup_network_setup(struct sup_sandbox *sb)
{
        struct sup *s = sb->sup;
        const struct nc_spec_network *n = &sb->spec->network;
        struct nc_err err = { { 0 } };
        struct sbx_failure f;
        uint64_t t0 = nc_now_ns();
        int r;

        if (n->mode != NC_NET_BRIDGE)
                return 0;
        if (userspace(n)) {
                if ((r = sup_pasta_start(sb, &err)) < 0)
                        goto fail;
                log_debug("Sandbox %s: pasta (pid %d) started in %llu us", sb->id, (int)sb->net.pasta_pid,
                          (unsigned long long)((nc_now_ns() - t0) / 1000));
                return 0;
        }
        /* The bridge and the table are made on first use and re-checked by every bridge
         * sandbox: someone may have deleted them meanwhile, and both calls are idempotent. */
        if ((r = np_bridge_ensure(&s->net, &err)) < 0 || (r = np_nft_setup(&s->net, &err)) < 0)
                goto fail;
        if ((r = np_ipam_alloc(s->ipam, sb->id, &sb->net.addr)) < 0) {
                nc_err_set_errno(&err, r, "Failed to get an address from %s's subnet (%zu leased)", s->net.bridge,
                                 np_ipam_count(s->ipam));
                goto fail;
        }
        sb->net.leased = true;
        sb->net.denied = -1;
        np_veth_name(sb->id, sb->net.veth);
        if ((r = np_veth_attach(&s->net, sb->id, sb->pid, sb->pidfd, sb->net.addr, sb->net.mac, &err)) < 0)
                goto fail;
        sb->net.attached = true;
        if ((r = np_nft_publish(&s->net, sb->id, sb->net.addr, n->publish, n->npublish, &err)) < 0)
                goto fail;
        /* Names are answered by the gate, which must listen before the workload asks. */
        if (n->egress.ndomains && (r = sup_dnsgate_ensure(s, &err)) < 0)
                goto fail;
        /* Before the claim, so the workload never runs without its policy; a policy that
         * cannot be applied fails the sandbox in every mode (never fail open). */
        if ((r = np_nft_egress_apply(&s->net, sb->id, sb->net.veth, sb->net.addr, sb->net.mac, &n->egress, n->dns, n->ndns, &err)) < 0)
                goto fail;
        log_debug("Sandbox %s: network ready in %llu us", sb->id, (unsigned long long)((nc_now_ns() - t0) / 1000));
        return 0;
fail:
        sbx_failure_set(&f, "network", -r, "%s", err.msg);
        sup_sandbox_fail(sb, &f);
        return r;
}

/* Deleting a veth waits for the kernel to unregister it (an RCU grace period or more:
 * tens of ms), so it runs on libuv's thread pool rather than stalling the loop; the
 * address is released when it is done, never before, so a live address is never
 * handed out twice. The work holds a reference to the sandbox: its removal (`rm`)
 * completes only after, so nothing of its network is left when rm returns. */
struct veth_delete {
        uv_work_t work;
        struct sup *sup;
        struct sup_sandbox *sb;
        char id[NC_ID_LEN + 1];
        char veth[IFNAMSIZ];
        int r;
};

static void veth_delete_work(uv_work_t *w)
{
        struct veth_delete *d = w->data;

        d->r = np_link_delete(d->veth);
}

static void veth_delete_done(uv_work_t *w, int status)
{
        struct veth_delete *d = w->data;
        int r;

        if (status == 0 && d->r < 0 && d->r != -ENODEV)
                log_warn_errno(-d->r, "Failed to delete veth %s of sandbox %s, ignoring", d->veth, d->id);
        if (d->sup->ipam && (r = np_ipam_release(d->sup->ipam, d->id)) < 0 && r != -ENOENT)
                log_warn_errno(-r, "Failed to release the address of sandbox %s, ignoring", d->id);
        sup_sandbox_unref(d->sb);
        free(d);
}

void sup_network_release(struct sup_sandbox *sb)
{
        struct sup *s = sb->sup;
        struct veth_delete *d;
        int r;

        if (userspace(&sb->spec->network))
                sup_pasta_stop(sb);
        if (sb->spec->network.mode != NC_NET_BRIDGE || !sb->net.leased)
                return;
        if (sb->spec->network.egress.set)
                sb->net.denied = np_nft_egress_denied(&s->net, sb->id);
        if ((r = np_nft_unpublish(&s->net, sb->id)) < 0)
                log_warn_errno(-r, "Failed to remove the nft rules of sandbox %s, ignoring", sb->id);
        sb->net.leased = false;
        /* init's namespace is gone or going; its teardown deletes the pair asynchronously,
         * so the host end is deleted here before the address can be handed out again. */
        if (sb->net.attached && (d = calloc(1, sizeof(*d)))) {
                d->sup = s;
                d->sb = sb;
                d->work.data = d;
                sb->open_handles++;
                memcpy(d->id, sb->id, sizeof(d->id));
                snprintf(d->veth, sizeof(d->veth), "%s", sb->net.veth);
                sb->net.attached = false;
                if (uv_queue_work(&s->loop, &d->work, veth_delete_work, veth_delete_done) == 0)
                        return;
                veth_delete_work(&d->work);     /* no thread pool: the slow way, here */
                veth_delete_done(&d->work, 0);
                return;
        }
        if (sb->net.attached && (r = np_link_delete(sb->net.veth)) < 0 && r != -ENODEV)
                log_warn_errno(-r, "Failed to delete veth %s of sandbox %s, ignoring", sb->net.veth, sb->id);
        sb->net.attached = false;
        if ((r = np_ipam_release(s->ipam, sb->id)) < 0 && r != -ENOENT)
                log_warn_errno(-r, "Failed to release the address of sandbox %s, ignoring", sb->id);
}

char *sup_network_resolv_conf(const struct sup_sandbox *sb)
{
        const struct nc_spec_network *n = &sb->spec->network;
        char buf[4096], ip[INET_ADDRSTRLEN];
        size_t len = 0;

        if (n->mode == NC_NET_HOST) {
                _cleanup_(nc_fclosep) FILE *f = fopen("/etc/resolv.conf", "re");
                len = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
                buf[len] = 0;
                return strdup(buf);
        }
        if (n->mode != NC_NET_BRIDGE)
                return NULL;
        len = (size_t)snprintf(buf, sizeof(buf), "# nucleus: --network bridge%s\n",
                               userspace(n) ? " --nat-backend userspace (pasta)" : "");
        /* With --egress-domain names, the DNS gate is the only resolver (its upstreams
         * are the --dns servers). */
        if (n->egress.ndomains) {
                snprintf(buf + len, sizeof(buf) - len, "# the egress DNS gate\nnameserver %s\n",
                         inet_ntop(AF_INET, &sb->sup->net.gateway, ip, sizeof(ip)));
                return strdup(buf);
        }
        for (size_t i = 0; i < n->ndns; i++)
                len += (size_t)snprintf(buf + len, sizeof(buf) - len, "nameserver %s\n",
                                        inet_ntop(AF_INET, &n->dns[i], ip, sizeof(ip)));
        return strdup(buf);
}

json_t *sup_network_rules(const struct sup_sandbox *sb)
{
        char *text;
        json_t *j;

        if (sb->spec->network.mode != NC_NET_BRIDGE || userspace(&sb->spec->network) ||
            !(text = np_nft_rules_text(&sb->sup->net, sb->id)))
                return json_null();
        j = json_string(text);
        free(text);
        return j;
}

json_t *sup_network_inspect(const struct sup_sandbox *sb)
{
        const struct nc_spec_network *n = &sb->spec->network;
        const struct sup *s = sb->sup;
        json_t *j = nc_spec_network_to_json(n), *v;
        char ip[INET_ADDRSTRLEN + 4];

        if (n->mode != NC_NET_BRIDGE)
                return j;
        if ((v = json_object_get(j, "publish")))
                json_object_set(j, "published", v);
        else
                json_object_set_new(j, "published", json_array());
        json_object_del(j, "publish");
        if (userspace(n)) {
                /* No bridge, veth or nft rules: pasta is the sandbox's whole network. */
                json_object_set_new(j, "interface", json_string(NP_PASTA_IFNAME));
                json_object_set_new(j, "address", json_string(NP_PASTA_ADDR "/" NP_PASTA_PREFIX));
                json_object_set_new(j, "gateway", json_string(NP_PASTA_GATEWAY));
                json_object_set_new(j, "pasta", sup_pasta_inspect(sb));
                if (sb->net.pasta_exited) {
                        json_object_set_new(j, "degraded", json_true());
                        json_object_set_new(j, "error", json_string(sb->net.pasta_error));
                }
                json_object_set_new(j, "egress", json_pack("{s:b}", "open", true));
                return j;
        }
        json_object_set_new(j, "bridge", json_string(s->net.bridge));
        inet_ntop(AF_INET, &s->net.gateway, ip, INET_ADDRSTRLEN);
        json_object_set_new(j, "gateway", json_string(ip));
        json_object_set_new(j, "nft_table", json_pack("{s:s, s:s}", "family", "ip", "name", s->net.table));
        if (sb->net.leased) {
                inet_ntop(AF_INET, &sb->net.addr, ip, INET_ADDRSTRLEN);
                snprintf(ip + strlen(ip), 4, "/%u", s->net.prefix);
                json_object_set_new(j, "address", json_string(ip));
        } else
                json_object_set_new(j, "address", json_null());
        json_object_set_new(j, "veth", sb->net.attached ? json_string(sb->net.veth) : json_null());
        /* The count the rules had when they went; sup_network_inspect_live reads it while
         * they exist (not here: this is also the state file's, written often). */
        if ((v = json_object_get(j, "egress")))
                json_object_set_new(v, "denied", sb->net.denied >= 0 ? json_integer(sb->net.denied) : json_null());
        else
                json_object_set_new(j, "egress", json_pack("{s:b}", "open", true));
        return j;
}

void sup_network_inspect_live(const struct sup_sandbox *sb, json_t *network)
{
        json_t *eg = json_object_get(network, "egress");
        int64_t denied;

        if (!json_object_get(eg, "denied") || !sb->net.attached || !sb->spec->network.egress.set)
                return;
        denied = np_nft_egress_denied(&sb->sup->net, sb->id);
        json_object_set_new(eg, "denied", denied >= 0 ? json_integer(denied) : json_null());
}
