/* SPDX-License-Identifier: Apache-2.0 */
/* PID 1 of every sandbox.
 *
 * Init is the only process that spawns inside a sandbox: the workload now, exec and
 * probe processes later. Everything it needs is in place before it parks (phase 1);
 * the claim (phase 2) only carries what varies per request. It then forwards signals
 * to the workload, reaps every orphan, and reports the workload's exact wait status
 * before it exits — which makes the kernel kill whatever is left in the namespace. */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "ctl.h"
#include "exec.h"
#include "notify_socket.h"
#include "landlock.h"
#include "macros.h"
#include "mounts.h"
#include "seccomp_profile.h"
#include "seccomp_trace.h"
#include "context.h"
#include "mount_audit.h"
#include "rootfs.h"
#include "volumes.h"
#include "netns.h"
#include "pty.h"
#include "util.h"
#include "spec.h"

#define CTL_FD 3

/* Surviving the loss of every supervisor process (docs/restart.md, level 2).
 *
 * A new nucleusd finds init by pid (plus start time) and takes descriptors from it
 * with pidfd_getfd(), which needs ptrace rights over init: init is non-dumpable, so
 * only host root (CAP_SYS_PTRACE in the initial user namespace) gets them; the
 * workload's seccomp filter also refuses pidfd_getfd and ptrace.
 *
 * - kept_logs: a detached sandbox's log pipe read ends, sent along with the claim and
 *   never read here. Holding them keeps the pipes open while no supervisor runs
 *   (output waits in them instead of the writer getting EPIPE).
 * - takeover: a socketpair made at the claim; init keeps both ends. The "sup" end is
 *   what a new supervisor takes. Only once the current control socket reached EOF (no
 *   supervisor left holding it) does the "init" end become CTL_FD. A pair rather than
 *   a listening socket bound in the sandbox's file system: nothing to create in a root
 *   that may be read-only or replaced by a --rootfs tree, nothing the workload can see
 *   or connect to, and no peer credentials to judge — reaching it at all takes the
 *   ptrace check above. Messages init sends while nobody listens (the workload's exit
 *   status) queue in the pair and are read by whoever takes over.
 * - linger: a workload that ends while nobody supervises does not end init. Init kills
 *   what is left in its namespace and waits for a takeover, then exits: a process
 *   reaped by the host's init with no pidfd open leaves no exit information anywhere
 *   (PIDFD_GET_INFO only reports to pidfds open at exit), so the status and the last
 *   output would otherwise be lost. */
static struct {
        int kept_logs[2];
        int takeover_init, takeover_sup;  /* -1: none */
        bool orphaned;                    /* CTL_FD is the takeover pair's init end */
        bool ended;                       /* the workload's status was sent; waiting for a takeover */
        int status;
} survive = { { -1, -1 }, -1, -1, false, false, 0 };

static _Noreturn void die_failure(const struct sbx_failure *f)
{
        sbx_ctl_send_failure(CTL_FD, f->stage, f->err, f->msg);
        _exit(125);
}

/* The zygote holds every other sandbox's descriptors; none of them may survive here. */
static void take_only_ctl(int ctl)
{
        int null;

        if (ctl != CTL_FD) {
                if (dup2(ctl, CTL_FD) < 0)
                        _exit(125);
                close(ctl);
        }
        if (close_range(CTL_FD + 1, ~0U, 0) < 0)
                sbx_ctl_die(CTL_FD, 125, "init", errno, "close_range");
        null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0)
                sbx_ctl_die(CTL_FD, 125, "init", errno, "open /dev/null");
        for (int i = 0; i < 3; i++)
                if (dup2(null, i) < 0)
                        sbx_ctl_die(CTL_FD, 125, "init", errno, "dup2");
        close(null);
}

static void expect_op(json_t *msg, const char *op)
{
        const char *got = json_string_value(json_object_get(msg, "op"));

        if (!got || strcmp(got, op) != 0)
                sbx_ctl_die(CTL_FD, 125, "ctl", EPROTO, "expected '%s' from the supervisor, got '%s'", op,
                            got ? got : "?");
}

static void prepare(const struct sbx_config *cfg)
{
        struct sbx_failure fail = { 0 };
        json_t *msg = NULL;
        int r;

        r = sbx_ctl_recv_json(CTL_FD, &msg, NULL, NULL);
        if (r <= 0)
                _exit(125);     /* the zygote gave up on us before the maps were written */
        expect_op(msg, "go");
        struct sbx_profile profile;
        sbx_profile_from_json(json_object_get(msg, "profile"), &profile);
        json_decref(msg);

        /* Maps exist now: become root of the namespace so files we create are ours. */
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                sbx_ctl_die(CTL_FD, 125, "idmap", errno, "Failed to become root in the user namespace");
        /* Non-dumpable: a workload running as the same uid cannot ptrace init or open its
         * /proc/1/fd, which hold the control socket. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                sbx_ctl_die(CTL_FD, 125, "init", errno, "PR_SET_DUMPABLE");
        /* A new session: no controlling terminal, so nothing in here can signal the
         * caller's terminal's process group. */
        if (setsid() < 0)
                sbx_ctl_die(CTL_FD, 125, "init", errno, "setsid");
        /* We are inside our cgroup leaf already (CLONE_INTO_CGROUP): the new cgroup
         * namespace is rooted at that leaf. */
        if (!profile.no_cgroup_ns && unshare(CLONE_NEWCGROUP) < 0)
                sbx_ctl_die(CTL_FD, 125, "cgroupns", errno, "unshare(CLONE_NEWCGROUP)");
        if (sbx_mounts_prepare(cfg, &profile, &fail) < 0)
                die_failure(&fail);
        /* --network host: the host's namespace, whose lo is not ours to touch. */
        r = profile.host_network ? 0 : sbx_netns_loopback_up();
        if (r < 0)
                sbx_ctl_die(CTL_FD, 125, "net", -r, "Failed to bring up the loopback interface");
        r = sbx_ctl_send_json(CTL_FD, json_pack("{s:s}", "op", "ready"), NULL, 0);
        if (r < 0)
                _exit(125);
}

