/* SPDX-License-Identifier: Apache-2.0 */
/* The default filter (agent mode).
 *
 * - Calls that are never allowed kill the process (SECCOMP_RET_KILL_PROCESS): they are
 *   how sandboxes are escaped (ptrace, bpf, keyrings, namespaces, mounts, io_uring,
 *   kexec, modules, handles).
 * - Listed calls are allowed; some only with certain arguments.
 * - Everything else fails with EPERM, so a program that probes a newer call or passes an
 *   argument we refuse fails softly instead of dying (glibc's getaddrinfo opens a
 *   NETLINK_ROUTE socket; shells and terminals issue many ioctls). clone3 fails with
 *   ENOSYS so that libc falls back to clone, whose flags can be checked. */
#include "seccomp_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <asm/termbits.h>   /* struct termios2, for TCGETS2 and friends */
#include <unistd.h>

#include "macros.h"

const char *const sbx_seccomp_allowed[] = {
        /* files and descriptors */
        "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2",
        "pwritev2", "close", "close_range", "lseek", "fstat", "stat", "lstat",
        "newfstatat", "statx", "statfs", "fstatfs", "access", "faccessat", "faccessat2", "readlink",
        "readlinkat", "getdents", "getdents64", "dup", "dup2", "dup3", "pipe", "pipe2", "fcntl", "flock",
        "fsync", "fdatasync", "sync_file_range", "truncate", "ftruncate", "fallocate", "fadvise64",
        "sendfile", "copy_file_range", "splice", "tee", "mkdir", "mkdirat", "rmdir", "unlink",
        "unlinkat", "rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat",
        "chown", "fchown", "fchownat", "lchown", "umask", "utimensat",
        "getcwd", "chdir", "fchdir", "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr",
        "flistxattr",
        /* memory */
        "mmap", "munmap", "mremap", "brk", "madvise", "msync", "mincore", "mlock", "mlock2", "munlock",
        "membarrier", "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semctl", "semtimedop",
        /* processes, threads, identity */
        "execve", "fork", "vfork", "exit", "exit_group", "wait4", "waitid", "getpid", "gettid", "getppid", "getuid",
        "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups", "setsid", "setpgid",
        "getpgid", "getpgrp", "getsid", "set_tid_address", "set_robust_list", "get_robust_list", "rseq",
        "futex", "futex_waitv", "arch_prctl", "uname", "getrlimit", "getrusage", "times", "getcpu",
        "sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getparam", "sched_getscheduler",
        "sched_get_priority_max", "sched_get_priority_min", "getpriority", "capget",
        /* signals */
        "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
        "rt_sigpending", "rt_sigqueueinfo", "sigaltstack", "kill", "tgkill", "tkill", "pause",
        "restart_syscall", "alarm",
        /* time */
        "clock_gettime", "clock_getres", "clock_nanosleep", "gettimeofday", "nanosleep", "time",
        "setitimer", "getitimer", "timerfd_create", "timerfd_settime", "timerfd_gettime",
        /* waiting on descriptors */
        "poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl",
        "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "signalfd", "signalfd4",
        /* sockets (the domain is checked at socket()) */
        "socketpair", "bind", "listen", "accept", "accept4", "connect", "getsockname", "getpeername",
        "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown", "getsockopt",
        "setsockopt",
        /* misc */
        "getrandom", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
        NULL,
};

#define NAMED(x) { (unsigned long)(x), #x }

