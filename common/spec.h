/* SPDX-License-Identifier: Apache-2.0 */
/* The sandbox spec: one C model, one JSON codec, one validator, used by the CLI, the
 * supervisor's loop and the zygote/init alike, so no layer can accept what another
 * would refuse. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Limits on what a caller may send. ARG_MAX-sized requests are refused up front rather
 * than failing with E2BIG deep inside init. */
#define NC_SPEC_MAX_ARGS 4096
#define NC_SPEC_MAX_ENV 4096
#define NC_SPEC_MAX_BYTES (512 * 1024)
#define NC_SPEC_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define NC_SPEC_DEFAULT_HOME "/root"

/* Per-sandbox rlimits; NC_RLIMIT_DEFAULT keeps the default of the mode. They can only
 * lower what the supervisor itself runs with. */
#define NC_RLIMIT_DEFAULT (-1LL)
struct nc_spec_rlimits {
        long long nofile, nproc, memlock, core;
};

/* Resource limits (cgroups). 0 means "no limit" for memory and cpus; pids 0 means
 * unlimited, NC_LIMIT_DEFAULT the default (512). */
#define NC_LIMIT_DEFAULT (-1LL)
#define NC_PIDS_DEFAULT 512
#define NC_IO_MAX_DEVICES 16
struct nc_spec_io {
        unsigned major, minor;
        long long riops, wiops, rbps, wbps;     /* 0: not limited */
};

struct nc_spec_limits {
        long long memory;       /* bytes; memory.max (memory.high at 90 %) */
        bool swap;              /* allow swap; otherwise none when memory is limited */
        long long cpu_millis;   /* 250 = a quarter of a CPU; cpu.max */
        long long cpu_weight;   /* 1..10000; cpu.weight */
        long long pids;         /* pids.max */
        struct nc_spec_io io[NC_IO_MAX_DEVICES];        /* io.max / blkio.throttle.* */
        size_t nio;
};

/* "MAJ:MIN riops=N wiops=N rbps=N wbps=N" (any subset of the keys, at least one). */
int nc_spec_io_parse(const char *s, struct nc_spec_io *ret, struct nc_err *err);

#define NC_SPEC_GROUPS_MAX 32
#define NC_SPEC_TMPFS_MAX 16
#define NC_ID_MAX 65535         /* ids inside: the user namespace maps 0..65535 */

struct nc_spec_tmpfs {
        char *dest;
        long long size;         /* bytes; 0: 64 MiB */
        bool readonly;
};

/* --service-mode (docs/modes.md). Strict-agent and production are fail-closed: every
 * lock-down step that agent mode may degrade is fatal there; production adds its own
 * requirements (a rootfs with attestation, limits, pinned policies, hidepid, a mount
 * audit, Landlock ABI >= 3). */
enum nc_service_mode { NC_MODE_AGENT, NC_MODE_STRICT_AGENT, NC_MODE_PRODUCTION };
/* --trust-level: what the caller vouches for in the workload. */
enum nc_trust_level { NC_TRUST_UNTRUSTED, NC_TRUST_TRUSTED };
/* Names as the CLI and the API spell them ("mitos-agent" is the seed's alias of
 * strict-agent); -EINVAL for anything else. */
int nc_service_mode_parse(const char *s);
const char *nc_service_mode_name(int mode);
int nc_trust_level_parse(const char *s);
const char *nc_trust_level_name(int level);
static inline bool nc_mode_strict(int mode) { return mode != NC_MODE_AGENT; }

/* --network (docs/network.md). none: an own namespace with only lo; host: nucleusd's
 * namespace (needs allow_host and --trust-level trusted; never in the strict modes);
 * bridge: a veth on nucleusd's bridge with an address, NAT, published ports, DNS. */
enum nc_network_mode { NC_NET_NONE, NC_NET_HOST, NC_NET_BRIDGE };
#define NC_SPEC_DNS_MAX 3               /* what the resolver reads from resolv.conf */
#define NC_SPEC_PUBLISH_MAX 32
struct nc_spec_port {
        uint32_t host_ip;               /* network order; 0: every local address */
        uint16_t host_port, port;
        int proto;                      /* IPPROTO_TCP or IPPROTO_UDP */
};
/* Egress policy of a bridge sandbox (--egress-*; docs/network.md), enforced by nucleusd
 * on the host side. Without one, egress is open, except in production, whose default
 * is set = true with nothing allowed and dns = false. */