/* What every process init starts shares: the claimed spec and the lock-down prepared
 * from it (capabilities, seccomp program, rlimits). Kept for the sandbox's lifetime so
 * that exec requests get exactly what the workload got. */
struct workload {
        pid_t pid;
        struct nc_spec *spec;
        cap_t caps;
        struct sbx_caps_policy caps_policy;
        bool have_caps_policy;
        struct sbx_seccomp_prog variant;
        const struct sbx_seccomp_prog *seccomp;
        /* --seccomp-mode trace: the workload (and what it forks) gets this filter
         * instead; exec'd processes keep the default filter, they are not what is
         * being profiled. */
        struct sbx_seccomp_prog trace;
        uint64_t trace_cookie;
        struct {
                pid_t pid;
                long long id;
                bool group;     /* leads a process group of its own (a probe) */
        } execs[64];
        size_t nexecs;
        /* --restart: the workload's stdio, kept to start it again; between an exit and
         * nucleusd's decision (restart or end) it is `waiting` with its last status. */
        bool restartable, waiting, tty;
        int keep[3];
        int last_status;
};

/* The child of spawn(): runs on a stack of its own, in init's memory. */
static int exec_child(void *arg)
{
        sbx_exec_workload(arg);
}

/* Starts the workload (or an exec) the way posix_spawn does: CLONE_VM | CLONE_VFORK,
 * so init's page tables are not copied (a fork of init cost ~350 us on the request
 * path here) and init sleeps until the child has exec'd or died. What the child runs
 * (sandbox/exec.c) is written for this: no allocation, only system calls on its own
 * task (the signal handler table is its own: no CLONE_SIGHAND) and stack variables;
 * the parent's errno is the only thing of init's it may change. */
