/* SPDX-License-Identifier: Apache-2.0 */
#include "rlimits.h"

#include <errno.h>
#include <sys/resource.h>

static int lower(int resource, rlim_t value, const char *name, struct sbx_failure *fail)
{
        struct rlimit rl;

        if (getrlimit(resource, &rl) < 0) {
                sbx_failure_set(fail, "rlimits", errno, "getrlimit %s", name);
                return -errno;
        }
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < value)
                value = rl.rlim_max;
        rl.rlim_cur = rl.rlim_max = value;
        if (setrlimit(resource, &rl) < 0) {
                sbx_failure_set(fail, "rlimits", errno, "Failed to set %s to %llu", name, (unsigned long long)value);
                return -errno;
        }
        return 0;
}

long long sbx_rlimit_effective(const struct nc_spec_rlimits *want, int resource)
{
        switch (resource) {
        case RLIMIT_NOFILE: return want && want->nofile != NC_RLIMIT_DEFAULT ? want->nofile : SBX_RLIMIT_NOFILE;
        case RLIMIT_NPROC: return want && want->nproc != NC_RLIMIT_DEFAULT ? want->nproc : SBX_RLIMIT_NPROC;
        case RLIMIT_MEMLOCK: return want && want->memlock != NC_RLIMIT_DEFAULT ? want->memlock : SBX_RLIMIT_MEMLOCK;
        case RLIMIT_CORE: return want && want->core != NC_RLIMIT_DEFAULT ? want->core : 0;
        default: return -1;
        }
}

int sbx_rlimits_apply(const struct nc_spec_rlimits *want, struct sbx_failure *fail)
{
        static const struct { int resource; const char *name; } limits[] = {
                { RLIMIT_NOFILE, "RLIMIT_NOFILE" }, { RLIMIT_NPROC, "RLIMIT_NPROC" },
                { RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK" }, { RLIMIT_CORE, "RLIMIT_CORE" },
        };
        int r;

        for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
                if ((r = lower(limits[i].resource, (rlim_t)sbx_rlimit_effective(want, limits[i].resource),
                               limits[i].name, fail)) < 0)
                        return r;
        return 0;
}