#define NC_SPEC_EGRESS_MAX 32           /* CIDRs, and ports per protocol */
#define NC_SPEC_DOMAINS_MAX 16
#define NC_SPEC_DOMAIN_LEN 253          /* a DNS name in text, without the final dot */
struct nc_spec_cidr {
        uint32_t addr;                  /* network order, no host bits */
        unsigned prefix;                /* 0..32 */
};
struct nc_spec_egress {
        bool set;                       /* a policy applies; false: egress is open */
        bool dns;                       /* DNS (53/udp, 53/tcp) to the --dns servers is allowed */
        struct nc_spec_cidr allow[NC_SPEC_EGRESS_MAX];
        size_t nallow;                  /* 0: nothing but DNS (--egress-allow "") */
        /* With none of either, every protocol and port to the CIDRs; with some, only
         * those ports (a protocol with no port given gets nothing). */
        uint16_t tcp_ports[NC_SPEC_EGRESS_MAX], udp_ports[NC_SPEC_EGRESS_MAX];
        size_t ntcp, nudp;
        /* --egress-domain: names (lower case; "*.NAME" for NAME's subdomains) whose
         * addresses, as nucleusd's DNS gate answers them, are allowed like the CIDRs for
         * their TTL. With any, the gate is the sandbox's only resolver. */
        char domains[NC_SPEC_DOMAINS_MAX][NC_SPEC_DOMAIN_LEN + 1];
        size_t ndomains;
};
struct nc_spec_network {
        int mode;                       /* enum nc_network_mode */
        bool allow_host;                /* --allow-host-network */
        uint32_t dns[NC_SPEC_DNS_MAX];  /* network order, IPv4 */
        size_t ndns;
        struct nc_spec_port publish[NC_SPEC_PUBLISH_MAX];
        size_t npublish;
        struct nc_spec_egress egress;
        int nat_backend;                /* enum nc_nat_backend; bridge only */
};
int nc_network_mode_parse(const char *s);
const char *nc_network_mode_name(int mode);
/* --nat-backend (docs/network.md), with --network bridge. kernel: nucleusd's bridge, veth
 * and nft; userspace: pasta, no kernel configuration on the host (no egress policy);
 * auto: kernel when nucleusd can configure the bridge (root), else userspace. nucleusd
 * resolves auto at create, so a created sandbox's spec says which one it got. */
enum nc_nat_backend { NC_NAT_AUTO, NC_NAT_KERNEL, NC_NAT_USERSPACE };
int nc_nat_backend_parse(const char *s);
const char *nc_nat_backend_name(int backend);
/* "[IP:]HOST:CONTAINER[/tcp|udp]" as -p takes it. */
int nc_spec_port_parse(const char *s, struct nc_spec_port *ret, struct nc_err *err);
/* The same form back, for inspect and the claim: "IP:HOST:CONTAINER/PROTO". */
void nc_spec_port_format(const struct nc_spec_port *p, char *buf, size_t cap);
/* "A.B.C.D/N" (N 0..32, no host bits) or "A.B.C.D" (/32), as --egress-allow takes it. */
int nc_spec_cidr_parse(const char *s, struct nc_spec_cidr *ret, struct nc_err *err);
void nc_spec_cidr_format(const struct nc_spec_cidr *c, char *buf, size_t cap);
/* A DNS name as --egress-domain takes it: letters, digits, '-' and '.', at least two
 * labels, optionally "*." first; stored lower case without a final dot. */
int nc_spec_domain_parse(const char *s, char ret[NC_SPEC_DOMAIN_LEN + 1], struct nc_err *err);
/* Whether name (any case, final dot or not) is allowed by pattern (as stored). */
bool nc_spec_domain_match(const char *pattern, const char *name);
/* A port from 1 to 65535 in decimal (--egress-tcp-port, --egress-udp-port); flag names
 * it in the message. */
int nc_spec_egress_port_parse(const char *s, const char *flag, uint16_t *ret, struct nc_err *err);
/* An IPv4 address in dotted form (--dns). */
int nc_spec_dns_parse(const char *s, uint32_t *ret, struct nc_err *err);
/* spec_network.c: the "network" member's codec and the rules every caller gets. */
int nc_spec_network_from_json(const json_t *v, struct nc_spec_network *ret, struct nc_err *err);
json_t *nc_spec_network_to_json(const struct nc_spec_network *n);
struct nc_spec;
int nc_spec_network_validate(const struct nc_spec *s, struct nc_err *err);
/* Refuses an egress policy with the userspace backend (it has nowhere to enforce one). */
int nc_spec_nat_backend_check(const struct nc_spec_network *n, struct nc_err *err);