static pid_t spawn_child(struct sbx_exec *x)
{
        static char *stack;
        const size_t size = 256 * 1024;

        if (!stack) {
                /* Once per init, with a guard page below: overflowing it faults. */
                char *m = mmap(NULL, size + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
                if (m == MAP_FAILED || mprotect(m, 4096, PROT_NONE) < 0)
                        return -1;
                stack = m + 4096;
        }
        return clone(exec_child, stack + size, CLONE_VM | CLONE_VFORK | SIGCHLD, x);
}

/* Forks and execs argv with the sandbox's lock-down (traced when `traced`), as ident's
 * uid, gid and groups (the workload's spec, or an exec request's with its own user).
 * ctty: fds are one pty's terminal side, to become the controlling terminal. Returns
 * the pid, or -1 with the child's {stage, errno, message} in errbuf (NUL-terminated).
 * Closes the stdio fds (each once, when they repeat). */
static pid_t spawn(struct workload *w, bool traced, char *const *argv, char *const *envp, const char *cwd,
                   const struct nc_spec *ident, bool ctty, bool own_group, const int fds[3], char *errbuf, size_t errcap)
{
        const char *path = nc_spec_getenv(w->spec, "PATH");
        int errpipe[2];
        ssize_t n;
        pid_t pid;

        for (char *const *e = envp; e && *e; e++)
                if (strncmp(*e, "PATH=", 5) == 0)
                        path = *e + 5;
        if (pipe2(errpipe, O_CLOEXEC) < 0) {
                snprintf(errbuf, errcap, "{\"op\":\"failed\",\"stage\":\"exec\",\"errno\":%d,\"message\":\"pipe2\"}", errno);
                return -1;
        }
        struct sbx_exec x = {
                .argv = argv, .envp = envp, .path = path ? path : NC_SPEC_DEFAULT_PATH, .cwd = cwd,
                .stdio = { fds[0], fds[1], fds[2] }, .ctty = ctty, .own_group = own_group, .errfd = errpipe[1], .caps = w->caps,
                .caps_policy = w->have_caps_policy ? &w->caps_policy : NULL, .seccomp = w->seccomp,
                .seccomp_log = w->spec->seccomp_log_denied,
                .rlimits = &w->spec->rlimits, .uid = ident->uid, .gid = ident->gid, .groups = ident->groups,
                .ngroups = ident->ngroups, .trace = traced ? &w->trace : NULL, .trace_cookie = w->trace_cookie,
                .trace_sock = CTL_FD,
        };
        pid = spawn_child(&x);
        close(errpipe[1]);
        for (int i = 0; i < 3; i++)   /* the child has them; init must not keep pipes open */
                if (fds[i] >= 0 && (i == 0 || fds[i] != fds[i - 1]) && (i < 2 || fds[2] != fds[0]))
                        close(fds[i]);
        if (pid < 0) {
                close(errpipe[0]);
                snprintf(errbuf, errcap, "{\"op\":\"failed\",\"stage\":\"fork\",\"errno\":%d,\"message\":\"fork\"}", errno);
                return -1;
        }
        /* EOF: execve succeeded. Anything else is the child's {stage, errno, message}. */
        do
                n = read(errpipe[0], errbuf, errcap - 1);
        while (n < 0 && errno == EINTR);
        close(errpipe[0]);
        if (n > 0) {
                errbuf[n] = 0;
                (void)waitpid(pid, NULL, 0);
                return -1;
        }
        return pid;
}

static void claim(const struct sbx_config *cfg, struct workload *w)
{
        struct sbx_failure fail = { 0 };
        struct nc_err err = { { 0 } };
        int fds[3 + SBX_VOLUMES_MAX + SBX_SECRETS_MAX + 1 + SBX_ROOTFS_ENTRIES_MAX + 2], r;
        size_t nfds = ARRAY_SIZE(fds);
        struct nc_spec *spec = NULL;
        json_t *msg = NULL;
        char buf[1024];

        r = sbx_ctl_recv_json(CTL_FD, &msg, fds, &nfds);
        if (r <= 0)
                _exit(r == 0 ? 0 : 125);   /* released without a claim */
        /* When each part of the claim was done (CLOCK_MONOTONIC, which a time namespace
         * made by clone3 leaves unshifted): nucleusd shows them in inspect. */
        uint64_t t_claimed = nc_monotonic_ns(), t_fs, t_locked, t_exec;
        expect_op(msg, "claim");
        const json_t *vols = json_object_get(msg, "volumes"), *secs = json_object_get(msg, "secrets");
        size_t nvol = json_array_size(vols), nsec = json_array_size(secs);
        /* A copied --context comes as a tar stream on the last descriptor. */
        const bool context = json_is_true(json_object_get(msg, "context_copy"));
        char context_sha[65] = "";
        snprintf(context_sha, sizeof(context_sha), "%s", json_string_value(json_object_get(msg, "context_sha256")) ?: "");
        /* A --rootfs: its links by name, its directories as trees after everything else. */
        const json_t *rootfs = json_object_get(msg, "rootfs");
        struct sbx_rootfs_entry rents[SBX_ROOTFS_ENTRIES_MAX];
        size_t nrootfs = 0, ntrees = 0;
        for (size_t i = 0; i < json_array_size(rootfs) && nrootfs < SBX_ROOTFS_ENTRIES_MAX; i++) {
                const json_t *e = json_array_get(rootfs, i);
                const char *link = json_string_value(json_object_get(e, "link"));
                struct sbx_rootfs_entry *re = &rents[nrootfs++];

                snprintf(re->name, sizeof(re->name), "%s", json_string_value(json_object_get(e, "name")) ?: "");
                snprintf(re->link, sizeof(re->link), "%s", link ?: "");
                re->tree = link ? -1 : (int)ntrees++;   /* an index until the descriptors are counted */
        }
        /* A detached sandbox's log pipe read ends come last, to be kept (see survive). */
        const size_t keep = json_is_true(json_object_get(msg, "keep_logs")) ? 2 : 0;
        if (nfds != 3 + nvol + nsec + context + ntrees + keep)
                sbx_ctl_die(CTL_FD, 125, "claim", EPROTO,
                            "a claim carries 3 stdio descriptors, one per volume and secret, one for a copied context, "
                            "one per rootfs tree and the 2 log pipes' read ends if asked, got %zu", nfds);
        for (size_t i = 0; i < keep; i++)
                survive.kept_logs[i] = fds[nfds - keep + i];
        for (size_t i = 0; i < nrootfs; i++)
                if (rents[i].tree >= 0)
                        rents[i].tree = fds[3 + nvol + nsec + context + (size_t)rents[i].tree];
        struct sbx_landlock_extra extra[SBX_VOLUMES_MAX + NC_SPEC_TMPFS_MAX + SBX_SECRETS_MAX];
        char sdests[SBX_SECRETS_MAX][1024];
        size_t nextra = 0;
        char dests[SBX_VOLUMES_MAX][1024];
        if (nc_spec_from_json(json_object_get(msg, "spec"), &spec, &err) < 0)
                sbx_ctl_die(CTL_FD, 125, "claim", EINVAL, "%s", err.msg);
        json_t *profile = json_incref(json_object_get(msg, "seccomp_profile"));
        json_t *caps_json = json_incref(json_object_get(msg, "caps_policy"));
        json_t *landlock_json = json_incref(json_object_get(msg, "landlock_policy"));
        for (size_t i = 0; i < nvol; i++) {
                const json_t *v = json_array_get(vols, i);
                snprintf(dests[i], sizeof(dests[i]), "%s", json_string_value(json_object_get(v, "dest")) ?: "");
                extra[nextra++] = (struct sbx_landlock_extra){ dests[i], !json_is_true(json_object_get(v, "readonly")) };
        }
        for (size_t i = 0; i < nsec; i++)
                snprintf(sdests[i], sizeof(sdests[i]), "%s", json_string_value(json_object_get(json_array_get(secs, i), "dest")) ?: "");
        /* /etc/resolv.conf as the supervisor made it for this sandbox's network; absent
         * for --network none, whose file says there is no network. */
        static char resolv[4096];
        const char *rc = json_string_value(json_object_get(msg, "resolv_conf"));
        bool have_resolv = rc && strlen(rc) < sizeof(resolv);
        if (have_resolv)
                strcpy(resolv, rc);
        const json_t *jtty = json_object_get(msg, "tty");
        const bool tty = json_is_object(jtty);
        struct sbx_pty_size tty_size = { 0 };
        sbx_pty_size_from_json(jtty, &tty_size);
        json_decref(msg);

        const char *hostname = spec->hostname ? spec->hostname : "nucleus";
        if (sethostname(hostname, strlen(hostname)) < 0)
                sbx_ctl_die(CTL_FD, 125, "hostname", errno, "sethostname '%s'", hostname);
        if (sbx_mounts_finish_etc(hostname, have_resolv ? resolv : NULL, &fail) < 0)
                die_failure(&fail);
        for (size_t i = 0; i < nrootfs; i++) {
                if (sbx_rootfs_attach(&rents[i], &fail) < 0)
                        die_failure(&fail);
                if (rents[i].tree >= 0)
                        close(rents[i].tree);
        }
        /* Volumes before Landlock: a Landlock domain can no longer mount. */
        for (size_t i = 0; i < nvol; i++) {
                if (sbx_volume_attach(fds[3 + i], dests[i], &fail) < 0)
                        die_failure(&fail);
                close(fds[3 + i]);
        }
        for (size_t i = 0; i < spec->ntmpfs; i++) {
                const struct nc_spec_tmpfs *t = &spec->tmpfs[i];

                if (sbx_tmpfs_attach(t->dest, t->size, t->readonly, spec->uid, spec->gid, &fail) < 0)
                        die_failure(&fail);
                extra[nextra++] = (struct sbx_landlock_extra){ t->dest, !t->readonly };
        }
        for (size_t i = 0; i < nsec; i++) {
                if (sbx_secret_attach(fds[3 + nvol + i], sdests[i], (unsigned)i, spec->uid, spec->gid, &fail) < 0)
                        die_failure(&fail);
                close(fds[3 + nvol + i]);
                if (strncmp(sdests[i], "/run/secrets/", 13) != 0)
                        extra[nextra++] = (struct sbx_landlock_extra){ sdests[i], false };
        }
        if (context) {
                if (sbx_context_populate(fds[3 + nvol + nsec], spec->uid, spec->gid, context_sha[0] ? context_sha : NULL, &fail) < 0)
                        die_failure(&fail);
                close(fds[3 + nvol + nsec]);
        }
        if (spec->readiness.kind == NC_PROBE_SD_NOTIFY && sbx_notify_socket_send(CTL_FD, spec->uid, spec->gid, &fail) < 0)
                die_failure(&fail);
        /* Production: the finished file system is checked against the flags it must
         * have, before anything runs in it. */
        json_t *audit = json_null();
        if (spec->service_mode == NC_MODE_PRODUCTION) {
                const char *noexec[SBX_VOLUMES_MAX + NC_SPEC_TMPFS_MAX + SBX_SECRETS_MAX + 1];
                size_t nnoexec = 0, checked = 0;

                for (size_t i = 0; i < nextra; i++)
                        noexec[nnoexec++] = extra[i].path;
                noexec[nnoexec++] = "/context";
                if (sbx_mount_audit(noexec, nnoexec, &checked, &fail) < 0)
                        die_failure(&fail);
                audit = json_pack("{s:b, s:I}", "passed", true, "mounts_checked", (json_int_t)checked);
        }
        t_fs = nc_monotonic_ns();
        /* -t: the workload's stdio is a pty of the sandbox's devpts, opened before
         * Landlock so that a policy without /dev/pts still gets its terminal. The master
         * goes to nucleusd with "started". */
        int tty_master = -1;
        if (tty) {
                int slave;

                if (sbx_pty_open(&tty_size, spec->uid, &tty_master, &slave, &fail) < 0)
                        die_failure(&fail);
                for (int i = 0; i < 3; i++) {
                        close(fds[i]);
                        fds[i] = slave;
                }
        }
        /* Last of init's file system work: a Landlock domain may no longer mount. Applied
         * here, once, so the workload and every later exec or probe (all forked by init)
         * share one domain. A baseline step: without Landlock nothing runs. */
        struct sbx_landlock_report ll = { 0 };
        struct sbx_landlock_policy llp = { 0 };
        if (landlock_json && sbx_landlock_policy_from_json(landlock_json, &llp, &err) < 0)
                sbx_ctl_die(CTL_FD, 125, "landlock", EINVAL, "%s", err.msg);
        json_decref(landlock_json);
        json_t *degraded = json_array();
        if (sbx_landlock_apply(llp.rules ? &llp : NULL, extra, nextra, &ll, &fail) < 0) {
                /* Only a kernel without Landlock at all may be tolerated, and only when
                 * asked; a policy's unmet min_abi is a requirement, never degraded. */
                if (!(spec->allow_degraded_security && ll.abi == 0 && fail.err == EOPNOTSUPP))
                        die_failure(&fail);
                json_array_append_new(degraded, json_pack("{s:s, s:s}", "step", "landlock", "reason", fail.msg));
        }
        sbx_landlock_policy_done(&llp);
        /* Admission checked the kernel already; this is the domain actually in force. */
        if (spec->service_mode == NC_MODE_PRODUCTION && ll.abi < 3)
                sbx_ctl_die(CTL_FD, 125, "landlock", EOPNOTSUPP, "production mode needs Landlock ABI 3, in force: %d", ll.abi);

        w->spec = spec;
        w->have_caps_policy = caps_json != NULL;
        if (sbx_caps_policy_from_json(caps_json, &w->caps_policy, &err) < 0)
                sbx_ctl_die(CTL_FD, 125, "caps", EINVAL, "%s", err.msg);
        json_decref(caps_json);
        r = sbx_caps_prepare(&w->caps_policy, &w->caps);
        if (r < 0)
                sbx_ctl_die(CTL_FD, 125, "caps", -r, "Failed to prepare the capability sets");

        /* Opt-ins make a filter of their own, compiled here (it allocates: not after
         * fork); everyone else shares the one the zygote compiled. */
        /* Strict modes: a sandbox without a network gets no IP sockets at all; agent mode
         * keeps loopback TCP for test suites' local servers. A bridge network needs them. */
        const unsigned sflags =
                nc_mode_strict(spec->service_mode) && spec->network.mode == NC_NET_NONE ? SBX_SECCOMP_NO_INET : 0;
        w->seccomp = sflags & SBX_SECCOMP_NO_INET ? cfg->seccomp_no_inet : cfg->seccomp;
        if (profile) {
                if (sbx_seccomp_profile_compile(profile, (const char *const *)spec->seccomp_allow, sflags, &w->variant,
                                                &err) < 0)
                        sbx_ctl_die(CTL_FD, 125, "seccomp", EINVAL, "%s", err.msg);
                w->seccomp = &w->variant;
        } else if (spec->nseccomp_allow > 0) {
                if (sbx_seccomp_compile((const char *const *)spec->seccomp_allow, sflags, &w->variant, &err) < 0)
                        sbx_ctl_die(CTL_FD, 125, "seccomp", EINVAL, "%s", err.msg);
                w->seccomp = &w->variant;
        }
        json_decref(profile);
        const bool traced = spec->seccomp_mode == NC_SECCOMP_TRACE;
        if (traced) {
                /* The supervisor refuses a profile or opt-ins with trace; init does not
                 * trust that it did. */
                if (w->seccomp != cfg->seccomp && w->seccomp != cfg->seccomp_no_inet)
                        sbx_ctl_die(CTL_FD, 125, "seccomp", EINVAL, "seccomp trace mode excludes a profile and opt-ins");
                if (getrandom(&w->trace_cookie, sizeof(w->trace_cookie), 0) != sizeof(w->trace_cookie) || !w->trace_cookie)
                        sbx_ctl_die(CTL_FD, 125, "seccomp", errno, "getrandom for the seccomp trace cookie");
                if (sbx_seccomp_trace_compile(w->trace_cookie, &w->trace, &err) < 0)
                        sbx_ctl_die(CTL_FD, 125, "seccomp", EINVAL, "%s", err.msg);
        }

        /* Trace mode is refused with --restart (one listener per sandbox). */
        w->restartable = spec->restart.policy != NC_RESTART_NO && !traced;
        w->tty = tty;
        for (int i = 0; i < 3; i++)
                w->keep[i] = w->restartable && fds[i] >= 0 ? fcntl(fds[i], F_DUPFD_CLOEXEC, 3) : -1;
        t_locked = nc_monotonic_ns();
        w->pid = spawn(w, traced, spec->argv, spec->env, spec->cwd ? spec->cwd : "/", spec, tty, false, fds, buf, sizeof(buf));
        t_exec = nc_monotonic_ns();
        if (w->pid < 0) {
                (void)!write(CTL_FD, buf, strlen(buf));
                _exit(125);
        }
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0) {
                survive.takeover_init = pair[0];
                survive.takeover_sup = pair[1];
        }
        json_t *kept = survive.kept_logs[0] >= 0 ? json_pack("[i, i]", survive.kept_logs[0], survive.kept_logs[1]) : json_null();
        r = sbx_ctl_send_json(CTL_FD, json_pack("{s:s, s:i, s:o, s:o, s:o, s:i, s:o, s:b, s:[I, I, I, I]}", "op",
                                                "started", "pid", (int)w->pid, "landlock", sbx_landlock_report_to_json(&ll),
                                                "degraded", degraded, "mount_audit", audit, "takeover_fd",
                                                survive.takeover_sup, "kept_logs", kept, "tty", tty, "marks",
                                                (json_int_t)t_claimed, (json_int_t)t_fs, (json_int_t)t_locked,
                                                (json_int_t)t_exec),
                              tty ? &tty_master : NULL, tty ? 1 : 0);
        (void)r;    /* if nobody listens, the workload still runs; its exit is reaped */
        if (tty_master >= 0)
                close(tty_master);      /* nucleusd's now: init never reads the terminal */
}

