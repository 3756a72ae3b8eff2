/* SPDX-License-Identifier: Apache-2.0 */
/* The cgroup v2 leaf every sandbox lives in. On a pure v2 host this is where limits go
 * too (resource control); on a hybrid host such as Debian with systemd's hybrid layout,
 * the v2 mount has no controllers but still gives membership, cgroup.freeze and
 * cgroup.kill, and the v1 backend applies the limits. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "macros.h"
#include "paths.h"
#include "sandbox.h"

static bool is_cgroup2(const char *path)
{
        struct statfs sfs;

        return statfs(path, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

int sbx_cgroup_detect_root(const char *configured, char *ret, size_t cap, struct nc_err *err)
{
        const char *base;
        int r;

        if (configured && *configured) {
                if (configured[0] != '/')
                        return nc_err_set(err, "cgroup root '%s' must be an absolute path", configured);
                r = nc_mkdir_p(configured, 0755, false);
                if (r < 0)
                        return nc_err_set_errno(err, r, "Failed to create cgroup root '%s'", configured);
                if (!is_cgroup2(configured))
                        return nc_err_set(err, "cgroup root '%s' is not on a cgroup2 file system", configured);
                if ((size_t)snprintf(ret, cap, "%s", configured) >= cap)
                        return -ENAMETOOLONG;
                return 0;
        }
        if (is_cgroup2("/sys/fs/cgroup"))
                base = "/sys/fs/cgroup";
        else if (is_cgroup2("/sys/fs/cgroup/unified"))
                base = "/sys/fs/cgroup/unified";
        else
                return nc_err_set(err, "no cgroup2 mount at /sys/fs/cgroup or /sys/fs/cgroup/unified");
        if ((size_t)snprintf(ret, cap, "%s/nucleus", base) >= cap)
                return -ENAMETOOLONG;
        r = nc_mkdir_p(ret, 0755, false);
        if (r < 0)
                return nc_err_set_errno(err, r, "Failed to create cgroup root '%s'", ret);
        return 0;
}

int sbx_cgroup_leaf_create(const struct sbx_config *cfg, const char *id, int *ret_dirfd)
{
        _cleanup_close_ int root = -1;
        int fd;

        if (!cfg->cgroup_root[0]) {
                *ret_dirfd = -1;
                return 0;
        }
        root = open(cfg->cgroup_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return -errno;
        if (mkdirat(root, id, 0755) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(root, id, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        *ret_dirfd = fd;
        return 0;
}

int sbx_cgroup_leaf_kill(const struct sbx_config *cfg, const char *id)
{
        char path[PATH_MAX];
        _cleanup_close_ int fd = -1;

        if (!cfg->cgroup_root[0])
                return 0;
        if ((size_t)snprintf(path, sizeof(path), "%s/%s/cgroup.kill", cfg->cgroup_root, id) >= sizeof(path))
                return -ENAMETOOLONG;
        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (write(fd, "1", 1) != 1)
                return -errno;
        return 0;
}

int sbx_cgroup_leaf_remove(const struct sbx_config *cfg, const char *id)
{
        char path[PATH_MAX];
        int r;

        if (!cfg->cgroup_root[0])
                return 0;
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", cfg->cgroup_root, id) >= sizeof(path))
                return -ENAMETOOLONG;
        if (rmdir(path) == 0 || errno == ENOENT)
                return 0;
        if (errno != EBUSY)
                return -errno;
        /* Something is still inside (an orphan of the workload): kill it; the caller
         * retries once the kernel has finished tearing the tasks down. */
        r = sbx_cgroup_leaf_kill(cfg, id);
        return r < 0 ? r : -EBUSY;
}