/* Health and readiness probes (docs/probes.md). Health: exec (a shell command run by
 * the sandbox's init as the workload's user, under its lock-down), tcp (a connect to a
 * port inside the sandbox's network namespace) or http (a GET there); starting ->
 * healthy <-> unhealthy. Readiness: exec, tcp or sd_notify (READY=1 on the socket
 * nucleusd provides inside); a sandbox is ready once it passes, and stays ready. */
enum nc_probe_kind { NC_PROBE_NONE, NC_PROBE_EXEC, NC_PROBE_TCP, NC_PROBE_HTTP, NC_PROBE_SD_NOTIFY };
#define NC_PROBE_CMD_MAX 4096
#define NC_PROBE_URL_MAX 2048
/* The seed's defaults (interval 30 s, retries 3, start period 5 s, timeout 5 s). */
#define NC_HEALTH_INTERVAL_MS 30000u
#define NC_HEALTH_TIMEOUT_MS 5000u
#define NC_HEALTH_RETRIES 3u
#define NC_HEALTH_START_PERIOD_MS 5000u
#define NC_READINESS_INTERVAL_MS 1000u
/* Accepted ranges; durations in milliseconds. */
#define NC_PROBE_INTERVAL_MIN_MS 100u
#define NC_PROBE_TIMEOUT_MIN_MS 10u
#define NC_PROBE_DURATION_MAX_MS (24u * 3600 * 1000)
#define NC_PROBE_RETRIES_MAX 1000u
/* Where --readiness-sd-notify's socket is inside the sandbox (NOTIFY_SOCKET). */
#define NC_NOTIFY_SOCKET_PATH "/run/nucleus/notify"
struct nc_spec_probe {
        int kind;               /* enum nc_probe_kind; NONE: no probe */
        char *cmd;              /* exec: /bin/sh -c CMD, as the seed runs it */
        char *url;              /* http: http[s]://IP-LITERAL-or-localhost[:PORT][/PATH] */
        uint16_t port;          /* tcp */
        uint32_t interval_ms, timeout_ms, start_period_ms;
        unsigned retries;       /* health: consecutive failures that make it unhealthy */
};
const char *nc_probe_kind_name(int kind);
/* "500ms", "2s", "1m", "1h"; a plain number is seconds, as the seed's flags take it.
 * -EINVAL for anything else (negative, fractional, unknown unit, overflow). */
int nc_duration_parse(const char *s, uint64_t *ret_ms);
/* The shortest of those forms that is exact ("90s", "1500ms"). */
void nc_duration_format(uint64_t ms, char *buf, size_t cap);
/* A probe URL: scheme http or https, a host that is an IP literal or localhost (a probe
 * never resolves names: libcurl would resolve them in nucleusd's namespace, not the
 * sandbox's). */
int nc_probe_url_check(const char *url, struct nc_err *err);
/* --restart: the workload is started again inside the same sandbox (same id, name,
 * namespaces, volumes and network) by its init, after a capped exponential backoff. */
enum nc_restart_policy { NC_RESTART_NO, NC_RESTART_ON_FAILURE, NC_RESTART_ALWAYS };
#define NC_RESTART_MAX_MAX 1000000u
struct nc_spec_restart {
        int policy;             /* enum nc_restart_policy */
        unsigned max;           /* on-failure: at most this many restarts; 0: no limit */
        bool on_unhealthy;      /* --restart-on-unhealthy: an unhealthy workload is stopped (and restarted) */
};
/* "no", "on-failure", "on-failure:MAX", "always" (--restart). */
int nc_restart_parse(const char *s, struct nc_spec_restart *ret, struct nc_err *err);
const char *nc_restart_policy_name(int policy);
/* spec_probe.c: the "health", "readiness" and "restart" members' codec and rules. */
struct nc_spec;
int nc_spec_probes_from_json(const json_t *j, struct nc_spec *s, struct nc_err *err);
void nc_spec_probes_to_json(const struct nc_spec *s, json_t *j);
int nc_spec_probes_validate(const struct nc_spec *s, struct nc_err *err);
void nc_spec_probe_done(struct nc_spec_probe *p);
/* The defaults of a health (readiness false) or readiness probe of the given kind. */
void nc_spec_probe_init(struct nc_spec_probe *p, int kind, bool readiness);