/* Signals init forwards to the workload. SIGKILL and SIGSTOP cannot be caught; a
 * SIGKILL sent to init from outside ends the whole sandbox, which is what it means. */
static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
                                 SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGALRM, SIGPWR, SIGURG };

bool sbx_init_forwards(int sig)
{
        for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
                if (forwarded[i] == sig)
                        return true;
        return false;
}

const char *sbx_init_forwarded_names(void)
{
        return "HUP INT QUIT TERM USR1 USR2 WINCH CONT TSTP TTIN TTOU ALRM PWR URG";
}

static void exec_failed(json_int_t exec_id, const char *stage, int err, const char *msg)
{
        (void)sbx_ctl_send_json(CTL_FD, json_pack("{s:s, s:I, s:s, s:i, s:s}", "op", "exec_failed", "exec", exec_id,
                                                  "stage", stage, "errno", err, "message", msg), NULL, 0);
}

/* {"op":"exec_kill","exec":N}: the exec's client is gone. Only a child we have not
 * reaped yet is on the list, so its pid cannot have been reused. */
static void kill_exec(struct workload *w, json_int_t exec_id)
{
        for (size_t i = 0; i < w->nexecs; i++)
                if (w->execs[i].id == exec_id)
                        (void)kill(w->execs[i].group ? -w->execs[i].pid : w->execs[i].pid, SIGKILL);
}

