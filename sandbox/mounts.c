/* SPDX-License-Identifier: Apache-2.0 */
/* Layout of a sandbox's root (agent-mode defaults):
 *
 *   /            tmpfs, nosuid,nodev,noexec, size-capped (root_tmpfs_size)
 *   /usr /nix    the host's, read-only, nosuid,nodev (recursive); with --rootfs (the
 *                "rootfs" profile) nothing of the host's: init attaches the rootfs's
 *                usr, bin, ..., etc, nix at the claim (rootfs.h)
 *   /bin /sbin /lib /lib64 ...   symlinks exactly as on a merged-/usr host, else binds
 *   /proc        a fresh procfs of the sandbox's pid namespace (mounted before
 *                pivot_root: inside a user namespace it is EPERM afterwards), read-only,
 *                with the files that expose the host kernel masked; production adds
 *                hidepid=invisible (processes of other uids are not even listed)
 *   /dev         tmpfs 0755 with the host's null zero full random urandom tty bound in
 *                (a tmpfs mounted in a user namespace is always nodev and mknod is not
 *                allowed), a new devpts instance, /dev/shm
 *   /etc         tmpfs: a curated set of host files (none with --rootfs), generated
 *                passwd/group/hosts/hostname/resolv.conf; read-only once claimed
 *   /tmp         1777 on the root tmpfs
 */
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macros.h"

/* Where the new root is assembled. Any directory of the host works: this mount
 * namespace is private, and nothing is ever bound from the host's /tmp. */
#define STAGING "/tmp"

#define RO_BIND_ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)

static int fail_errno(struct sbx_failure *fail, const char *stage, const char *what)
{
        int e = errno;

        sbx_failure_set(fail, stage, e, "%s", what);
        return -e;
}

/* A recursive read-only bind: one bind plus one mount_setattr that applies the flags to
 * every submount too (a plain MS_REMOUNT would leave submounts writable). */
static int bind_ro(const char *src, const char *dst, struct sbx_failure *fail)
{
        struct mount_attr attr = { .attr_set = RO_BIND_ATTRS };

        if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0) {
                sbx_failure_set(fail, "mount", errno, "Failed to bind '%s' on '%s'", src, dst);
                return -errno;
        }
        if (mount_setattr(AT_FDCWD, dst, AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
                sbx_failure_set(fail, "mount", errno, "Failed to make '%s' read-only", dst);
                return -errno;
        }
        return 0;
}

static int touch(const char *path, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode);

        if (fd < 0)
                return -errno;
        close(fd);
        return 0;
}

static int write_file(const char *path, const char *data, mode_t mode)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        size_t n = strlen(data);

        if (fd < 0)
                return -errno;
        if (write(fd, data, n) != (ssize_t)n)
                return errno ? -errno : -EIO;
        return 0;
}

/* Top-level names that a merged-/usr host has as symlinks into /usr. */
static const char *const usr_links[] = { "bin", "sbin", "lib", "lib64", "lib32", "libx32" };

static int setup_usr(struct sbx_failure *fail)
{
        struct stat st;
        int r;

        if (mkdir("usr", 0755) < 0)
                return fail_errno(fail, "mount", "mkdir /usr");
        if ((r = bind_ro("/usr", "usr", fail)) < 0)
                return r;
        for (size_t i = 0; i < ARRAY_SIZE(usr_links); i++) {
                char src[32], target[PATH_MAX];
                ssize_t n;

                snprintf(src, sizeof(src), "/%s", usr_links[i]);
                if (lstat(src, &st) < 0)
                        continue;
                if (S_ISLNK(st.st_mode)) {
                        /* Same link as the host: zero mounts for a merged-/usr system. */
                        n = readlink(src, target, sizeof(target) - 1);
                        if (n < 0)
                                return fail_errno(fail, "mount", src);
                        target[n] = 0;
                        if (symlink(target, usr_links[i]) < 0)
                                return fail_errno(fail, "mount", "symlink");
                } else if (S_ISDIR(st.st_mode)) {
                        if (mkdir(usr_links[i], 0755) < 0)
                                return fail_errno(fail, "mount", src);
                        if ((r = bind_ro(src, usr_links[i], fail)) < 0)
                                return r;
                }
        }
        if (stat("/nix", &st) == 0 && S_ISDIR(st.st_mode)) {
                if (mkdir("nix", 0755) < 0)
                        return fail_errno(fail, "mount", "mkdir /nix");
                if ((r = bind_ro("/nix", "nix", fail)) < 0)
                        return r;
        }
        return 0;
}

