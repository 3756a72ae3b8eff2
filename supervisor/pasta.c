/* SPDX-License-Identifier: Apache-2.0 */
/* --nat-backend userspace on the loop (docs/network.md): a pasta per sandbox, started
 * after the clone, watched through its pidfd, killed when the sandbox ends, and found
 * again (or killed) by the next loop process from its record in the state dir.
 *
 * pasta takes 100-200 ms to configure the namespace on this host, too long to wait for
 * on the loop: the claim is held until pasta has written its pid file (which it does
 * once eth0 has its address and route), so the workload never starts without its
 * network, and the loop serves everyone else meanwhile. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "netpolicy.h"
#include "sup.h"

#define READY_POLL_MS 5
#define READY_TIMEOUT_NS (10ULL * 1000 * 1000 * 1000)

struct sup_pasta {
        struct sup_pasta *next;         /* in sup->pastas */
        struct sup *sup;
        struct sup_sandbox *sb;         /* NULL once its sandbox let go of it */
        struct np_pasta_paths paths;
        char id[NC_ID_LEN + 1];
        pid_t pid;
        int pidfd;
        bool child;                     /* ours to reap; an adopted one is the zygote's (subreaper) */
        bool ready;                     /* its pid file is written: the namespace is configured */
        bool claim_held;                /* the claim waits for ready */
        uint64_t started, deadline;     /* monotonic ns */
        uv_poll_t exit_poll;
        uv_timer_t ready_timer;
        int open_handles;
};

static void on_closed(uv_handle_t *h)
{
        struct sup_pasta *p = h->data;

        if (--p->open_handles > 0)
                return;
        for (struct sup_pasta **pp = &p->sup->pastas; *pp; pp = &(*pp)->next)
                if (*pp == p) {
                        *pp = p->next;
                        break;
                }
        close(p->pidfd);
        free(p);
}

static void pasta_close(struct sup_pasta *p)
{
        if (!uv_is_closing((uv_handle_t *)&p->exit_poll))
                uv_close((uv_handle_t *)&p->exit_poll, on_closed);
        if (!uv_is_closing((uv_handle_t *)&p->ready_timer))
                uv_close((uv_handle_t *)&p->ready_timer, on_closed);
}

/* The sandbox cannot run without the network it was promised. */
static void fail_sandbox(struct sup_sandbox *sb, int r, const char *msg)
{
        struct sbx_failure f;

        sbx_failure_set(&f, "network", r, "%s", msg);
        sup_sandbox_fail(sb, &f);
        (void)sup_sandbox_signal(sb, SIGKILL);
}

