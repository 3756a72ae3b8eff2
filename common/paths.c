/* SPDX-License-Identifier: Apache-2.0 */
#include "paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int nc_paths_set(char *dst, size_t cap, const char *value)
{
        if (strlen(value) >= cap)
                return -ENAMETOOLONG;
        strcpy(dst, value);
        return 0;
}

/* Copies an environment value into dst, or says which variable is too long for it. */
static int env_path(const char *var, const char *value, char *dst, size_t cap, struct nc_err *err)
{
        if (nc_paths_set(dst, cap, value) < 0) {
                nc_err_set(err, "%s is too long: at most %zu bytes, not %zu", var, cap - 1, strlen(value));
                return -ENAMETOOLONG;
        }
        return 0;
}

int nc_paths_default(struct nc_paths *p, struct nc_err *err)
{
        const char *e, *xdg = getenv("XDG_RUNTIME_DIR");
        char base[PATH_MAX];
        int n;

        memset(p, 0, sizeof(*p));
        if (geteuid() == 0 || !xdg || !*xdg)
                n = snprintf(base, sizeof(base), "/run/nucleus");
        else
                n = snprintf(base, sizeof(base), "%s/nucleus", xdg);
        if (n < 0 || (size_t)n >= sizeof(base)) {
                nc_err_set(err, "XDG_RUNTIME_DIR is too long: at most %d bytes", PATH_MAX - 9);
                return -ENAMETOOLONG;
        }

        e = getenv("NUCLEUS_SOCKET");
        if (e && *e) {
                if (env_path("NUCLEUS_SOCKET", e, p->socket, sizeof(p->socket), err) < 0)
                        return -ENAMETOOLONG;
        } else if ((size_t)snprintf(p->socket, sizeof(p->socket), "%s/nucleus.sock", base) >= sizeof(p->socket)) {
                nc_err_set(err, "the default socket '%s/nucleus.sock' is too long (XDG_RUNTIME_DIR): at most %zu bytes; "
                           "set NUCLEUS_SOCKET", base, sizeof(p->socket) - 1);
                return -ENAMETOOLONG;
        }

        e = getenv("NUCLEUS_STATE_DIR");
        if (env_path("NUCLEUS_STATE_DIR", e && *e ? e : base, p->state_dir, sizeof(p->state_dir), err) < 0)
                return -ENAMETOOLONG;

        e = getenv("NUCLEUS_CGROUP_ROOT");
        if (e && *e && env_path("NUCLEUS_CGROUP_ROOT", e, p->cgroup_root, sizeof(p->cgroup_root), err) < 0)
                return -ENAMETOOLONG;
        return 0;
}

int nc_paths_lock(const struct nc_paths *p, char *buf, size_t cap)
{
        int n = snprintf(buf, cap, "%s.lock", p->socket);
        return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int nc_mkdir_p(const char *path, mode_t mode, bool parents_only)
{
        char buf[PATH_MAX];
        size_t n = strlen(path);

        if (n >= sizeof(buf))
                return -ENAMETOOLONG;
        memcpy(buf, path, n + 1);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = 0;
                if (mkdir(buf, mode) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (!parents_only && mkdir(buf, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}