/* /proc files that expose the host kernel (addresses, keys, timers, page flags) or act
 * on it (sysrq-trigger): hidden under an empty, read-only file, so that they read as
 * empty. Directories of host hardware: hidden under an empty read-only tmpfs. */
const char *const sbx_proc_masked_files[] = {
        "kcore", "kallsyms", "keys", "sysrq-trigger", "timer_list", "timer_stats", "sched_debug",
        "latency_stats", "kpagecount", "kpageflags", "kpagecgroup", "config.gz", "kmsg", NULL,
};
const char *const sbx_proc_masked_dirs[] = { "acpi", "scsi", "asound", "driver", NULL };

/* On the root tmpfs, relative to it (setup_proc runs there), for a moment only. */
#define PROC_MASK ".nucleus-proc-mask"

static int setup_proc(bool hidepid, bool rw, struct sbx_failure *fail)
{
        /* The masks are binds and would keep their source's flags: set them all.
         * --proc-rw leaves /proc itself writable; the masks stay read-only. */
        struct mount_attr ro = { .attr_set = (rw ? 0 : MOUNT_ATTR_RDONLY) | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
        char path[64];

        if (mkdir("proc", 0555) < 0)
                return fail_errno(fail, "proc", "mkdir /proc");
        if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, hidepid ? "hidepid=invisible" : NULL) < 0)
                return fail_errno(fail, "proc", hidepid ? "Failed to mount /proc with hidepid=invisible" : "Failed to mount /proc");
        /* The mask is an empty regular file, not /dev/null: /proc is nodev (below), and a
         * device node on a nodev mount cannot even be opened, so a masked file would
         * fail with EACCES instead of reading empty as programs expect. The file is
         * made on the root tmpfs and unlinked once bound: the binds keep its inode, and
         * nothing of it is left in the sandbox's tree. */
        _cleanup_close_ int mask = open(PROC_MASK, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
        if (mask < 0)
                return fail_errno(fail, "proc", "Failed to create the empty file that masks /proc files");
        for (size_t i = 0; sbx_proc_masked_files[i]; i++) {
                snprintf(path, sizeof(path), "proc/%s", sbx_proc_masked_files[i]);
                if (access(path, F_OK) < 0)
                        continue;
                if (mount(PROC_MASK, path, NULL, MS_BIND, NULL) < 0) {
                        sbx_failure_set(fail, "proc", errno, "Failed to mask /%s", path);
                        unlink(PROC_MASK);
                        return -errno;
                }
        }
        if (unlink(PROC_MASK) < 0)
                return fail_errno(fail, "proc", "Failed to remove the /proc mask's name");
        for (size_t i = 0; sbx_proc_masked_dirs[i]; i++) {
                snprintf(path, sizeof(path), "proc/%s", sbx_proc_masked_dirs[i]);
                if (access(path, F_OK) < 0)
                        continue;
                if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=0555") < 0) {
                        sbx_failure_set(fail, "proc", errno, "Failed to mask /%s", path);
                        return -errno;
                }
        }
        /* Read-only, nosuid, nodev, noexec as a whole, the masks included: /proc/sys and
         * friends cannot be written even by root of the namespace. */
        if (mount_setattr(AT_FDCWD, "proc", AT_RECURSIVE, &ro, sizeof(ro)) < 0)
                return fail_errno(fail, "proc", "Failed to make /proc read-only");
        if (rw) {
                struct mount_attr mask_ro = { .attr_set = MOUNT_ATTR_RDONLY };

                for (size_t i = 0; sbx_proc_masked_files[i]; i++) {
                        snprintf(path, sizeof(path), "proc/%s", sbx_proc_masked_files[i]);
                        if (access(path, F_OK) == 0 && mount_setattr(AT_FDCWD, path, 0, &mask_ro, sizeof(mask_ro)) < 0)
                                return fail_errno(fail, "proc", "Failed to keep a /proc mask read-only");
                }
        }
        return 0;
}

static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };

