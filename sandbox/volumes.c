/* SPDX-License-Identifier: Apache-2.0 */
#include "volumes.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macros.h"

static bool under(const char *path, const char *dir)
{
        size_t n = strlen(dir);

        return strncmp(path, dir, n) == 0 && (path[n] == 0 || path[n] == '/');
}

int sbx_dest_check(const char *what, const char *dest, struct nc_err *err)
{
        static const char *const reserved[] = { "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32",
                                                "/nix", "/proc", "/run/secrets", "/sbin", "/sys", "/usr" };

        if (!dest || dest[0] != '/' || strstr(dest, "/../") || strstr(dest, "/./") || strstr(dest, "//") ||
            (strlen(dest) > 3 && strcmp(dest + strlen(dest) - 3, "/..") == 0) || strlen(dest) >= 1024)
                return nc_err_set(err, "%s destination '%.200s' must be an absolute path without . or .. components", what,
                                  dest ? dest : "");
        if (strcmp(dest, "/") == 0)
                return nc_err_set(err, "%s destination '/' is refused: it would hide the sandbox's root", what);
        for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
                if (under(dest, reserved[i]))
                        return nc_err_set(err, "%s destination '%s' is refused: %s belongs to the sandbox's own root "
                                          "(use /data, /work, /mnt/..., /tmp/...)", what, dest, reserved[i]);
        return 0;
}

int sbx_volume_check(int src_fd, const char *dest, char *ret_source, size_t cap, struct nc_err *err)
{
        static const char *const sensitive[] = { "/boot", "/dev", "/etc", "/home", "/proc", "/root", "/run", "/sys",
                                                 "/var/log", "/var/run" };
        char link[64];
        ssize_t n;
        int r;

        if ((r = sbx_dest_check("volume", dest, err)) < 0)
                return r;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", src_fd);
        n = readlink(link, ret_source, cap - 1);
        if (n < 0)
                return nc_err_set_errno(err, -errno, "volume source: cannot resolve the descriptor");
        ret_source[n] = 0;
        if (strcmp(ret_source, "/") == 0)
                return nc_err_set(err, "volume source '/' is refused: the whole host would be visible");
        for (size_t i = 0; i < ARRAY_SIZE(sensitive); i++)
                if (under(ret_source, sensitive[i]))
                        return nc_err_set(err, "volume source '%s' is refused: nothing under %s is shared with a sandbox",
                                          ret_source, sensitive[i]);
        return 0;
}

static int write_proc(const char *path, const char *data)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        if (write(fd, data, strlen(data)) != (ssize_t)strlen(data))
                return errno ? -errno : -EIO;
        return 0;
}

/* A user namespace whose only ids are disk_uid/disk_gid, mapped to the host id base (the
 * sandbox's root): an idmapped mount through it shows the caller's files as the
 * sandbox root's and writes the sandbox root's files as the caller's, while every other
 * owner, root included, stays out of reach (unmapped: shown as the overflow id, never
 * the workload's). The namespace needs a process: a child that unshares and waits while
 * its maps are written and the namespace is opened. Between fork and _exit the child
 * makes system calls only (nucleusd has threads). */
int sbx_caller_userns(uid_t disk_uid, gid_t disk_gid, uint32_t base)
{
        int ready[2] = { -1, -1 }, done[2] = { -1, -1 }, fd = -1, r = 0;
        char path[64], map[64], c;
        pid_t pid;

        if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0) {
                r = -errno;
                goto out;
        }
        pid = fork();
        if (pid < 0) {
                r = -errno;
                goto out;
        }
        if (pid == 0) {
                /* Only the parent may hold done's write end: its close is the signal. */
                close(done[1]);
                if (unshare(CLONE_NEWUSER) == 0 && write(ready[1], "x", 1) == 1)
                        (void)!read(done[0], &c, 1);
                _exit(0);
        }
        close(ready[1]);
        ready[1] = -1;
        if (read(ready[0], &c, 1) != 1)
                r = -ECHILD;
        snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
        snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)disk_uid, base);
        if (r == 0)
                r = write_proc(path, map);
        snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
        snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)disk_gid, base);
        if (r == 0)
                r = write_proc(path, map);
        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
        if (r == 0 && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
                r = -errno;
        close(done[1]);
        done[1] = -1;
        (void)waitpid(pid, NULL, 0);
out:
        for (int i = 0; i < 2; i++) {
                if (ready[i] >= 0)
                        close(ready[i]);
                if (done[i] >= 0)
                        close(done[i]);
        }
        return r < 0 ? r : fd;
}

int sbx_volume_prepare(int src_fd, pid_t init_pid, uid_t owner_uid, gid_t owner_gid, uint32_t base, bool readonly,
                       int *ret_tree, struct nc_err *err)
{
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_IDMAP |
                                               (readonly ? MOUNT_ATTR_RDONLY : 0) };
        _cleanup_close_ int tree = -1, userns = -1;
        char path[64];

        tree = open_tree(src_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
        if (tree < 0)
                return nc_err_set_errno(err, -errno, "volume: open_tree failed%s",
                                        errno == EINVAL ? " (is the source in another mount namespace than nucleusd's?)" : "");
        if (owner_uid != 0) {
                userns = sbx_caller_userns(owner_uid, owner_gid, base);
                if (userns < 0)
                        return nc_err_set_errno(err, userns, "volume: cannot make the caller's id map");
        } else {
                snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)init_pid);
                userns = open(path, O_RDONLY | O_CLOEXEC);
                if (userns < 0)
                        return nc_err_set_errno(err, -errno, "volume: cannot open the sandbox's user namespace");
        }
        attr.userns_fd = (uint64_t)userns;
        if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
                return nc_err_set_errno(err, -errno, "volume: the source's file system cannot be idmapped (mount_setattr)");
        *ret_tree = TAKE_FD(tree);
        return 0;
}

