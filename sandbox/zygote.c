/* SPDX-License-Identifier: Apache-2.0 */
/* The zygote: nucleusd's main process. Single-threaded, no libuv, a child subreaper.
 *
 * It forks the loop process, clones sandboxes on the loop's request, writes their id
 * maps, keeps a copy of every sandbox's pidfd, control socket and (detached) log pipe
 * read ends, and reaps. Because it holds those, the loop can die without taking any
 * sandbox's state with it: the zygote starts a new loop process and hands it every
 * child again ("adopt"), with the exit status of those that ended meanwhile.
 *
 * A child's entry stays until the loop says "forget", after it has recorded the
 * child's end in its state file: a loop that dies between our "reaped" and that
 * record gets the child (and its status) again from here.
 *
 * Foster children: sandboxes of an earlier nucleusd whose every process died, taken
 * over by our loop process (supervisor/restore.c) and handed to us ("foster") so that
 * a loop restart keeps them too. They are not our children: no SIGCHLD, no waitid().
 * We poll their pidfds instead; once readable, the status comes from
 * ioctl(PIDFD_GET_INFO, PIDFD_INFO_EXIT) (Linux 6.15), which the kernel fills in only
 * when the process is reaped — by the host's init (or subreaper), so we ask again until
 * it is there. init's exit status encodes the workload's (sandbox/init.c), and it sent
 * the exact wait status over its control socket before it exited: "ending" tells the
 * loop to use that one without waiting for the reaper. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "macros.h"
#include "util.h"

/* A loop process that keeps dying is a bug, not bad luck: after this many restarts
 * within the window, fail closed as if there were no restarts at all. */
#define LOOP_RESTARTS_MAX 5
#define LOOP_RESTART_WINDOW_NS (30ull * 1000000000ull)

struct zchild {
        pid_t pid;
        int pidfd, ctl;
        int log[2];         /* detached: read ends of stdout/stderr; -1 otherwise */
        char id[NC_ID_LEN + 1];
        bool reaped;        /* status is init's; kept until the loop's "forget" */
        bool status_known;  /* false: a foster child whose exit information the kernel did not give */
        int status;
        bool foster;        /* not our child: its end is seen on its pidfd */
        bool ending;        /* foster: ended, its exit information not there yet */
        uint64_t give_up;   /* foster, ending: when to stop waiting for the exit information */
};

/* <linux/pidfd.h> of Linux 6.15; older headers lack it. The first 64 bytes (VER0) are
 * all we read. */
struct zyg_pidfd_info {
        uint64_t mask, cgroupid;
        uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
        int32_t exit_code;
};
#define ZYG_PIDFD_INFO_EXIT (1ULL << 3)
#define ZYG_PIDFD_GET_INFO _IOWR(0xFF, 11, struct zyg_pidfd_info)
/* How often, and how long, to ask again while a foster child waits for its reaper. */
#define FOSTER_RETRY_MS 20
#define FOSTER_WAIT_NS (30ull * 1000000000ull)

struct zygote {
        const struct sbx_config *cfg;
        sbx_start_loop_fn start_loop;
        void *userdata;
        int sock;           /* our end of the loop channel */
        pid_t loop_pid;
        struct zchild *kids;
        size_t nkids, capkids;
        uint64_t restarts[LOOP_RESTARTS_MAX];   /* when the last ones happened, oldest first */
        bool stopping;
        bool term;          /* asked to stop: a loop that ends now is not restarted */
};

/* The one zygote of this process, for sbx_zygote_forked(). */
static struct zygote *the_zygote;

static void zchild_close(struct zchild *k)
{
        int *fds[] = { &k->pidfd, &k->ctl, &k->log[0], &k->log[1] };

        for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
                if (*fds[i] >= 0) {
                        close(*fds[i]);
                        *fds[i] = -1;
                }
}

static void zchild_drop(struct zygote *z, size_t i)
{
        zchild_close(&z->kids[i]);
        z->kids[i] = z->kids[--z->nkids];
}

