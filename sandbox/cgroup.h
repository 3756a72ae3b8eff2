/* SPDX-License-Identifier: Apache-2.0 */
/* cgroups. Every sandbox has a leaf in the cgroup v2 hierarchy (membership, freeze,
 * kill: cgroup.c). Limits go through a backend chosen at startup: v2 controllers where
 * the v2 hierarchy has them (cgroup_v2.c), else the v1 hierarchies of a hybrid host
 * (cgroup_v1.c), behind one table of functions (crun's cgroup manager, in small). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox.h"
#include "spec.h"

enum { SBX_CG_MEMORY, SBX_CG_PIDS, SBX_CG_CPU, SBX_CG_CPUACCT, SBX_CG_IO, _SBX_CG_MAX };

struct sbx_cgroup_stats {
        bool have_cpu, have_memory, have_pids, have_io;
        uint64_t cpu_usec;
        uint64_t memory_current, memory_peak, memory_limit;     /* limit 0: none */
        uint64_t pids_current, pids_limit;                      /* limit 0: none */
        uint64_t oom_kills;
        uint64_t io_read_bytes, io_write_bytes;                 /* summed over devices */
};

struct sbx_cgroup_backend {
        const char *name;
        /* Zygote, right after clone3: put the new init into the backend's hierarchies
         * (v1; with v2 CLONE_INTO_CGROUP already did). Must not allocate much: it runs
         * on the spawn path. */
        int (*attach)(const struct sbx_config *cfg, const char *id, pid_t pid);
        /* Supervisor, before the claim. Limits the backend cannot express go into
         * not_applied as {"limit": ..., "reason": ...}; hard failures return -errno. */
        int (*apply)(const struct sbx_config *cfg, const char *id, const struct nc_spec_limits *l, json_t *not_applied,
                     struct nc_err *err);
        int (*stats)(const struct sbx_config *cfg, const char *id, struct sbx_cgroup_stats *ret);
        /* An eventfd readable when the sandbox hits an OOM (v1: memory.oom_control), so the
         * supervisor can kill the whole group; -EOPNOTSUPP when the kernel does it itself
         * (v2: memory.oom.group). */
        int (*oom_eventfd)(const struct sbx_config *cfg, const char *id);
        /* Removes the backend's directories of a sandbox whose processes are gone. */
        int (*remove)(const struct sbx_config *cfg, const char *id);
};

extern const struct sbx_cgroup_backend sbx_cgroup_v1, sbx_cgroup_v2;

/* nucleusd startup: picks the backend (cfg->cg) and finds or enables its controllers.
 * With neither, cfg->cg stays NULL: sandboxes run without limits (agent mode warns). */
int sbx_cgroup_setup(struct sbx_config *cfg, struct nc_err *err);
/* At a clean exit: removes the v1 hierarchies' directories setup made (when empty). */
void sbx_cgroup_release(const struct sbx_config *cfg);
json_t *sbx_cgroup_info(const struct sbx_config *cfg);
json_t *sbx_cgroup_stats_to_json(const struct sbx_cgroup_stats *st);

/* Small file helpers shared by the backends. */
int sbx_cg_write(const char *dir, const char *id, const char *file, const char *value);
int sbx_cg_read_u64(const char *dir, const char *id, const char *file, uint64_t *ret);
/* Sums the bytes read and written over every device of an I/O statistics file:
 * v2 io.stat ("MAJ:MIN rbytes=N wbytes=N ..."), v1 blkio.throttle.io_service_bytes
 * ("MAJ:MIN Read N", "MAJ:MIN Write N", ...). */
int sbx_cg_read_io(const char *dir, const char *id, const char *file, uint64_t *ret_read, uint64_t *ret_write);
/* "key value" lines (memory.events, cpu.stat, memory.oom_control). */
int sbx_cg_read_key(const char *dir, const char *id, const char *file, const char *key, uint64_t *ret);
