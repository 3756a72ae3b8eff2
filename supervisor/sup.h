/* SPDX-License-Identifier: Apache-2.0 */
/* The loop process: the only owner of the uv_loop_t. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "audit_log.h"
#include "journal_sink.h"
#include "fdpass.h"
#include "lifecycle.h"
#include "logs.h"
#include "paths.h"
#include "rpc.h"
#include "cgroup.h"
#include "sandbox.h"
#include "rootfs.h"
#include "volumes.h"
#include "spec.h"
#include "util.h"
#include "netpolicy.h"

#define SUP_STOP_TIMEOUT_MS 10000
#define SUP_CONN_MAX_FDS 64
#define SUP_CONN_MAX_OUT (16u * 1024 * 1024)
#define SUP_CONN_MAX_OUT_FDS 8
/* Every event walks every subscription: without a bound, one client that subscribed
 * 500,000 times made each create take 12 s for everyone. */
#define SUP_CONN_MAX_EVENT_SUBS 16
/* Requests waiting for a later reply (wait, stop, remove, logs) per connection: each
 * holds memory until its sandbox acts, and 300,000 sandbox.wait requests with 1 KB ids
 * held 330 MB of the loop's memory for as long as the client liked. */
#define SUP_CONN_MAX_PENDING 4096
#define SUP_MAX_CONNS 4096

struct sup_options {
        struct nc_paths paths;
        unsigned max_sandboxes;         /* live sandboxes, all users */
        unsigned max_sandboxes_per_uid; /* live sandboxes of one non-root uid */
        gid_t socket_gid;               /* group allowed to connect; (gid_t)-1: root only */
        struct sbx_config cfg;
        uint64_t idle_timeout_ms;       /* 0: never exit when idle */
        uint64_t setup_timeout_ms;      /* clone to workload start; longer fails the sandbox */
        int listen_fd;
        bool socket_activated;          /* listen_fd came from systemd (LISTEN_FDS): never unlink it */
        uint64_t watchdog_usec;         /* WatchdogSec of the unit, read by the zygote; 0: none */
        int lock_fd;
        char bridge[IFNAMSIZ];          /* --bridge */
        char bridge_subnet[32];         /* --bridge-subnet */
        unsigned pool_min, pool_max;    /* --pool-size MIN:MAX, per profile (pool.c); 0:0 = no pool */
};

/* Host id ranges beyond --max-sandboxes that pool members may hold: each of
 * SUP_POOL_PROFILES profiles keeps at most pool_max members. */
#define SUP_POOL_PROFILES 4
#define SUP_POOL_MIN_DEFAULT 2
#define SUP_POOL_MAX_DEFAULT 16
#define SUP_POOL_MAX_LIMIT 256
static inline unsigned sup_uid_slots(const struct sup_options *o)
{
        return o->max_sandboxes + SUP_POOL_PROFILES * o->pool_max;
}

struct sup_conn;
struct sup_sandbox;
struct sup_trace;

/* An events.subscribe reader: every state change of every sandbox it may see. */
struct sup_event_sub {
        struct sup_event_sub *next;
        struct sup_conn *conn;
        json_t *id;
        uint64_t lost;                  /* dropped while its connection was congested */
};

struct sup {
        uv_loop_t loop;
        const struct sup_options *opt;
        const struct sbx_config *cfg;
        uv_poll_t listen_poll;
        int zyg_fd;
        uv_poll_t zyg_poll;
        uv_signal_t sig_term, sig_int, sig_hup;
        uv_timer_t idle_timer;
        struct sup_conn *conns;
        struct sup_sandbox *sandboxes;
        /* registry.c: sandboxes by id (every one in the list) and by name (those not
         * removed), chained through sb->id_next and sb->name_next; cap is a power of 2. */
        struct sup_sandbox **by_id, **by_name;
        size_t index_cap, nindexed;
        /* registry.c: the sandboxes that may refer to a client connection (a create's
         * caller, waiters, log readers, execs, an attached terminal), so that a closing
         * or drained connection visits those, not every sandbox. */
        struct sup_sandbox *conn_refs;
        struct sup_pool *pool;          /* pool.c: prepared sandboxes, not in `sandboxes` */
        struct sup_timings *timings;    /* timings.c: create latency histograms */
        struct sup_event_sub *event_subs;
        size_t nconns, nlive, nsandboxes;
        uint8_t *uid_slots;             /* uidrange.c: one per --max-sandboxes; 1 = taken */
        struct nc_audit_log audit;      /* audit.c records into it (telemetry/) */
        struct nc_journal_sink *journal; /* detached output to journald; NULL without one */
        struct np_config net;           /* network.c: the bridge network */
        struct np_ipam *ipam;
        struct np_nflog *nflog;         /* network.c: egress denials; NULL if it could not be read */
        uv_poll_t nflog_poll;
        struct sup_dnsgate *dnsgate;    /* dnsgate.c: started by the first sandbox with names */
        struct sup_pasta *pastas;       /* pasta.c: every pasta process watched */
        uv_timer_t notify_timer;        /* notify.c: STATUS= and WATCHDOG=1 */
        uint64_t notify_next_watchdog;
        size_t notify_last_live, notify_last_total;
        uint64_t started_ns;
        bool shutting_down;
        int exit_code;
};

