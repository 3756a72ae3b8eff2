/* SPDX-License-Identifier: Apache-2.0 */
/* Limits through cgroup v2 controllers, in the sandbox's own leaf:
 *   memory.max, memory.high (90 %), memory.swap.max (0 unless swap), memory.oom.group,
 *   cpu.max, cpu.weight, pids.max, io.max; usage from cpu.stat, memory.*, pids.current,
 *   io.stat. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cgroup.h"

static int v2_attach(const struct sbx_config *cfg, const char *id, pid_t pid)
{
        return 0;       /* CLONE_INTO_CGROUP put init into the leaf already */
}

static int v2_apply(const struct sbx_config *cfg, const char *id, const struct nc_spec_limits *l, json_t *not_applied,
                    struct nc_err *err)
{
        const char *root = cfg->cgroup_root;
        char buf[64];
        int r;

#define W(file, value)                                                                             \
        do {                                                                                       \
                if ((r = sbx_cg_write(root, id, file, value)) < 0)                                 \
                        return nc_err_set_errno(err, r, "Failed to write %s=%s", file, value);     \
        } while (0)

        if (l->memory > 0) {
                snprintf(buf, sizeof(buf), "%lld", l->memory);
                W("memory.max", buf);
                snprintf(buf, sizeof(buf), "%lld", l->memory / 10 * 9);
                W("memory.high", buf);
                /* The whole sandbox dies on an OOM, not one arbitrary process in it. */
                W("memory.oom.group", "1");
                if (!l->swap && sbx_cg_write(root, id, "memory.swap.max", "0") < 0)
                        json_array_append_new(not_applied, json_pack("{s:s, s:s}", "limit", "swap",
                                                                     "reason", "memory.swap.max is missing (no swap accounting)"));
        }
        if (l->cpu_millis > 0) {
                snprintf(buf, sizeof(buf), "%lld 100000", l->cpu_millis * 100);
                W("cpu.max", buf);
        }
        if (l->cpu_weight != NC_LIMIT_DEFAULT) {
                snprintf(buf, sizeof(buf), "%lld", l->cpu_weight);
                W("cpu.weight", buf);
        }
        long long pids = l->pids == NC_LIMIT_DEFAULT ? NC_PIDS_DEFAULT : l->pids;
        if (pids > 0) {
                snprintf(buf, sizeof(buf), "%lld", pids);
                W("pids.max", buf);
        }
        for (size_t i = 0; i < l->nio; i++) {
                const struct nc_spec_io *io = &l->io[i];
                char line[160];
                int n;

                if (!(cfg->cg_controllers & (1u << SBX_CG_IO))) {
                        json_array_append_new(not_applied, json_pack("{s:s, s:s}", "limit", "io", "reason", "no io controller"));
                        break;
                }
                n = snprintf(line, sizeof(line), "%u:%u", io->major, io->minor);
                if (io->riops)
                        n += snprintf(line + n, sizeof(line) - (size_t)n, " riops=%lld", io->riops);
                if (io->wiops)
                        n += snprintf(line + n, sizeof(line) - (size_t)n, " wiops=%lld", io->wiops);
                if (io->rbps)
                        n += snprintf(line + n, sizeof(line) - (size_t)n, " rbps=%lld", io->rbps);
                if (io->wbps)
                        snprintf(line + n, sizeof(line) - (size_t)n, " wbps=%lld", io->wbps);
                W("io.max", line);
        }
#undef W
        return 0;
}

static int v2_stats(const struct sbx_config *cfg, const char *id, struct sbx_cgroup_stats *st)
{
        const char *root = cfg->cgroup_root;

        *st = (struct sbx_cgroup_stats){ 0 };
        st->have_cpu = sbx_cg_read_key(root, id, "cpu.stat", "usage_usec", &st->cpu_usec) == 0;
        st->have_memory = sbx_cg_read_u64(root, id, "memory.current", &st->memory_current) == 0;
        (void)sbx_cg_read_u64(root, id, "memory.peak", &st->memory_peak);
        (void)sbx_cg_read_u64(root, id, "memory.max", &st->memory_limit);   /* "max" reads as 0 */
        (void)sbx_cg_read_key(root, id, "memory.events", "oom_kill", &st->oom_kills);
        st->have_pids = sbx_cg_read_u64(root, id, "pids.current", &st->pids_current) == 0;
        (void)sbx_cg_read_u64(root, id, "pids.max", &st->pids_limit);
        /* io.stat exists only with the io controller enabled for the leaves. */
        st->have_io = (cfg->cg_controllers & (1u << SBX_CG_IO)) &&
                      sbx_cg_read_io(root, id, "io.stat", &st->io_read_bytes, &st->io_write_bytes) == 0;
        return 0;
}

static int v2_oom_eventfd(const struct sbx_config *cfg, const char *id)
{
        return -EOPNOTSUPP;     /* memory.oom.group: the kernel kills the group itself */
}

static int v2_remove(const struct sbx_config *cfg, const char *id)
{
        return 0;               /* the v2 leaf is the sandbox's own; cgroup.c removes it */
}

const struct sbx_cgroup_backend sbx_cgroup_v2 = {
        .name = "v2",
        .attach = v2_attach,
        .apply = v2_apply,
        .stats = v2_stats,
        .oom_eventfd = v2_oom_eventfd,
        .remove = v2_remove,
};
