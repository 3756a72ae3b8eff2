/* nucleus-context-pack DIR: the --context copy stream, made as the caller.
 *
 * Runs with the caller's credentials (the CLI forks and execs it), so it reads only
 * what the caller may read. First it walks DIR and decides what goes in, then writes
 * one JSON object to fd 3 and closes it:
 * {"files":N,"directories":N,"bytes":N,"skipped":[relpath...]}.
 * With --integrity the walk also hashes every file and the report carries the tree's
 * digest (common/tree_digest.h), which init recomputes over /context.
 * Then it writes a tar stream (libarchive, pax) of the kept files to stdout, which is
 * a pipe whose other end nucleusd hands to the sandbox's init.
 *
 * Skipped: version-control and dependency trees, credential material by name, and
 * everything that is not a regular file or directory (symlinks included, so nothing
 * outside DIR can be reached through one). Every file is reopened beneath DIR with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so a tree changed between the walk
 * and the copy cannot redirect it. A separate binary keeps libarchive out of the CLI. */

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdbool.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tree_digest.h"

#define PACK_ENTRIES_MAX 100000
#define PACK_DEPTH_MAX 64

static struct nc_tree_entry *entries;   /* paths relative to DIR */
static size_t nentries;
static json_t *skipped;
static unsigned long long total_bytes;
static size_t nfiles;
static bool integrity;

/* The names the seed leaves out of a copied context. */
static bool excluded(const char *name)
{
        static const char *const names[] = { ".git", "target", "node_modules", ".ssh", ".aws", ".kube" };
        static const char *const globs[] = { ".env*", "*.pem", "*.key", "*.crt", "*.p12", "*.pfx", "*.jks", "*.swp",
                                             "*credential*", "*secret*", "*private_key*", "*kubeconfig*" };

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(name, names[i]) == 0)
                        return true;
        for (size_t i = 0; i < sizeof(globs) / sizeof(globs[0]); i++)
                if (fnmatch(globs[i], name, FNM_CASEFOLD) == 0)
                        return true;
        return false;
}

static int open_beneath(int root, const char *rel, int flags)
{
        /* O_PATH takes no other open flags; openat2 refuses what open() would ignore. */
        struct open_how how = { .flags = (unsigned)(flags | O_CLOEXEC | O_NOFOLLOW | ((flags & O_PATH) ? 0 : O_NOCTTY)),
                                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
        return (int)syscall(SYS_openat2, root, rel, &how, sizeof(how));
}

static void add_entry(const char *path, bool dir)
{
        if (nentries >= PACK_ENTRIES_MAX) {
                fprintf(stderr, "nucleus-context-pack: more than %d entries in the context; use --context-mode bind\n",
                        PACK_ENTRIES_MAX);
                exit(1);
        }
        if (nentries % 1024 == 0) {
                entries = realloc(entries, (nentries + 1024) * sizeof(*entries));
                if (!entries)
                        exit(1);
        }
        entries[nentries] = (struct nc_tree_entry){ .path = strdup(path), .dir = dir };
        nentries++;
}

static void walk(int root, const char *rel, int depth)
{
        int fd = open_beneath(root, rel, O_RDONLY | O_DIRECTORY);
        DIR *d;
        struct dirent *de;

        if (fd < 0 || !(d = fdopendir(fd))) {
                fprintf(stderr, "nucleus-context-pack: %s: %s\n", rel, strerror(errno));
                exit(1);
        }
        if (depth > PACK_DEPTH_MAX) {
                fprintf(stderr, "nucleus-context-pack: %s: deeper than %d directories\n", rel, PACK_DEPTH_MAX);
                exit(1);
        }
        while ((errno = 0, de = readdir(d))) {
                char path[4096];
                struct stat st;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if ((size_t)snprintf(path, sizeof(path), "%s%s%s", strcmp(rel, ".") == 0 ? "" : rel,
                                     strcmp(rel, ".") == 0 ? "" : "/", de->d_name) >= sizeof(path)) {
                        fprintf(stderr, "nucleus-context-pack: a path under %s is too long\n", rel);
                        exit(1);
                }
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        fprintf(stderr, "nucleus-context-pack: %s: %s\n", path, strerror(errno));
                        exit(1);
                }
                if (excluded(de->d_name) || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
                        json_array_append_new(skipped, json_string(path));
                        continue;
                }
                /* Refused now, by name, rather than halfway through the stream. */
                if (faccessat(dirfd(d), de->d_name, S_ISDIR(st.st_mode) ? R_OK | X_OK : R_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW) < 0) {
                        fprintf(stderr, "nucleus-context-pack: %s: %s\n", path, strerror(errno));
                        exit(1);
                }
                add_entry(path, S_ISDIR(st.st_mode));
                if (S_ISDIR(st.st_mode))
                        walk(root, path, depth + 1);
                else {
                        nfiles++;
                        total_bytes += (unsigned long long)st.st_size;
                        if (integrity) {
                                int ffd = open_beneath(root, path, O_RDONLY | O_NONBLOCK);
                                if (ffd < 0 || nc_sha256_fd(ffd, entries[nentries - 1].sha256) < 0) {
                                        fprintf(stderr, "nucleus-context-pack: hashing %s: %s\n", path, strerror(errno));
                                        exit(1);
                                }
                                close(ffd);
                        }
                }
        }
        if (errno) {
                fprintf(stderr, "nucleus-context-pack: reading %s: %s\n", rel, strerror(errno));
                exit(1);
        }
        closedir(d);
}

