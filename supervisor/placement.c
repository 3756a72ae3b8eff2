/* SPDX-License-Identifier: Apache-2.0 */
/* Where a sandbox's cgroup leaf goes when its caller asks for "beside me": `nucleus run
 * --sd-notify` as a service's ExecStart moves itself into a leaf of the unit's cgroup
 * (Delegate=yes) and names the unit's cgroup, so that the unit's limits, accounting
 * and KillMode cover the sandbox while cgroup.kill on the sandbox spares the CLI.
 *
 * nucleusd makes cgroups as root, so it believes no caller about where: the caller
 * must be root, and must itself live beneath the cgroup it names, as the kernel says
 * (/proc/PID/cgroup of the connection's peer); the cgroup must exist on the cgroup2
 * mount and must not be nucleusd's own root or inside it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sup.h"

static struct sbx_config *config_with_root(const struct sbx_config *cfg, const char *dir)
{
        struct sbx_config *c = malloc(sizeof(*c));

        if (!c)
                return NULL;
        *c = *cfg;
        snprintf(c->cgroup_root, sizeof(c->cgroup_root), "%s", dir);
        return c;
}

struct sbx_config *sup_placement_new(struct sup_conn *c, const char *parent, struct nc_err *err)
{
        const struct sbx_config *cfg = c->sup->cfg;
        const char *mount = nc_cgroup2_mount();
        char own[4096], dir[PATH_MAX];
        size_t n = strlen(parent), rn = strlen(cfg->cgroup_root);
        struct stat st;
        int r;

        if (c->cred.uid != 0) {
                nc_err_set(err, "cgroup_parent is for root callers (a service's ExecStart); uid %u may not place "
                           "cgroups", (unsigned)c->cred.uid);
                return NULL;
        }
        if (!nc_cgroup_path_valid(parent)) {
                nc_err_set(err, "cgroup_parent '%.128s' must be an absolute cgroup path (no ., .., // or trailing /), "
                           "not the root", parent);
                return NULL;
        }
        if (!mount || !cfg->cgroup_root[0]) {
                nc_err_set(err, "cgroup_parent needs a cgroup2 hierarchy, and this nucleusd has none");
                return NULL;
        }
        if ((r = nc_proc_cgroup2(c->cred.pid, own, sizeof(own))) < 0) {
                nc_err_set_errno(err, r, "Failed to read the caller's cgroup");
                return NULL;
        }
        if (strncmp(own, parent, n) != 0 || own[n] != '/') {
                nc_err_set(err, "cgroup_parent '%.128s' must hold the caller, in a leaf of its own (the caller is in "
                           "'%.128s')", parent, own);
                return NULL;
        }
        if ((size_t)snprintf(dir, sizeof(dir), "%s%s", mount, parent) >= sizeof(dir) - NC_ID_LEN - 2 ||
            stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                nc_err_set(err, "cgroup_parent '%.128s' is not a cgroup here", parent);
                return NULL;
        }
        if (strncmp(dir, cfg->cgroup_root, rn) == 0 && (dir[rn] == '/' || !dir[rn])) {
                nc_err_set(err, "cgroup_parent '%.128s' is inside nucleusd's own cgroup root", parent);
                return NULL;
        }
        /* The v2 backend's limits need the controllers enabled for the leaf; the unit's
         * cgroup has no processes of its own now (the caller moved into a leaf). What
         * cannot be enabled shows as a limit not applied. */
        if (cfg->cg == &sbx_cgroup_v2)
                (void)sbx_cg_write(dir, NULL, "cgroup.subtree_control", "+memory +pids +cpu");
        return config_with_root(cfg, dir);
}

struct sbx_config *sup_placement_restore(struct sup *s, const char *dir)
{
        return config_with_root(s->cfg, dir);
}
