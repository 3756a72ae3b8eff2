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
#include <stdlib.h>
#include <unistd.h>

#include "cgroup.h"
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
                char parent[PATH_MAX];
                struct stat st;

                if (configured[0] != '/')
                        return nc_err_set(err, "cgroup root '%s' must be an absolute path", configured);
                /* Check where it would be made before making it: a root given on another
                 * file system (a typo, the v1 tmpfs of a hybrid host) was created there
                 * and left behind when the check below refused it. */
                if ((size_t)snprintf(parent, sizeof(parent), "%s", configured) >= sizeof(parent))
                        return -ENAMETOOLONG;
                while (stat(parent, &st) < 0 && strrchr(parent, '/') != parent)
                        *strrchr(parent, '/') = 0;
                if (!is_cgroup2(parent))
                        return nc_err_set(err, "cgroup root '%s' is not on a cgroup2 file system ('%s' is not)", configured,
                                          parent);
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

/* A delegated subtree (systemd Delegate=yes): our own cgroup is ours to divide, and
 * nothing outside it is. The no-internal-processes rule says a cgroup that hands out
 * controllers cannot hold processes, so we first move ourselves (the zygote; the loop
 * process is forked later and follows) into <own>/supervisor, then sandboxes get
 * leaves under <own>/sandboxes. On a hybrid host the same happens on the unified
 * mount (systemd delegates there too), and the v1 backend's directories follow
 * nucleusd's own v1 cgroups (setup_v1), which Delegate=yes hands over as well. */