/* Checked with arguments in add_rules(); this table is what docs/security.md shows. */
const struct sbx_seccomp_rule sbx_seccomp_filtered[] = {
        { "clone", "allowed without any CLONE_NEW* flag; EPERM otherwise" },
        { "clone3", "ENOSYS, so that libc falls back to clone (clone3's flags are out of a filter's reach)" },
        { "socket", "AF_UNIX; AF_INET/AF_INET6 stream or datagram (not in strict-agent and production without a network); AF_NETLINK with NETLINK_ROUTE; EPERM otherwise (no raw, no packet sockets)" },
        { "ioctl", "the requests listed below; EPERM otherwise (TIOCSTI is never listed)" },
        { "prctl", "the options listed below, and PR_CAP_AMBIENT with PR_CAP_AMBIENT_IS_SET; EPERM otherwise" },
        { "prlimit64", "reading any limit, or setting the caller's own; EPERM otherwise" },
        { "setrlimit", "allowed (the kernel never lets a hard limit rise without CAP_SYS_RESOURCE)" },
        { "mprotect", "allowed unless PROT_WRITE and PROT_EXEC are both asked for; EPERM otherwise" },
        { "personality", "only the query personality(0xffffffff); EPERM otherwise" },
        { "open", "allowed unless it creates a file with a setuid or setgid bit; EPERM otherwise" },
        { "openat", "allowed unless it creates a file with a setuid or setgid bit; EPERM otherwise" },
        { "creat", "allowed unless the mode has a setuid or setgid bit; EPERM otherwise" },
        { "chmod", "allowed unless the mode has a setuid or setgid bit; EPERM otherwise" },
        { "fchmod", "allowed unless the mode has a setuid or setgid bit; EPERM otherwise" },
        { "fchmodat", "allowed unless the mode has a setuid or setgid bit; EPERM otherwise" },
        { NULL, NULL },
};

const char *const sbx_seccomp_killed[] = {
        "ptrace", "process_vm_readv", "process_vm_writev", "bpf", "perf_event_open", "userfaultfd",
        "keyctl", "add_key", "request_key", "unshare", "setns", "mount", "umount2", "pivot_root",
        "chroot", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
        "open_by_handle_at", "name_to_handle_at", "io_uring_setup", "io_uring_enter", "io_uring_register",
        "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
        "swapon", "swapoff", "syslog", "acct", "quotactl", "iopl", "ioperm", "lookup_dcookie",
        "uselib", "vhangup", "pidfd_getfd", NULL,
};

/* What --seccomp-allow may add: calls with a legitimate use that the default leaves out
 * because most workloads do not need them (io_uring for databases, SysV/POSIX message
 * queues, POSIX timers, inotify, identity changes for programs that drop privileges
 * themselves). Never: ptrace, bpf, keyrings, namespaces, mounts, modules, kexec. */
const char *const sbx_seccomp_optin[] = {
        "io_uring_setup", "io_uring_enter", "io_uring_register", "msgget", "msgsnd", "msgrcv", "msgctl",
        "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
        "timer_create", "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete",
        "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "fanotify_init",
        "fanotify_mark", "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr",
        "fremovexattr", "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
        "setgroups", "setfsuid", "setfsgid", "capset", "sysinfo", "pidfd_open", "pidfd_send_signal",
        "mknod", "mknodat", "openat2", "execveat", "memfd_create", "sync", "syncfs", "ioprio_get",
        "ioprio_set", "sched_setparam", "sched_setscheduler", "sched_setattr", "sched_getattr",
        "setpriority", "mbind", "get_mempolicy", "set_mempolicy", "migrate_pages", "move_pages",
        "pkey_alloc", "pkey_free", "pkey_mprotect", "vmsplice", "readahead", "utime", "utimes",
        "futimesat", "seccomp", "modify_ldt", "name_to_handle_at", "process_madvise", NULL,
};

bool sbx_seccomp_optin_valid(const char *name)
{
        for (size_t i = 0; sbx_seccomp_optin[i]; i++)
                if (strcmp(sbx_seccomp_optin[i], name) == 0)
                        return seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR;
        return false;
}

static bool opted_in(const char *const *optin, const char *name)
{
        for (; optin && *optin; optin++)
                if (strcmp(*optin, name) == 0)
                        return true;
        return false;
}

size_t sbx_seccomp_allowed_count(void)
{
        size_t n = 0;

        while (sbx_seccomp_allowed[n])
                n++;
        for (size_t i = 0; sbx_seccomp_filtered[i].name; i++)
                n++;
        return n;
}

size_t sbx_seccomp_killed_count(void)
{
        size_t n = 0;

        while (sbx_seccomp_killed[n])
                n++;
        return n;
}

/* Terminal and descriptor ioctls a shell or an editor needs. TIOCSTI (inject input into
 * a terminal) is never among them. */
