/* --context DIR in copy mode, client side: nucleus-context-pack walks DIR as this
 * process's user (what the caller cannot read never leaves the host) and streams the
 * kept files as tar into a pipe whose read end goes to nucleusd with the create
 * request; the sandbox's init unpacks it. The helper reports what it skipped before it
 * starts streaming, so the report rides along in the same request. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

#define CONTEXT_REPORT_MAX (16 * 1024 * 1024)

int cli_context_pack(const char *dir, bool integrity, struct cli_context *ret)
{
        char exe[PATH_MAX], *buf = NULL;
        ssize_t len;
        int tar[2], rep[2];
        json_error_t jerr;

        if (cli_find_binary("nucleus-context-pack", "NUCLEUS_CONTEXT_PACK", NUCLEUS_CONTEXT_PACK_PATH, exe, sizeof(exe)) < 0) {
                cli_binary_missing("nucleus-context-pack", "NUCLEUS_CONTEXT_PACK", NUCLEUS_CONTEXT_PACK_PATH,
                                   "which copies --context");
                return -ENOENT;
        }
        if (pipe2(tar, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(rep, O_CLOEXEC) < 0) {
                close(tar[0]);
                close(tar[1]);
                return -errno;
        }
        ret->pid = fork();
        if (ret->pid < 0) {
                int e = errno;
                close(tar[0]), close(tar[1]), close(rep[0]), close(rep[1]);
                return -e;
        }
        if (ret->pid == 0) {
                /* rep[1] may already be 1 or 3; dup2 onto a spare number first. */
                int r3 = fcntl(rep[1], F_DUPFD_CLOEXEC, 10);
                if (r3 < 0 || dup2(tar[1], 1) < 0 || dup2(r3, 3) < 0)
                        _exit(127);
                if (integrity)
                        execl(exe, exe, "--integrity", dir, (char *)NULL);
                else
                        execl(exe, exe, dir, (char *)NULL);
                _exit(127);
        }
        close(tar[1]);
        close(rep[1]);
        len = nc_read_all(rep[0], CONTEXT_REPORT_MAX, &buf);
        close(rep[0]);
        ret->report = len > 0 ? json_loadb(buf, (size_t)len, 0, &jerr) : NULL;
        free(buf);
        if (!json_is_object(ret->report)) {
                /* The helper said why on stderr (an unreadable file, too many entries). */
                json_decref(ret->report);
                ret->report = NULL;
                close(tar[0]);
                cli_context_finish(ret);
                return -EINVAL;
        }
        ret->fd = tar[0];
        return 0;
}

int cli_context_finish(struct cli_context *c)
{
        int status = 0;

        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        if (c->pid <= 0)
                return 0;
        while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
                ;
        c->pid = 0;
        json_decref(c->report);
        c->report = NULL;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}