/* --restart, nucleusd's side of the decision (supervisor/restart.c): "restart" starts
 * the workload again, "end" ends the sandbox with the last status, "kill_workload"
 * signals the workload (--restart-on-unhealthy). */
static _Noreturn void exit_like(int status);

static void restart_request(struct workload *w, const char *op, const json_t *msg)
{
        const struct nc_spec *spec = w->spec;
        char buf[1024];
        int fds[3];

        if (strcmp(op, "kill_workload") == 0) {
                int sig = (int)json_integer_value(json_object_get(msg, "signal"));

                if (w->pid > 0 && (sig == SIGTERM || sig == SIGKILL))
                        (void)kill(w->pid, sig);
                return;
        }
        if (!w->waiting)
                return;
        if (strcmp(op, "end") == 0)
                exit_like(w->last_status);
        /* A new run starts clean, as a restarted container does: whatever the last one
         * left behind (its children, exec'd processes) could hold its ports and files. */
        if (getpid() == 1)
                (void)kill(-1, SIGKILL);
        for (int i = 0; i < 3; i++)
                fds[i] = w->keep[i] >= 0 ? fcntl(w->keep[i], F_DUPFD_CLOEXEC, 3) : -1;
        w->waiting = false;
        w->pid = spawn(w, false, spec->argv, spec->env, spec->cwd ? spec->cwd : "/", spec, w->tty, false, fds, buf,
                       sizeof(buf));
        if (w->pid < 0) {
                /* Reported as an exit (127 not found, 126, 125), so the policy decides again. */
                json_error_t jerr;
                json_t *f = json_loads(buf, 0, &jerr);
                int e = (int)json_integer_value(json_object_get(f, "errno"));
                const char *stage = json_string_value(json_object_get(f, "stage"));
                int code = !stage || strcmp(stage, "exec") ? 125 : e == ENOENT || e == ENOTDIR ? 127 : 126;

                json_decref(f);
                w->waiting = true;
                w->last_status = W_EXITCODE(code, 0);
                (void)sbx_ctl_send_json(CTL_FD, json_pack("{s:s, s:i, s:b}", "op", "exit", "status", w->last_status,
                                                          "restartable", true), NULL, 0);
                return;
        }
        (void)sbx_ctl_send_json(CTL_FD, json_pack("{s:s, s:i}", "op", "restarted", "pid", (int)w->pid), NULL, 0);
}

