/* SPDX-License-Identifier: Apache-2.0 */
/* The zygote: nucleusd's main process. Single-threaded, no libuv, a child subreaper.
 *
 * It forks the loop process, clones sandboxes on the loop's request, writes their id
 * maps, keeps a copy of every sandbox's pidfd and control socket, and reaps. Because
 * it holds those, the loop can die without taking any sandbox's state with it. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "macros.h"
#include "util.h"

struct zchild {
        pid_t pid;
        int pidfd, ctl;
        char id[NC_ID_LEN + 1];
};

struct zygote {
        const struct sbx_config *cfg;
        int sock;           /* our end of the loop channel */
        pid_t loop_pid;
        struct zchild *kids;
        size_t nkids, capkids;
        bool stopping;
};

static int zygote_send(struct zygote *z, json_t *msg, const int *fds, size_t nfds)
{
        int r = sbx_ctl_send_json(z->sock, msg, fds, nfds);

        if (r < 0)
                log_warn_errno(r, "Failed to send to the loop process, ignoring");
        return r;
}

static void handle_prepare(struct zygote *z, const char *id, json_int_t uid_base, const struct sbx_profile *profile)
{
        struct sbx_failure fail = { 0 };
        struct sbx_spawned sp;
        int r;

        if (!nc_id_valid(id)) {
                log_warn("Ignoring prepare request with invalid id");
                return;
        }
        /* The loop picks the range; the zygote still refuses one that is not a slot. */
        if (uid_base < z->cfg->uid_base || (uid_base - z->cfg->uid_base) % z->cfg->uid_count != 0 ||
            (uid_base - z->cfg->uid_base) / z->cfg->uid_count >= SBX_UID_SLOTS_MAX) {
                sbx_failure_set(&fail, "zygote", EINVAL, "uid base %lld is not one of nucleusd's ranges", (long long)uid_base);
                goto failed;
        }
        if (z->nkids == z->capkids) {
                size_t ncap = z->capkids ? z->capkids * 2 : 64;
                struct zchild *nk = realloc(z->kids, ncap * sizeof(*nk));

                if (!nk) {
                        sbx_failure_set(&fail, "zygote", ENOMEM, "out of memory");
                        goto failed;
                }
                z->kids = nk;
                z->capkids = ncap;
        }
        r = sbx_spawn_prepare(z->cfg, id, (uint32_t)uid_base, profile, &sp, &fail);
        if (r < 0)
                goto failed;
        struct zchild *k = &z->kids[z->nkids++];
        *k = (struct zchild){ .pid = sp.pid, .pidfd = sp.pidfd, .ctl = sp.ctl };
        memcpy(k->id, id, sizeof(k->id));
        zygote_send(z, json_pack("{s:s, s:s, s:i}", "op", "cloned", "id", id, "pid", (int)sp.pid),
                    (int[]){ sp.pidfd, sp.ctl }, 2);
        return;
failed: {
        json_t *m = sbx_failure_to_json(&fail);
        json_object_set_new(m, "op", json_string("failed"));
        json_object_set_new(m, "id", json_string(id));
        zygote_send(z, m, NULL, 0);
}
}

static void handle_loop_message(struct zygote *z)
{
        json_t *msg = NULL;
        const char *op;
        int r = sbx_ctl_recv_json(z->sock, &msg, NULL, NULL);

        if (r == 0) {
                /* The loop closed its end; its exit status arrives with SIGCHLD. */
                close(z->sock);
                z->sock = -1;
                return;
        }
        if (r < 0) {
                log_warn_errno(r, "Bad message from the loop process, ignoring");
                return;
        }
        op = json_string_value(json_object_get(msg, "op"));
        if (op && strcmp(op, "prepare") == 0) {
                struct sbx_profile profile;

                sbx_profile_from_json(json_object_get(msg, "profile"), &profile);
                handle_prepare(z, json_string_value(json_object_get(msg, "id")) ?: "",
                               json_integer_value(json_object_get(msg, "uid_base")), &profile);
        } else
                log_warn("Unknown request '%s' from the loop process, ignoring", op ? op : "?");
        json_decref(msg);
}

static void kill_all(struct zygote *z)
{
        for (size_t i = 0; i < z->nkids; i++)
                (void)syscall(SYS_pidfd_send_signal, z->kids[i].pidfd, SIGKILL, NULL, 0);
}

/* Returns true when the zygote should exit. */
static bool reap(struct zygote *z, int *exit_code)
{
        for (;;) {
                siginfo_t si = { 0 };
                int status;

                if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
                        return false;
                status = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0) : si.si_status & 0x7f;
                if (si.si_pid == z->loop_pid) {
                        z->loop_pid = -1;
                        if (si.si_code == CLD_EXITED && si.si_status == 0 && z->nkids == 0) {
                                *exit_code = 0;
                                return true;
                        }
                        /* Re-adopting running sandboxes into a new loop process is part of the
                         * lifecycle work; until then a crashed loop must not leave sandboxes
                         * nobody supervises, so fail closed. */
                        log_error("The loop process ended (%s %d) with %zu sandboxes; stopping them",
                                  si.si_code == CLD_EXITED ? "status" : "signal", si.si_status, z->nkids);
                        kill_all(z);
                        z->stopping = true;
                        *exit_code = 1;
                        continue;
                }
                for (size_t i = 0; i < z->nkids; i++) {
                        struct zchild *k = &z->kids[i];

                        if (k->pid != si.si_pid)
                                continue;
                        if (z->sock >= 0)
                                zygote_send(z, json_pack("{s:s, s:s, s:i, s:i}", "op", "reaped", "id", k->id,
                                                         "pid", (int)k->pid, "status", status), NULL, 0);
                        close(k->pidfd);
                        close(k->ctl);
                        z->kids[i] = z->kids[--z->nkids];
                        break;
                }
                if (z->stopping && z->nkids == 0 && z->loop_pid < 0)
                        return true;
        }
}

int sbx_zygote_run(const struct sbx_config *cfg, sbx_start_loop_fn start_loop, void *userdata)
{
        struct zygote z = { .cfg = cfg, .sock = -1, .loop_pid = -1 };
        int sfd, r, exit_code = 0;
        sigset_t set;

        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
                return log_error_errno(errno, "Failed to become a child subreaper");
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                return log_error_errno(errno, "sigprocmask");
        sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0)
                return log_error_errno(errno, "signalfd");
        signal(SIGPIPE, SIG_IGN);

        r = start_loop(userdata, &z.loop_pid, &z.sock);
        if (r < 0)
                return log_error_errno(r, "Failed to start the loop process");

        for (;;) {
                struct pollfd pfd[2] = { { .fd = sfd, .events = POLLIN }, { .fd = z.sock, .events = POLLIN } };
                struct signalfd_siginfo si;

                if (poll(pfd, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(errno, "poll");
                }
                if (pfd[1].revents)
                        handle_loop_message(&z);
                if (!(pfd[0].revents & POLLIN))
                        continue;
                while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                        if (si.ssi_signo == SIGCHLD)
                                continue;
                        /* Shutdown is the loop's job (it stops sandboxes gracefully); without
                         * a loop there is nothing graceful left to do. */
                        if (z.loop_pid > 0)
                                kill(z.loop_pid, SIGTERM);
                        else {
                                kill_all(&z);
                                z.stopping = true;
                        }
                }
                if (reap(&z, &exit_code))
                        break;
        }
        free(z.kids);
        return exit_code;
}
