/* SPDX-License-Identifier: Apache-2.0 */
/* Limits through the v1 hierarchies of a hybrid host (memory, pids, cpu, cpuacct), in a
 * directory per sandbox under <hierarchy>/<own cgroup>/<nucleus root name>/. init is
 * written into each cgroup.procs by the zygote while it waits for its id maps, so
 * everything it forks inherits the membership.
 *
 * What v1 cannot express: memory.high (there is no throttling threshold; only the
 * hard limit applies) and memory.oom.group: the kernel's v1 OOM killer is disabled for
 * the sandbox (oom_kill_disable), and the supervisor kills the whole group when the
 * memory.oom_control eventfd says it ran out. */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "macros.h"

static int v1_attach(const struct sbx_config *cfg, const char *id, pid_t pid)
{
        char path[PATH_MAX + 64], buf[24];
        int r;

        snprintf(buf, sizeof(buf), "%d", (int)pid);
        for (int c = 0; c < _SBX_CG_MAX; c++) {
                if (!cfg->cg_v1[c][0])
                        continue;
                snprintf(path, sizeof(path), "%s/%s", cfg->cg_v1[c], id);
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        return -errno;
                if ((r = sbx_cg_write(cfg->cg_v1[c], id, "cgroup.procs", buf)) < 0)
                        return r;
        }
        return 0;
}

static int v1_apply(const struct sbx_config *cfg, const char *id, const struct nc_spec_limits *l, json_t *not_applied,
                    struct nc_err *err)
{
        const char *mem = cfg->cg_v1[SBX_CG_MEMORY], *pids = cfg->cg_v1[SBX_CG_PIDS], *cpu = cfg->cg_v1[SBX_CG_CPU];
        char buf[64];
        int r;

#define W(dir, file, value)                                                                        \
        do {                                                                                       \
                if ((r = sbx_cg_write(dir, id, file, value)) < 0)                                  \
                        return nc_err_set_errno(err, r, "Failed to write %s=%s", file, value);     \
        } while (0)
#define NOT_APPLIED(what, why) json_array_append_new(not_applied, json_pack("{s:s, s:s}", "limit", what, "reason", why))

        if (l->memory > 0) {
                if (!mem[0])
                        NOT_APPLIED("memory", "no v1 memory hierarchy");
                else {
                        snprintf(buf, sizeof(buf), "%lld", l->memory);
                        W(mem, "memory.limit_in_bytes", buf);
                        /* memsw (memory + swap) only exists with swap accounting. memory.high
                         * has no v1 equivalent at all: only the hard limit applies (README). */
                        if (!l->swap && sbx_cg_write(mem, id, "memory.memsw.limit_in_bytes", buf) < 0)
                                NOT_APPLIED("swap", "memory.memsw.limit_in_bytes is missing (no swap accounting)");
                        /* No kernel OOM kill: a task that runs out waits in the OOM state,
                         * and the supervisor, told by the oom_control eventfd, kills the
                         * whole sandbox. Otherwise the kernel kills one process and the
                         * others run on until the supervisor acts (a shell would print
                         * the line after its killed child) — not what memory.oom.group does
                         * on v2. Registering the eventfd while already out of memory signals
                         * at once, so a restarted loop process still hears of it. */
                        if (sbx_cg_write(mem, id, "memory.oom_control", "1") < 0)
                                NOT_APPLIED("oom_group", "memory.oom_control refused oom_kill_disable; the kernel "
                                            "kills one process first");
                }
        }
        if (l->cpu_millis > 0 || l->cpu_weight != NC_LIMIT_DEFAULT) {
                if (!cpu[0])
                        NOT_APPLIED("cpu", "no v1 cpu hierarchy");
                else {
                        if (l->cpu_millis > 0) {
                                W(cpu, "cpu.cfs_period_us", "100000");
                                snprintf(buf, sizeof(buf), "%lld", l->cpu_millis * 100);
                                W(cpu, "cpu.cfs_quota_us", buf);
                        }
                        if (l->cpu_weight != NC_LIMIT_DEFAULT) {
                                /* v2 weight 100 is v1 shares 1024 */
                                long long shares = l->cpu_weight * 1024 / 100;
                                snprintf(buf, sizeof(buf), "%lld", shares < 2 ? 2 : shares);
                                W(cpu, "cpu.shares", buf);
                        }
                }
        }
        long long p = l->pids == NC_LIMIT_DEFAULT ? NC_PIDS_DEFAULT : l->pids;
        if (p > 0) {
                if (!pids[0])
                        NOT_APPLIED("pids", "no v1 pids hierarchy");
                else {
                        snprintf(buf, sizeof(buf), "%lld", p);
                        W(pids, "pids.max", buf);
                }
        }
        for (size_t i = 0; i < l->nio; i++) {
                static const struct { const char *file; size_t off; } files[] = {
                        { "blkio.throttle.read_iops_device", offsetof(struct nc_spec_io, riops) },
                        { "blkio.throttle.write_iops_device", offsetof(struct nc_spec_io, wiops) },
                        { "blkio.throttle.read_bps_device", offsetof(struct nc_spec_io, rbps) },
                        { "blkio.throttle.write_bps_device", offsetof(struct nc_spec_io, wbps) },
                };
                const char *blk = cfg->cg_v1[SBX_CG_IO];

                if (!blk[0]) {
                        NOT_APPLIED("io", "no v1 blkio hierarchy");
                        break;
                }
                for (size_t k = 0; k < ARRAY_SIZE(files); k++) {
                        long long v = *(const long long *)((const char *)&l->io[i] + files[k].off);
                        if (!v)
                                continue;
                        snprintf(buf, sizeof(buf), "%u:%u %lld", l->io[i].major, l->io[i].minor, v);
                        W(blk, files[k].file, buf);
                }
        }
#undef W
#undef NOT_APPLIED
        return 0;
}