/* {"op":"exec","exec":N,"spec":{args, env, cwd, user?},"own_user":B,"probe":B,"tty":{rows, cols}?}
 * + stdio (none with a tty): another process in the sandbox, forked by init so that it
 * shares everything the workload has. Its identity is the workload's unless own_user;
 * with a tty, stdio is a new pty of the sandbox's devpts, whose master goes back with
 * exec_started. */
static void handle_request(struct workload *w, json_t *msg, int fds[3], size_t nfds)
{
        const char *op = json_string_value(json_object_get(msg, "op"));
        json_int_t exec_id = json_integer_value(json_object_get(msg, "exec"));
        const json_t *jtty = json_object_get(msg, "tty");
        const bool tty = json_is_object(jtty);
        struct nc_err err = { { 0 } };
        struct sbx_failure fail = { 0 };
        struct nc_spec *x = NULL;
        int master = -1;
        char buf[1024];
        pid_t pid;

        if (op && strcmp(op, "exec_kill") == 0) {
                for (size_t i = 0; i < nfds; i++)
                        close(fds[i]);
                kill_exec(w, exec_id);
                return;
        }
        if (op && (strcmp(op, "restart") == 0 || strcmp(op, "end") == 0 || strcmp(op, "kill_workload") == 0)) {
                for (size_t i = 0; i < nfds; i++)
                        close(fds[i]);
                restart_request(w, op, msg);
                return;
        }
        if (!op || strcmp(op, "exec") != 0 || nfds != (tty ? 0 : 3) || w->nexecs == ARRAY_SIZE(w->execs) ||
            nc_spec_from_json(json_object_get(msg, "spec"), &x, &err) < 0) {
                for (size_t i = 0; i < nfds; i++)
                        close(fds[i]);
                exec_failed(exec_id, "exec", EINVAL, err.msg[0] ? err.msg : "bad exec request");
                return;
        }
        const struct nc_spec *ident = json_is_true(json_object_get(msg, "own_user")) ? x : w->spec;
        const bool probe = json_is_true(json_object_get(msg, "probe"));
        if (tty) {
                struct sbx_pty_size size;
                int slave;

                sbx_pty_size_from_json(jtty, &size);
                if (sbx_pty_open(&size, ident->uid, &master, &slave, &fail) < 0) {
                        exec_failed(exec_id, fail.stage, fail.err, fail.msg);
                        nc_spec_free(x);
                        return;
                }
                fds[0] = fds[1] = fds[2] = slave;
        }
        pid = spawn(w, false, x->argv, x->env, x->cwd ? x->cwd : (w->spec->cwd ? w->spec->cwd : "/"), ident, tty, probe, fds, buf,
                    sizeof(buf));
        if (pid < 0) {
                json_error_t jerr;
                json_t *f = json_loads(buf, 0, &jerr);

                if (!f)
                        f = json_pack("{s:s, s:i, s:s}", "stage", "exec", "errno", EIO, "message", "exec failed");
                json_object_set_new(f, "op", json_string("exec_failed"));
                json_object_set_new(f, "exec", json_integer(exec_id));
                (void)sbx_ctl_send_json(CTL_FD, f, NULL, 0);
        } else {
                w->execs[w->nexecs].pid = pid;
                w->execs[w->nexecs].group = probe;
                w->execs[w->nexecs++].id = exec_id;
                (void)sbx_ctl_send_json(CTL_FD, json_pack("{s:s, s:I, s:i, s:b}", "op", "exec_started", "exec", exec_id, "pid",
                                                          (int)pid, "tty", tty),
                                        master >= 0 ? &master : NULL, master >= 0 ? 1 : 0);
        }
        if (master >= 0)
                close(master);
        nc_spec_free(x);
}

