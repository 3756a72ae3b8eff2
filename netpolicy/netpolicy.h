/* SPDX-License-Identifier: Apache-2.0 */
/* netpolicy/: a sandbox's bridge network from the host side — links (libnl: bridge,
 * veth, addresses, routes), the address pool (ipam) and the firewall (libnftables,
 * JSON built with jansson). Never includes libuv: the supervisor's loop calls it. */
#pragma once

#include <net/if.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "spec.h"

#define NP_BRIDGE_DEFAULT "nucleus0"
#define NP_SUBNET_DEFAULT "10.88.0.0/16"
#define NP_TABLE_DEFAULT "nucleus"
/* Host ends of sandboxes' veths: "nv" and the first 13 characters of the id. */
#define NP_VETH_PREFIX "nv"
#define NP_VETH_ID_CHARS 13
/* The chain that caps each bridge sandbox's conntrack entries and sends each sandbox with
 * an egress policy to its own, "egress-<id>". */
#define NP_EGRESS_CHAIN "egress"
/* Live conntrack entries one bridge sandbox may hold in the host's table (nft.c): a
 * busy crawler's few thousand connections fit, and 64 sandboxes at the cap fill the
 * kernel's default 262144. */
#define NP_CONNTRACK_MAX 4096
#define NP_NFLOG_GROUP_BASE 20000

/* One nucleusd's bridge network. Addresses are IPv4 in network order. */
struct np_config {
        char bridge[IFNAMSIZ];
        uint32_t subnet, gateway;       /* gateway: the bridge's address, the subnet's first host */
        unsigned prefix;                /* 8..30 */
        char table[64];                 /* nft table (family ip): "nucleus", or "nucleus-BRIDGE" */
        char lease_path[PATH_MAX];      /* the ipam's leases, written atomically */
        uint16_t nflog_group;           /* egress denials are logged to it (one per table) */
        /* The host ids of every sandbox, [ids_first, ids_last]: the userspace backend's
         * pasta runs with its sandbox's first gid, and nothing with one of them may send
         * out of the bridge (np_nft_setup). Both 0: no such rule. */
        uint32_t ids_first, ids_last;
};

/* Fills c from a bridge name and "A.B.C.D/N"; -EINVAL with err set otherwise. */
int np_config_init(struct np_config *c, const char *bridge, const char *subnet, const char *state_dir,
                   struct nc_err *err);

/* Says whether a sandbox whose id starts with id_prefix (NP_VETH_ID_CHARS characters,
 * or a whole id) is still live; the sweeps remove what belongs to no live sandbox. */
typedef bool (*np_live_fn)(const char *id_prefix, void *userdata);

/* links.c */
void np_veth_name(const char *id, char ret[IFNAMSIZ]);
/* Creates the bridge with its address if missing, brings it up, and turns on IPv4
 * forwarding and the bridge's route_localnet (127.0.0.1 published ports). */
int np_bridge_ensure(const struct np_config *c, struct nc_err *err);
/* A veth pair: the host end (named by np_veth_name) on the bridge, isolated from the
 * other ports and up; the other end moved into the namespace of pid as eth0, with addr,
 * up, and a default route via the bridge. pidfd is pid's (the netns is entered by it). */
int np_veth_attach(const struct np_config *c, const char *id, pid_t pid, int pidfd, uint32_t addr, uint8_t ret_mac[6],
                   struct nc_err *err);
/* Inside pidfd's network namespace: a local route for 127.0.0.0/8 on ifname, so that a
 * socket bound to that device reaches the sandbox's own loopback, never the host's
 * (links.c). np_veth_attach adds it itself; the userspace backend calls it once pasta
 * has configured its interface. */
int np_loopback_guard(int pidfd, const char *ifname, struct nc_err *err);
int np_link_delete(const char *name);
/* Deletes host ends on our bridge whose sandbox is not live. Returns how many. */
int np_links_sweep(const struct np_config *c, np_live_fn live, void *userdata);