static int v1_stats(const struct sbx_config *cfg, const char *id, struct sbx_cgroup_stats *st)
{
        const char *mem = cfg->cg_v1[SBX_CG_MEMORY];
        uint64_t ns = 0, limit = 0;

        *st = (struct sbx_cgroup_stats){ 0 };
        if (cfg->cg_v1[SBX_CG_CPUACCT][0] && sbx_cg_read_u64(cfg->cg_v1[SBX_CG_CPUACCT], id, "cpuacct.usage", &ns) == 0) {
                st->have_cpu = true;
                st->cpu_usec = ns / 1000;
        }
        if (mem[0] && sbx_cg_read_u64(mem, id, "memory.usage_in_bytes", &st->memory_current) == 0) {
                st->have_memory = true;
                (void)sbx_cg_read_u64(mem, id, "memory.max_usage_in_bytes", &st->memory_peak);
                /* "unlimited" is a huge page-rounded number in v1 */
                if (sbx_cg_read_u64(mem, id, "memory.limit_in_bytes", &limit) == 0 && limit < (1ull << 62))
                        st->memory_limit = limit;
                (void)sbx_cg_read_key(mem, id, "memory.oom_control", "oom_kill", &st->oom_kills);
        }
        if (cfg->cg_v1[SBX_CG_PIDS][0] &&
            sbx_cg_read_u64(cfg->cg_v1[SBX_CG_PIDS], id, "pids.current", &st->pids_current) == 0) {
                st->have_pids = true;
                (void)sbx_cg_read_u64(cfg->cg_v1[SBX_CG_PIDS], id, "pids.max", &st->pids_limit);
        }
        /* What reached the block layer from the sandbox's tasks. v1 charges page-cache
         * writeback to the flusher threads' (root) group, so buffered writes mostly show
         * up only as reads and direct I/O; v2's io.stat follows writeback to the owner. */
        st->have_io = cfg->cg_v1[SBX_CG_IO][0] &&
                      sbx_cg_read_io(cfg->cg_v1[SBX_CG_IO], id, "blkio.throttle.io_service_bytes", &st->io_read_bytes,
                                     &st->io_write_bytes) == 0;
        return 0;
}

static int v1_oom_eventfd(const struct sbx_config *cfg, const char *id)
{
        const char *mem = cfg->cg_v1[SBX_CG_MEMORY];
        char path[PATH_MAX + 64], line[64];
        _cleanup_close_ int efd = -1, ofd = -1;
        int r;

        if (!mem[0])
                return -EOPNOTSUPP;
        efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        snprintf(path, sizeof(path), "%s/%s/memory.oom_control", mem, id);
        ofd = open(path, O_RDONLY | O_CLOEXEC);
        if (efd < 0 || ofd < 0)
                return -errno;
        snprintf(line, sizeof(line), "%d %d", efd, ofd);
        if ((r = sbx_cg_write(mem, id, "cgroup.event_control", line)) < 0)
                return r;
        return TAKE_FD(efd);
}

static int v1_remove(const struct sbx_config *cfg, const char *id)
{
        char path[PATH_MAX + 64];
        int ret = 0;

        for (int c = 0; c < _SBX_CG_MAX; c++) {
                if (!cfg->cg_v1[c][0])
                        continue;
                snprintf(path, sizeof(path), "%s/%s", cfg->cg_v1[c], id);
                if (rmdir(path) < 0 && errno != ENOENT)
                        ret = -errno;
        }
        return ret;
}

const struct sbx_cgroup_backend sbx_cgroup_v1 = {
        .name = "v1",
        .attach = v1_attach,
        .apply = v1_apply,
        .stats = v1_stats,
        .oom_eventfd = v1_oom_eventfd,
        .remove = v1_remove,
};
