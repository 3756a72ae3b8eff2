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

int sbx_rlimits_apply(struct sbx_failure *fail)
{
        int r;

        if ((r = lower(RLIMIT_NOFILE, SBX_RLIMIT_NOFILE, "RLIMIT_NOFILE", fail)) < 0 ||
            (r = lower(RLIMIT_NPROC, SBX_RLIMIT_NPROC, "RLIMIT_NPROC", fail)) < 0 ||
            (r = lower(RLIMIT_MEMLOCK, SBX_RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK", fail)) < 0 ||
            (r = lower(RLIMIT_CORE, 0, "RLIMIT_CORE", fail)) < 0)
                return r;
        return 0;
}