/* init's own exit status says how the workload ended, for a supervisor that missed the
 * "exit" message: it reads it with PIDFD_GET_INFO (PIDFD_INFO_EXIT). An exit code as
 * is, a signal as 128 + its number, the shell's convention. */
static _Noreturn void exit_like(int status)
{
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 125);
}

/* The control socket reached EOF: every supervisor process is gone. */
static void lost_supervisor(struct pollfd *ctl)
{
        if (survive.takeover_init < 0) {
                ctl->fd = -1;   /* a closed socket just means nobody listens any more */
                return;
        }
        if (dup2(survive.takeover_init, CTL_FD) < 0) {
                ctl->fd = -1;
                return;
        }
        close(survive.takeover_init);
        survive.takeover_init = -1;
        survive.orphaned = true;
        ctl->fd = CTL_FD;
}

/* {"op":"takeover"} on the takeover pair: a new supervisor holds its other end now.
 * Drop our copy of that end, so that its loss reads as EOF again, and make a fresh pair
 * at the same descriptor number for the next time. */
static void taken_over(void)
{
        int pair[2], fd = survive.takeover_sup;

        survive.orphaned = false;
        if (survive.ended)
                exit_like(survive.status);   /* the status is queued for the new supervisor */
        survive.takeover_sup = -1;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
                close(fd);
                return;
        }
        if (dup3(pair[1], fd, O_CLOEXEC) < 0) {
                close(fd);
                close(pair[0]);
                close(pair[1]);
                return;
        }
        close(pair[1]);
        survive.takeover_init = pair[0];
        survive.takeover_sup = fd;
}

/* Before the final report: nucleusd answers its caller on it, and nothing of the
 * sandbox may act after that answer (a leftover writing to the caller's terminal once
 * `nucleus run` has returned). The kernel would kill them as init exits; killing and
 * reaping them first lets nucleusd answer without waiting for the namespaces' teardown. */
static void end_the_rest(void)
{
        if (getpid() != 1)      /* never outside a pid namespace of our own */
                return;
        (void)kill(-1, SIGKILL);
        for (;;)
                if (waitpid(-1, NULL, __WALL) < 0 && errno != EINTR)
                        return;
}

