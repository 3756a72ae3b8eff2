/* SPDX-License-Identifier: Apache-2.0 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"
#include "tree_digest.h"

#include <ftw.h>
#include <stdlib.h>

/* Relative, no "..", no empty components: what SECURE_NODOTDOT also enforces, checked
 * here first so the refusal names the entry. */
static bool entry_path_ok(const char *p)
{
        if (!p || !*p || p[0] == '/')
                return false;
        for (const char *c = p; *c;) {
                size_t n = strcspn(c, "/");
                if ((n == 2 && c[0] == '.' && c[1] == '.') || (n == 0 && c[n] == '/'))
                        return false;
                c += n + (c[n] == '/');
        }
        return true;
}

static int fail_archive(struct sbx_failure *fail, struct archive *a, const char *what)
{
        int e = archive_errno(a) > 0 ? archive_errno(a) : EPROTO;

        sbx_failure_set(fail, "context", e, "%s: %s", what, archive_error_string(a) ?: "broken stream");
        return -e;
}

static int unpack(int fd, unsigned uid, unsigned gid, struct sbx_failure *fail)
{
        struct archive *in = archive_read_new(), *out = archive_write_disk_new();
        struct archive_entry *e;
        int r = -ENOMEM;

        if (!in || !out)
                goto done;
        archive_read_support_format_tar(in);
        archive_write_disk_set_options(out, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                                               ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                               ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_NO_OVERWRITE);
        if (archive_read_open_fd(in, fd, 1 << 16) != ARCHIVE_OK) {
                r = fail_archive(fail, in, "Failed to read the context stream");
                goto done;
        }
        for (;;) {
                int s = archive_read_next_header(in, &e);
                const char *path;
                mode_t type;

                if (s == ARCHIVE_EOF)
                        break;
                if (s != ARCHIVE_OK) {
                        r = fail_archive(fail, in, "Failed to read the context stream");
                        goto done;
                }
                path = archive_entry_pathname(e);
                type = archive_entry_filetype(e);
                if (!entry_path_ok(path) || (type != AE_IFREG && type != AE_IFDIR) || archive_entry_hardlink(e) ||
                    archive_entry_symlink(e)) {
                        sbx_failure_set(fail, "context", EPERM, "Refused context entry '%.200s': only files and directories beneath /context",
                                        path ?: "");
                        r = -EPERM;
                        goto done;
                }
                archive_entry_set_uid(e, uid);
                archive_entry_set_gid(e, gid);
                archive_entry_set_perm(e, archive_entry_perm(e) & 0777);
                if (archive_write_header(out, e) != ARCHIVE_OK) {
                        r = fail_archive(fail, out, path);
                        goto done;
                }
                if (type == AE_IFREG) {
                        const void *buf;
                        size_t len;
                        la_int64_t off;

                        while ((s = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK)
                                if (archive_write_data_block(out, buf, len, off) != ARCHIVE_OK) {
                                        r = fail_archive(fail, out, path);
                                        goto done;
                                }
                        if (s != ARCHIVE_EOF) {
                                r = fail_archive(fail, in, path);
                                goto done;
                        }
                }
                if (archive_write_finish_entry(out) != ARCHIVE_OK) {
                        r = fail_archive(fail, out, path);
                        goto done;
                }
        }
        r = archive_write_close(out) == ARCHIVE_OK ? 0 : fail_archive(fail, out, "Failed to finish /context");
done:
        if (r == -ENOMEM && (!in || !out))
                sbx_failure_set(fail, "context", ENOMEM, "Failed to set up the context copy");
        archive_read_free(in);
        archive_write_free(out);
        return r;
}

/* nftw has no user pointer; init is single-threaded and verifies once. */
static struct {
        struct nc_tree_entry *v;
        size_t n, cap;
        int err;
} walked;

static int collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        const char *rel = path + strlen("/context");

        if (ftw->level == 0)
                return 0;
        if (walked.n == walked.cap) {
                size_t ncap = walked.cap ? walked.cap * 2 : 256;
                struct nc_tree_entry *nv = realloc(walked.v, ncap * sizeof(*nv));
                if (!nv)
                        return walked.err = -ENOMEM;
                walked.v = nv;
                walked.cap = ncap;
        }
        struct nc_tree_entry *e = &walked.v[walked.n];
        *e = (struct nc_tree_entry){ .path = strdup(rel + 1), .dir = type == FTW_D };
        if (!e->path)
                return walked.err = -ENOMEM;
        walked.n++;
        if (type == FTW_F && S_ISREG(st->st_mode)) {
                int f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                int r = f < 0 ? -errno : nc_sha256_fd(f, e->sha256);
                if (f >= 0)
                        close(f);
                if (r < 0)
                        return walked.err = r;
        } else if (type != FTW_D)
                return walked.err = -EBADMSG;      /* only files and directories were unpacked */
        return 0;
}

/* Recomputes the tree digest over /context and compares it with the source's. */
static int verify(const char *expect, struct sbx_failure *fail)
{
        char hex[65];
        int r = nftw("/context", collect, 16, FTW_PHYS);

        if (r == 0 && walked.err == 0)
                r = nc_tree_digest(walked.v, walked.n, hex);
        else
                r = walked.err ? walked.err : -EIO;
        for (size_t i = 0; i < walked.n; i++)
                free(walked.v[i].path);
        free(walked.v);
        walked.v = NULL;
        walked.n = walked.cap = 0;
        if (r < 0) {
                sbx_failure_set(fail, "context", -r, "Failed to hash /context for the integrity check");
                return r;
        }
        if (strcmp(hex, expect) != 0) {
                sbx_failure_set(fail, "context", EBADMSG, "/context does not match the source tree (sha256 %s, expected %s): "
                                "the source changed while it was copied, or the stream was altered", hex, expect);
                return -EBADMSG;
        }
        return 0;
}

int sbx_context_populate(int fd, unsigned uid, unsigned gid, const char *expect_sha256, struct sbx_failure *fail)
{
        struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
        char opts[128];
        int r;

        if (mkdir("/context", 0755) < 0 && errno != EEXIST) {
                sbx_failure_set(fail, "context", errno, "Failed to create /context");
                return -errno;
        }
        snprintf(opts, sizeof(opts), "size=%lld,nr_inodes=%d,mode=0755,uid=%u,gid=%u", SBX_CONTEXT_MAX_BYTES,
                 SBX_CONTEXT_MAX_INODES, uid, gid);
        if (mount("context", "/context", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0) {
                sbx_failure_set(fail, "context", errno, "Failed to mount the tmpfs on /context");
                return -errno;
        }
        /* libarchive resolves entry paths against the working directory. */
        if (chdir("/context") < 0) {
                sbx_failure_set(fail, "context", errno, "Failed to enter /context");
                return -errno;
        }
        r = unpack(fd, uid, gid, fail);
        if (chdir("/") < 0 && r == 0) {
                sbx_failure_set(fail, "context", errno, "Failed to leave /context");
                return -errno;
        }
        if (r < 0)
                return r;
        if (expect_sha256 && (r = verify(expect_sha256, fail)) < 0)
                return r;
        if (mount_setattr(AT_FDCWD, "/context", 0, &ro, sizeof(ro)) < 0) {
                sbx_failure_set(fail, "context", errno, "Failed to make /context read-only");
                return -errno;
        }
        return 0;
}