struct nc_spec {
        char *name;        /* NULL: the id is the name */
        char *hostname;    /* NULL: the name, else the first 12 characters of the id */
        char **argv;       /* NULL-terminated; argv[0] is looked up on the sandbox's PATH */
        size_t argc;
        char **env;        /* NULL-terminated "K=V" */
        size_t envc;
        char *cwd;         /* absolute; NULL: "/" */
        char **seccomp_allow;   /* NULL-terminated syscall names opted in (the supervisor
                                 * checks them against the opt-in list) */
        size_t nseccomp_allow;
        struct nc_spec_rlimits rlimits;
        /* Agent mode: run without Landlock on a kernel that has none, with a warning and
         * a mark in inspect. Every other lock-down step stays fatal. */
        bool allow_degraded_security;
        /* --require-kernel-lockdown: the least kernel lockdown level (an enum
         * nc_lockdown) the host must be in for this sandbox to start. */
        int require_lockdown;
        int service_mode;       /* enum nc_service_mode */
        /* Namespace and /proc knobs of the seed: a time namespace of its own (opt-in),
         * the host's cgroup namespace (opt-out of the default), /proc writable (opt-out
         * of read-only), and denied seccomp calls logged by the kernel
         * (SECCOMP_FILTER_FLAG_LOG). Production refuses the two relaxations. */
        bool time_namespace, no_cgroup_namespace, proc_rw, seccomp_log_denied;
        int trust_level;        /* enum nc_trust_level */
        struct nc_spec_limits limits;
        /* The workload's identity inside (0 = root of the namespace). */
        unsigned uid, gid;
        unsigned groups[NC_SPEC_GROUPS_MAX];
        size_t ngroups;
        struct nc_spec_tmpfs tmpfs[NC_SPEC_TMPFS_MAX];
        size_t ntmpfs;
        /* --seccomp-mode: enforce (the filter) or trace (no filter: every call the
         * workload makes is recorded; a profiling mode). Trace needs seccomp_log and
         * excludes seccomp_allow (and, in the request, a seccomp profile). */
        int seccomp_mode;       /* enum nc_seccomp_mode */
        /* --seccomp-log: the trace file as the caller named it, for inspect and
         * messages only. nucleusd never opens it: the caller sends its descriptor. */
        char *seccomp_log;
        struct nc_spec_network network;
        struct nc_spec_probe health, readiness;
        struct nc_spec_restart restart;
};

enum nc_seccomp_mode { NC_SECCOMP_ENFORCE, NC_SECCOMP_TRACE };
/* "enforce", "trace" -> the mode; -EINVAL otherwise. */
int nc_seccomp_mode_parse(const char *s);
const char *nc_seccomp_mode_name(int mode);

/* "DEST[:SIZE][:ro|rw]" as --tmpfs takes it. */
/* Kernel lockdown levels, ordered: a host at a level satisfies every lower one. */
enum nc_lockdown { NC_LOCKDOWN_NONE, NC_LOCKDOWN_INTEGRITY, NC_LOCKDOWN_CONFIDENTIALITY };
/* "none", "integrity", "confidentiality" -> the level; -EINVAL otherwise. */
int nc_lockdown_parse(const char *s);
const char *nc_lockdown_name(int level);
int nc_spec_tmpfs_parse(const char *s, struct nc_spec_tmpfs *ret, struct nc_err *err);

struct nc_spec *nc_spec_new(void);
void nc_spec_free(struct nc_spec *s);
static inline void nc_spec_freep(struct nc_spec **s) { nc_spec_free(*s); }
#define _cleanup_spec_ _cleanup_(nc_spec_freep)

/* Decodes and validates. Unknown keys are refused (a typo must not be ignored).
 * On failure err says which field and value were wrong and what is accepted. */
int nc_spec_from_json(const json_t *j, struct nc_spec **ret, struct nc_err *err);
json_t *nc_spec_to_json(const struct nc_spec *s);
int nc_spec_validate(const struct nc_spec *s, struct nc_err *err);

/* Adds one "K=V" (replacing an earlier K). Validates the entry. */
int nc_spec_setenv(struct nc_spec *s, const char *kv, struct nc_err *err);
const char *nc_spec_getenv(const struct nc_spec *s, const char *key);

/* Byte strings in JSON: plain strings when valid UTF-8, else {"base64": "..."} — the
 * field says which. Decoded strings never contain NUL. */
json_t *nc_json_bytes(const char *s);
/* The same for n bytes that may contain NUL (log data). */
json_t *nc_json_bytesn(const char *s, size_t n);
int nc_json_bytes_get(const json_t *v, char **ret, struct nc_err *err, const char *what);

/* For the spec's decoders: -EINVAL with "unknown WHAT field 'KEY' (accepted: ...)" when
 * obj has a member not in known. */
int nc_spec_fields_only(const json_t *obj, const char *what, const char *const *known, size_t n, struct nc_err *err);
/* Enum <-> name tables of the spec's decoders: the index of s in names (-EINVAL when it
 * is not one), and the name of index i ("unknown" out of range). */
int nc_name_index(const char *const *names, size_t n, const char *s);
const char *nc_name_at(const char *const *names, size_t n, int i);