static _Noreturn void supervise(struct workload *w, int sfd)
{
        struct pollfd pfd[2] = { { .fd = sfd, .events = POLLIN }, { .fd = CTL_FD, .events = POLLIN } };

        for (;;) {
                struct signalfd_siginfo si;
                int status, r;
                pid_t pid;

                if (poll(pfd, pfd[1].fd >= 0 ? 2 : 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        _exit(125);
                }
                if (pfd[1].fd >= 0 && pfd[1].revents) {
                        int fds[3] = { -1, -1, -1 };
                        size_t nfds = 3;
                        json_t *msg = NULL;
                        r = sbx_ctl_recv_json(CTL_FD, &msg, fds, &nfds);
                        const char *op = r > 0 ? json_string_value(json_object_get(msg, "op")) : NULL;

                        if (op && strcmp(op, "takeover") == 0) {
                                for (size_t i = 0; i < nfds; i++)
                                        close(fds[i]);
                                if (survive.orphaned)
                                        taken_over();
                        } else if (r > 0 && !survive.ended)
                                handle_request(w, msg, fds, nfds);
                        else
                                for (size_t i = 0; r > 0 && i < nfds; i++)
                                        close(fds[i]);
                        json_decref(msg);
                        if (r == 0 || (pfd[1].revents & (POLLHUP | POLLERR)))
                                lost_supervisor(&pfd[1]);
                        if (w->waiting && (survive.orphaned || pfd[1].fd < 0)) {
                                /* Nobody decides on a restart any more: that run was the last. */
                                w->waiting = false;
                                if (!survive.orphaned)
                                        exit_like(w->last_status);
                                survive.ended = true;
                                survive.status = w->last_status;
                                if (getpid() == 1)
                                        (void)kill(-1, SIGKILL);
                        }
                }
                if (!(pfd[0].revents & POLLIN))
                        continue;
                if (read(sfd, &si, sizeof(si)) != sizeof(si))
                        continue;
                if (si.ssi_signo != SIGCHLD) {
                        if (w->pid > 0)
                                (void)kill(w->pid, (int)si.ssi_signo);
                        else if (w->waiting && (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT ||
                                                si.ssi_signo == SIGQUIT || si.ssi_signo == SIGHUP))
                                exit_like(w->last_status);      /* stopped between two runs */
                        continue;
                }
                /* Reap everything: orphans reparent to us, and zombies must not pile up. */
                while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                        for (size_t i = 0; i < w->nexecs; i++)
                                if (w->execs[i].pid == pid) {
                                        (void)sbx_ctl_send_json(CTL_FD, json_pack("{s:s, s:I, s:i}", "op", "exec_exit", "exec",
                                                                                  (json_int_t)w->execs[i].id, "status", status), NULL, 0);
                                        w->execs[i] = w->execs[--w->nexecs];
                                        break;
                                }
                        if (pid != w->pid)
                                continue;
                        if (w->restartable && !survive.orphaned &&
                            sbx_ctl_send_json(CTL_FD, json_pack("{s:s, s:i, s:b}", "op", "exit", "status", status,
                                                                "restartable", true), NULL, 0) >= 0) {
                                /* nucleusd decides: "restart" (after its backoff) or "end". */
                                w->pid = -1;
                                w->waiting = true;
                                w->last_status = status;
                                continue;
                        }
                        end_the_rest();
                        r = sbx_ctl_send_json(CTL_FD, json_pack("{s:s, s:i}", "op", "exit", "status", status), NULL, 0);
                        if (r < 0 && !survive.orphaned && survive.takeover_init >= 0) {
                                /* The supervisor went in the same instant; its EOF is not read yet. */
                                lost_supervisor(&pfd[1]);
                                r = sbx_ctl_send_json(CTL_FD, json_pack("{s:s, s:i}", "op", "exit", "status", status), NULL, 0);
                        }
                        /* The answer went out with "exit", and nobody waits for what follows:
                         * the namespaces' teardown that our exit starts runs at the lowest
                         * priority, behind the next sandbox's start. */
                        if (!survive.orphaned) {
                                (void)setpriority(PRIO_PROCESS, 0, 19);
                                exit_like(status);
                        }
                        /* Nobody supervises: end the rest now, wait for a takeover (see survive). */
                        survive.ended = true;
                        survive.status = status;
                        w->pid = -1;
                        if (getpid() == 1)      /* never outside a pid namespace of our own */
                                (void)kill(-1, SIGKILL);
                }
        }
}

/* What the workload sees of init in /proc/1: a name, not nucleusd's command line,
 * socket path or environment. */
static void hide_origin(const struct sbx_config *cfg)
{
        static const char name[] = "nucleus-init";

        if (cfg->argv_area && cfg->argv_area_len > sizeof(name)) {
                memset(cfg->argv_area, 0, cfg->argv_area_len);
                memcpy(cfg->argv_area, name, sizeof(name));
        }
        (void)clearenv();
        (void)prctl(PR_SET_NAME, name, 0, 0, 0);
}

_Noreturn void sbx_init_main(const struct sbx_config *cfg, int ctl)
{
        struct workload w = { .pid = -1 };
        sigset_t set;
        int sfd;

        take_only_ctl(ctl);
        hide_origin(cfg);
        /* Dispositions are inherited from whoever started nucleusd (a shell's `&`
         * ignores SIGINT and SIGQUIT), and ignored ones survive execve. Reset once here,
         * in the prepare phase, so that a workload only has to undo SIGPIPE. */
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        signal(SIGPIPE, SIG_IGN);   /* a vanished reader must not kill init */
        /* Block before the workload exists, so no signal sent between fork and the
         * signalfd read is lost; the workload unblocks them itself. */
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
                sigaddset(&set, forwarded[i]);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                sbx_ctl_die(CTL_FD, 125, "init", errno, "sigprocmask");
        sfd = signalfd(-1, &set, SFD_CLOEXEC);
        if (sfd < 0)
                sbx_ctl_die(CTL_FD, 125, "init", errno, "signalfd");

        prepare(cfg);
        claim(cfg, &w);
        supervise(&w, sfd);
}
