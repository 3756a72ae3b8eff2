/* SPDX-License-Identifier: Apache-2.0 */
/* The service modes' admission rules (docs/modes.md is this file in prose; a test
 * checks every refusal). Run by sandbox.create after the spec and every descriptor have
 * been validated, before anything is allocated. What is checked later, while the
 * sandbox is set up (limits that did not apply, hidepid, the mount audit, Landlock's
 * ABI in init), reads the same spec->service_mode.
 *
 * Every refusal names the flag that caused it and what would be accepted. */
#include <linux/capability.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "landlock.h"
#include "sup.h"

/* Production's least Landlock ABI: 3 is the first that controls truncate(2), so a
 * read-only file cannot be emptied through a writable directory entry. */
#define PRODUCTION_LANDLOCK_ABI 3

/* Capabilities a production caps policy may not keep: each one either undoes the
 * sandbox (SYS_ADMIN, SYS_PTRACE, SYS_MODULE, BPF, ...) or bypasses file permissions
 * (DAC_*, FOWNER), or lets the workload change identity (SETUID, SETGID). */
static const struct {
        int cap;
        const char *name;
} production_denied_caps[] = {
        { CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },     { CAP_SYS_MODULE, "CAP_SYS_MODULE" },
        { CAP_SYS_RAWIO, "CAP_SYS_RAWIO" },     { CAP_SYS_PTRACE, "CAP_SYS_PTRACE" },
        { CAP_DAC_OVERRIDE, "CAP_DAC_OVERRIDE" }, { CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH" },
        { CAP_SYS_BOOT, "CAP_SYS_BOOT" },       { CAP_MAC_ADMIN, "CAP_MAC_ADMIN" },
        { CAP_MAC_OVERRIDE, "CAP_MAC_OVERRIDE" }, { CAP_SYS_PACCT, "CAP_SYS_PACCT" },
        { CAP_LINUX_IMMUTABLE, "CAP_LINUX_IMMUTABLE" }, { CAP_BPF, "CAP_BPF" },
        { CAP_PERFMON, "CAP_PERFMON" },         { CAP_NET_RAW, "CAP_NET_RAW" },
        { CAP_SETUID, "CAP_SETUID" },           { CAP_SETGID, "CAP_SETGID" },
        { CAP_FOWNER, "CAP_FOWNER" },
};

#define LL_WRITES                                                                                  \
        (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_DIR | \
         LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR)

static int check_production_policies(const struct sup_mode_inputs *in, struct nc_err *err)
{
        for (int k = 0; k < SUP_POLICY_MAX; k++)
                if (in->policy[k] && !in->policy_pinned[k])
                        return nc_err_set(err, "--service-mode production needs every policy pinned: give --%s-sha256 "
                                          "with --%s (or leave the policy out for the default)",
                                          sup_policy_kinds[k].flag, sup_policy_kinds[k].flag);
        if (in->caps) {
                struct sbx_caps_policy c;
                struct nc_err inner = { { 0 } };
                uint64_t kept;

                if (sbx_caps_policy_from_json(in->caps, &c, &inner) < 0)
                        return nc_err_set(err, "capability policy: %s", inner.msg);
                kept = sbx_caps_policy_kept(&c);
                for (size_t i = 0; i < ARRAY_SIZE(production_denied_caps); i++)
                        if (kept & (1ull << production_denied_caps[i].cap))
                                return nc_err_set(err, "--service-mode production refuses a capability policy that keeps %s "
                                                  "(refused there: SYS_ADMIN, SYS_MODULE, SYS_RAWIO, SYS_PTRACE, DAC_*, "
                                                  "SYS_BOOT, MAC_*, SYS_PACCT, LINUX_IMMUTABLE, BPF, PERFMON, NET_RAW, "
                                                  "SETUID, SETGID, FOWNER)", production_denied_caps[i].name);
        }
        if (in->landlock) {
                struct sbx_landlock_policy l;
                struct nc_err inner = { { 0 } };

                if (sbx_landlock_policy_from_json(in->landlock, &l, &inner) < 0)
                        return nc_err_set(err, "Landlock policy: %s", inner.msg);
                for (size_t i = 0; i < l.nrules; i++)
                        if ((l.rules[i].access & LANDLOCK_ACCESS_FS_EXECUTE) && (l.rules[i].access & LL_WRITES)) {
                                nc_err_set(err, "--service-mode production refuses Landlock rule %zu ('%s'): write and "
                                           "execute on the same path; give the path one or the other", i + 1,
                                           l.rules[i].path);
                                sbx_landlock_policy_done(&l);
                                return -EINVAL;
                        }
                sbx_landlock_policy_done(&l);
        }
        return 0;
}

int sup_mode_admit(const struct nc_spec *spec, const struct sup_mode_inputs *in, struct nc_err *err)
{
        const char *mode = nc_service_mode_name(spec->service_mode);
        int abi;

        if (!nc_mode_strict(spec->service_mode))
                return 0;
        if (spec->allow_degraded_security)
                return nc_err_set(err, "--allow-degraded-security is refused in %s mode: every lock-down step is fatal "
                                  "there (use --service-mode agent to allow degrading)", mode);
        if (spec->seccomp_mode == NC_SECCOMP_TRACE)
                return nc_err_set(err, "--seccomp-mode trace is refused in %s mode: a traced workload runs without a "
                                  "seccomp filter (trace in agent mode, then run here with the generated profile)", mode);
        if (spec->network.mode == NC_NET_HOST)
                return nc_err_set(err, "--network host is refused in %s mode: the workload would share the host's network "
                                  "namespace (use --network bridge, or --service-mode agent with --trust-level trusted "
                                  "--allow-host-network)", mode);
        if (spec->service_mode != NC_MODE_PRODUCTION)
                return 0;
        if (spec->network.mode == NC_NET_BRIDGE && spec->network.ndns == 0)
                return nc_err_set(err, "--service-mode production needs --dns IP with --network bridge: the resolvers a "
                                  "service uses are pinned, never taken from the host");
        if (!in->rootfs)
                return nc_err_set(err, "--service-mode production needs --rootfs DIR: a prebuilt root instead of the "
                                  "host's /usr");
        if (!in->rootfs_attested)
                return nc_err_set(err, "--service-mode production needs --verify-rootfs-attestation: the rootfs must "
                                  "match its .nucleus-rootfs-sha256 manifest");
        if (spec->proc_rw)
                return nc_err_set(err, "--proc-rw is refused in production mode: /proc stays read-only there");
        if (spec->no_cgroup_namespace)
                return nc_err_set(err, "--disable-cgroup-namespace is refused in production mode: the sandbox would see "
                                  "the host's cgroup tree");
        if (spec->limits.memory <= 0)
                return nc_err_set(err, "--service-mode production needs --memory SIZE (512M, 2G)");
        if (spec->limits.cpu_millis <= 0)
                return nc_err_set(err, "--service-mode production needs --cpus N (0.5, 2)");
        abi = sbx_landlock_abi();
        if (abi < PRODUCTION_LANDLOCK_ABI)
                return nc_err_set(err, "--service-mode production needs Landlock ABI %d or newer; this kernel has %d",
                                  PRODUCTION_LANDLOCK_ABI, abi);
        return check_production_policies(in, err);
}
