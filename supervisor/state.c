/* SPDX-License-Identifier: Apache-2.0 */
/* Runtime state files: <state_dir>/sandboxes/<id>.json, 0600, written atomically
 * (temp file + rename) through directory fds without following symlinks. They are what
 * a restarted loop process rebuilds its sandboxes from (restore.c); removing a sandbox
 * removes its file. */
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
        json_object_set_new(j, "restore", sup_restore_fields(sb));
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

int sup_state_read(const struct sup *s, const char *id, json_t **ret)
{
        _cleanup_close_ int dir = open_dir(s), fd = -1;
        _cleanup_free_ char *data = NULL;
        char name[NC_ID_LEN + 8];
        json_error_t jerr;
        ssize_t n;

        if (dir < 0)
                return dir;
        snprintf(name, sizeof(name), "%s.json", id);
        fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        n = nc_read_all(fd, 64u << 20, &data);
        if (n < 0)
                return (int)n;
        *ret = json_loadb(data, (size_t)n, 0, &jerr);
        return *ret && json_is_object(*ret) ? 0 : -EBADMSG;
}

void sup_state_discard(struct sup *s, const char *id)
{
        _cleanup_close_ int dir = open_dir(s);
        char name[NC_ID_LEN + 8];

        (void)sbx_cgroup_leaf_kill(s->cfg, id);
        (void)sbx_cgroup_leaf_remove(s->cfg, id);
        snprintf(name, sizeof(name), "%s.json", id);
        if (dir >= 0)
                (void)unlinkat(dir, name, 0);
        for (int i = 0; i <= SUP_LOG_FILE_KEEP + 1; i++) {
                char log[PATH_MAX + 64];

                if (i == 0)
                        snprintf(log, sizeof(log), "%s/logs/%s.log", s->opt->paths.state_dir, id);
                else if (i == SUP_LOG_FILE_KEEP + 1)
                        snprintf(log, sizeof(log), "%s/logs/%s.seq", s->opt->paths.state_dir, id);
                else
                        snprintf(log, sizeof(log), "%s/logs/%s.log.%d", s->opt->paths.state_dir, id, i);
                (void)unlink(log);
        }
}

void sup_state_each(struct sup *s, void (*fn)(struct sup *s, const char *id, void *arg), void *arg)
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
                if (nc_id_valid(id))
                        fn(s, id, arg);
        }
        closedir(d);
}