/* Policy files a create can carry, in the order of their descriptors (after stdio). */
enum { SUP_POLICY_SECCOMP, SUP_POLICY_CAPS, SUP_POLICY_LANDLOCK, SUP_POLICY_MAX };
/* The create parameter, the claim member, and the name in messages, per policy. */
extern const struct sup_policy_kind {
        const char *param, *claim, *what;
        const char *flag;       /* the CLI's flag, without the dashes */
        size_t max;
        bool json_in_file;      /* seccomp: the file is JSON; caps/landlock: TOML converted by the client */
} sup_policy_kinds[SUP_POLICY_MAX];

/* A reader of a sandbox's logs (sandbox.logs), fed as records arrive when following. */
struct sup_log_sub {
        struct sup_log_sub *next;
        struct sup_conn *conn;
        json_t *id;                     /* the request's id: the subscription's tag */
        uint64_t next_seq;
        bool follow;
};

/* An exec request in flight: another process inside a running sandbox. */
struct sup_exec {
        struct sup_exec *next;
        long long id;
        struct sup_conn *conn;
        json_t *req_id;
        pid_t pid;                      /* inside the sandbox, once started */
        struct sup_exec_stream *stream; /* stdio "stream" (exec_stream.c); NULL otherwise */
        /* nucleusd's own exec (a probe): no connection; called with init's report (a
         * wait status, or the failure) instead of a reply. */
        void (*on_end)(void *data, int status, const struct sbx_failure *failure);
        void *on_end_data;
};

/* Why Nucleus ended a sandbox itself; decides the final reason. */
enum sup_stop_reason { SUP_STOP_NONE, SUP_STOP_API, SUP_STOP_TIMEOUT, SUP_STOP_SUPERVISOR };

/* A request waiting for a sandbox to finish (sandbox.wait, create with wait, remove). */
struct sup_waiter {
        struct sup_waiter *next;
        struct sup_conn *conn;
        json_t *id;
        enum { SUP_WAIT_RESULT, SUP_WAIT_REMOVE, SUP_WAIT_READY } kind;      /* READY: probe.c */
};