/* fork() copied every child's descriptors into the new loop process; it gets its own
 * copies with "adopt", and these must not linger there (a ctl or log pipe held twice
 * by one process is a leak per restart). */
void sbx_zygote_forked(void)
{
        struct zygote *z = the_zygote;

        if (!z)
                return;
        for (size_t i = 0; i < z->nkids; i++)
                zchild_close(&z->kids[i]);
        if (z->sock >= 0)
                close(z->sock);
}

static int loop_start(struct zygote *z, bool restart);

static int zygote_send(struct zygote *z, json_t *msg, const int *fds, size_t nfds)
{
        int r = sbx_ctl_send_json(z->sock, msg, fds, nfds);

        if (r < 0)
                log_warn_errno(r, "Failed to send to the loop process, ignoring");
        return r;
}

static int grow(struct zygote *z)
{
        if (z->nkids == z->capkids) {
                size_t ncap = z->capkids ? z->capkids * 2 : 64;
                struct zchild *nk = realloc(z->kids, ncap * sizeof(*nk));

                if (!nk)
                        return -ENOMEM;
                z->kids = nk;
                z->capkids = ncap;
        }
        return 0;
}

/* A sandbox of an earlier nucleusd that our loop process took over: fds are its pidfd,
 * its control socket and, detached, its log pipes' read ends (all taken). */
static void handle_foster(struct zygote *z, const char *id, pid_t pid, int fds[4])
{
        if (!nc_id_valid(id) || pid <= 0 || grow(z) < 0) {
                log_warn("Cannot foster sandbox %s", nc_id_valid(id) ? id : "?");
                for (int i = 0; i < 4; i++)
                        if (fds[i] >= 0)
                                close(fds[i]);
                return;
        }
        struct zchild *k = &z->kids[z->nkids++];
        *k = (struct zchild){ .pid = pid, .pidfd = fds[0], .ctl = fds[1], .log = { fds[2], fds[3] }, .foster = true };
        memcpy(k->id, id, sizeof(k->id));
}

