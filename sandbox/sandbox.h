/* SPDX-License-Identifier: Apache-2.0 */
/* sandbox/: everything that runs in the zygote, in a sandbox's init and between fork
 * and exec. Never includes libuv. The supervisor's loop drives it only through the
 * zygote channel and the init control socket (ctl.h). */
#pragma once

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

struct sbx_seccomp_prog;
struct sbx_cgroup_backend;

/* Root inside a sandbox maps to an unprivileged host range of SBX_UID_COUNT ids of its
 * own: slot k of nucleusd's --max-sandboxes starts at SBX_UID_BASE + k * SBX_UID_COUNT
 * (supervisor/uidrange.c). SBX_UID_SLOTS_MAX keeps the top below 2^32 - 1. */
#define SBX_UID_BASE 100000u
#define SBX_UID_COUNT 65536u
#define SBX_UID_SLOTS_MAX 65000u
#define SBX_ROOT_TMPFS_DEFAULT (1024ull * 1024 * 1024)

/* Settings of one nucleusd, shared by its zygote and every init it spawns. */
struct sbx_config {
        char cgroup_root[PATH_MAX];     /* cgroup2 directory holding one leaf per sandbox; "" = none */
        uint32_t uid_base, uid_count;
        uint64_t root_tmpfs_size;
        /* nucleusd's argv and environment strings (contiguous): init overwrites its copy
         * so the sandbox's /proc/1/cmdline and environ show nothing of the host. */
        char *argv_area;
        size_t argv_area_len;
        /* Compiled once in the zygote (seccomp.h); loaded by every workload. The strict
         * modes' variant denies IP sockets too (SBX_SECCOMP_NO_INET). */
        const struct sbx_seccomp_prog *seccomp, *seccomp_no_inet;
        /* Limits backend (cgroup.h), NULL without one; v1 hierarchy directories. */
        const struct sbx_cgroup_backend *cg;
        char cg_v1[5][PATH_MAX];        /* indexed by SBX_CG_*; "" when unavailable */
        unsigned cg_controllers;        /* 1 << SBX_CG_* that work */
};

/* Where setup failed: carried as {stage, errno, message} to the API and the user. */
struct sbx_failure {
        char stage[32];
        int err;                        /* positive errno, 0 if not a system error */
        char msg[384];
};

void sbx_failure_set(struct sbx_failure *f, const char *stage, int err, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
json_t *sbx_failure_to_json(const struct sbx_failure *f);
void sbx_failure_from_json(const json_t *j, struct sbx_failure *f);

/* cgroup.c — the v2 leaf used for membership, freeze and kill on every host. */
int sbx_cgroup_detect_root(const char *configured, char *ret, size_t cap, struct nc_err *err);
/* Under systemd with Delegate=yes: moves nucleusd into <own cgroup>/supervisor and
 * returns <own cgroup>/sandboxes as the root of the sandbox leaves. */
int sbx_cgroup_delegated_root(char *ret, size_t cap, struct nc_err *err);
int sbx_cgroup_leaf_create(const struct sbx_config *cfg, const char *id, int *ret_dirfd);
/* Kills everything left in the leaf and removes it. -EBUSY while tasks remain. */
int sbx_cgroup_leaf_remove(const struct sbx_config *cfg, const char *id);
int sbx_cgroup_leaf_kill(const struct sbx_config *cfg, const char *id);

/* idmap.c — run by the zygote after clone3, before init may touch the file system. */
int sbx_idmap_write(pid_t pid, uint32_t base, uint32_t count);

/* What the prepare phase depends on besides nucleusd's settings: the pool profile
 * (DESIGN.md). Sandboxes with the same profile are interchangeable until claimed. */
struct sbx_profile {
        bool rootfs;            /* a --rootfs comes with the claim: no host /usr, /etc files */
        bool hidepid;           /* production: /proc with hidepid=invisible */
        bool proc_rw;           /* --proc-rw: /proc not remounted read-only */
        bool time_ns;           /* --time-namespace: CLONE_NEWTIME */
        bool no_cgroup_ns;      /* --disable-cgroup-namespace: init keeps the host's */
        bool host_network;      /* --network host: no network namespace of its own */
};
json_t *sbx_profile_to_json(const struct sbx_profile *p);
void sbx_profile_from_json(const json_t *j, struct sbx_profile *ret);

/* spawn.c — the zygote side of phase 1 (prepare). */
struct sbx_spawned {
        pid_t pid;
        int pidfd;
        int ctl;                        /* the supervisor's end of init's control socket */
};
/* First thing in nucleusd, before it opens anything: descriptors 0-2 open, and 0 a
 * placeholder that sbx_spawn_prepare uses as the slot for init's control socket. */
int sbx_spawn_reserve_slot(void);
/* uid_base: this sandbox's own host range (cfg->uid_count ids), chosen by the loop. */
int sbx_spawn_prepare(const struct sbx_config *cfg, const char *id, uint32_t uid_base, const struct sbx_profile *profile,
                      struct sbx_spawned *ret, struct sbx_failure *fail);

/* init.c — PID 1 of a sandbox. Never returns. */
_Noreturn void sbx_init_main(const struct sbx_config *cfg, int ctl);
/* The signals init forwards to the workload (others the kernel drops: init is PID 1). */
bool sbx_init_forwards(int sig);
const char *sbx_init_forwarded_names(void);

/* zygote.c — the main process of nucleusd. `start_loop` forks the loop process and
 * returns its pid and the zygote's end of their channel (a SOCK_SEQPACKET socket). */
typedef int (*sbx_start_loop_fn)(void *userdata, pid_t *ret_pid, int *ret_sock);
int sbx_zygote_run(const struct sbx_config *cfg, sbx_start_loop_fn start_loop, void *userdata);
/* In the loop process right after its fork: closes the copies of the zygote's own
 * descriptors (every child's, the previous loop's channel) that fork() made. */
void sbx_zygote_forked(void);
