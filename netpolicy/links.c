/* SPDX-License-Identifier: Apache-2.0 */
/* Links through libnl-route: the bridge, one veth pair per sandbox, the sandbox's
 * address and default route.
 *
 * The inside (eth0's address, its link state, the default route) is configured by the
 * supervisor, not by the sandbox's init: the loop thread enters the sandbox's network
 * namespace just long enough to open a netlink socket there and returns at once — a
 * netlink socket stays bound to the namespace it was created in. That keeps all link
 * configuration in one library on one side (init stays small and allocation-free, and
 * needs no values beyond what it already gets), the network is complete before the
 * claim is sent, so the workload never sees a half-configured eth0, and a failure is
 * reported by the one process that can undo the host side. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macros.h"
#include "netpolicy.h"

static inline void sock_freep(struct nl_sock **p) { if (*p) nl_socket_free(*p); }
static inline void link_putp(struct rtnl_link **p) { if (*p) rtnl_link_put(*p); }
static inline void addr_putp(struct nl_addr **p) { if (*p) nl_addr_put(*p); }
#define _cleanup_sock_ _cleanup_(sock_freep)
#define _cleanup_link_ _cleanup_(link_putp)
#define _cleanup_nladdr_ _cleanup_(addr_putp)

/* libnl's NLE_* codes in the one error space (STYLE.md). */
static int nlerr(int e)
{
        switch (e < 0 ? -e : e) {
        case 0: return 0;
        case NLE_EXIST: return -EEXIST;
        case NLE_PERM: return -EPERM;
        case NLE_NOMEM: return -ENOMEM;
        case NLE_OBJ_NOTFOUND: case NLE_NODEV: return -ENODEV;
        case NLE_BUSY: return -EBUSY;
        case NLE_RANGE: return -ERANGE;
        case NLE_INVAL: return -EINVAL;
        case NLE_NOADDR: return -EADDRNOTAVAIL;
        default: return -EIO;
        }
}

static struct nl_sock *route_socket(void)
{
        struct nl_sock *sk = nl_socket_alloc();

        if (sk && nl_connect(sk, NETLINK_ROUTE) < 0) {
                nl_socket_free(sk);
                return NULL;
        }
        return sk;
}

void np_veth_name(const char *id, char ret[IFNAMSIZ])
{
        snprintf(ret, IFNAMSIZ, NP_VETH_PREFIX "%.*s", NP_VETH_ID_CHARS, id);
}

static int write_sysctl(const char *path, const char *value)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        size_t n = strlen(value);

        if (fd < 0)
                return -errno;
        return write(fd, value, n) == (ssize_t)n ? 0 : nc_negerrno();
}

static int set_up(struct nl_sock *sk, struct rtnl_link *link, int master)
{
        _cleanup_link_ struct rtnl_link *change = rtnl_link_alloc();

        if (!change)
                return -ENOMEM;
        rtnl_link_set_flags(change, IFF_UP);
        if (master > 0)
                rtnl_link_set_master(change, master);
        return nlerr(rtnl_link_change(sk, link, change, 0));
}

static int add_address(struct nl_sock *sk, int ifindex, uint32_t addr, unsigned prefix)
{
        struct rtnl_addr *a = rtnl_addr_alloc();
        _cleanup_nladdr_ struct nl_addr *local = nl_addr_build(AF_INET, &addr, 4);
        int r;

        if (!a || !local) {
                rtnl_addr_put(a);
                return -ENOMEM;
        }
        nl_addr_set_prefixlen(local, (int)prefix);
        rtnl_addr_set_ifindex(a, ifindex);
        rtnl_addr_set_local(a, local);
        r = nlerr(rtnl_addr_add(sk, a, 0));
        rtnl_addr_put(a);
        return r == -EEXIST ? 0 : r;
}