static void handle_prepare(struct zygote *z, const char *id, json_int_t uid_base, const struct sbx_profile *profile,
                           const char *cgroup_root, int log[2])
{
        struct sbx_failure fail = { 0 };
        struct sbx_spawned sp;
        /* A leaf placed outside nucleusd's root (the loop checked where): the same
         * settings with that root. Static: sbx_config is large for the stack. */
        static struct sbx_config placed;
        const struct sbx_config *cfg = z->cfg;
        int r;

        if (cgroup_root) {
                placed = *z->cfg;
                snprintf(placed.cgroup_root, sizeof(placed.cgroup_root), "%s", cgroup_root);
                cfg = &placed;
        }

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
        if (grow(z) < 0) {
                sbx_failure_set(&fail, "zygote", ENOMEM, "out of memory");
                goto failed;
        }
        r = sbx_spawn_prepare(cfg, id, (uint32_t)uid_base, profile, &sp, &fail);
        if (r < 0)
                goto failed;
        struct zchild *k = &z->kids[z->nkids++];
        *k = (struct zchild){ .pid = sp.pid, .pidfd = sp.pidfd, .ctl = sp.ctl, .log = { log[0], log[1] }, .status_known = true };
        log[0] = log[1] = -1;
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

/* A pool member claimed by a detached sandbox: its log pipes come after its clone. */
static void handle_logs(struct zygote *z, const char *id, int fds[2])
{
        for (size_t i = 0; i < z->nkids; i++) {
                struct zchild *k = &z->kids[i];

                if (strcmp(k->id, id) == 0 && !k->reaped && k->log[0] < 0 && k->log[1] < 0) {
                        k->log[0] = fds[0];
                        k->log[1] = fds[1];
                        return;
                }
        }
        close(fds[0]);
        close(fds[1]);
}

static void handle_forget(struct zygote *z, const char *id)
{
        for (size_t i = 0; i < z->nkids; i++)
                if ((z->kids[i].reaped || z->kids[i].ending) && strcmp(z->kids[i].id, id) == 0) {
                        zchild_drop(z, i);
                        return;
                }
}

/* Handles one message; false when there was none (or the channel closed). */
static bool handle_loop_message(struct zygote *z)
{
        json_t *msg = NULL;
        const char *op, *id;
        int fds[4] = { -1, -1, -1, -1 };
        size_t nfds = 4;
        int r = sbx_ctl_recv_json(z->sock, &msg, fds, &nfds);

        if (r == 0 || r == -ECONNRESET) {
                /* The loop closed its end; its exit status arrives with SIGCHLD. */
                close(z->sock);
                z->sock = -1;
                return false;
        }
        if (r < 0) {
                log_warn_errno(r, "Bad message from the loop process, ignoring");
                return r != -EAGAIN;
        }
        op = json_string_value(json_object_get(msg, "op"));
        id = json_string_value(json_object_get(msg, "id")) ?: "";
        if (op && strcmp(op, "prepare") == 0) {
                struct sbx_profile profile;
                /* A detached sandbox's log pipes come along: they outlive a loop process. */
                int log[2] = { nfds == 2 ? fds[0] : -1, nfds == 2 ? fds[1] : -1 };

                if (nfds == 2)
                        nfds = 0;
                sbx_profile_from_json(json_object_get(msg, "profile"), &profile);
                handle_prepare(z, id, json_integer_value(json_object_get(msg, "uid_base")), &profile,
                               json_string_value(json_object_get(msg, "cgroup_root")), log);
                for (int i = 0; i < 2; i++)
                        if (log[i] >= 0)
                                close(log[i]);
        } else if (op && strcmp(op, "foster") == 0 && (nfds == 2 || nfds == 4)) {
                handle_foster(z, id, (pid_t)json_integer_value(json_object_get(msg, "pid")), fds);
                nfds = 0;
        } else if (op && strcmp(op, "logs") == 0 && nfds == 2) {
                handle_logs(z, id, fds);
                nfds = 0;
        } else if (op && strcmp(op, "forget") == 0)
                handle_forget(z, id);
        else
                log_warn("Unknown request '%s' from the loop process, ignoring", op ? op : "?");
        for (size_t i = 0; i < nfds; i++)
                close(fds[i]);
        json_decref(msg);
        return true;
}

/* Everything the loop sent before it died is still queued: read it all, so that no
 * "forget" (or "prepare") is mistaken for missing. */
static void drain_loop_messages(struct zygote *z)
{
        while (z->sock >= 0) {
                struct pollfd p = { .fd = z->sock, .events = POLLIN };

                if (poll(&p, 1, 0) <= 0 || !handle_loop_message(z))
                        return;
        }
}

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool restart_allowed(struct zygote *z)
{
        uint64_t now = now_ns();

        if (z->restarts[0] && now - z->restarts[0] < LOOP_RESTART_WINDOW_NS)
                return false;
        memmove(z->restarts, z->restarts + 1, sizeof(z->restarts) - sizeof(z->restarts[0]));
        z->restarts[LOOP_RESTARTS_MAX - 1] = now;
        return true;
}

/* Starts a loop process and hands it every child we hold, then "adopt_end". The first
 * loop gets only "adopt_end" with restart false: state files it finds are left over
 * by an earlier nucleusd, not ours. */
static int loop_start(struct zygote *z, bool restart)
{
        int r = z->start_loop(z->userdata, &z->loop_pid, &z->sock);

        if (r < 0)
                return r;
        for (size_t i = 0; i < z->nkids; i++) {
                struct zchild *k = &z->kids[i];
                int fds[4] = { k->pidfd, k->ctl, k->log[0], k->log[1] };
                json_t *m = json_pack("{s:s, s:s, s:i, s:b}", "op", "adopt", "id", k->id, "pid", (int)k->pid, "reaped",
                                      k->reaped);

                if (k->reaped) {
                        json_object_set_new(m, "status", json_integer(k->status));
                        json_object_set_new(m, "status_unknown", json_boolean(!k->status_known));
                }
                (void)zygote_send(z, m, fds, k->log[0] >= 0 ? 4 : 2);
        }
        (void)zygote_send(z, json_pack("{s:s, s:b, s:I}", "op", "adopt_end", "restart", restart, "count",
                                       (json_int_t)z->nkids), NULL, 0);
        return 0;
}

static void kill_all(struct zygote *z)
{
        for (size_t i = 0; i < z->nkids; i++)
                (void)syscall(SYS_pidfd_send_signal, z->kids[i].pidfd, SIGKILL, NULL, 0);
}

/* Child i ended (a foster child too). */
static void child_ended(struct zygote *z, size_t i, int status, bool known)
{
        struct zchild *k = &z->kids[i];

        k->reaped = true;
        k->status = status;
        k->status_known = known;
        if (z->stopping && z->loop_pid < 0)
                zchild_drop(z, i);      /* nobody will ask for it */
        else if (z->sock >= 0)
                (void)zygote_send(z, json_pack("{s:s, s:s, s:i, s:i, s:b}", "op", "reaped", "id", k->id, "pid", (int)k->pid,
                                               "status", status, "status_unknown", !known), NULL, 0);
        /* else: the next loop gets it with "adopt" */
}

/* A foster child's pidfd is readable, or it was and its exit information was not there
 * yet. Returns true when it is settled (child i is then reaped or dropped). */
static bool foster_check(struct zygote *z, size_t i)
{
        struct zchild *k = &z->kids[i];
        struct zyg_pidfd_info info = { .mask = ZYG_PIDFD_INFO_EXIT };

        if (z->stopping && z->loop_pid < 0) {
                zchild_drop(z, i);
                return true;
        }
        int r = ioctl(k->pidfd, ZYG_PIDFD_GET_INFO, &info);

        if (r == 0 && (info.mask & ZYG_PIDFD_INFO_EXIT)) {
                log_debug("Foster sandbox %s ended; status 0x%x from PIDFD_GET_INFO", k->id, (unsigned)info.exit_code);
                child_ended(z, i, info.exit_code, true);
                return true;
        }
        /* r == 0 without the exit: a zombie its reaper has not reaped yet. Anything else:
         * no such ioctl (Linux < 6.13), or reaped without exit information (< 6.15,
         * ESRCH). Then, or when the reaper takes too long, init's report is all there is. */
        if (!k->ending)
                k->give_up = now_ns() + FOSTER_WAIT_NS;
        if (r < 0 || now_ns() > k->give_up) {
                log_warn("Foster sandbox %s ended; the kernel gives no exit status for it (%s)", k->id,
                         r < 0 ? strerror(errno) : "not reaped in time");
                child_ended(z, i, 0, false);
                return true;
        }
        if (!k->ending && z->sock >= 0)
                (void)zygote_send(z, json_pack("{s:s, s:s}", "op", "ending", "id", k->id), NULL, 0);
        k->ending = true;
        return false;
}

/* The foster children whose pidfds were readable, and those still waiting for their
 * exit information. Backwards: a dropped entry takes the last one's place. */
static void fosters_check(struct zygote *z, const struct pollfd *p, size_t n)
{
        for (size_t i = z->nkids; i-- > 0;) {
                const struct zchild *k = &z->kids[i];
                bool ready = k->ending;

                if (!k->foster || k->reaped)
                        continue;
                for (size_t j = 0; j < n && !ready; j++)
                        ready = p[j].fd == k->pidfd && p[j].revents;
                if (ready)
                        (void)foster_check(z, i);
        }
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
                        size_t live = 0;

                        z->loop_pid = -1;
                        drain_loop_messages(z);
                        if (z->sock >= 0) {
                                close(z->sock);
                                z->sock = -1;
                        }
                        for (size_t i = 0; i < z->nkids; i++)
                                live += !z->kids[i].reaped;
                        if (si.si_code == CLD_EXITED && si.si_status == 0 && live == 0) {
                                /* A clean exit (idle, or stopped): every end was recorded. */
                                while (z->nkids)
                                        zchild_drop(z, 0);
                                *exit_code = 0;
                                return true;
                        }
                        if (!z->term && !z->stopping && restart_allowed(z)) {
                                log_warn("The loop process ended (%s %d); starting a new one for %zu sandboxes",
                                         si.si_code == CLD_EXITED ? "status" : "signal", si.si_status, z->nkids);
                                if (loop_start(z, true) == 0)
                                        continue;
                                log_error("Failed to start a new loop process");
                        }
                        /* Asked to stop, restarting too often, or unable to: sandboxes nobody
                         * supervises must not be left behind, so fail closed. */
                        log_error("The loop process ended (%s %d) with %zu sandboxes; stopping them",
                                  si.si_code == CLD_EXITED ? "status" : "signal", si.si_status, live);
                        kill_all(z);
                        z->stopping = true;
                        *exit_code = 1;
                        for (size_t i = z->nkids; i-- > 0;)
                                if (z->kids[i].reaped)
                                        zchild_drop(z, i);
                        if (z->nkids == 0)
                                return true;
                        continue;
                }
                for (size_t i = 0; i < z->nkids; i++) {
                        struct zchild *k = &z->kids[i];

                        if (k->pid != si.si_pid || k->foster)
                                continue;
                        child_ended(z, i, status, true);
                        break;
                }
                if (z->stopping && z->nkids == 0 && z->loop_pid < 0)
                        return true;
        }
}