/* ipam.c — leases persist across restarts; a live lease is never handed out twice. */
struct np_ipam;
int np_ipam_open(const struct np_config *c, struct np_ipam **ret, struct nc_err *err);
void np_ipam_free(struct np_ipam *ipam);
int np_ipam_alloc(struct np_ipam *ipam, const char *id, uint32_t *ret_addr);
/* 0, or -ENOENT when id holds no lease. */
int np_ipam_release(struct np_ipam *ipam, const char *id);
/* The address id holds (network order), or -ENOENT. */
int np_ipam_lookup(const struct np_ipam *ipam, const char *id, uint32_t *ret_addr);
int np_ipam_sweep(struct np_ipam *ipam, np_live_fn live, void *userdata);
size_t np_ipam_count(const struct np_ipam *ipam);

/* nft.c — table c->table: NAT of the subnet, no forwarding between sandboxes, and one
 * DNAT rule pair per published port, tagged with the sandbox's id in its comment. */
/* Closes the process's nftables context (kept open between commands); at exit. */
void np_nft_close(void);
int np_nft_setup(const struct np_config *c, struct nc_err *err);
int np_nft_publish(const struct np_config *c, const char *id, uint32_t addr, const struct nc_spec_port *ports,
                   size_t nports, struct nc_err *err);
/* Pins the sandbox's veth to addr and mac (IPv4 from addr and ARP only, from mac, in
 * the bridge table) and, when eg is set, applies its egress policy: established traffic, DNS to dns[] when
 * allowed, the allowed CIDRs and ports; the rest is logged to nflog_group with the id as
 * prefix, counted and dropped. One transaction: all of it or nothing. */
int np_nft_egress_apply(const struct np_config *c, const char *id, const char *veth, uint32_t addr, const uint8_t mac[6],
                        const struct nc_spec_egress *eg, const uint32_t *dns, size_t ndns, struct nc_err *err);
/* Allows addrs[i] to a sandbox whose policy has names, each for ttls[i] seconds clamped
 * to NP_DNS_TTL_MIN..NP_DNS_TTL_MAX (the set egress-<id>; the kernel drops them after). */
#define NP_DNS_TTL_MIN 5                /* a TTL of 0 must still let the connection start */
#define NP_DNS_TTL_MAX 86400
int np_nft_egress_allow(const struct np_config *c, const char *id, const uint32_t *addrs, const uint32_t *ttls, size_t n,
                        struct nc_err *err);
/* The packets the sandbox's policy denied so far, or -ENOENT when it has none. */
int64_t np_nft_egress_denied(const struct np_config *c, const char *id);
/* Removes every rule tagged with id (a whole id) and its egress chain. */
int np_nft_unpublish(const struct np_config *c, const char *id);
int np_nft_sweep(const struct np_config *c, np_live_fn live, void *userdata);
/* The table as nft lists it (JSON), for inspect --network and the tests; NULL if absent. */
char *np_nft_list(const struct np_config *c);
/* The table in nft's text, with the shared rules and only id's tagged ones: what applies
 * to that sandbox (inspect --network). NULL if the table is absent. */
char *np_nft_rules_text(const struct np_config *c, const char *id);

/* nflog.c — the egress denials the kernel logs to c->nflog_group. */
struct np_denial {
        const char *id;                 /* the sandbox's, from the log prefix */
        uint32_t saddr, daddr;          /* network order; 0 if the packet was not IPv4 */
        int proto;                      /* IPPROTO_*, or -1 */
        uint16_t dport;                 /* TCP and UDP; 0 otherwise */
};
typedef void (*np_denial_fn)(const struct np_denial *d, void *userdata);
struct np_nflog;
int np_nflog_open(uint16_t group, np_denial_fn cb, void *userdata, struct np_nflog **ret, struct nc_err *err);
/* Non-blocking and close-on-exec: poll it for reading, then call np_nflog_read. */
int np_nflog_fd(const struct np_nflog *l);
/* Handles what is queued, calling cb per denial; the number of messages read, or
 * -ENOBUFS when some were lost to an overflow (they are still counted by nft). */