int sbx_cgroup_delegated_root(char *ret, size_t cap, struct nc_err *err)
{
        _cleanup_(nc_fclosep) FILE *f = fopen("/proc/self/cgroup", "re");
        char line[PATH_MAX], own[PATH_MAX] = "", sup[PATH_MAX + 64];
        const char *base;
        int r;

        while (f && fgets(line, sizeof(line), f))
                if (strncmp(line, "0::", 3) == 0) {
                        line[strcspn(line, "\n")] = 0;
                        snprintf(own, sizeof(own), "%s", line + 3);
                }
        if (is_cgroup2("/sys/fs/cgroup"))
                base = "/sys/fs/cgroup";
        else if (is_cgroup2("/sys/fs/cgroup/unified"))
                base = "/sys/fs/cgroup/unified";
        else
                return nc_err_set(err, "a delegated cgroup needs a cgroup2 mount at /sys/fs/cgroup or /sys/fs/cgroup/unified");
        if (!own[0] || strcmp(own, "/") == 0)
                return nc_err_set(err, "a delegated cgroup needs a cgroup of our own (we are in '%s')", own[0] ? own : "?");
        snprintf(sup, sizeof(sup), "%s%s/supervisor", base, own);
        if (mkdir(sup, 0755) < 0 && errno != EEXIST)
                return nc_err_set_errno(err, -errno, "Failed to create '%s'", sup);
        if ((r = sbx_cg_write(sup, NULL, "cgroup.procs", "0")) < 0)
                return nc_err_set_errno(err, r, "Failed to move nucleusd into '%s'", sup);
        if ((size_t)snprintf(ret, cap, "%s%s/sandboxes", base, own) >= cap)
                return -ENAMETOOLONG;
        if (mkdir(ret, 0755) < 0 && errno != EEXIST)
                return nc_err_set_errno(err, -errno, "Failed to create '%s'", ret);
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

        if (cfg->cg && (r = cfg->cg->remove(cfg, id)) == -EBUSY) {
                (void)sbx_cgroup_leaf_kill(cfg, id);
                return -EBUSY;
        }
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

/* ---- file helpers --------------------------------------------------------- */

static void cg_path(char *buf, size_t cap, const char *dir, const char *id, const char *file)
{
        if (id)
                snprintf(buf, cap, "%s/%s/%s", dir, id, file);
        else
                snprintf(buf, cap, "%s/%s", dir, file);
}

int sbx_cg_write(const char *dir, const char *id, const char *file, const char *value)
{
        char path[PATH_MAX + 128];
        _cleanup_close_ int fd = -1;
        size_t n = strlen(value);

        cg_path(path, sizeof(path), dir, id, file);
        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        if (write(fd, value, n) != (ssize_t)n)
                return errno ? -errno : -EIO;
        return 0;
}

static ssize_t cg_read(const char *dir, const char *id, const char *file, char *buf, size_t cap)
{
        char path[PATH_MAX + 128];
        _cleanup_close_ int fd = -1;
        ssize_t n;

        cg_path(path, sizeof(path), dir, id, file);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, cap - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        return n;
}

int sbx_cg_read_u64(const char *dir, const char *id, const char *file, uint64_t *ret)
{
        char buf[64];
        ssize_t n = cg_read(dir, id, file, buf, sizeof(buf));

        if (n < 0)
                return (int)n;
        if (strncmp(buf, "max", 3) == 0) {
                *ret = 0;       /* no limit */
                return 0;
        }
        *ret = strtoull(buf, NULL, 10);
        return 0;
}

int sbx_cg_read_key(const char *dir, const char *id, const char *file, const char *key, uint64_t *ret)
{
        char buf[4096];
        size_t k = strlen(key);
        ssize_t n = cg_read(dir, id, file, buf, sizeof(buf));

        if (n < 0)
                return (int)n;
        for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
                if (strncmp(line, key, k) == 0 && line[k] == ' ') {
                        *ret = strtoull(line + k + 1, NULL, 10);
                        return 0;
                }
        return -ENOENT;
}

int sbx_cg_read_io(const char *dir, const char *id, const char *file, uint64_t *ret_read, uint64_t *ret_write)
{
        char buf[16384];
        uint64_t rd = 0, wr = 0;
        ssize_t n = cg_read(dir, id, file, buf, sizeof(buf));

        if (n < 0)
                return (int)n;
        /* Word by word: v2 puts every counter of a device on one line as key=value, v1
         * puts one counter per line as "MAJ:MIN Key value". A device whose line did not
         * fit in the buffer is left out (hundreds of devices); the figures stay usable. */
        char *save = NULL, *prev = NULL;
        for (char *w = strtok_r(buf, " \n", &save); w; prev = w, w = strtok_r(NULL, " \n", &save)) {
                if (strncmp(w, "rbytes=", 7) == 0)
                        rd += strtoull(w + 7, NULL, 10);
                else if (strncmp(w, "wbytes=", 7) == 0)
                        wr += strtoull(w + 7, NULL, 10);
                else if (prev && strcmp(prev, "Read") == 0)
                        rd += strtoull(w, NULL, 10);
                else if (prev && strcmp(prev, "Write") == 0)
                        wr += strtoull(w, NULL, 10);
        }
        *ret_read = rd;
        *ret_write = wr;
        return 0;
}

/* ---- choosing the backend ------------------------------------------------- */

/* v1 calls the io controller blkio. */
static const char *const controller_names[_SBX_CG_MAX] = { "memory", "pids", "cpu", "cpuacct", "blkio" };

static bool has_word(const char *list, const char *word)
{
        size_t n = strlen(word);

        for (const char *p = list; (p = strstr(p, word)); p += n)
                if ((p == list || p[-1] == ' ' || p[-1] == ',') && (p[n] == 0 || p[n] == ' ' || p[n] == ',' || p[n] == '\n'))
                        return true;
        return false;
}

/* v2: the controllers must be enabled in the leaves' parent (our root), and so in its
 * parent. Works where our root sits directly under the mount (as /sys/fs/cgroup/nucleus
 * does); a delegated subtree (systemd Delegate=yes) comes with the systemd work. */
static bool setup_v2(struct sbx_config *cfg)
{
        static const char enable[] = "+memory +pids +cpu";
        char have[512], parent[PATH_MAX];
        char *slash;

        if (cg_read(cfg->cgroup_root, NULL, "cgroup.controllers", have, sizeof(have)) < 0)
                return false;
        if (!(has_word(have, "memory") && has_word(have, "pids") && has_word(have, "cpu"))) {
                snprintf(parent, sizeof(parent), "%s", cfg->cgroup_root);
                slash = strrchr(parent, '/');
                if (!slash)
                        return false;
                *slash = 0;
                (void)sbx_cg_write(parent, NULL, "cgroup.subtree_control", "+io");
                if (sbx_cg_write(parent, NULL, "cgroup.subtree_control", enable) < 0 ||
                    cg_read(cfg->cgroup_root, NULL, "cgroup.controllers", have, sizeof(have)) < 0 ||
                    !(has_word(have, "memory") && has_word(have, "pids") && has_word(have, "cpu")))
                        return false;
        }
        if (sbx_cg_write(cfg->cgroup_root, NULL, "cgroup.subtree_control", enable) < 0)
                return false;
        cfg->cg = &sbx_cgroup_v2;
        /* v2 has no cpuacct: CPU usage is in cpu.stat */
        cfg->cg_controllers = 1u << SBX_CG_MEMORY | 1u << SBX_CG_PIDS | 1u << SBX_CG_CPU;
        /* io is optional: limits on it are reported as not applied without it. */
        if (has_word(have, "io") && sbx_cg_write(cfg->cgroup_root, NULL, "cgroup.subtree_control", "+io") == 0)
                cfg->cg_controllers |= 1u << SBX_CG_IO;
        return true;
}

/* v1: <mount of the controller>/<our own cgroup in it>/<basename of the v2 root>. */
static bool setup_v1(struct sbx_config *cfg)
{
        _cleanup_(nc_fclosep) FILE *mi = fopen("/proc/self/mountinfo", "re");
        _cleanup_(nc_fclosep) FILE *cg = NULL;
        char line[4096], mounts[_SBX_CG_MAX][PATH_MAX] = { { 0 } }, own[_SBX_CG_MAX][PATH_MAX] = { { 0 } };
        const char *base = strrchr(cfg->cgroup_root, '/');

        base = base ? base + 1 : "nucleus";
        while (mi && fgets(line, sizeof(line), mi)) {
                char mnt[PATH_MAX], fstype[64], super[1024];
                char *sep = strstr(line, " - ");

                /* "... <mount point> <options> ... - <fstype> <source> <super options>" */
                if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
                    sscanf(sep + 3, "%63s %*s %1023s", fstype, super) != 2 || strcmp(fstype, "cgroup") != 0)
                        continue;
                for (int c = 0; c < _SBX_CG_MAX; c++)
                        if (has_word(super, controller_names[c]))
                                snprintf(mounts[c], sizeof(mounts[c]), "%s", mnt);
        }
        cg = fopen("/proc/self/cgroup", "re");
        while (cg && fgets(line, sizeof(line), cg)) {
                char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;

                if (!b)
                        continue;
                *b = 0;
                b[strcspn(b + 1, "\n") + 1] = 0;
                for (int c = 0; c < _SBX_CG_MAX; c++)
                        if (has_word(a + 1, controller_names[c]))
                                snprintf(own[c], sizeof(own[c]), "%s", strcmp(b + 1, "/") == 0 ? "" : b + 1);
        }
        for (int c = 0; c < _SBX_CG_MAX; c++) {
                if (!mounts[c][0])
                        continue;
                if ((size_t)snprintf(cfg->cg_v1[c], sizeof(cfg->cg_v1[c]), "%s%s/%s", mounts[c], own[c], base) >=
                    sizeof(cfg->cg_v1[c]) || nc_mkdir_p(cfg->cg_v1[c], 0755, false) < 0) {
                        cfg->cg_v1[c][0] = 0;
                        continue;
                }
                cfg->cg_controllers |= 1u << c;
        }
        if (!cfg->cg_controllers)
                return false;
        cfg->cg = &sbx_cgroup_v1;
        return true;
}

