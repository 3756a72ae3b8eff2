/* SPDX-License-Identifier: Apache-2.0 */
#include "rootfs.h"
#include "volumes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macros.h"
#include "tree_digest.h"
#include "util.h"

/* What a rootfs may contribute, in the order init attaches them. */
static const char *const top_names[SBX_ROOTFS_ENTRIES_MAX] = { "usr", "bin", "sbin", "lib", "lib32",
                                                               "lib64", "libx32", "etc", "nix" };

/* The seed's companion list of /nix/store paths to mount next to the rootfs. Mounting
 * host store paths named in a file would have nucleusd resolve paths for the caller;
 * a rootfs here carries its closure inside (DIR/nix/store). */
#define STORE_PATHS_FILE ".nucleus-rootfs-store-paths"

#define MANIFEST_MAX (64 * 1024 * 1024)
#define WALK_DEPTH_MAX 64

static int openat2_fd(int dirfd, const char *path, int flags, unsigned long long resolve)
{
        /* O_PATH takes no other open flags, and openat2 refuses what open() would ignore. */
        struct open_how how = { .flags = (unsigned)(flags | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY)),
                                .resolve = resolve };
        long r = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

        return r < 0 ? -errno : (int)r;
}

int sbx_rootfs_check(int dirfd, struct nc_err *err)
{
        struct stat st;
        bool any = false;

        if (fstat(dirfd, &st) < 0 || !S_ISDIR(st.st_mode))
                return nc_err_set(err, "rootfs: the descriptor is not a directory");
        if (fstatat(dirfd, STORE_PATHS_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0)
                return nc_err_set(err, "rootfs has %s: mounting host store paths is not supported; build the rootfs "
                                  "with its closure inside (DIR/nix/store)", STORE_PATHS_FILE);
        for (size_t i = 0; i < ARRAY_SIZE(top_names); i++) {
                if (fstatat(dirfd, top_names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (!S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
                        return nc_err_set(err, "rootfs: '%s' must be a directory or a symlink", top_names[i]);
                any |= strcmp(top_names[i], "usr") == 0 || strcmp(top_names[i], "bin") == 0;
        }
        if (!any)
                return nc_err_set(err, "rootfs has neither usr nor bin: not a root file system");
        return 0;
}

int sbx_rootfs_prepare(int dirfd, pid_t init_pid, uid_t owner_uid, gid_t owner_gid, uint32_t base,
                       struct sbx_rootfs_entry ret[SBX_ROOTFS_ENTRIES_MAX], size_t *ret_n, struct nc_err *err)
{
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_IDMAP };
        _cleanup_close_ int userns = -1;
        char path[64];
        size_t n = 0;
        int r;

        /* As for volumes (volumes.c): through the sandbox's namespace the rootfs's root
         * files would be the sandbox root's, and a non-root caller's --rootfs / read
         * /etc/shadow. Its trees get the caller's ids only. */
        if (owner_uid != 0) {
                userns = sbx_caller_userns(owner_uid, owner_gid, base);
                if (userns < 0)
                        return nc_err_set_errno(err, userns, "rootfs: cannot make the caller's id map");
        } else {
                snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)init_pid);
                userns = open(path, O_RDONLY | O_CLOEXEC);
                if (userns < 0)
                        return nc_err_set_errno(err, -errno, "rootfs: cannot open the sandbox's user namespace");
        }
        attr.userns_fd = (uint64_t)userns;
        for (size_t i = 0; i < ARRAY_SIZE(top_names); i++) {
                struct sbx_rootfs_entry *e = &ret[n];
                struct stat st;

                if (fstatat(dirfd, top_names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                snprintf(e->name, sizeof(e->name), "%s", top_names[i]);
                e->tree = -1;
                e->link[0] = 0;
                if (S_ISLNK(st.st_mode)) {
                        ssize_t len = readlinkat(dirfd, top_names[i], e->link, sizeof(e->link) - 1);
                        if (len <= 0) {
                                r = nc_err_set_errno(err, len < 0 ? -errno : -EINVAL, "rootfs: cannot read the link '%s'",
                                                     top_names[i]);
                                goto fail;
                        }
                        e->link[len] = 0;
                        n++;
                        continue;
                }
                e->tree = open_tree(dirfd, top_names[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE |
                                                         AT_SYMLINK_NOFOLLOW);
                if (e->tree < 0) {
                        /* EINVAL: the caller's directory lives in another mount namespace
                         * (a container, unshare -m), whose mounts nucleusd cannot clone. */
                        r = nc_err_set_errno(err, -errno, "rootfs: open_tree of '%s' failed%s", top_names[i],
                                             errno == EINVAL ? " (is the directory in another mount namespace than nucleusd's?)" : "");
                        goto fail;
                }
                n++;
                /* Read-only and idmapped: the rootfs's root-owned files are root's inside,
                 * and nothing in the sandbox, root included, can change them. */
                if (mount_setattr(e->tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
                        r = nc_err_set_errno(err, -errno, "rootfs: '%s' cannot be idmapped (mount_setattr)", top_names[i]);
                        goto fail;
                }
        }
        *ret_n = n;
        return 0;
fail:
        for (size_t i = 0; i < n; i++)
                if (ret[i].tree >= 0)
                        close(ret[i].tree);
        return r;
}

int sbx_rootfs_attach(const struct sbx_rootfs_entry *e, struct sbx_failure *fail)
{
        char path[16];

        snprintf(path, sizeof(path), "/%s", e->name);
        if (e->tree < 0) {
                if (symlink(e->link, path) < 0) {
                        sbx_failure_set(fail, "rootfs", errno, "Failed to create the link %s -> %s", path, e->link);
                        return -errno;
                }
                return 0;
        }
        /* /etc exists already (the generated one, now hidden); the rest are new. */
        if (mkdir(path, 0755) < 0 && errno != EEXIST) {
                sbx_failure_set(fail, "rootfs", errno, "Failed to create %s", path);
                return -errno;
        }
        if (move_mount(e->tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
                sbx_failure_set(fail, "rootfs", errno, "Failed to mount the rootfs's %s", path);
                return -errno;
        }
        return 0;
}

/* ---- attestation ---- */

struct manifest_entry {
        char *path;
        uint8_t sha256[32];
        bool seen;
};

struct attest {
        int root;
        struct manifest_entry *m;
        size_t nm, cap;
        size_t files;
        json_t *missing, *changed, *extra;
        size_t nmissing, nchanged, nextra;
        /* The directories on the current path (device, inode): a symlink back to one
         * of them is a loop, which find -L reports and skips too. */
        struct {
                dev_t dev;
                ino_t ino;
        } stack[WALK_DEPTH_MAX];
        size_t depth;
};

static int cmp_entry(const void *a, const void *b)
{
        return strcmp(((const struct manifest_entry *)a)->path, ((const struct manifest_entry *)b)->path);
}

static int unhex(char c)
{
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool path_valid(const char *p)
{
        if (!*p || *p == '/' || strlen(p) >= PATH_MAX)
                return false;
        for (const char *c = p; *c;) {
                size_t n = strcspn(c, "/");

                if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                c += n;
                c += *c == '/';
        }
        return true;
}

static int manifest_parse(struct attest *a, char *buf, size_t len, struct nc_err *err);

static int manifest_load(struct attest *a, struct nc_err *err)
{
        _cleanup_close_ int fd = openat2_fd(a->root, SBX_ROOTFS_MANIFEST, O_RDONLY,
                                            RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        ssize_t len;

        if (fd < 0)
                return nc_err_set_errno(err, fd, "rootfs attestation: cannot open %s in the rootfs", SBX_ROOTFS_MANIFEST);
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MANIFEST_MAX)
                return nc_err_set(err, "rootfs attestation: %s must be a regular file of at most %d bytes",
                                  SBX_ROOTFS_MANIFEST, MANIFEST_MAX);
        if ((len = nc_read_all(fd, MANIFEST_MAX, &buf)) < 0)
                return nc_err_set_errno(err, (int)len, "rootfs attestation: cannot read %s", SBX_ROOTFS_MANIFEST);
        return manifest_parse(a, buf, (size_t)len, err);
}

/* "<64 lowercase hex>\t<relative path>" lines; empty lines are skipped. Sorted by path
 * for the lookups; a path listed twice is an error. */
static int manifest_parse(struct attest *a, char *buf, size_t len, struct nc_err *err)
{
        size_t line = 0;

        for (char *p = buf, *end = buf + len; p < end;) {
                char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                struct manifest_entry *e;

                line++;
                if (n == 0) {
                        p += 1;
                        continue;
                }
                if (n < 66 || p[64] != '\t' || memchr(p, 0, n))
                        return nc_err_set(err, "rootfs attestation: %s line %zu: expected '<sha256 hex>\\t<path>'",
                                          SBX_ROOTFS_MANIFEST, line);
                if (a->nm == a->cap) {
                        size_t cap = a->cap ? a->cap * 2 : 256;
                        struct manifest_entry *nv = realloc(a->m, cap * sizeof(*nv));
                        if (!nv)
                                return -ENOMEM;
                        a->m = nv;
                        a->cap = cap;
                }
                e = &a->m[a->nm];
                for (int i = 0; i < 32; i++) {
                        int hi = unhex(p[2 * i]), lo = unhex(p[2 * i + 1]);
                        if (hi < 0 || lo < 0)
                                return nc_err_set(err, "rootfs attestation: %s line %zu: the hash must be 64 lowercase hex "
                                                  "characters", SBX_ROOTFS_MANIFEST, line);
                        e->sha256[i] = (uint8_t)(hi << 4 | lo);
                }
                e->path = strndup(p + 65, n - 65);
                if (!e->path)
                        return -ENOMEM;
                e->seen = false;
                a->nm++;
                if (!path_valid(e->path))
                        return nc_err_set(err, "rootfs attestation: %s line %zu: '%.200s' is not a relative path without "
                                          ". or .. components", SBX_ROOTFS_MANIFEST, line, e->path);
                p += n + 1;
        }
        qsort(a->m, a->nm, sizeof(*a->m), cmp_entry);
        for (size_t i = 1; i < a->nm; i++)
                if (strcmp(a->m[i - 1].path, a->m[i].path) == 0)
                        return nc_err_set(err, "rootfs attestation: %s lists '%.200s' twice", SBX_ROOTFS_MANIFEST,
                                          a->m[i].path);
        return 0;
}

static void note(json_t *list, size_t *count, const char *path)
{
        if ((*count)++ < SBX_ROOTFS_REPORT_MAX)
                json_array_append_new(list, json_string(path));
}

/* One regular file, reached as rel (its own name, or a symlink's). */
static int attest_file(struct attest *a, const char *rel, int fd)
{
        struct manifest_entry key = { .path = (char *)rel }, *e;
        uint8_t sum[32];
        int r;

        a->files++;
        e = bsearch(&key, a->m, a->nm, sizeof(*a->m), cmp_entry);
        if (!e) {
                note(a->extra, &a->nextra, rel);
                return 0;
        }
        e->seen = true;
        if ((r = nc_sha256_fd(fd, sum)) < 0)
                return r;
        if (memcmp(sum, e->sha256, sizeof(sum)) != 0)
                note(a->changed, &a->nchanged, rel);
        return 0;
}

static int walk(struct attest *a, int dirfd, char *rel, size_t rlen);

/* An entry of a directory: files are hashed, directories walked, symlinks followed
 * inside the rootfs; anything else (devices, fifos, sockets) is no file of the rootfs. */
static int visit(struct attest *a, int dirfd, char *rel, size_t rlen, const char *name)
{
        _cleanup_close_ int fd = -1;
        size_t n = strlen(name);
        struct stat st;
        int r;

        if (rlen + 1 + n >= PATH_MAX)
                return -ENAMETOOLONG;
        if (rlen)
                rel[rlen++] = '/';
        memcpy(rel + rlen, name, n + 1);
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (S_ISLNK(st.st_mode)) {
                /* As the sandbox will see it: absolute targets start at the rootfs. */
                fd = openat2_fd(a->root, rel, O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
                if (fd < 0)
                        return 0;       /* dangling: find -L lists it as a link, not a file */
                if (fstat(fd, &st) < 0)
                        return -errno;
                if (S_ISREG(st.st_mode)) {
                        int rfd = openat2_fd(a->root, rel, O_RDONLY | O_NONBLOCK, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
                        if (rfd < 0)
                                return rfd;
                        r = attest_file(a, rel, rfd);
                        close(rfd);
                        return r;
                }
                if (!S_ISDIR(st.st_mode))
                        return 0;
                int dfd = openat2_fd(a->root, rel, O_RDONLY | O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
                if (dfd < 0)
                        return dfd;
                return walk(a, dfd, rel, rlen + n);
        }
        if (S_ISREG(st.st_mode)) {
                fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return -errno;
                return attest_file(a, rel, fd);
        }
        if (S_ISDIR(st.st_mode)) {
                int dfd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (dfd < 0)
                        return -errno;
                return walk(a, dfd, rel, rlen + n);
        }
        return 0;
}

/* Walks the directory dirfd (taken) reached as rel. */
static int walk(struct attest *a, int dirfd, char *rel, size_t rlen)
{
        struct stat st;
        DIR *d;
        int r = 0;

        if (fstat(dirfd, &st) < 0) {
                close(dirfd);
                return -errno;
        }
        for (size_t i = 0; i < a->depth; i++)
                if (a->stack[i].dev == st.st_dev && a->stack[i].ino == st.st_ino) {
                        close(dirfd);
                        return 0;       /* a loop back to an ancestor */
                }
        if (a->depth >= WALK_DEPTH_MAX) {
                close(dirfd);
                return -ELOOP;
        }
        d = fdopendir(dirfd);
        if (!d) {
                close(dirfd);
                return -errno;
        }
        a->stack[a->depth].dev = st.st_dev;
        a->stack[a->depth].ino = st.st_ino;
        a->depth++;
        for (struct dirent *de; r == 0 && (errno = 0, de = readdir(d));) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (rlen == 0 && strcmp(de->d_name, SBX_ROOTFS_MANIFEST) == 0)
                        continue;
                r = visit(a, dirfd, rel, rlen, de->d_name);
                rel[rlen] = 0;
        }
        a->depth--;
        closedir(d);
        return r;
}

static void manifest_free(struct attest *a)
{
        for (size_t i = 0; i < a->nm; i++)
                free(a->m[i].path);
        free(a->m);
}

int sbx_rootfs_manifest_check(const char *data, size_t len, size_t *ret_entries, struct nc_err *err)
{
        struct attest a = { .root = -1 };
        char *buf = malloc(len + 1);
        int r;

        if (!buf)
                return -ENOMEM;
        memcpy(buf, data, len);
        buf[len] = 0;
        r = manifest_parse(&a, buf, len, err);
        *ret_entries = a.nm;
        manifest_free(&a);
        free(buf);
        return r;
}

int sbx_rootfs_attest(int dirfd, json_t **ret_report, struct nc_err *err)
{
        struct attest a = { .root = dirfd, .missing = json_array(), .changed = json_array(), .extra = json_array() };
        char rel[PATH_MAX] = "";
        int r, top;

        *ret_report = NULL;
        r = manifest_load(&a, err);
        if (r < 0)
                goto out;
        top = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (top < 0) {
                r = nc_err_set_errno(err, -errno, "rootfs attestation: cannot open the rootfs");
                goto out;
        }
        r = walk(&a, top, rel, 0);
        if (r < 0) {
                nc_err_set_errno(err, r, "rootfs attestation: reading '%.200s' failed", rel);
                goto out;
        }
        for (size_t i = 0; i < a.nm; i++)
                if (!a.m[i].seen)
                        note(a.missing, &a.nmissing, a.m[i].path);
        *ret_report = json_pack("{s:I, s:O, s:I, s:O, s:I, s:O, s:I}", "files", (json_int_t)a.files, "missing", a.missing,
                                "missing_count", (json_int_t)a.nmissing, "changed", a.changed, "changed_count",
                                (json_int_t)a.nchanged, "extra", a.extra, "extra_count", (json_int_t)a.nextra);
        if (a.nmissing || a.nchanged || a.nextra) {
                const char *first = a.nchanged   ? json_string_value(json_array_get(a.changed, 0))
                                    : a.nmissing ? json_string_value(json_array_get(a.missing, 0))
                                                 : json_string_value(json_array_get(a.extra, 0));
                r = -EBADMSG;
                nc_err_set(err, "rootfs attestation failed: %zu changed, %zu missing, %zu extra (first: %s%.200s)",
                           a.nchanged, a.nmissing, a.nextra,
                           a.nchanged ? "changed " : a.nmissing ? "missing " : "extra ", first);
        }
out:
        manifest_free(&a);
        json_decref(a.missing);
        json_decref(a.changed);
        json_decref(a.extra);
        return r;
}
