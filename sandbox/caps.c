/* SPDX-License-Identifier: Apache-2.0 */
#include "caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int sbx_caps_prepare(cap_t *ret)
{
        cap_t c = cap_init();   /* every flag of every capability clear */

        if (!c)
                return -errno;
        *ret = c;
        return 0;
}

int sbx_caps_drop_bounding(struct sbx_failure *fail)
{
        for (cap_value_t cap = 0; cap <= (cap_value_t)cap_max_bits() - 1; cap++)
                if (cap_drop_bound(cap) < 0 && errno != EINVAL) {
                        sbx_failure_set(fail, "caps", errno, "Failed to drop capability %d from the bounding set", cap);
                        return -errno;
                }
        return 0;
}

int sbx_caps_clear(cap_t empty, struct sbx_failure *fail)
{
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };

        if (cap_reset_ambient() < 0 && errno != EINVAL) {
                sbx_failure_set(fail, "caps", errno, "Failed to clear the ambient set");
                return -errno;
        }
        if (cap_set_proc(empty) < 0) {
                sbx_failure_set(fail, "caps", errno, "Failed to clear the capability sets");
                return -errno;
        }
        /* Verify with the raw syscalls rather than trusting the library's return. */
        if (syscall(SYS_capget, &hdr, data) < 0) {
                sbx_failure_set(fail, "caps", errno, "capget");
                return -errno;
        }
        for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
                if (data[i].effective || data[i].permitted || data[i].inheritable) {
                        sbx_failure_set(fail, "caps", EPERM, "capabilities remain after the drop");
                        return -EPERM;
                }
        for (int cap = 0; cap < cap_max_bits(); cap++)
                if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 ||
                    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1) {
                        sbx_failure_set(fail, "caps", EPERM, "capability %d remains in the bounding or ambient set", cap);
                        return -EPERM;
                }
        return 0;
}