int sbx_zygote_run(const struct sbx_config *cfg, sbx_start_loop_fn start_loop, void *userdata)
{
        struct zygote z = { .cfg = cfg, .start_loop = start_loop, .userdata = userdata, .sock = -1, .loop_pid = -1 };
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

        the_zygote = &z;
        r = loop_start(&z, false);
        if (r < 0)
                return log_error_errno(r, "Failed to start the loop process");

        struct pollfd *pfd = NULL;
        for (;;) {
                struct signalfd_siginfo si;
                struct pollfd *np = realloc(pfd, (2 + z.nkids) * sizeof(*pfd));
                size_t n = 2;
                bool pending = false;

                if (!np) {
                        log_error("Out of memory");
                        sleep(1);
                        continue;
                }
                pfd = np;
                /* z.sock changes when a new loop process starts. */
                pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
                pfd[1] = (struct pollfd){ .fd = z.sock, .events = POLLIN };
                for (size_t i = 0; i < z.nkids; i++)
                        if (z.kids[i].foster && !z.kids[i].reaped) {
                                if (z.kids[i].ending)
                                        pending = true;
                                else
                                        pfd[n++] = (struct pollfd){ .fd = z.kids[i].pidfd, .events = POLLIN };
                        }
                if (poll(pfd, n, pending ? FOSTER_RETRY_MS : -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(errno, "poll");
                }
                /* Before the loop's messages: a "forget" may close (and free the number of)
                 * a pidfd polled here. */
                fosters_check(&z, pfd + 2, n - 2);
                if (z.stopping && z.nkids == 0 && z.loop_pid < 0)
                        break;
                if (pfd[1].revents && z.sock >= 0)
                        (void)handle_loop_message(&z);
                if (!(pfd[0].revents & POLLIN))
                        continue;
                while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                        if (si.ssi_signo == SIGCHLD)
                                continue;
                        /* Shutdown is the loop's job (it stops sandboxes gracefully); without
                         * a loop there is nothing graceful left to do. */
                        z.term = true;
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
        free(pfd);
        while (z.nkids)
                zchild_drop(&z, 0);
        free(z.kids);
        the_zygote = NULL;
        return exit_code;
}
