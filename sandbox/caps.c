/* SPDX-License-Identifier: Apache-2.0 */
#include "caps.h"

#include "macros.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const tables[] = { "bounding", "ambient", "effective", "inheritable" };

int sbx_caps_policy_from_json(const json_t *j, struct sbx_caps_policy *ret, struct nc_err *err)
{
        uint64_t *sets[] = { &ret->bounding, &ret->ambient, &ret->effective, &ret->inheritable };
        const char *key;
        json_t *v;

        *ret = (struct sbx_caps_policy){ 0 };
        if (!j || json_is_null(j))
                return 0;
        if (!json_is_object(j))
                return nc_err_set(err, "a capability policy is a table of [bounding], [ambient], [effective], [inheritable]");
        json_object_foreach((json_t *)j, key, v) {
                size_t t, i;
                json_t *name, *keep = json_object_get(v, "keep");

                for (t = 0; t < ARRAY_SIZE(tables); t++)
                        if (strcmp(tables[t], key) == 0)
                                break;
                if (t == ARRAY_SIZE(tables))
                        return nc_err_set(err, "unknown table [%.32s] (accepted: bounding, ambient, effective, inheritable)", key);
                if (!json_is_object(v) || json_object_size(v) != (keep ? 1u : 0u) || (keep && !json_is_array(keep)))
                        return nc_err_set(err, "[%s] takes one key, keep = [\"NET_BIND_SERVICE\", ...]", key);
                json_array_foreach(keep, i, name) {
                        const char *n = json_string_value(name);
                        char buf[64];
                        cap_value_t cap;

                        if (!n || strlen(n) > 40)
                                return nc_err_set(err, "[%s] keep[%zu] must be a capability name", key, i);
                        /* libcap wants "cap_net_bind_service"; the seed accepts either. */
                        snprintf(buf, sizeof(buf), "%s%s", strncasecmp(n, "CAP_", 4) == 0 ? "" : "cap_", n);
                        for (char *p = buf; *p; p++)
                                *p = (char)tolower((unsigned char)*p);
                        if (cap_from_name(buf, &cap) < 0 || cap < 0 || cap >= 64 || cap >= cap_max_bits())
                                return nc_err_set(err, "[%s] keep[%zu]: unknown capability '%s' (e.g. NET_BIND_SERVICE, CHOWN)", key, i, n);
                        *sets[t] |= 1ull << cap;
                }
        }
        ret->inheritable |= ret->ambient;
        return 0;
}

uint64_t sbx_caps_policy_kept(const struct sbx_caps_policy *p)
{
        return p ? p->bounding | p->ambient | p->effective | p->inheritable : 0;
}

int sbx_caps_prepare(const struct sbx_caps_policy *policy, cap_t *ret)
{
        cap_t c = cap_init();   /* every flag of every capability clear */
        uint64_t kept = sbx_caps_policy_kept(policy);

        if (!c)
                return -errno;
        for (cap_value_t cap = 0; cap < 64; cap++) {
                if (kept & (1ull << cap)) {
                        /* permitted and effective: what the workload keeps, so that
                         * no_new_privs does not cut it at execve */
                        if (cap_set_flag(c, CAP_PERMITTED, 1, &cap, CAP_SET) < 0 ||
                            cap_set_flag(c, CAP_EFFECTIVE, 1, &cap, CAP_SET) < 0)
                                goto fail;
                }
                if (policy && (policy->inheritable & (1ull << cap)) &&
                    cap_set_flag(c, CAP_INHERITABLE, 1, &cap, CAP_SET) < 0)
                        goto fail;
        }
        *ret = c;
        return 0;
fail:
        cap_free(c);
        return -EINVAL;
}

int sbx_caps_drop_bounding(const struct sbx_caps_policy *policy, struct sbx_failure *fail)
{
        uint64_t kept = sbx_caps_policy_kept(policy);

        for (cap_value_t cap = 0; cap <= (cap_value_t)cap_max_bits() - 1; cap++)
                if (!(cap < 64 && (kept & (1ull << cap))) && cap_drop_bound(cap) < 0 && errno != EINVAL) {
                        sbx_failure_set(fail, "caps", errno, "Failed to drop capability %d from the bounding set", cap);
                        return -errno;
                }
        return 0;
}

int sbx_caps_clear(cap_t prepared, const struct sbx_caps_policy *policy, struct sbx_failure *fail)
{
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
        uint64_t kept = sbx_caps_policy_kept(policy), amb = policy ? policy->ambient : 0;
        uint64_t inh = policy ? policy->inheritable : 0, eff, prm, in;

        if (cap_reset_ambient() < 0 && errno != EINVAL) {
                sbx_failure_set(fail, "caps", errno, "Failed to clear the ambient set");
                return -errno;
        }
        if (cap_set_proc(prepared) < 0) {
                sbx_failure_set(fail, "caps", errno, "Failed to set the capability sets");
                return -errno;
        }
        for (cap_value_t cap = 0; cap < 64; cap++)
                if ((amb & (1ull << cap)) && cap_set_ambient(cap, CAP_SET) < 0) {
                        sbx_failure_set(fail, "caps", errno, "Failed to raise ambient capability %d", cap);
                        return -errno;
                }
        /* Verify with the raw syscalls rather than trusting the library's return. */
        if (syscall(SYS_capget, &hdr, data) < 0) {
                sbx_failure_set(fail, "caps", errno, "capget");
                return -errno;
        }
        eff = data[0].effective | (uint64_t)data[1].effective << 32;
        prm = data[0].permitted | (uint64_t)data[1].permitted << 32;
        in = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
        if (eff != kept || prm != kept || in != inh) {
                sbx_failure_set(fail, "caps", EPERM, "capability sets differ from the policy after the drop");
                return -EPERM;
        }
        for (int cap = 0; cap < cap_max_bits(); cap++) {
                bool keep = cap < 64 && (kept & (1ull << cap)), ambient = cap < 64 && (amb & (1ull << cap));

                if ((prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) != keep ||
                    (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1) != ambient) {
                        sbx_failure_set(fail, "caps", EPERM, "capability %d remains in the bounding or ambient set", cap);
                        return -EPERM;
                }
        }
        return 0;
}
