/* SPDX-License-Identifier: Apache-2.0 */
/* Starting a supervisor on demand, the way tmux starts its server: detached (its own
 * session, stdin and stdout on /dev/null, stderr into its log file), exiting after an
 * idle period. The caller holds the autostart lock exclusively. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "macros.h"

#define DEFAULT_IDLE_TIMEOUT "60"

int cli_find_binary(const char *name, const char *env, const char *installed, char *buf, size_t cap)
{
        const char *e = getenv(env);
        ssize_t n;
        char *slash;

        if (e && *e) {
                /* Named explicitly: that one or none, never a silent fallback. */
                snprintf(buf, cap, "%s", e);
                return access(buf, X_OK) == 0 ? 0 : -errno;
        }
        n = readlink("/proc/self/exe", buf, cap - 1);
        if (n > 0) {
                buf[n] = 0;
                slash = strrchr(buf, '/');
                if (slash && (size_t)(slash - buf) + strlen(name) + 2 <= cap) {
                        snprintf(slash + 1, cap - (size_t)(slash + 1 - buf), "%s", name);
                        if (access(buf, X_OK) == 0)
                                return 0;
                }
        }
        snprintf(buf, cap, "%s", installed);
        return access(buf, X_OK) == 0 ? 0 : -ENOENT;
}

void cli_binary_missing(const char *name, const char *env, const char *installed, const char *what)
{
        const char *e = getenv(env);

        if (e && *e)
                fprintf(stderr, "nucleus: %s, %s, cannot be run: %s=%s is not an executable file\n", name, what, env, e);
        else
                fprintf(stderr, "nucleus: %s, %s, was found neither next to this binary nor at %s (set %s)\n", name,
                        what, installed, env);
}

int cli_autostart(const struct cli_opts *o)
{
        char exe[PATH_MAX], log[PATH_MAX + 32];
        const char *idle = getenv("NUCLEUS_IDLE_TIMEOUT");
        int pipefd[2], status;
        char ready[2];
        pid_t pid;
        ssize_t n;

        if (cli_find_binary("nucleusd", "NUCLEUS_NUCLEUSD", NUCLEUS_NUCLEUSD_PATH, exe, sizeof(exe)) < 0) {
                cli_binary_missing("nucleusd", "NUCLEUS_NUCLEUSD", NUCLEUS_NUCLEUSD_PATH,
                                   "the supervisor started when none is running");
                return -ENOENT;
        }
        snprintf(log, sizeof(log), "%s/nucleusd.log", o->paths.state_dir);
        /* nucleusd makes it too, but its log file lives there and opens first. */
        (void)nc_mkdir_p(o->paths.state_dir, 0755, true);
        (void)mkdir(o->paths.state_dir, 0700);
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                char fdarg[16];
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                /* stderr goes to the log too: what nucleusd refuses before it opens its log
                 * (a bad NUCLEUS_IDLE_TIMEOUT, a cgroup root in use) reaches the file our
                 * "failed to start; see LOG" points to, not /dev/null. */
                int errlog = open(o->log_path ? o->log_path : log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

                /* Double fork: the supervisor is not our child, has no controlling
                 * terminal, and is not killed by the terminal's signals. */
                if (setsid() < 0 || null < 0)
                        _exit(1);
                if (fork() != 0)
                        _exit(0);
                dup2(null, 0);
                dup2(null, 1);
                dup2(errlog >= 0 ? errlog : null, 2);
                if (dup2(pipefd[1], 3) < 0)
                        _exit(1);
                snprintf(fdarg, sizeof(fdarg), "3");
                char *args[] = { exe, "--ready-fd", fdarg, "--socket", (char *)o->paths.socket, "--state-dir",
                                 (char *)o->paths.state_dir, "--idle-timeout", (char *)(idle && *idle ? idle : DEFAULT_IDLE_TIMEOUT),
                                 "--log", (char *)(o->log_path ? o->log_path : log), "--log-format",
                                 (char *)(o->log_format ? o->log_format : "text"),
                                 o->paths.cgroup_root[0] ? "--cgroup-root" : NULL, (char *)o->paths.cgroup_root, NULL };
                execv(exe, args);
                _exit(127);
        }
        close(pipefd[1]);
        (void)waitpid(pid, &status, 0);
        do
                n = read(pipefd[0], ready, sizeof(ready));
        while (n < 0 && errno == EINTR);
        close(pipefd[0]);
        if (n <= 0 || ready[0] != 'R') {
                fprintf(stderr, "nucleus: the supervisor (%s) failed to start; see %s\n", exe,
                        o->log_path ? o->log_path : log);
                return -EIO;
        }
        return 0;
}