int np_nflog_read(struct np_nflog *l);
void np_nflog_free(struct np_nflog *l);

/* dnsmsg.c — DNS messages for the egress DNS gate (libldns; fuzzed). */
#define NP_DNS_MSG_MAX 65535
#define NP_DNS_CHAIN_MAX 16             /* names in a CNAME chain that are followed */
struct np_dns_query {
        uint16_t id, qtype;
        char name[1024];                /* as ldns prints it: "example.org.", odd bytes escaped */
};
/* A standard query with one question of class IN; -EBADMSG otherwise. */
int np_dns_query_parse(const uint8_t *buf, size_t len, struct np_dns_query *ret);
/* An answer to query with rcode (LDNS_RCODE_*: 3 NXDOMAIN, 5 REFUSED, 2 SERVFAIL) and no
 * records; *ret is malloc'd. */
int np_dns_reply_error(const uint8_t *query, size_t len, int rcode, uint8_t **ret, size_t *ret_len);
/* The IPv4 addresses (network order) an answer to query id for name gives, for name or
 * the names its CNAME chain leads to, each with the lowest TTL along its chain. */
int np_dns_answer_addrs(const uint8_t *buf, size_t len, uint16_t id, const char *name, uint32_t *addrs,
                        uint32_t *ttls, size_t max, size_t *ret_n);

/* pasta.c — the userspace NAT backend (docs/network.md). Every userspace sandbox gets the
 * same address: each has a pasta of its own, and nothing links two of them. */
#define NP_PASTA_IFNAME "eth0"
#define NP_PASTA_ADDR "10.0.2.100"
#define NP_PASTA_PREFIX "24"
#define NP_PASTA_GATEWAY "10.0.2.2"
struct np_pasta_paths {
        char dir[PATH_MAX];             /* <state dir>/network/pasta */
        char record[PATH_MAX];          /* <dir>/<id>: "pid start-time", ours, for the sweep */
        char pid_file[PATH_MAX];        /* <dir>/<id>.pid: pasta writes it once configured */
        char log_file[PATH_MAX];        /* <dir>/<id>.log: pasta's errors */
};
/* -EINVAL unless id is a sandbox id. */
int np_pasta_paths(const char *state_dir, const char *id, struct np_pasta_paths *ret);
/* pasta's argv (NULL-terminated, malloc'd) for net's published ports; its netns is the
 * descriptor np_pasta_spawn passes. */
int np_pasta_argv(const char *exe, const struct nc_spec_network *net, const struct np_pasta_paths *paths, gid_t gid,
                  char ***ret);
void np_pasta_argv_free(char **argv);
/* The network namespace of pidfd's process (pid), close-on-exec. */
int np_netns_fd(pid_t pid, int pidfd);
/* posix_spawn, no shell, empty environment, stdio on /dev/null, netns_fd as fd 3. */
int np_pasta_spawn(const char *exe, char **argv, int netns_fd, pid_t *ret_pid);
int np_pasta_record_write(const struct np_pasta_paths *paths, pid_t pid, uint64_t start);
void np_pasta_files_remove(const struct np_pasta_paths *paths);
/* pid is still the pasta that started at start (clock ticks since boot). */
bool np_pasta_is_ours(pid_t pid, uint64_t start);
/* Calls found for every record; returns how many it returned true for. */
typedef bool (*np_pasta_found_fn)(const char *id, pid_t pid, uint64_t start, const struct np_pasta_paths *paths,
                                  void *userdata);
int np_pasta_sweep(const char *state_dir, np_pasta_found_fn found, void *userdata);
/* The last line of pasta's log (its reason for exiting), malloc'd; NULL if none. */
char *np_pasta_log_tail(const struct np_pasta_paths *paths);