static int mkdir_parents_in_sandbox(char *path)
{
        for (char *p = path + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = 0;
                if (mkdir(path, 0755) < 0 && errno != EEXIST) {
                        *p = '/';
                        return -errno;
                }
                *p = '/';
        }
        return 0;
}

int sbx_tmpfs_attach(const char *dest, long long size, bool readonly, unsigned uid, unsigned gid, struct sbx_failure *fail)
{
        char path[1024], opts[128];

        snprintf(path, sizeof(path), "%s", dest);
        if (mkdir_parents_in_sandbox(path) < 0 || (mkdir(path, 0755) < 0 && errno != EEXIST)) {
                sbx_failure_set(fail, "tmpfs", errno, "Failed to create '%s'", dest);
                return -errno;
        }
        snprintf(opts, sizeof(opts), "size=%lld,mode=0700,uid=%u,gid=%u", size > 0 ? size : 64ll << 20, uid, gid);
        if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | (readonly ? MS_RDONLY : 0), opts) < 0) {
                sbx_failure_set(fail, "tmpfs", errno, "Failed to mount a tmpfs on '%s'", dest);
                return -errno;
        }
        return 0;
}

int sbx_volume_attach(int tree, const char *dest, struct sbx_failure *fail)
{
        char path[1024];
        struct stat st;

        snprintf(path, sizeof(path), "%s", dest);
        if (fstat(tree, &st) < 0 || mkdir_parents_in_sandbox(path) < 0) {
                sbx_failure_set(fail, "volume", errno, "Failed to create the parents of '%s'", dest);
                return -errno;
        }
        /* The mount point: a directory for a directory, an empty file for a file. */
        if (S_ISDIR(st.st_mode) ? mkdir(path, 0755) < 0 && errno != EEXIST
                                : mknod(path, S_IFREG | 0644, 0) < 0 && errno != EEXIST) {
                sbx_failure_set(fail, "volume", errno, "Failed to create the mount point '%s'", dest);
                return -errno;
        }
        if (move_mount(tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
                sbx_failure_set(fail, "volume", errno, "Failed to mount the volume on '%s'", dest);
                return -errno;
        }
        return 0;
}

int sbx_secret_dest_check(const char *dest, struct nc_err *err)
{
        if (dest && strncmp(dest, "/run/secrets/", 13) == 0 && dest[13] && !strchr(dest + 13, '/') &&
            strcmp(dest + 13, ".") && strcmp(dest + 13, ".."))
                return 0;
        return sbx_dest_check("secret", dest, err);
}

static int secrets_tmpfs(unsigned uid, unsigned gid, struct sbx_failure *fail)
{
        char opts[96];
        struct stat st;

        if (stat("/run/secrets", &st) == 0)
                return 0;
        if (mkdir("/run/secrets", 0700) < 0) {
                sbx_failure_set(fail, "secret", errno, "Failed to create /run/secrets");
                return -errno;
        }
        snprintf(opts, sizeof(opts), "size=16m,mode=0500,uid=%u,gid=%u", uid, gid);
        if (mount("secrets", "/run/secrets", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0) {
                sbx_failure_set(fail, "secret", errno, "Failed to mount the tmpfs on /run/secrets");
                return -errno;
        }
        return 0;
}

int sbx_secret_attach(int fd, const char *dest, unsigned index, unsigned uid, unsigned gid, struct sbx_failure *fail)
{
        char path[1100], buf[65536];
        _cleanup_close_ int out = -1;
        size_t total = 0;
        bool inside = strncmp(dest, "/run/secrets/", 13) == 0;
        int r;

        if ((r = secrets_tmpfs(uid, gid, fail)) < 0)
                return r;
        if (inside)
                snprintf(path, sizeof(path), "%s", dest);
        else
                snprintf(path, sizeof(path), "/run/secrets/.secret-%u", index);
        out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0400);
        if (out < 0) {
                sbx_failure_set(fail, "secret", errno, "Failed to create '%s'", path);
                return -errno;
        }
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        sbx_failure_set(fail, "secret", errno, "Failed to read the secret for '%s'", dest);
                        return -errno;
                }
                if (n == 0)
                        break;
                total += (size_t)n;
                if (total > SBX_SECRET_MAX_BYTES) {
                        sbx_failure_set(fail, "secret", EFBIG, "The secret for '%s' is larger than %d bytes", dest,
                                        SBX_SECRET_MAX_BYTES);
                        return -EFBIG;
                }
                if (write(out, buf, (size_t)n) != n) {
                        sbx_failure_set(fail, "secret", errno, "Failed to write '%s'", path);
                        return -errno;
                }
        }
        explicit_bzero(buf, sizeof(buf));
        if (fchown(out, uid, gid) < 0) {
                sbx_failure_set(fail, "secret", errno, "Failed to give '%s' to uid %u", path, uid);
                return -errno;
        }
        if (inside)
                return 0;
        /* Elsewhere: a read-only bind of the tmpfs file. */
        char mp[1100];
        snprintf(mp, sizeof(mp), "%s", dest);
        if (mkdir_parents_in_sandbox(mp) < 0 || (mknod(mp, S_IFREG | 0400, 0) < 0 && errno != EEXIST)) {
                sbx_failure_set(fail, "secret", errno, "Failed to create '%s'", dest);
                return -errno;
        }
        struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
        if (mount(path, mp, NULL, MS_BIND, NULL) < 0 || mount_setattr(AT_FDCWD, mp, 0, &ro, sizeof(ro)) < 0) {
                sbx_failure_set(fail, "secret", errno, "Failed to bind the secret onto '%s'", dest);
                return -errno;
        }
        return 0;
}