const struct sbx_named_value sbx_seccomp_ioctls[] = {
        NAMED(TCGETS), NAMED(TCSETS), NAMED(TCSETSW), NAMED(TCSETSF), NAMED(TCGETS2),
        NAMED(TCSETS2), NAMED(TCSETSW2), NAMED(TCSETSF2), NAMED(TCFLSH), NAMED(TCXONC),
        NAMED(TCSBRK), NAMED(TCSBRKP), NAMED(TIOCGWINSZ), NAMED(TIOCSWINSZ), NAMED(TIOCGPGRP),
        NAMED(TIOCSPGRP), NAMED(TIOCGSID), NAMED(TIOCSCTTY), NAMED(TIOCNOTTY), NAMED(TIOCOUTQ),
        NAMED(TIOCGPTN), NAMED(TIOCSPTLCK), NAMED(TIOCGPTPEER), NAMED(TIOCGPTLCK), NAMED(TIOCGDEV),
        NAMED(TIOCGETD), NAMED(TIOCEXCL), NAMED(TIOCNXCL), NAMED(TIOCGEXCL), NAMED(FIONREAD),
        NAMED(FIONBIO), NAMED(FIOCLEX), NAMED(FIONCLEX), NAMED(FIOASYNC), NAMED(SIOCGIFCONF),
        NAMED(SIOCGIFFLAGS), NAMED(SIOCGIFINDEX), NAMED(SIOCGIFNAME), NAMED(SIOCGIFMTU),
        NAMED(SIOCGIFADDR), NAMED(SIOCGIFHWADDR), NAMED(SIOCGIFNETMASK), NAMED(SIOCGIFBRDADDR),
        { 0, NULL },
};

const struct sbx_named_value sbx_seccomp_prctls[] = {
        NAMED(PR_SET_PDEATHSIG), NAMED(PR_GET_PDEATHSIG), NAMED(PR_GET_DUMPABLE),
        NAMED(PR_SET_DUMPABLE), NAMED(PR_SET_NAME), NAMED(PR_GET_NAME), NAMED(PR_GET_SECCOMP),
        NAMED(PR_CAPBSET_READ), NAMED(PR_GET_SECUREBITS), NAMED(PR_GET_TIMERSLACK),
        NAMED(PR_SET_TIMERSLACK), NAMED(PR_SET_CHILD_SUBREAPER), NAMED(PR_GET_CHILD_SUBREAPER),
        NAMED(PR_SET_NO_NEW_PRIVS), NAMED(PR_GET_NO_NEW_PRIVS), NAMED(PR_GET_TID_ADDRESS),
        NAMED(PR_GET_KEEPCAPS), NAMED(PR_SET_THP_DISABLE), NAMED(PR_GET_THP_DISABLE),
        NAMED(PR_SET_VMA),
        { 0, NULL },
};

#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
                  CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME)

bool sbx_seccomp_is_filtered(const char *name)
{
        for (size_t i = 0; sbx_seccomp_filtered[i].name; i++)
                if (strcmp(sbx_seccomp_filtered[i].name, name) == 0)
                        return true;
        return false;
}

bool sbx_seccomp_is_allowed(const char *name)
{
        for (size_t i = 0; sbx_seccomp_allowed[i]; i++)
                if (strcmp(sbx_seccomp_allowed[i], name) == 0)
                        return true;
        return false;
}

bool sbx_seccomp_is_killed(const char *name)
{
        for (size_t i = 0; sbx_seccomp_killed[i]; i++)
                if (strcmp(sbx_seccomp_killed[i], name) == 0)
                        return true;
        return false;
}

#define IS(n) (strcmp(name, n) == 0)
/* Both rule builders below: a libseccomp call, or return its error naming the call.
 * -EACCES is libseccomp refusing a rule whose action is the filter's default already
 * (a profile's defaultAction that is, say, ERRNO(ENOSYS) like our clone3 rule): there
 * is nothing to add then, which is no error. */
#define TRY(call, what)                                                                            \
        do {                                                                                       \
                if ((r = (call)) < 0 && r != -EACCES)                                              \
                        return nc_err_set_errno(err, r, "seccomp: %s", what);                      \
        } while (0)