int np_bridge_ensure(const struct np_config *c, struct nc_err *err)
{
        _cleanup_sock_ struct nl_sock *sk = route_socket();
        _cleanup_link_ struct rtnl_link *link = NULL;
        char path[128];
        int r;

        if (!sk)
                return nc_err_set_errno(err, -ENOMEM, "Failed to open a netlink socket");
        if (rtnl_link_get_kernel(sk, 0, c->bridge, &link) < 0) {
                _cleanup_link_ struct rtnl_link *br = rtnl_link_bridge_alloc();

                if (!br)
                        return -ENOMEM;
                rtnl_link_set_name(br, c->bridge);
                r = nlerr(rtnl_link_add(sk, br, NLM_F_CREATE));
                if (r < 0 && r != -EEXIST)
                        return nc_err_set_errno(err, r, "Failed to create bridge '%s'", c->bridge);
                if ((r = nlerr(rtnl_link_get_kernel(sk, 0, c->bridge, &link))) < 0)
                        return nc_err_set_errno(err, r, "Failed to find bridge '%s' after creating it", c->bridge);
        }
        if (!rtnl_link_is_bridge(link))
                return nc_err_set_errno(err, -EEXIST, "'%s' exists and is not a bridge (nucleusd --bridge names another)",
                                        c->bridge);
        if ((r = add_address(sk, rtnl_link_get_ifindex(link), c->gateway, c->prefix)) < 0)
                return nc_err_set_errno(err, r, "Failed to add the gateway address to bridge '%s'", c->bridge);
        if ((r = set_up(sk, link, 0)) < 0)
                return nc_err_set_errno(err, r, "Failed to bring bridge '%s' up", c->bridge);
        if ((r = write_sysctl("/proc/sys/net/ipv4/ip_forward", "1")) < 0)
                return nc_err_set_errno(err, r, "Failed to enable net.ipv4.ip_forward");
        /* Ports published on 127.0.0.1 are DNATed toward the bridge with a loopback source
         * (masqueraded in postrouting); the kernel drops those as martians otherwise. */
        snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", c->bridge);
        if ((r = write_sysctl(path, "1")) < 0)
                return nc_err_set_errno(err, r, "Failed to set %s", path);
        return 0;
}

/* Bridge port isolation (IFLA_BRPORT_ISOLATED): isolated ports cannot talk to each other,
 * only to non-isolated ones (the bridge itself). libnl has no setter for it, so the
 * message is built with libnl's message API, the way `bridge link set isolated on` does. */
static int set_isolated(struct nl_sock *sk, int ifindex)
{
        struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = ifindex };
        struct nl_msg *msg = nlmsg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK);
        struct nlattr *nest;
        int r;

        if (!msg)
                return -ENOMEM;
        if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
            !(nest = nla_nest_start(msg, IFLA_PROTINFO | NLA_F_NESTED)) ||
            nla_put_u8(msg, IFLA_BRPORT_ISOLATED, 1) < 0) {
                nlmsg_free(msg);
                return -ENOMEM;
        }
        nla_nest_end(msg, nest);
        r = nl_send_auto(sk, msg);
        nlmsg_free(msg);
        if (r < 0)
                return nlerr(r);
        return nlerr(nl_wait_for_ack(sk));
}

/* A netlink socket in the namespace of pidfd's process (see the top of this file). */
static struct nl_sock *route_socket_in(int pidfd, int *ret_err)
{
        _cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        struct nl_sock *sk;

        if (self < 0 || setns(pidfd, CLONE_NEWNET) < 0) {
                *ret_err = -errno;
                return NULL;
        }
        sk = route_socket();
        if (setns(self, CLONE_NEWNET) < 0)
                abort();        /* the loop must never go on in a sandbox's namespace */
        if (!sk)
                *ret_err = -ENOMEM;
        return sk;
}

/* Inside the sandbox, 127/8 stays inside. The local table routes it to lo, except for a
 * socket tied to another device (SO_BINDTODEVICE, IP_UNICAST_IF, IP_PKTINFO: no
 * capability needed), whose lookup skips lo's local route and falls through to the
 * default route out of eth0. There, pasta sends what it gets for 127.0.0.1 to the
 * host's own loopback (replies included), and the bridge, with route_localnet, would
 * deliver it as well. A rule or route that refuses the lookup does not help: for a
 * device-bound socket the kernel then assumes the destination is on the link and sends
 * anyway. So 127/8 gets a local route on eth0 itself, in the main table: it matches
 * the bound device and delivers to the sandbox's own loopback. The workload, without
 * CAP_NET_ADMIN, cannot remove it. */