struct sup_sandbox {
        struct sup *sup;
        struct sup_sandbox *next, *prev;
        struct sup_sandbox *id_next, *name_next;        /* registry.c's index */
        bool indexed, name_indexed;
        struct sup_sandbox *cref_next, *cref_prev;     /* in sup.conn_refs */
        bool in_conn_refs;
        char id[NC_ID_LEN + 1];
        struct nc_spec *spec;           /* effective spec: defaults filled in */
        enum sup_state state;
        uid_t owner_uid;
        gid_t owner_gid;                /* the creating client's gid: its volumes' owner group */
        pid_t pid;                      /* init, in nucleusd's pid namespace */
        uint64_t init_start;            /* its start time (/proc/PID/stat): a new nucleusd checks it */
        /* Descriptor numbers in init that a new nucleusd takes with pidfd_getfd after every
         * nucleusd process died (docs/restart.md, level 2); -1: none. */
        int takeover_fd;                /* the takeover socket pair's supervisor end */
        int kept_logs[2];               /* detached: copies of the log pipes' read ends */
        char lost[192];                 /* not "": its end was missed; why the status is unknown */
        pid_t workload_pid;             /* inside the sandbox */
        int pidfd, ctl;
        int stdio[3];                   /* held until the claim carries them to init */
        uv_poll_t ctl_poll;
        uv_timer_t timer;               /* stop escalation, removal retries */
        int client_pidfd;               /* foreground: the CLI process */
        pid_t client_pid;               /* ... and who it is, for a restarted loop process */
        uint64_t client_start;          /* its start time (/proc/PID/stat), against pid reuse */
        uv_poll_t client_poll;
        unsigned open_handles;
        bool ctl_polling, client_polling, timer_started;
        uint64_t created_ns, started_ns, finished_ns;
        /* Where a create's time went (monotonic): request read, start (admitted; the
         * rootfs attested), prepare sent to the zygote, clone reported, init's root built
         * ("ready"), claim sent, workload exec'd ("started"). A pool hit was prepared
         * before its request: t_prepare .. t_ready are the member's. */
        uint64_t t_request, t_start, t_prepare, t_cloned, t_ready, t_claim, t_started;
        /* init's, from "started": claim read, file system done, lock-down prepared,
         * execve passed (the workload's point of no return). 0: not reported. */
        uint64_t t_init[4];
        /* The end: init's "exit" (the workload's status), the zygote's reap (init gone,
         * its namespaces torn down), the result recorded and sent. */
        uint64_t t_exit, t_reaped, t_finished;
        bool pool_hit;
        /* nucleus run --sd-notify in a service: the sandbox's leaf sits in the unit's
         * cgroup (placement.c), and cgroup calls get this copy of the settings with
         * that cgroup as the root; NULL: nucleusd's own root. */
        struct sbx_config *cg_cfg;
        /* A pool hit's cgroup CPU time and block I/O once it was prepared: what
         * preparing it cost is not the workload's, and usage is reported from here. */
        uint64_t cpu_base_usec, io_read_base, io_write_base;
        /* status_final: init's last report (not a restartable exit); released: init
         * reaped and what the sandbox held let go (sandbox.c: maybe_finalize). */
        bool have_status, status_final, reaped, released, removed, remove_started;
        int wstatus, init_status;
        bool failed;
        struct sbx_failure failure;
        json_t *landlock;               /* what the kernel enforces, from init */
        json_t *degraded;               /* lock-down steps skipped (--allow-degraded-security) */
        json_t *mount_audit;            /* production's audit result from init; NULL/null: none */
        json_t *limits_not_applied;     /* [{limit, reason}] the backend could not express */
        int oom_efd;                    /* v1: memory.oom_control eventfd */
        uv_poll_t oom_poll;
        bool oom_polling, oom_event;
        bool have_final_stats;
        struct sbx_cgroup_stats final_stats;
        /* detached: stdout/stderr pipes read into the log store */
        bool detached;
        struct sup_logs *logs;
        int log_fd[2];
        uv_poll_t log_poll[2];
        bool log_polling[2];
        struct sup_log_sub *subs;
        enum sup_stop_reason stop_reason;
        uint64_t kill_at_ns;            /* stopping: when the grace period ends */
        uint64_t timeout_ms;            /* --timeout; 0: none */
        uv_timer_t deadline;
        struct sup_exec *execs;
        long long next_exec_id;
        struct sup_volume {
                int src_fd;             /* the caller's descriptor, until the tree is made */
                int tree_fd;            /* detached, idmapped tree, until the claim carries it */
                char *dest, *source;
                bool readonly;
        } volumes[SBX_VOLUMES_MAX];
        size_t nvolumes;
        struct sup_secret {
                int fd;                 /* the caller's file, read only by init */
                char *dest;
        } secrets[SBX_SECRETS_MAX];
        size_t nsecrets;
        int uid_slot;                   /* uidrange.c; -1: none held */
        uint32_t uid_base;              /* the host id that root inside maps to; 0: none yet */
        int context_fd;                 /* --context copy: the caller's tar stream; -1: none */
        struct sup_rootfs {
                int fd;                 /* the caller's --rootfs directory; -1: none */
                bool attest;            /* --verify-rootfs-attestation */
                char *source;           /* its path, for inspect */
                json_t *attestation;    /* the report once checked (rootfs.c) */
                struct sbx_rootfs_entry *entries;       /* SBX_ROOTFS_ENTRIES_MAX, with a --rootfs */
                size_t nentries;        /* made after the clone, sent with the claim */
                uv_work_t work;         /* the attestation, on libuv's thread pool */
                int work_r;
                struct nc_err work_err;
        } rootfs;
        json_t *context;                /* {mode, files, bytes, skipped} for inspect; NULL: none */
        struct sup_policy {
                json_t *json;           /* validated, sent with the claim; NULL: the default */
                char sha256[65];        /* of the caller's file, raw bytes */
        } policies[SUP_POLICY_MAX];
        bool stop_requested;
        bool auto_remove;               /* --rm: removed once it ends */
        int remove_tries;
        json_t *create_id;              /* pending sandbox.create reply */
        struct sup_conn *create_conn;
        bool create_waits;              /* reply to create only at the end */
        struct sup_waiter *waiters;
        struct sup_trace *trace;        /* --seccomp-mode trace (trace.c); NULL otherwise */
        struct sup_net {
                uint32_t addr;          /* network order, while leased */
                char veth[IFNAMSIZ];    /* host end, while attached */
                uint8_t mac[6];         /* eth0's Ethernet address, which its veth is pinned to */
                bool leased, attached;
                int64_t denied;         /* egress denials, kept when the rules go; -1: none */
                struct sup_pasta *pasta; /* pasta.c (userspace backend): while it runs */
                pid_t pasta_pid;        /* the last one started, for inspect */
                bool pasta_exited;      /* it died while the sandbox lived */
                char pasta_error[256];
        } net;
        /* -t: the workload's terminal. tty: {rows, cols} for the claim; NULL: none. The
         * master comes back from init with "started" and is kept until the workload
         * ends; `attach` hands a copy to one client at a time (attach_conn). */
        json_t *tty;
        int tty_master;
        struct sup_conn *attach_conn;
        struct sup_probes *probes;      /* health, readiness, sd_notify (probe.c); NULL: none yet */
};

