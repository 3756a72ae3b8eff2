/* SPDX-License-Identifier: Apache-2.0 */
/* Runtime state files: <state_dir>/sandboxes/<id>.json, 0600, written atomically
 * (temp file + rename) through directory fds without following symlinks. They are what
 * a restarted supervisor will re-adopt from; removing a sandbox removes its file. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "sup.h"

static int open_dir(const struct sup *s)
{
        _cleanup_close_ int base = open(s->opt->paths.state_dir, O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        int fd;

        if (base < 0)
                return -errno;
        if (mkdirat(base, "sandboxes", 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(base, "sandboxes", O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        return fd < 0 ? -errno : fd;
}

int sup_state_write(const struct sup_sandbox *sb)
{
        _cleanup_close_ int dir = open_dir(sb->sup), fd = -1;
        _cleanup_free_ char *data = NULL;
        char tmp[NC_ID_LEN + 16], final[NC_ID_LEN + 8];
        json_t *j;
        size_t n;

        if (dir < 0)
                return dir;
        j = sup_sandbox_inspect(sb);
        json_object_set_new(j, "init_pid", json_integer(sb->pid));
        data = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (!data)
                return -ENOMEM;
        snprintf(tmp, sizeof(tmp), ".%s.tmp", sb->id);
        snprintf(final, sizeof(final), "%s.json", sb->id);
        fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        n = strlen(data);
        if (write(fd, data, n) != (ssize_t)n)
                return errno ? -errno : -EIO;
        if (renameat(dir, tmp, dir, final) < 0)
                return -errno;
        return 0;
}

int sup_state_remove(const struct sup *s, const char *id)
{
        _cleanup_close_ int dir = open_dir(s);
        char name[NC_ID_LEN + 8];

        if (dir < 0)
                return dir;
        snprintf(name, sizeof(name), "%s.json", id);
        if (unlinkat(dir, name, 0) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

/* Until re-adoption exists, state left by a supervisor that died with its zygote
 * describes sandboxes nobody supervises: kill what is left of them and remove it. */
void sup_state_sweep(struct sup *s)
{
        int dfd = open_dir(s);
        DIR *d;
        struct dirent *de;

        if (dfd < 0)
                return;
        d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return;
        }
        while ((de = readdir(d))) {
                char id[NC_ID_LEN + 1];

                if (strlen(de->d_name) != NC_ID_LEN + 5 || strcmp(de->d_name + NC_ID_LEN, ".json") != 0)
                        continue;
                memcpy(id, de->d_name, NC_ID_LEN);
                id[NC_ID_LEN] = 0;
                if (!nc_id_valid(id))
                        continue;
                log_warn("Removing sandbox %s left by a previous supervisor", id);
                (void)sbx_cgroup_leaf_kill(s->cfg, id);
                (void)sbx_cgroup_leaf_remove(s->cfg, id);
                (void)unlinkat(dfd, de->d_name, 0);
                for (int i = 0; i <= SUP_LOG_FILE_KEEP; i++) {
                        char log[PATH_MAX + 64];

                        if (i == 0)
                                snprintf(log, sizeof(log), "%s/logs/%s.log", s->opt->paths.state_dir, id);
                        else
                                snprintf(log, sizeof(log), "%s/logs/%s.log.%d", s->opt->paths.state_dir, id, i);
                        (void)unlink(log);
                }
        }
        closedir(d);
}