static int add_loopback_route(struct nl_sock *sk, int ifindex)
{
        _cleanup_nladdr_ struct nl_addr *lo = nl_addr_build(AF_INET, &(uint32_t){ htonl(0x7f000000) }, 4);
        struct rtnl_route *route;
        struct rtnl_nexthop *nh;
        int r;

        if (!lo)
                return -ENOMEM;
        nl_addr_set_prefixlen(lo, 8);
        if (!(route = rtnl_route_alloc()) || !(nh = rtnl_route_nh_alloc())) {
                rtnl_route_put(route);
                return -ENOMEM;
        }
        rtnl_route_set_family(route, AF_INET);
        rtnl_route_set_type(route, RTN_LOCAL);
        rtnl_route_set_scope(route, RT_SCOPE_HOST);
        rtnl_route_set_table(route, RT_TABLE_MAIN);
        rtnl_route_set_dst(route, lo);
        rtnl_route_nh_set_ifindex(nh, ifindex);
        rtnl_route_add_nexthop(route, nh);
        r = nlerr(rtnl_route_add(sk, route, NLM_F_CREATE | NLM_F_EXCL));
        rtnl_route_put(route);
        return r;
}

int np_loopback_guard(int pidfd, const char *ifname, struct nc_err *err)
{
        _cleanup_sock_ struct nl_sock *sk = NULL;
        _cleanup_link_ struct rtnl_link *link = NULL;
        int r = 0;

        if (!(sk = route_socket_in(pidfd, &r)))
                return nc_err_set_errno(err, r, "Failed to enter the sandbox's network namespace");
        if ((r = nlerr(rtnl_link_get_kernel(sk, 0, ifname, &link))) < 0)
                return nc_err_set_errno(err, r, "Failed to find %s in the sandbox", ifname);
        if ((r = add_loopback_route(sk, rtnl_link_get_ifindex(link))) < 0)
                return nc_err_set_errno(err, r, "Failed to keep 127.0.0.0/8 inside the sandbox");
        return 0;
}

static int configure_inside(const struct np_config *c, int pidfd, uint32_t addr, uint8_t ret_mac[6], struct nc_err *err)
{
        _cleanup_sock_ struct nl_sock *sk = NULL;
        _cleanup_link_ struct rtnl_link *eth = NULL;
        _cleanup_nladdr_ struct nl_addr *gw = nl_addr_build(AF_INET, &c->gateway, 4);
        _cleanup_nladdr_ struct nl_addr *dst = nl_addr_build(AF_INET, &(uint32_t){ 0 }, 4);
        struct rtnl_route *route;
        struct rtnl_nexthop *nh;
        int r = 0, ifindex;

        if (!gw || !dst)
                return -ENOMEM;
        if (!(sk = route_socket_in(pidfd, &r)))
                return nc_err_set_errno(err, r, "Failed to enter the sandbox's network namespace");
        if ((r = nlerr(rtnl_link_get_kernel(sk, 0, "eth0", &eth))) < 0)
                return nc_err_set_errno(err, r, "Failed to find eth0 in the sandbox");
        ifindex = rtnl_link_get_ifindex(eth);
        struct nl_addr *mac = rtnl_link_get_addr(eth);
        if (!mac || nl_addr_get_len(mac) != 6)
                return nc_err_set_errno(err, -EIO, "eth0 in the sandbox has no Ethernet address");
        memcpy(ret_mac, nl_addr_get_binary_addr(mac), 6);
        if ((r = set_up(sk, eth, 0)) < 0)
                return nc_err_set_errno(err, r, "Failed to bring eth0 up in the sandbox");
        if ((r = add_address(sk, ifindex, addr, c->prefix)) < 0)
                return nc_err_set_errno(err, r, "Failed to add eth0's address in the sandbox");
        nl_addr_set_prefixlen(dst, 0);
        if (!(route = rtnl_route_alloc()) || !(nh = rtnl_route_nh_alloc())) {
                rtnl_route_put(route);
                return -ENOMEM;
        }
        rtnl_route_set_family(route, AF_INET);
        rtnl_route_set_dst(route, dst);
        rtnl_route_nh_set_gateway(nh, gw);
        rtnl_route_nh_set_ifindex(nh, ifindex);
        rtnl_route_add_nexthop(route, nh);
        r = nlerr(rtnl_route_add(sk, route, NLM_F_CREATE));
        rtnl_route_put(route);
        if (r < 0)
                return nc_err_set_errno(err, r, "Failed to add the default route in the sandbox");
        if ((r = add_loopback_route(sk, ifindex)) < 0)
                return nc_err_set_errno(err, r, "Failed to keep 127.0.0.0/8 inside the sandbox");
        return 0;
}