/* No setuid or setgid bit on any file the workload creates or changes. The bits mean
 * nothing inside (nosuid mounts, no_new_privs), but on a read-write volume the file is
 * the host's: idmapped, it belongs to the host uid the workload maps to (root for a root
 * caller), and a host user who runs it would gain that identity. Owning the file is all
 * chmod(2) asks, so only the filter can refuse it. open and openat look at the mode only
 * when they create (O_CREAT, O_TMPFILE): without those flags libc leaves it undefined. */
#define SUID_BITS (S_ISUID | S_ISGID)
static int add_mode_rules(scmp_filter_ctx ctx, const char *name)
{
        int nr = seccomp_syscall_resolve_name(name), r;
        /* creat, chmod, fchmod (path or fd, mode); open (path, flags, mode) and fchmodat
         * (dirfd, path, mode, flags); openat (dirfd, path, flags, mode) */
        unsigned mode_arg = IS("openat") ? 3 : IS("open") || IS("fchmodat") ? 2 : 1;

        if (nr == __NR_SCMP_ERROR)
                return -ENOSYS;
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                             SCMP_CMP(mode_arg, SCMP_CMP_MASKED_EQ, SUID_BITS, 0));
        if (r < 0 || !(IS("open") || IS("openat")))
                return r;
        return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                                SCMP_CMP(mode_arg - 1, SCMP_CMP_MASKED_EQ, O_CREAT | __O_TMPFILE, 0));
}

int sbx_seccomp_add_filtered(scmp_filter_ctx ctx, const char *name, unsigned flags, struct nc_err *err)
{
        int r;


        if (IS("clone")) {
                /* threads and processes, never new namespaces */
                TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, NS_FLAGS, 0)), "clone");
        } else if (IS("clone3")) {
                /* clone3 passes its flags in memory, out of a filter's reach */
                TRY(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0), "clone3");
        } else if (IS("socket")) {
                /* socket: Unix; IPv4/IPv6 stream and datagram (loopback servers and clients);
                 * netlink route only. No raw or packet sockets. */
                TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX)), "socket");
                for (int fam = 0; fam < 2 && !(flags & SBX_SECCOMP_NO_INET); fam++)
                        for (int type = 0; type < 2; type++)
                                TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
                                                     SCMP_A0(SCMP_CMP_EQ, fam ? AF_INET6 : AF_INET),
                                                     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, type ? SOCK_DGRAM : SOCK_STREAM)),
                                    "socket");
                TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2, SCMP_A0(SCMP_CMP_EQ, AF_NETLINK),
                                     SCMP_A2(SCMP_CMP_EQ, NETLINK_ROUTE)), "socket");
        } else if (IS("ioctl")) {
                for (size_t i = 0; sbx_seccomp_ioctls[i].name; i++)
                        TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                                             SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, sbx_seccomp_ioctls[i].value)), "ioctl");
        } else if (IS("prctl")) {
                for (size_t i = 0; sbx_seccomp_prctls[i].name; i++)
                        TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, sbx_seccomp_prctls[i].value)), "prctl");
                TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 2, SCMP_A0(SCMP_CMP_EQ, PR_CAP_AMBIENT),
                                     SCMP_A1(SCMP_CMP_EQ, PR_CAP_AMBIENT_IS_SET)), "prctl");
        } else if (IS("prlimit64")) {
                /* Limits: read any; set only one's own (the kernel never lets a hard limit rise). */
                TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1, SCMP_A2(SCMP_CMP_EQ, 0)), "prlimit64");
                TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1, SCMP_A0(SCMP_CMP_EQ, 0)), "prlimit64");
        } else if (IS("setrlimit")) {
                TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setrlimit), 0), "setrlimit");
        } else if (IS("mprotect")) {
                /* mprotect: never writable and executable at once. */
                TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                                     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_WRITE | PROT_EXEC, 0)), "mprotect");
                TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                                     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_WRITE | PROT_EXEC, PROT_WRITE)), "mprotect");
                TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                                     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_WRITE | PROT_EXEC, PROT_EXEC)), "mprotect");
        } else if (IS("personality")) {
                /* personality: only the query that glibc and uname(1) make. */
                TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(personality), 1, SCMP_A0(SCMP_CMP_EQ, 0xffffffffu)), "personality");
        } else if (IS("open") || IS("openat") || IS("creat") || IS("chmod") || IS("fchmod") || IS("fchmodat")) {
                TRY(add_mode_rules(ctx, name), name);
        } else
                return nc_err_set(err, "seccomp: '%s' has no argument rule", name);
        return 0;
}
#undef IS

