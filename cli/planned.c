/* SPDX-License-Identifier: Apache-2.0 */
/* Every flag of the seed program that this version recognises but does not accept,
 * with the work item that brings it (docs/compat.md is the long form; cli_errors.sh
 * checks the two agree, issue numbers included). A flag whose issue was closed without
 * it is "no issue yet": naming a closed issue would promise what it did not bring. No
 * seed flag is silently ignored. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "macros.h"

#define REJECTED -1
#define NO_ISSUE 0

struct planned_flag {
        const char *name;
        int issue;              /* > 0: planned in that issue */
        const char *why;        /* for REJECTED */
};

static const struct planned_flag flags[] = {
        { "--runtime", NO_ISSUE, NULL }, { "--gvisor-platform", NO_ISSUE, NULL }, { "--bundle", NO_ISSUE, NULL },
        { "--rootless", NO_ISSUE, NULL },
        { "--userns", REJECTED, "every sandbox gets a host id range of its own from nucleusd (--uid-base), never shared" },
        { "--uidmap", REJECTED, "nucleusd assigns each sandbox's host id range; a chosen map could overlap another's" },
        { "--gidmap", REJECTED, "nucleusd assigns each sandbox's host id range; a chosen map could overlap another's" },
        { "--pid-file", NO_ISSUE, NULL }, { "--console-socket", NO_ISSUE, NULL },
        { "--credential-broker", NO_ISSUE, NULL }, { "--credential-broker-no-proxy-env", NO_ISSUE, NULL },
        { "--no-broker-proxy-env", NO_ISSUE, NULL },
        { "--allow-chroot-fallback", REJECTED, "Nucleus always uses pivot_root; there is no chroot fallback to allow" },
        { "--env-fd", NO_ISSUE, NULL }, { "--rootfs-mode", NO_ISSUE, NULL },
        { "--agent-toolchain-rootfs", NO_ISSUE, NULL },
        { "--workspace", NO_ISSUE, NULL }, { "--workspace-mode", NO_ISSUE, NULL },
        { "--workspace-exec", NO_ISSUE, NULL }, { "--home", NO_ISSUE, NULL }, { "--provider-config-ro", NO_ISSUE, NULL },
        { "--provider-config-rw", NO_ISSUE, NULL },

        { "--hooks", NO_ISSUE, NULL }, { "--gpu", NO_ISSUE, NULL }, { "--gpu-device", NO_ISSUE, NULL },
        { "--gpu-driver-capabilities", NO_ISSUE, NULL }, { "--gpu-visible-devices", NO_ISSUE, NULL },
        { "--no-gpu-driver-libs", NO_ISSUE, NULL }, { "--config", NO_ISSUE, NULL }, { "--config-fd", NO_ISSUE, NULL },
        { "--events-fd", NO_ISSUE, NULL }, { "--events-jsonl", NO_ISSUE, NULL },
        { "--quiet-id", REJECTED, "internal plumbing of the seed; a foreground run never prints the id" },
        { "--preset-id", REJECTED, "internal plumbing of the seed; nucleusd assigns every id" },
        { "--detached-config-json", REJECTED, "internal plumbing of the seed's systemd-run re-exec; detached sandboxes run under nucleusd" },
        { "--secrets-fd", REJECTED, "internal plumbing of the seed; secret files are passed to nucleusd as descriptors" },
        { "--topology-config-hash", REJECTED, "internal plumbing of the seed's compose" },
};

static bool refuse(const struct planned_flag *f)
{
        if (f->issue == REJECTED)
                fprintf(stderr, "nucleus: %s is not supported: %s (see docs/compat.md)\n", f->name, f->why);
        else if (f->issue == NO_ISSUE)
                fprintf(stderr, "nucleus: %s is planned (no issue yet, see docs/compat.md) and not available in this version\n", f->name);
        else
                fprintf(stderr, "nucleus: %s is planned (issue %d, see docs/compat.md) and not available in this version\n",
                        f->name, f->issue);
        return true;
}

bool cli_refuse_planned_flag(const char *arg)
{
        for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
                size_t n = strlen(flags[i].name);

                if (strncmp(arg, flags[i].name, n) == 0 && (arg[n] == 0 || arg[n] == '='))
                        return refuse(&flags[i]);
        }
        return false;
}

/* Seed commands that are recognised but not here yet. */
int cli_cmd_planned(const struct cli_opts *o, int argc, char **argv)
{
        static const struct { const char *cmd; int issue; } cmds[] = {
                { "checkpoint", NO_ISSUE },
                { "restore", NO_ISSUE }, { "compose", NO_ISSUE }, { "image", NO_ISSUE },
        };

        for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
                if (strcmp(argv[0], cmds[i].cmd) == 0) {
                        if (cmds[i].issue == NO_ISSUE)
                                fprintf(stderr, "nucleus: '%s' is planned (no issue yet, see docs/compat.md) and not available in this version\n", argv[0]);
                        else
                                fprintf(stderr, "nucleus: '%s' is planned (issue %d, see docs/compat.md) and not available in this version\n",
                                        argv[0], cmds[i].issue);
                        return CLI_EXIT_NUCLEUS;
                }
        if (strcmp(argv[0], "start") == 0)
                fprintf(stderr, "nucleus: 'start' is not supported: run/create always start the workload (see docs/compat.md)\n");
        return CLI_EXIT_NUCLEUS;
}