int np_veth_attach(const struct np_config *c, const char *id, pid_t pid, int pidfd, uint32_t addr, uint8_t ret_mac[6],
                   struct nc_err *err)
{
        _cleanup_sock_ struct nl_sock *sk = route_socket();
        _cleanup_link_ struct rtnl_link *host = NULL, *br = NULL;
        char name[IFNAMSIZ];
        int r;

        if (!sk)
                return nc_err_set_errno(err, -ENOMEM, "Failed to open a netlink socket");
        np_veth_name(id, name);
        if ((r = nlerr(rtnl_link_get_kernel(sk, 0, c->bridge, &br))) < 0)
                return nc_err_set_errno(err, r, "Failed to find bridge '%s'", c->bridge);
        /* The peer is created in pid's namespace, named eth0 there. */
        if ((r = nlerr(rtnl_link_veth_add(sk, name, "eth0", pid))) < 0)
                return nc_err_set_errno(err, r, "Failed to create veth '%s'", name);
        if ((r = nlerr(rtnl_link_get_kernel(sk, 0, name, &host))) < 0) {
                nc_err_set_errno(err, r, "Failed to find veth '%s' after creating it", name);
                goto fail;
        }
        if ((r = set_up(sk, host, rtnl_link_get_ifindex(br))) < 0) {
                nc_err_set_errno(err, r, "Failed to attach veth '%s' to bridge '%s'", name, c->bridge);
                goto fail;
        }
        if ((r = set_isolated(sk, rtnl_link_get_ifindex(host))) < 0) {
                nc_err_set_errno(err, r, "Failed to isolate bridge port '%s'", name);
                goto fail;
        }
        if ((r = configure_inside(c, pidfd, addr, ret_mac, err)) < 0)
                goto fail;
        return 0;
fail:
        (void)np_link_delete(name);
        return r;
}

int np_link_delete(const char *name)
{
        _cleanup_sock_ struct nl_sock *sk = route_socket();
        _cleanup_link_ struct rtnl_link *link = rtnl_link_alloc();

        if (!sk || !link)
                return -ENOMEM;
        rtnl_link_set_name(link, name);
        return nlerr(rtnl_link_delete(sk, link));
}

int np_links_sweep(const struct np_config *c, np_live_fn live, void *userdata)
{
        _cleanup_sock_ struct nl_sock *sk = route_socket();
        _cleanup_link_ struct rtnl_link *br = NULL;
        struct nl_cache *cache = NULL;
        int n = 0, bridx;

        if (!sk)
                return -ENOMEM;
        if (rtnl_link_get_kernel(sk, 0, c->bridge, &br) < 0)
                return 0;       /* no bridge: nothing can be attached to it */
        bridx = rtnl_link_get_ifindex(br);
        if (rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache) < 0)
                return -EIO;
        for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
                struct rtnl_link *l = (struct rtnl_link *)o;
                const char *name = rtnl_link_get_name(l);

                if (!name || strncmp(name, NP_VETH_PREFIX, strlen(NP_VETH_PREFIX)) != 0 || rtnl_link_get_master(l) != bridx)
                        continue;
                if (live(name + strlen(NP_VETH_PREFIX), userdata))
                        continue;
                if (rtnl_link_delete(sk, l) == 0)
                        n++;
        }
        nl_cache_free(cache);
        return n;
}