struct sup_conn {
        struct sup *sup;
        struct sup_conn *next, *prev;
        int fd;
        uv_poll_t poll;
        struct nc_framer in;
        struct ucred cred;
        int pidfd;
        int fds[SUP_CONN_MAX_FDS];
        size_t nfds;
        char *out;
        size_t out_len, out_off, out_cap;
        /* Descriptors going out (a pty master): each rides on the first byte of its
         * message, at that offset of out. */
        struct {
                int fd;
                size_t at;
        } out_fds[SUP_CONN_MAX_OUT_FDS];
        size_t nout_fds;
        size_t nevent_subs;     /* events.subscribe on this connection, at most SUP_CONN_MAX_EVENT_SUBS */
        size_t npending;        /* its waiters and log readers, at most SUP_CONN_MAX_PENDING */
        bool closing, writable_wanted;
};

/* loop.c */
int sup_loop_main(const struct sup_options *opt, int zygote_sock);
void sup_idle_check(struct sup *s);
int sup_zygote_send(struct sup *s, json_t *msg);
int sup_zygote_send_fds(struct sup *s, json_t *msg, const int *fds, size_t nfds);

/* server.c */
/* A waiter or log reader of connection c (NULL: nobody's) is created: false when c
 * already has SUP_CONN_MAX_PENDING, which has then been answered -32006. */
bool sup_conn_pending_add(struct sup_conn *c, json_t *id);
/* One of them is freed. */
void sup_conn_pending_done(struct sup_conn *c);

int sup_server_start(struct sup *s);
void sup_server_stop(struct sup *s);          /* stop accepting */
void sup_server_close_all(struct sup *s);     /* and close every connection */
void sup_conn_send(struct sup_conn *c, json_t *msg);        /* steals msg */
/* The same, with a descriptor (SCM_RIGHTS) on the message's first byte; fd is taken
 * (closed once sent, or when the connection goes). */