static int setup_dev(struct sbx_failure *fail)
{
        static const struct { const char *target, *name; } links[] = {
                { "/proc/self/fd", "dev/fd" },     { "/proc/self/fd/0", "dev/stdin" },
                { "/proc/self/fd/1", "dev/stdout" }, { "/proc/self/fd/2", "dev/stderr" },
                { "pts/ptmx", "dev/ptmx" },
        };

        struct mount_attr node_attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC };

        if (mkdir("dev", 0755) < 0)
                return fail_errno(fail, "mount", "mkdir /dev");
        if (mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k,nr_inodes=64") < 0)
                return fail_errno(fail, "mount", "Failed to mount tmpfs on /dev");
        for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
                char src[32], dst[32];

                snprintf(src, sizeof(src), "/dev/%s", dev_nodes[i]);
                snprintf(dst, sizeof(dst), "dev/%s", dev_nodes[i]);
                if (touch(dst, 0666) < 0)
                        return fail_errno(fail, "mount", dst);
                if (mount(src, dst, NULL, MS_BIND, NULL) < 0) {
                        sbx_failure_set(fail, "mount", errno, "Failed to bind the host's %s", src);
                        return -errno;
                }
        }
        for (size_t i = 0; i < ARRAY_SIZE(links); i++)
                if (symlink(links[i].target, links[i].name) < 0)
                        return fail_errno(fail, "mount", links[i].name);
        if (mkdir("dev/pts", 0755) < 0 || mkdir("dev/shm", 01777) < 0)
                return fail_errno(fail, "mount", "mkdir /dev/pts");
        /* gid 5 is "tty" in the generated /etc/group; ptmx must be usable by anyone.
         * max: every devpts instance but the host's draws on one pool of the kernel's
         * (kernel.pty.max minus kernel.pty.reserve, 3072 by default), so without a cap
         * of its own one sandbox could take every pty there is from all the others
         * (and from every other container on the host). 64 is far more than a shell, an
         * editor, tmux and every exec -t need at once. */
        if (mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                  "newinstance,ptmxmode=0666,mode=0620,gid=5,max=64") < 0)
                return fail_errno(fail, "mount", "Failed to mount a new devpts instance on /dev/pts");
        if (mount("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=64m") < 0)
                return fail_errno(fail, "mount", "Failed to mount tmpfs on /dev/shm");
        /* The node binds keep the host mount's flags: one recursive call takes set-id and
         * exec away from all of them (nodev would make the nodes useless). */
        if (mount_setattr(AT_FDCWD, "dev", AT_RECURSIVE, &node_attr, sizeof(node_attr)) < 0)
                return fail_errno(fail, "mount", "Failed to make /dev nosuid,noexec");
        /* Nothing may be created in /dev afterwards; the binds keep their own flags. */
        if (mount(NULL, "dev", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k,nr_inodes=64") < 0)
                return fail_errno(fail, "mount", "Failed to make /dev read-only");
        return 0;
}

/* Host files a program commonly needs: the dynamic loader's cache, name service
 * configuration, time zone, certificates, Debian's alternatives (where awk and which
 * point). Small regular files are copied (no mount per file); directories are bound
 * read-only; symlinks are recreated as they are. */
static const char *const etc_curated[] = {
        "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "nsswitch.conf", "host.conf", "gai.conf",
        "localtime", "timezone", "ssl", "ca-certificates", "ca-certificates.conf", "pki",
        "alternatives", "protocols", "services", "rpc", "mime.types", "os-release",
        "debian_version", "shells", "profile", "bash.bashrc", "inputrc", "locale.alias",
        "locale.conf", "magic", "magic.mime", "login.defs", "environment.d",
};

#define ETC_COPY_MAX (1024 * 1024)

static int copy_file(const char *src, const char *dst, const struct stat *st)
{
        _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        _cleanup_close_ int out = -1;
        off_t left = st->st_size;

        if (in < 0)
                return -errno;
        out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (out < 0)
                return -errno;
        while (left > 0) {
                ssize_t n = sendfile(out, in, NULL, (size_t)left);
                if (n <= 0)
                        return n < 0 ? -errno : 0;
                left -= n;
        }
        return 0;
}

static int setup_etc(bool host_files, struct sbx_failure *fail)
{
        static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                                     "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
        static const char group[] = "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n";
        static const char resolv[] = "# nucleus: this sandbox has no network (--network none)\n";
        int r;

        if (mkdir("etc", 0755) < 0)
                return fail_errno(fail, "etc", "mkdir /etc");
        if (mount("tmpfs", "etc", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=4m,nr_inodes=4096") < 0)
                return fail_errno(fail, "etc", "Failed to mount tmpfs on /etc");
        for (size_t i = 0; host_files && i < ARRAY_SIZE(etc_curated); i++) {
                char src[PATH_MAX], dst[PATH_MAX], target[PATH_MAX];
                struct stat st;
                ssize_t n;

                snprintf(src, sizeof(src), "/etc/%s", etc_curated[i]);
                snprintf(dst, sizeof(dst), "etc/%s", etc_curated[i]);
                if (lstat(src, &st) < 0)
                        continue;
                if (S_ISLNK(st.st_mode)) {
                        n = readlink(src, target, sizeof(target) - 1);
                        if (n < 0)
                                continue;
                        target[n] = 0;
                        if (symlink(target, dst) < 0)
                                return fail_errno(fail, "etc", dst);
                } else if (S_ISDIR(st.st_mode)) {
                        if (mkdir(dst, 0755) < 0)
                                return fail_errno(fail, "etc", dst);
                        if ((r = bind_ro(src, dst, fail)) < 0)
                                return r;
                } else if (S_ISREG(st.st_mode) && st.st_size <= ETC_COPY_MAX) {
                        r = copy_file(src, dst, &st);
                        /* An unreadable host file is left out rather than failing the sandbox. */
                        if (r < 0 && r != -EACCES && r != -ENOENT) {
                                sbx_failure_set(fail, "etc", -r, "Failed to copy %s", src);
                                return r;
                        }
                }
        }
        if ((r = write_file("etc/passwd", passwd, 0644)) < 0 || (r = write_file("etc/group", group, 0644)) < 0 ||
            (r = write_file("etc/resolv.conf", resolv, 0644)) < 0) {
                sbx_failure_set(fail, "etc", -r, "Failed to write the generated /etc files");
                return r;
        }
        return 0;
}

static int pivot(struct sbx_failure *fail)
{
        _cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_PATH | O_CLOEXEC);

        if (oldroot < 0)
                return fail_errno(fail, "pivot_root", "open /");
        /* pivot_root(".", ".") stacks the old root on top of the new one; detaching it
         * leaves only the new root, with no directory for the old one to hide in. */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return fail_errno(fail, "pivot_root", "pivot_root");
        if (fchdir(oldroot) < 0)
                return fail_errno(fail, "pivot_root", "fchdir to the old root");
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return fail_errno(fail, "pivot_root", "make the old root a slave");
        if (umount2(".", MNT_DETACH) < 0)
                return fail_errno(fail, "pivot_root", "detach the old root");
        if (chdir("/") < 0)
                return fail_errno(fail, "pivot_root", "chdir /");
        return 0;
}

int sbx_mounts_prepare(const struct sbx_config *cfg, const struct sbx_profile *profile, struct sbx_failure *fail)
{
        char opts[64];
        int r;

        /* Nothing we mount may propagate back into the host's namespace. */
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return fail_errno(fail, "mount", "Failed to make / a slave mount");
        snprintf(opts, sizeof(opts), "mode=0755,size=%llu", (unsigned long long)cfg->root_tmpfs_size);
        /* noexec: nothing on the root tmpfs itself (/tmp included) may be executed or
         * mapped executable, not even through ld.so; /usr is its own mount. */
        if (mount("nucleus-root", STAGING, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
                return fail_errno(fail, "mount", "Failed to mount the root tmpfs");
        if (chdir(STAGING) < 0)
                return fail_errno(fail, "mount", "chdir to the new root");

        if (!profile->rootfs && (r = setup_usr(fail)) < 0)
                return r;
        if ((r = setup_proc(profile->hidepid, profile->proc_rw, fail)) < 0)
                return r;
        if ((r = setup_dev(fail)) < 0)
                return r;
        if ((r = setup_etc(!profile->rootfs, fail)) < 0)
                return r;
        if (mkdir("tmp", 01777) < 0 || chmod("tmp", 01777) < 0 || mkdir("run", 0755) < 0 ||
            mkdir("root", 0700) < 0 || mkdir("home", 0755) < 0 || mkdir("sys", 0555) < 0)
                return fail_errno(fail, "mount", "Failed to create the top-level directories");
        return pivot(fail);
}

int sbx_mounts_finish_etc(const char *hostname, const char *resolv_conf, struct sbx_failure *fail)
{
        char hosts[512], name[80];
        int r;

        snprintf(name, sizeof(name), "%s\n", hostname);
        snprintf(hosts, sizeof(hosts),
                 "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t%s\n", hostname);
        if ((r = write_file("/etc/hostname", name, 0644)) < 0 || (r = write_file("/etc/hosts", hosts, 0644)) < 0) {
                sbx_failure_set(fail, "etc", -r, "Failed to write /etc/hostname and /etc/hosts");
                return r;
        }
        if (resolv_conf && (r = write_file("/etc/resolv.conf", resolv_conf, 0644)) < 0) {
                sbx_failure_set(fail, "etc", -r, "Failed to write /etc/resolv.conf");
                return r;
        }
        if (mount(NULL, "/etc", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=4m,nr_inodes=4096") < 0)
                return fail_errno(fail, "etc", "Failed to make /etc read-only");
        return 0;
}