static void describe_exit(struct sup_pasta *p, char *buf, size_t cap)
{
        siginfo_t si = { 0 };

        if (!p->child || waitid((idtype_t)P_PIDFD, (id_t)p->pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
                snprintf(buf, cap, "status unknown");
        else if (si.si_code == CLD_EXITED)
                snprintf(buf, cap, "exit status %d", si.si_status);
        else
                snprintf(buf, cap, "killed by signal %s", nc_signal_name(si.si_status));
}

static void on_exit_poll(uv_poll_t *h, int status, int events)
{
        struct sup_pasta *p = h->data;
        struct sup_sandbox *sb = p->sb;
        char how[64], msg[sizeof(sb->net.pasta_error)];
        _cleanup_free_ char *tail = np_pasta_log_tail(&p->paths);

        (void)status;
        (void)events;
        uv_poll_stop(h);
        describe_exit(p, how, sizeof(how));
        if (sb) {
                snprintf(msg, sizeof(msg), "pasta (pid %d) exited (%s)%s%s", (int)p->pid, how, tail ? ": " : "",
                         tail ? tail : "");
                sb->net.pasta = NULL;
                sb->net.pasta_exited = true;
                if (!p->ready) {
                        char why[sizeof(msg) + 64];
                        snprintf(why, sizeof(why), "%s before the sandbox's network was configured", msg);
                        fail_sandbox(sb, ECHILD, why);
                } else {
                        /* The workload runs on without a network: said in inspect. */
                        snprintf(sb->net.pasta_error, sizeof(sb->net.pasta_error), "%s", msg);
                        log_warn("Sandbox %s: %s; its network is gone", sb->id, msg);
                }
        } else
                log_debug("pasta (pid %d) of sandbox %s ended (%s)", (int)p->pid, p->id, how);
        np_pasta_files_remove(&p->paths);
        pasta_close(p);
}

static void on_ready_timer(uv_timer_t *t)
{
        struct sup_pasta *p = t->data;
        struct sup_sandbox *sb = p->sb;
        struct stat st;
        int r;

        if (stat(p->paths.pid_file, &st) == 0 && st.st_size > 0) {
                uv_timer_stop(t);
                p->ready = true;
                if (!sb)
                        return;
                log_debug("Sandbox %s: pasta (pid %d) configured its network in %llu us", sb->id, (int)p->pid,
                          (unsigned long long)((nc_monotonic_ns() - p->started) / 1000));
                /* Before the claim can go: pasta would carry 127.0.0.1 to the host's. */
                struct nc_err e = { 0 };
                if ((r = np_loopback_guard(sb->pidfd, NP_PASTA_IFNAME, &e)) < 0) {
                        fail_sandbox(sb, -r, e.msg);
                        (void)syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
                        return;
                }
                if (p->claim_held) {
                        p->claim_held = false;
                        if ((r = sup_claim_send(sb)) < 0) {
                                struct sbx_failure f;
                                sbx_failure_set(&f, "claim", r, "Failed to send the claim to init");
                                sup_sandbox_fail(sb, &f);
                                (void)sup_sandbox_signal(sb, SIGKILL);
                        }
                }
                return;
        }
        if (nc_monotonic_ns() < p->deadline)
                return;
        uv_timer_stop(t);
        if (sb)
                fail_sandbox(sb, ETIMEDOUT, "pasta did not configure the sandbox's network in 10 s");
        (void)syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
}

static struct sup_pasta *pasta_new(struct sup *s, const char *id, pid_t pid, int pidfd, bool child)
{
        struct sup_pasta *p = calloc(1, sizeof(*p));

        if (!p)
                return NULL;
        p->sup = s;
        p->pid = pid;
        p->pidfd = pidfd;
        p->child = child;
        snprintf(p->id, sizeof(p->id), "%s", id);
        (void)np_pasta_paths(s->opt->paths.state_dir, id, &p->paths);
        uv_poll_init(&s->loop, &p->exit_poll, pidfd);
        uv_timer_init(&s->loop, &p->ready_timer);
        p->exit_poll.data = p->ready_timer.data = p;
        p->open_handles = 2;
        uv_poll_start(&p->exit_poll, UV_READABLE, on_exit_poll);
        p->next = s->pastas;
        s->pastas = p;
        return p;
}

int sup_pasta_start(struct sup_sandbox *sb, struct nc_err *err)
{
        struct sup *s = sb->sup;
        struct np_pasta_paths paths;
        char **argv = NULL;
        uint64_t start = 0;
        pid_t pid;
        int r, nsfd, pidfd;
        uint64_t t0 = nc_monotonic_ns();

        if ((r = np_pasta_paths(s->opt->paths.state_dir, sb->id, &paths)) < 0)
                return nc_err_set_errno(err, r, "Failed to name pasta's files in the state dir");
        if ((r = nc_mkdir_p(paths.dir, 0700, false)) < 0)
                return nc_err_set_errno(err, r, "Failed to create '%s'", paths.dir);
        np_pasta_files_remove(&paths);
        if ((r = np_pasta_argv(NP_PASTA_EXE, &sb->spec->network, &paths, (gid_t)sb->uid_base, &argv)) < 0)
                return nc_err_set_errno(err, r, "Failed to build pasta's arguments");
        if ((nsfd = np_netns_fd(sb->pid, sb->pidfd)) < 0) {
                np_pasta_argv_free(argv);
                return nc_err_set_errno(err, nsfd, "Failed to open the sandbox's network namespace");
        }
        r = np_pasta_spawn(NP_PASTA_EXE, argv, nsfd, &pid);
        close(nsfd);
        np_pasta_argv_free(argv);
        if (r < 0)
                return nc_err_set_errno(err, r, "Failed to start %s", NP_PASTA_EXE);
        /* Our unreaped child: its pid cannot be reused before we wait for it. */
        if ((pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0) {
                r = -errno;
                kill(pid, SIGKILL);
                (void)waitpid(pid, NULL, 0);
                return nc_err_set_errno(err, r, "Failed to watch pasta (pid %d)", (int)pid);
        }
        (void)fcntl(pidfd, F_SETFD, FD_CLOEXEC);
        /* Before anything can fail: a nucleusd that crashes from here on leaves a record
         * for the next one's sweep. */
        if (nc_proc_start_time(pid, &start) < 0 || (r = np_pasta_record_write(&paths, pid, start)) < 0)
                log_warn("Sandbox %s: failed to record pasta (pid %d); a crashed nucleusd would leave it running, "
                         "ignoring", sb->id, (int)pid);
        struct sup_pasta *p = pasta_new(s, sb->id, pid, pidfd, true);
        if (!p) {
                (void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
                (void)waitpid(pid, NULL, 0);
                close(pidfd);
                np_pasta_files_remove(&paths);
                return nc_err_set_errno(err, -ENOMEM, "Failed to watch pasta");
        }
        p->sb = sb;
        p->started = t0;
        p->deadline = t0 + READY_TIMEOUT_NS;
        uv_timer_start(&p->ready_timer, on_ready_timer, 1, READY_POLL_MS);
        sb->net.pasta = p;
        sb->net.pasta_pid = pid;
        sb->net.pasta_exited = false;
        sb->net.pasta_error[0] = 0;
        return 0;
}

bool sup_pasta_hold_claim(struct sup_sandbox *sb)
{
        const struct nc_spec_network *n = &sb->spec->network;

        if (n->mode != NC_NET_BRIDGE || n->nat_backend != NC_NAT_USERSPACE)
                return false;
        if (!sb->net.pasta)
                return true;    /* it died before it was ready: the sandbox has failed */
        if (sb->net.pasta->ready)
                return false;
        sb->net.pasta->claim_held = true;
        return true;
}

void sup_pasta_stop(struct sup_sandbox *sb)
{
        struct sup_pasta *p = sb->net.pasta;

        if (!p)
                return;
        /* pasta holds nothing to flush: the exit poll reaps it and removes its files. */
        p->sb = NULL;
        sb->net.pasta = NULL;
        uv_timer_stop(&p->ready_timer);
        if (syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
                log_warn_errno(errno, "Failed to kill pasta (pid %d) of sandbox %s, ignoring", (int)p->pid, sb->id);
}

struct sweep {
        struct sup *s;
        int killed, adopted;
};

static struct sup_sandbox *live_userspace(struct sup *s, const char *id)
{
        for (struct sup_sandbox *sb = s->sandboxes; sb; sb = sb->next)
                if (strcmp(sb->id, id) == 0 && sup_state_live(sb->state) && sb->spec->network.mode == NC_NET_BRIDGE &&
                    sb->spec->network.nat_backend == NC_NAT_USERSPACE && !sb->net.pasta)
                        return sb;
        return NULL;
}

static bool sweep_one(const char *id, pid_t pid, uint64_t start, const struct np_pasta_paths *paths, void *userdata)
{
        struct sweep *w = userdata;
        struct sup_sandbox *sb = live_userspace(w->s, id);
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        bool ours;

        /* Checked after the pidfd is open: from then on, pid cannot be another process. */
        ours = pidfd >= 0 && np_pasta_is_ours(pid, start);
        if (ours && sb) {
                /* A previous loop process's, for a sandbox we took over: it goes on. */
                struct sup_pasta *p = pasta_new(w->s, id, pid, pidfd, false);
                if (p) {
                        p->sb = sb;
                        p->ready = true;
                        sb->net.pasta = p;
                        sb->net.pasta_pid = pid;
                        w->adopted++;
                        return false;
                }
        }
        if (ours)
                (void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
        if (pidfd >= 0)
                close(pidfd);
        np_pasta_files_remove(paths);
        if (sb) {
                /* Its pasta is gone (or is not the one we started): no network any more. */
                sb->net.pasta_exited = true;
                snprintf(sb->net.pasta_error, sizeof(sb->net.pasta_error),
                         "pasta (pid %d) was gone when this nucleusd took the sandbox over", (int)pid);
        }
        if (ours)
                w->killed++;
        return ours;
}

int sup_pasta_sweep(struct sup *s)
{
        struct sweep w = { .s = s };
        int r = np_pasta_sweep(s->opt->paths.state_dir, sweep_one, &w);

        if (r < 0)
                return log_warn_errno(-r, "Failed to look for pasta processes a previous nucleusd left, ignoring"), r;
        if (w.killed)
                log_info("Killed %d pasta process(es) of sandboxes a previous nucleusd left", w.killed);
        if (w.adopted)
                log_debug("Took over %d pasta process(es) of running sandboxes", w.adopted);
        return w.killed;
}

/* After the loop closed every handle: what is left had no close callback run. */
void sup_pasta_done(struct sup *s)
{
        while (s->pastas) {
                struct sup_pasta *p = s->pastas;
                s->pastas = p->next;
                if (p->sb)
                        p->sb->net.pasta = NULL;
                close(p->pidfd);
                free(p);
        }
}

json_t *sup_pasta_inspect(const struct sup_sandbox *sb)
{
        const struct sup_pasta *p = sb->net.pasta;
        const char *state = p ? (p->ready ? "running" : "starting") : sb->net.pasta_exited ? "exited" : "stopped";

        if (!sb->net.pasta_pid)
                return json_null();
        return json_pack("{s:i, s:s, s:s}", "pid", (int)sb->net.pasta_pid, "state", state, "path", NP_PASTA_EXE);
}