int sbx_cgroup_setup(struct sbx_config *cfg, struct nc_err *err)
{
        if (cfg->cgroup_root[0] && setup_v2(cfg))
                return 0;
        if (setup_v1(cfg))
                return 0;
        return nc_err_set(err, "no cgroup controllers available (neither v2 controllers nor v1 hierarchies)");
}

void sbx_cgroup_release(const struct sbx_config *cfg)
{
        /* Only the v1 mirrors: nucleusd made them for itself under its own groups. The
         * v2 root may be the operator's (--cgroup-root) or systemd's delegated one. */
        for (int c = 0; c < _SBX_CG_MAX; c++)
                if (cfg->cg == &sbx_cgroup_v1 && cfg->cg_v1[c][0])
                        (void)rmdir(cfg->cg_v1[c]);     /* EBUSY: something still lives there */
}

json_t *sbx_cgroup_info(const struct sbx_config *cfg)
{
        json_t *ctl = json_array();

        for (int c = 0; c < _SBX_CG_MAX; c++)
                if (cfg->cg_controllers & (1u << c))
                        json_array_append_new(ctl, json_string(c == SBX_CG_IO && cfg->cg == &sbx_cgroup_v2 ? "io" : controller_names[c]));
        return json_pack("{s:s, s:s, s:o}", "leaves", cfg->cgroup_root, "limits_backend", cfg->cg ? cfg->cg->name : "none",
                         "controllers", ctl);
}

json_t *sbx_cgroup_stats_to_json(const struct sbx_cgroup_stats *st)
{
        json_t *j = json_object();

        if (st->have_cpu)
                json_object_set_new(j, "cpu_usec", json_integer((json_int_t)st->cpu_usec));
        if (st->have_memory) {
                json_object_set_new(j, "memory_bytes", json_integer((json_int_t)st->memory_current));
                json_object_set_new(j, "memory_peak_bytes", json_integer((json_int_t)st->memory_peak));
                json_object_set_new(j, "memory_limit_bytes", st->memory_limit ? json_integer((json_int_t)st->memory_limit) : json_null());
                json_object_set_new(j, "oom_kills", json_integer((json_int_t)st->oom_kills));
        }
        if (st->have_pids) {
                json_object_set_new(j, "pids", json_integer((json_int_t)st->pids_current));
                json_object_set_new(j, "pids_limit", st->pids_limit ? json_integer((json_int_t)st->pids_limit) : json_null());
        }
        if (st->have_io) {
                json_object_set_new(j, "io_read_bytes", json_integer((json_int_t)st->io_read_bytes));
                json_object_set_new(j, "io_write_bytes", json_integer((json_int_t)st->io_write_bytes));
        }
        return j;
}