static void report(void)
{
        json_t *j = json_pack("{s:I, s:I, s:I, s:O}", "files", (json_int_t)nfiles, "directories", (json_int_t)(nentries - nfiles), "bytes", (json_int_t)total_bytes, "skipped", skipped);
        char hex[65];

        if (integrity) {
                if (nc_tree_digest(entries, nentries, hex) < 0) {
                        fprintf(stderr, "nucleus-context-pack: cannot compute the tree digest\n");
                        exit(1);
                }
                json_object_set_new(j, "sha256", json_string(hex));
        }
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        FILE *f = fdopen(3, "w");

        if (!s || !f || fputs(s, f) < 0 || fclose(f) != 0) {
                fprintf(stderr, "nucleus-context-pack: cannot report to fd 3\n");
                exit(1);
        }
        free(s);
        json_decref(j);
}

static void die_archive(struct archive *a, const char *path)
{
        fprintf(stderr, "nucleus-context-pack: %s: %s\n", path, archive_error_string(a));
        exit(1);
}

/* Reopen beneath DIR and copy exactly the size in the header; a file that shrank
 * since is an error rather than a silently short copy. */
static void copy_file(struct archive *a, struct archive_entry *e, int root, const char *path)
{
        static char buf[1 << 16];
        int fd = open_beneath(root, path, O_RDONLY | O_NONBLOCK);
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                fprintf(stderr, "nucleus-context-pack: %s: %s\n", path, fd < 0 ? strerror(errno) : "no longer a regular file");
                exit(1);
        }
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, st.st_size);
        archive_entry_set_perm(e, st.st_mode & 0777);
        archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        if (archive_write_header(a, e) != ARCHIVE_OK)
                die_archive(a, path);
        for (off_t left = st.st_size; left > 0;) {
                ssize_t n = read(fd, buf, (size_t)left < sizeof(buf) ? (size_t)left : sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        fprintf(stderr, "nucleus-context-pack: %s: %s\n", path, n < 0 ? strerror(errno) : "shrank while being copied");
                        exit(1);
                }
                if (archive_write_data(a, buf, (size_t)n) != n)
                        die_archive(a, path);
                left -= n;
        }
        close(fd);
}

int main(int argc, char **argv)
{
        struct archive *a;
        int root;

        integrity = argc == 3 && strcmp(argv[1], "--integrity") == 0;
        if (argc != 2 + integrity || argv[argc - 1][0] == '-') {
                fprintf(stderr, "usage: nucleus-context-pack [--integrity] DIR  (fd 3: what was skipped and, with\n"
                                "       --integrity, the tree's sha256, as JSON; stdout: a tar stream)\n");
                return 2;
        }
        root = open(argv[argc - 1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root < 0) {
                fprintf(stderr, "nucleus-context-pack: %s: %s\n", argv[argc - 1], strerror(errno));
                return 1;
        }
        skipped = json_array();
        walk(root, ".", 0);
        report();

        a = archive_write_new();
        if (!a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK || archive_write_add_filter_none(a) != ARCHIVE_OK ||
            archive_write_open_fd(a, 1) != ARCHIVE_OK)
                die_archive(a, "(stdout)");
        for (size_t i = 0; i < nentries; i++) {
                struct archive_entry *e = archive_entry_new();

                archive_entry_set_pathname(e, entries[i].path);
                if (entries[i].dir) {
                        struct stat st;
                        int dfd = open_beneath(root, entries[i].path, O_PATH | O_DIRECTORY);
                        int r = dfd < 0 ? -1 : fstat(dfd, &st);

                        if (dfd >= 0)
                                close(dfd);
                        if (r < 0) {
                                fprintf(stderr, "nucleus-context-pack: %s: changed while being copied\n", entries[i].path);
                                return 1;
                        }
                        archive_entry_set_filetype(e, AE_IFDIR);
                        archive_entry_set_perm(e, st.st_mode & 0777);
                        archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
                        if (archive_write_header(a, e) != ARCHIVE_OK)
                                die_archive(a, entries[i].path);
                } else
                        copy_file(a, e, root, entries[i].path);
                archive_entry_free(e);
        }
        if (archive_write_close(a) != ARCHIVE_OK)
                die_archive(a, "(stdout)");
        archive_write_free(a);
        return 0;
}