void sup_conn_send_fd(struct sup_conn *c, json_t *msg, int fd);
void sup_conn_reply(struct sup_conn *c, json_t *id, json_t *result);
void sup_conn_error(struct sup_conn *c, json_t *id, int code, json_t *data, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
int sup_conn_take_fds(struct sup_conn *c, int *fds, size_t n);

/* methods.c */
void sup_dispatch(struct sup_conn *c, struct nc_rpc_request *req);
/* Shared by the methods (methods.c) and sandbox.create (create.c). */
void sup_bad_params(struct sup_conn *c, json_t *id, const struct nc_err *err);
int sup_open_null_stdio(int fds[3]);
/* A request's "tty": true or {rows, cols} (0..65535; 0: the kernel's default). Returns
 * {rows, cols} for init, or NULL with err set. */
json_t *sup_tty_param(const json_t *v, struct nc_err *err);
void sup_method_create(struct sup_conn *c, json_t *id, json_t *params);

/* audit.c: the append-only audit log, written from every state transition. */
void sup_audit_transition(struct sup_sandbox *sb, const char *from, const char *to);
void sup_audit_close(struct sup *s);

/* trace.c: --seccomp-mode trace, answered on the loop. */
int sup_trace_new(struct sup_sandbox *sb, int log_fd);          /* takes log_fd */
void sup_trace_free(struct sup_trace *t);
/* The workload's listener arrived over ctl (takes it); answered from now on. */
void sup_trace_attach(struct sup_sandbox *sb, int listener);
/* Writes the trace to the caller's file and closes it; once. */
void sup_trace_finish(struct sup_sandbox *sb);
/* uv_close on the listener's poll handle; false when there is none. */
bool sup_trace_close(struct sup_sandbox *sb, uv_close_cb cb);
json_t *sup_trace_inspect(const struct sup_sandbox *sb);

/* lockdown.c: 0 when the host's kernel lockdown is at least `required` (enum
 * nc_lockdown); else an error naming the flag, the level found and what is accepted. */
int sup_kernel_lockdown_check(int required, struct nc_err *err);

/* modes.c: the service mode's admission rules, over the spec and what else the create
 * carried. 0, or -EINVAL with err naming the flag and what is accepted. */
struct sup_mode_inputs {
        bool rootfs, rootfs_attested;
        bool policy[SUP_POLICY_MAX], policy_pinned[SUP_POLICY_MAX];
        const json_t *caps, *landlock;          /* the policies as validated; NULL: default */
};
int sup_mode_admit(const struct nc_spec *spec, const struct sup_mode_inputs *in, struct nc_err *err);

/* network.c (docs/network.md). init sweeps what a crashed nucleusd left; admit fills
 * the DNS default and refuses host ports another sandbox publishes; setup runs after the
 * clone, before the claim (on failure the sandbox has failed, stage "network"); release
 * when it ends. */
int sup_network_init(struct sup *s);
void sup_network_done(struct sup *s);
int sup_network_admit(struct sup *s, struct nc_spec *spec, struct nc_err *err);
int sup_network_setup(struct sup_sandbox *sb);
void sup_network_release(struct sup_sandbox *sb);
/* The claim's /etc/resolv.conf; NULL for --network none. */
char *sup_network_resolv_conf(const struct sup_sandbox *sb);
json_t *sup_network_inspect(const struct sup_sandbox *sb);
/* The nft rules that apply to a bridge sandbox, in nft's text; null otherwise. */
json_t *sup_network_rules(const struct sup_sandbox *sb);
/* Adds what only the kernel knows (the egress denied count) for sandbox.inspect. */
void sup_network_inspect_live(const struct sup_sandbox *sb, json_t *network);

/* pasta.c: --nat-backend userspace (docs/network.md). start runs from
 * sup_network_setup; the claim is held (hold_claim true) until pasta has configured the
 * namespace; stop when the sandbox ends; sweep at start adopts the pasta of a sandbox
 * taken over and kills the others. */
int sup_pasta_start(struct sup_sandbox *sb, struct nc_err *err);
bool sup_pasta_hold_claim(struct sup_sandbox *sb);
void sup_pasta_stop(struct sup_sandbox *sb);
int sup_pasta_sweep(struct sup *s);
void sup_pasta_done(struct sup *s);
json_t *sup_pasta_inspect(const struct sup_sandbox *sb);

/* rootfs.c: --verify-rootfs-attestation runs off the loop before the sandbox is
 * started (it reads every file of the rootfs); then, or at once without it, the
 * prepare goes to the zygote. */
void sup_rootfs_start(struct sup_sandbox *sb);
/* After the clone: the rootfs's trees for the claim. */
int sup_rootfs_prepare(struct sup_sandbox *sb);

/* notify.c: systemd's notify protocol (a no-op without NOTIFY_SOCKET). */
void sup_notify_ready(struct sup *s);
void sup_notify_stopping(struct sup *s);

/* pool.c: the warm pool. init prepares the default profile; claim hands a parked
 * member over to a new sandbox (its id, host id range, pid, pidfd, ctl; -ENOENT: a
 * miss, the caller clones on demand); on_zygote takes the zygote's messages about
 * members (false: not a member's); drain releases every member at shutdown, which
 * waits for sup_pool_empty; free after the loop ends. */
int sup_pool_init(struct sup *s);
/* What phase 1 depends on, from a create's spec and whether it brings a --rootfs. */
void sup_profile_of(const struct nc_spec *spec, bool rootfs, struct sbx_profile *ret);
int sup_pool_claim(struct sup *s, const struct sbx_profile *p, struct sup_sandbox *sb);
bool sup_pool_on_zygote(struct sup *s, const char *op, const char *id, const json_t *msg, int fds[2], size_t *nfds);
void sup_pool_drain(struct sup *s);
bool sup_pool_empty(const struct sup *s);
void sup_pool_free(struct sup *s);
json_t *sup_pool_info(const struct sup *s);

/* uidrange.c: a host id range of its own for each live sandbox. */
int sup_uid_slots_init(struct sup *s);
int sup_uid_slot_alloc(struct sup *s, int *ret_slot, uint32_t *ret_base);
void sup_uid_slot_free(struct sup *s, int *slot);      /* sets *slot to -1 */
int sup_uid_slot_take(struct sup_sandbox *sb);
/* A restarted loop process: the slot an adopted sandbox already uses. */
int sup_uid_slot_claim(struct sup_sandbox *sb, int slot);
void sup_uid_slot_release(struct sup_sandbox *sb);

/* registry.c */
struct sup_sandbox *sup_sandbox_new(struct sup *s);
void sup_sandbox_unlink_free(struct sup_sandbox *sb);
/* Room in the index for one more sandbox (-ENOMEM); then, once its id and spec are
 * final, sup_sandbox_index makes it found by id (and name), and cannot fail. */
int sup_index_reserve(struct sup *s);
void sup_sandbox_index(struct sup_sandbox *sb);
/* Its name is free again (it is being removed). */
void sup_sandbox_unindex_name(struct sup_sandbox *sb);
struct sup_sandbox *sup_sandbox_by_id(struct sup *s, const char *id);
void sup_index_free(struct sup *s);
/* Its cgroup usage now, CPU time counted from its claim (0, or -errno). */
int sup_sandbox_usage(const struct sup_sandbox *sb, struct sbx_cgroup_stats *ret);
/* Returns 0, -ENOENT, or -ENOTUNIQ (an ambiguous prefix). */
int sup_sandbox_find(struct sup *s, const char *ref, uid_t caller, struct sup_sandbox **ret);
/* Root sees every sandbox; other users only their own. */
bool sup_sandbox_visible(const struct sup_sandbox *sb, uid_t caller);
struct sup_sandbox *sup_sandbox_by_name(struct sup *s, const char *name);
/* A sandbox without a name is called by its id. */
static inline const char *sup_sandbox_name(const struct sup_sandbox *sb)
{
        return sb->spec && sb->spec->name ? sb->spec->name : sb->id;
}
json_t *sup_sandbox_summary(const struct sup_sandbox *sb);
json_t *sup_sandbox_inspect(const struct sup_sandbox *sb);
json_t *sup_sandbox_result(const struct sup_sandbox *sb);
void sup_waiters_drop_conn(struct sup *s, struct sup_conn *c);
/* Called wherever a sandbox starts to refer to a connection (create_conn, a waiter, a
 * log reader, an exec, attach_conn): every such reference is dropped when the
 * connection closes, and only sandboxes noted here are visited then. */
void sup_conn_ref(struct sup_sandbox *sb);
/* The sandboxes that may refer to connections: for (sb = sup_conn_refs_first(s); sb;
 * sb = sb->cref_next). */
static inline struct sup_sandbox *sup_conn_refs_first(struct sup *s)
{
        return s->conn_refs;
}

/* Between sandbox.c and sandbox_end.c (the end of a sandbox): init's control
 * messages (false at EOF); a detached sandbox's log pipes; the end recorded and its
 * holdings released once due; the handles' close callback. */
bool sup_sandbox_drain_ctl(struct sup_sandbox *sb);
void sup_sandbox_log_close(struct sup_sandbox *sb, int stream);
bool sup_sandbox_log_read(struct sup_sandbox *sb, int stream, int rounds);
void sup_sandbox_maybe_finalize(struct sup_sandbox *sb);
void sup_sandbox_on_handle_closed(uv_handle_t *h);

/* sandbox.c, sandbox_end.c: the lifecycle of one sandbox */
int sup_sandbox_set_state(struct sup_sandbox *sb, enum sup_state to);
int sup_sandbox_start(struct sup_sandbox *sb);
/* A created sandbox that never reached the zygote fails as a failed clone does. */
void sup_sandbox_fail_before_clone(struct sup_sandbox *sb, const char *stage, int r, const char *msg);
/* Records the first failure of a sandbox's setup (later ones are consequences). */
void sup_sandbox_fail(struct sup_sandbox *sb, const struct sbx_failure *f);
void sup_sandbox_on_cloned(struct sup *s, const char *id, pid_t pid, int pidfd, int ctl);
void sup_sandbox_on_zygote_failed(struct sup *s, const char *id, const json_t *msg);
/* known false: a foster child (docs/restart.md, level 2) whose exit information the
 * kernel did not give; init's report over its control socket is all there is. */
void sup_sandbox_on_reaped(struct sup *s, const char *id, int status, bool known);
/* A foster child ended but its reaper (the host's init) has not reaped it yet. */
void sup_sandbox_on_ending(struct sup *s, const char *id);
/* A live sandbox of an earlier nucleusd that cannot be taken over (why): its end is
 * recorded with an unknown status, and what is left of it is killed. */
void sup_sandbox_lost(struct sup_sandbox *sb, const char *why);
/* A restarted loop process: a live sandbox rebuilt from its state file gets its
 * descriptors back from the zygote (log may be NULL) and is watched again. */
void sup_sandbox_adopt(struct sup_sandbox *sb, pid_t pid, int pidfd, int ctl, const int *log);
int sup_sandbox_signal(struct sup_sandbox *sb, int sig);
void sup_sandbox_stop(struct sup_sandbox *sb, uint64_t timeout_ms);
void sup_sandbox_remove(struct sup_sandbox *sb);
/* Work that outlives the sandbox's end holds a reference (sb->open_handles++): the
 * removal completes (its reply, the record freed) only once every one is dropped. */
void sup_sandbox_unref(struct sup_sandbox *sb);
void sup_sandbox_watch_client(struct sup_sandbox *sb, int pidfd);
/* exec_stream.c: stdio "stream", output relayed as sandbox.exec_output notifications.
 * new: the stdio to pass (fds) and the stream; start: once the exec is known; finish:
 * relays what is left and closes (at the exec's end, before its reply). */
struct sup_exec_stream;
int sup_exec_stream_new(struct sup_sandbox *sb, int fds[3], struct sup_exec_stream **ret);
void sup_exec_stream_start(struct sup_exec_stream *st, struct sup_exec *x);
void sup_exec_stream_finish(struct sup_exec_stream *st);
/* A connection has room again: its streams are read again. */
void sup_exec_streams_drained(struct sup *s, struct sup_conn *c);
/* Starts argv (a validated spec: args, env, cwd) inside a running sandbox with the
 * given stdio; the reply to (conn, req_id) comes when it exits. Steals fds. extra:
 * members added to init's exec message (own_user, tty). fds: stdio, or NULL with a tty.
 * stream: the relay of stdio "stream" (taken), or NULL. */
int sup_sandbox_exec(struct sup_sandbox *sb, struct sup_conn *conn, json_t *req_id, json_t *spec, const json_t *extra,
                     int fds[3], struct sup_exec_stream *stream);
/* The same for nucleusd's own processes (probes): on_end gets the outcome, once, also
 * when the sandbox ends first. ret: the exec, valid until on_end. */
int sup_sandbox_exec_internal(struct sup_sandbox *sb, json_t *spec, int fds[3],
                              void (*on_end)(void *data, int status, const struct sbx_failure *failure), void *data,
                              struct sup_exec **ret);
/* The exec's client is gone: init kills the process (SIGKILL). */
void sup_sandbox_exec_kill(struct sup_sandbox *sb, struct sup_exec *x);
/* exec.c: init's exec_* messages (fd: a pty master that came along, or -1; taken), and
 * the replies of execs still running when their sandbox ends. */
void sup_exec_on_message(struct sup_sandbox *sb, const char *op, json_t *msg, int fd);
void sup_execs_end(struct sup_sandbox *sb);
/* Detached: stdout/stderr become pipes into the sandbox's log store in logdir. */
int sup_sandbox_detach_stdio(struct sup_sandbox *sb, const char *logdir);

/* timings.c: a started sandbox's create, into the histograms; their p50/p99 for info;
 * one sandbox's phases for inspect (null before it started). */
void sup_timings_record(struct sup_sandbox *sb);
json_t *sup_timings_info(const struct sup *s);
json_t *sup_timings_of(const struct sup_sandbox *sb);
void sup_timings_free(struct sup *s);

/* The settings a sandbox's cgroup calls use (its leaf's parent as cgroup_root). */
static inline const struct sbx_config *sup_cg(const struct sup_sandbox *sb)
{
        return sb->cg_cfg ? sb->cg_cfg : sb->sup->cfg;
}
/* placement.c: create's cgroup_parent — the caller's own cgroup (root callers only,
 * checked against /proc/PID/cgroup), in which the sandbox's leaf is made beside the
 * caller's. Returns the settings for sb->cg_cfg, or NULL with err set. */
struct sbx_config *sup_placement_new(struct sup_conn *c, const char *parent, struct nc_err *err);
/* A restarted loop process: the settings for a leaf whose parent was dir. */
struct sbx_config *sup_placement_restore(struct sup *s, const char *dir);

/* claim.c: sends the claim to a parked init (sets t_claim); the loop's copies of
 * the descriptors it carries are closed either way. */
int sup_claim_send(struct sup_sandbox *sb);
/* Before the claim, once the id maps exist. On failure *f says why (the caller fails
 * the sandbox). Limits first, so they are in force before the workload exists. */
int sup_claim_apply_limits(struct sup_sandbox *sb, struct sbx_failure *f);
int sup_claim_prepare_volumes(struct sup_sandbox *sb, struct sbx_failure *f);

/* policy.c */
bool sup_sha256_hex_valid(const char *s);
/* Reads a policy file from a caller's descriptor (at most max bytes), checks its
 * SHA-256 against pin (lowercase hex, or NULL), parses it as JSON. */
int sup_policy_load(int fd, const char *what, size_t max, const char *pin, json_t **ret, char ret_sha256[65],
                    struct nc_err *err);
/* Validates a policy of the given kind (SUP_POLICY_*). */
int sup_policy_validate(int kind, const json_t *policy, struct nc_err *err);

/* events.c */
void sup_event_emit(struct sup_sandbox *sb, const char *from, const char *to);
/* A change within the state: type "health", "readiness" or "restart" (probe.c,
 * restart.c); the audit record is the caller's. */
void sup_event_emit_probe(struct sup_sandbox *sb, const char *type, const char *from, const char *to);
void sup_events_drop_conn(struct sup *s, struct sup_conn *c);

/* logs: sandbox.c feeds, methods.c subscribes */
void sup_logs_pump(struct sup_sandbox *sb);
void sup_conn_drained(struct sup *s, struct sup_conn *c);
bool sup_conn_congested(const struct sup_conn *c);

/* state.c */
int sup_state_write(const struct sup_sandbox *sb);
int sup_state_remove(const struct sup *s, const char *id);
/* Reads <id>.json; -ENOENT when there is none. */
int sup_state_read(const struct sup *s, const char *id, json_t **ret);
/* Kills what is left of a sandbox nobody supervises, removes its cgroup leaf, state
 * and log files. */
void sup_state_discard(struct sup *s, const char *id);
/* Calls fn for every state file's id. */
void sup_state_each(struct sup *s, void (*fn)(struct sup *s, const char *id, void *arg), void *arg);

/* restore.c: a loop process started by the zygote takes over what it holds. */
/* What a state file keeps beyond the inspect view, so a new loop can rebuild sb. */
json_t *sup_restore_fields(const struct sup_sandbox *sb);
/* Before the API is served: reads the zygote's "adopt" messages up to "adopt_end",
 * rebuilds every sandbox from its state file, and clears what nobody holds. */
int sup_restore_run(struct sup *s);