static int add_rules(scmp_filter_ctx ctx, const char *const *optin, unsigned flags, struct nc_err *err)
{
        int r;


        for (size_t i = 0; sbx_seccomp_allowed[i]; i++) {
                int nr = seccomp_syscall_resolve_name(sbx_seccomp_allowed[i]);
                if (nr == __NR_SCMP_ERROR)
                        return nc_err_set(err, "seccomp: unknown syscall '%s'", sbx_seccomp_allowed[i]);
                TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0), sbx_seccomp_allowed[i]);
        }
        for (size_t i = 0; sbx_seccomp_killed[i]; i++) {
                int nr = seccomp_syscall_resolve_name(sbx_seccomp_killed[i]);
                if (nr == __NR_SCMP_ERROR || opted_in(optin, sbx_seccomp_killed[i]))
                        continue;   /* not on this architecture, or opted in below */
                TRY(seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr, 0), sbx_seccomp_killed[i]);
        }
        for (; optin && *optin; optin++) {
                if (!sbx_seccomp_optin_valid(*optin))
                        return nc_err_set(err, "seccomp: '%s' is not on the opt-in list", *optin);
                TRY(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name(*optin), 0), *optin);
        }

        for (size_t i = 0; sbx_seccomp_filtered[i].name; i++)
                if ((r = sbx_seccomp_add_filtered(ctx, sbx_seccomp_filtered[i].name, flags, err)) < 0)
                        return r;
        return 0;
}
#undef TRY

int sbx_seccomp_compile_default(unsigned flags, struct sbx_seccomp_prog *ret, struct nc_err *err)
{
        return sbx_seccomp_compile(NULL, flags, ret, err);
}

int sbx_seccomp_compile(const char *const *optin, unsigned flags, struct sbx_seccomp_prog *ret, struct nc_err *err)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
        int r;

        if (!ctx)
                return nc_err_set(err, "seccomp_init failed");
        r = add_rules(ctx, optin, flags, err);
        if (r < 0) {
                seccomp_release(ctx);
                return r;
        }
        return sbx_seccomp_export(ctx, ret, err);
}

int sbx_seccomp_export(scmp_filter_ctx ctx, struct sbx_seccomp_prog *ret, struct nc_err *err)
{
        _cleanup_close_ int fd = -1;
        off_t size;
        void *buf;

        /* Another architecture's syscall numbers (x32, i386 via int 0x80) would bypass an
         * allowlist written for this one. */
        if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0) {
                seccomp_release(ctx);
                return nc_err_set(err, "seccomp: cannot set the bad-architecture action");
        }
        /* A binary tree over the syscall numbers instead of libseccomp's default linear
         * chain, which walks up to ~170 comparisons for a call late in the list
         * (measured here: getppid() costs 228 ns bare, 283 ns under the linear filter,
         * 250 ns under the tree). Level 2
         * needs libseccomp >= 2.5 (Debian 12 has 2.5.4); on failure the linear filter is
         * just as correct, only slower. */
        (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        fd = memfd_create("nucleus-seccomp", MFD_CLOEXEC);
        if (fd < 0 || seccomp_export_bpf(ctx, fd) < 0) {
                seccomp_release(ctx);
                return nc_err_set(err, "Failed to export the seccomp filter");
        }
        seccomp_release(ctx);
        size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size % sizeof(struct sock_filter) || size / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return nc_err_set(err, "seccomp filter of unexpected size %lld", (long long)size);
        buf = malloc((size_t)size);
        if (!buf || pread(fd, buf, (size_t)size, 0) != size) {
                free(buf);
                return nc_err_set(err, "Failed to read back the seccomp filter");
        }
        ret->insns = buf;
        ret->len = (unsigned short)(size / sizeof(struct sock_filter));
        return 0;
}

int sbx_seccomp_load(const struct sbx_seccomp_prog *p, bool log)
{
        struct sock_fprog prog = { .len = p->len, .filter = p->insns };

        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, log ? SECCOMP_FILTER_FLAG_LOG : 0, &prog) < 0)
                return -errno;
        return 0;
}
