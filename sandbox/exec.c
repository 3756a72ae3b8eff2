/* SPDX-License-Identifier: Apache-2.0 */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "caps.h"
#include "ctl.h"
#include "macros.h"
#include "rlimits.h"
#include "seccomp_trace.h"

/* execvpe() would search the *caller's* PATH; the workload's PATH is in its own env.
 * Like execvp: keep going after EACCES and report it only if nothing else is found. */
static int exec_search(const char *file, char *const *argv, char *const *envp, const char *path)
{
        char buf[PATH_MAX];
        bool eacces = false;
        size_t flen = strlen(file);

        if (strchr(file, '/')) {
                execve(file, argv, envp);
                return -errno;
        }
        if (flen > NAME_MAX)
                return -ENAMETOOLONG;
        for (const char *p = path; p;) {
                const char *colon = strchr(p, ':');
                size_t dlen = colon ? (size_t)(colon - p) : strlen(p);

                if (dlen == 0) {
                        /* An empty entry means the current directory (POSIX). */
                        buf[0] = '.';
                        dlen = 1;
                } else if (dlen + flen + 2 <= sizeof(buf))
                        memcpy(buf, p, dlen);
                else
                        goto next;
                buf[dlen] = '/';
                memcpy(buf + dlen + 1, file, flen + 1);
                execve(buf, argv, envp);
                if (errno == EACCES)
                        eacces = true;
                else if (errno != ENOENT && errno != ENOTDIR)
                        return -errno;
        next:
                p = colon ? colon + 1 : NULL;
        }
        return eacces ? -EACCES : -ENOENT;
}

static _Noreturn void die_failure(const struct sbx_exec *x, const struct sbx_failure *f)
{
        sbx_ctl_die(x->errfd, 125, f->stage, f->err, "%s", f->msg);
}

/* The order is forced by the kernel, and each step relies on the previous one:
 *  1. the bounding set, while we still hold CAP_SETPCAP;
 *  2. identity (groups, gid, uid), while we still hold CAP_SETUID/CAP_SETGID;
 *  3. every other capability set, verified empty afterwards;
 *  4. rlimits (only lowered, which needs no capability);
 *  5. no_new_privs, which unprivileged seccomp requires and which makes setuid
 *     binaries and file capabilities inert;
 *  6. seccomp, last: from here on only the allowlist works, and execve is on it. In
 *     trace mode the filter allows everything and notifies nucleusd of each call
 *     (execve included), so its listener must reach nucleusd first.
 * Landlock is not here: init applied it once, so that every process it forks shares
 * one domain. */
static void lock_down(const struct sbx_exec *x)
{
        struct sbx_failure f = { 0 };
        int r;

        if (sbx_caps_drop_bounding(x->caps_policy, &f) < 0)
                die_failure(x, &f);
        /* A capability policy survives a change to a non-root uid only with keepcaps
         * (and, across execve, only through the ambient set). */
        gid_t groups[NC_SPEC_GROUPS_MAX];
        for (size_t i = 0; i < x->ngroups && i < NC_SPEC_GROUPS_MAX; i++)
                groups[i] = (gid_t)x->groups[i];
        if (x->uid != 0 && x->caps_policy && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                sbx_ctl_die(x->errfd, 125, "identity", errno, "PR_SET_KEEPCAPS");
        if (setgroups(x->ngroups, groups) < 0 || setresgid(x->gid, x->gid, x->gid) < 0 ||
            setresuid(x->uid, x->uid, x->uid) < 0)
                sbx_ctl_die(x->errfd, 125, "identity", errno, "Failed to become uid %u gid %u", x->uid, x->gid);
        if (sbx_caps_clear(x->caps, x->caps_policy, &f) < 0)
                die_failure(x, &f);
        if (sbx_rlimits_apply(x->rlimits, &f) < 0)
                die_failure(x, &f);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                sbx_ctl_die(x->errfd, 125, "no_new_privs", errno, "PR_SET_NO_NEW_PRIVS");
        if (x->trace) {
                if ((r = sbx_seccomp_trace_start(x->trace, x->trace_cookie, x->trace_sock, x->errfd)) < 0)
                        sbx_ctl_die(x->errfd, 125, "seccomp", -r, "Failed to load the seccomp trace filter");
        } else if (x->seccomp && (r = sbx_seccomp_load(x->seccomp, x->seccomp_log)) < 0)
                sbx_ctl_die(x->errfd, 125, "seccomp", -r, "Failed to load the seccomp filter");
}

_Noreturn void sbx_exec_workload(const struct sbx_exec *x)
{
        sigset_t none;
        int r;

        /* init blocks everything for its signalfd; the workload starts clean. Handlers
         * are reset by execve; of the ignored dispositions, which execve keeps, init has
         * only SIGPIPE (it reset every other one when it started). */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);

        for (int i = 0; i < 3; i++) {
                int fd = x->stdio[i] >= 0 ? x->stdio[i] : -1;

                if (fd < 0)
                        continue;
                if (fd == i) {
                        /* Clear O_CLOEXEC: dup2 onto itself would not. */
                        if (fcntl(fd, F_SETFD, 0) < 0)
                                sbx_ctl_die(x->errfd, 125, "stdio", errno, "Failed to set up fd %d", i);
                } else if (dup2(fd, i) < 0)
                        sbx_ctl_die(x->errfd, 125, "stdio", errno, "Failed to set up fd %d", i);
        }
        /* A session of our own whose controlling terminal is the pty: job control and
         * ^C work inside, and the terminal is the sandbox's, never the caller's. */
        if (x->ctty && (setsid() < 0 || ioctl(0, TIOCSCTTY, 0) < 0))
                sbx_ctl_die(x->errfd, 125, "pty", errno, "Failed to make the pty the controlling terminal");
        /* A probe that times out is killed with whatever it started (sh -c 'a | b'). */
        if (!x->ctty && x->own_group && setpgid(0, 0) < 0)
                sbx_ctl_die(x->errfd, 125, "exec", errno, "Failed to make a process group");
        /* Every other descriptor init holds (its control socket, the received stdio
         * originals) closes on exec; errfd must stay open until then. */
        if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                sbx_ctl_die(x->errfd, 125, "stdio", errno, "close_range");
        if (x->cwd && chdir(x->cwd) < 0)
                sbx_ctl_die(x->errfd, 125, "chdir", errno, "Failed to change to working directory '%s'", x->cwd);
        lock_down(x);

        r = exec_search(x->argv[0], x->argv, x->envp, x->path);
        sbx_ctl_die(x->errfd, r == -ENOENT || r == -ENOTDIR ? 127 : 126, "exec", -r,
                    "Failed to execute '%s'", x->argv[0]);
}
