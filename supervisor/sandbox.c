/* SPDX-License-Identifier: Apache-2.0 */
/* One sandbox's life, as seen from the loop:
 *
 *   create ─ prepare → zygote ─ cloned(pidfd, ctl) ─ init: ready ─ claim(spec, stdio) →
 *   init: started ─ … ─ init: exit(W) ─ record ─ zygote: reaped(init status) ─ release
 *
 * The workload's status comes from init over ctl; the zygote's reaped message says init
 * is gone, so every message init sent is already queued on ctl and can be drained.
 * Record and release, the end, are in sandbox_end.c. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "ctl.h"
#include "log.h"
#include "probe.h"
#include "seccomp_trace.h"
#include "sup.h"

static struct sup_sandbox *find_by_id(struct sup *s, const char *id)
{
        return sup_sandbox_by_id(s, id);
}

int sup_sandbox_set_state(struct sup_sandbox *sb, enum sup_state to)
{
        if (sb->state == to)
                return 0;
        if (!sup_state_can(sb->state, to)) {
                log_error("Refusing transition %s -> %s of sandbox %s", sup_state_name(sb->state),
                          sup_state_name(to), sb->id);
                return -EINVAL;
        }
        log_debug("sandbox %s: %s -> %s", sb->id, sup_state_name(sb->state), sup_state_name(to));
        if (sup_state_live(sb->state) && !sup_state_live(to))
                sb->sup->nlive--;
        enum sup_state from = sb->state;
        sb->state = to;
        /* What a restarted loop process must know: paused, resumed, stopping. (Started
         * and ended are written where they happen, with their details.) */
        if (to == SUP_STATE_paused || to == SUP_STATE_stopping || (from == SUP_STATE_paused && to == SUP_STATE_running))
                (void)sup_state_write(sb);
        sup_event_emit(sb, sup_state_name(from), sup_state_name(to));
        return 0;
}

static void start_claimed(struct sup_sandbox *sb);

int sup_sandbox_start(struct sup_sandbox *sb)
{
        struct sbx_profile profile;

        sb->t_start = nc_monotonic_ns();
        if (sb->pool_hit) {
                /* A member's init can die while its rootfs is being attested: then the
                 * sandbox has ended already, and there is nothing to start. */
                if (!sb->finished_ns)
                        start_claimed(sb);
                return 0;
        }
        sb->t_prepare = sb->t_start;
        sup_profile_of(sb->spec, sb->rootfs.fd >= 0, &profile);
        /* The log pipes' read ends go along: the zygote keeps them for a loop process
         * that takes over after this one. */
        json_t *msg = json_pack("{s:s, s:s, s:I, s:o}", "op", "prepare", "id", sb->id, "uid_base", (json_int_t)sb->uid_base,
                                "profile", sbx_profile_to_json(&profile));

        /* A leaf placed beside its caller's (placement.c) is made there by the zygote. */
        if (sb->cg_cfg)
                json_object_set_new(msg, "cgroup_root", json_string(sb->cg_cfg->cgroup_root));
        return sup_zygote_send_fds(sb->sup, msg, sb->log_fd, sb->log_fd[0] >= 0 && sb->log_fd[1] >= 0 ? 2 : 0);
}

void sup_sandbox_fail_before_clone(struct sup_sandbox *sb, const char *stage, int r, const char *msg)
{
        struct sbx_failure f;
        json_t *m;

        /* The way a failed clone fails, so the reply, the record and the cleanup take
         * the one path. */
        sbx_failure_set(&f, stage, r, "%s", msg);
        m = sbx_failure_to_json(&f);
        sup_sandbox_on_zygote_failed(sb->sup, sb->id, m);
        json_decref(m);
}

int sup_sandbox_signal(struct sup_sandbox *sb, int sig)
{
        if (sb->pidfd < 0)
                return -ESRCH;
        if (syscall(SYS_pidfd_send_signal, sb->pidfd, sig, NULL, 0) < 0)
                return -errno;
        return 0;
}

static void kill_now(struct sup_sandbox *sb)
{
        (void)sup_sandbox_signal(sb, SIGKILL);
        /* init's death takes its pid namespace along; the cgroup catches anything that
         * escaped it (nothing should). */
        (void)sbx_cgroup_leaf_kill(sup_cg(sb), sb->id);
}

static void on_stop_timeout(uv_timer_t *t)
{
        struct sup_sandbox *sb = t->data;

        log_info("Sandbox %s did not stop in time, killing it", sb->id);
        kill_now(sb);
}

void sup_sandbox_stop(struct sup_sandbox *sb, uint64_t timeout_ms)
{
        if (!sup_state_live(sb->state))
                return;
        sb->stop_requested = true;
        if (sb->stop_reason == SUP_STOP_NONE)
                sb->stop_reason = SUP_STOP_SUPERVISOR;
        if (sb->state == SUP_STATE_paused) {
                /* A frozen sandbox cannot act on SIGTERM: thaw it first. */
                (void)sbx_cg_write(sup_cg(sb)->cgroup_root, sb->id, "cgroup.freeze", "0");
        }
        if (sb->state == SUP_STATE_creating || timeout_ms == 0) {
                /* Nothing has run yet (or the caller asked for no grace): no one to ask nicely. */
                if (sb->state == SUP_STATE_running || sb->state == SUP_STATE_paused)
                        (void)sup_sandbox_set_state(sb, SUP_STATE_stopping);
                kill_now(sb);
                return;
        }
        /* Already stopping: a second stop does not restart the grace period. */
        if (sb->state == SUP_STATE_stopping && uv_is_active((uv_handle_t *)&sb->timer))
                return;
        sb->kill_at_ns = nc_now_ns() + timeout_ms * 1000000ull;
        if (sb->state == SUP_STATE_running || sb->state == SUP_STATE_paused)
                (void)sup_sandbox_set_state(sb, SUP_STATE_stopping);
        (void)sup_sandbox_signal(sb, SIGTERM);
        uv_timer_start(&sb->timer, on_stop_timeout, timeout_ms, 0);
}

static void on_deadline(uv_timer_t *t)
{
        struct sup_sandbox *sb = t->data;

        if (!sup_state_live(sb->state))
                return;
        log_info("Sandbox %s reached its timeout; killing it", sb->id);
        if (sb->stop_reason == SUP_STOP_NONE)
                sb->stop_reason = SUP_STOP_TIMEOUT;
        sb->stop_requested = true;
        kill_now(sb);
}

static void fail(struct sup_sandbox *sb, const struct sbx_failure *f);

/* Setup is bounded: init blocks on whatever the claim brings (a context stream that
 * never ends, a volume on a hung NFS server), and a sandbox must not stay "creating"
 * forever holding a uid range and a slot. */
static void on_setup_deadline(uv_timer_t *t)
{
        struct sup_sandbox *sb = t->data;
        struct sbx_failure f;

        if (sb->state != SUP_STATE_creating)
                return;
        sbx_failure_set(&f, "setup", ETIMEDOUT, "the sandbox was not ready %llu s after its clone (nucleusd "
                        "--setup-timeout); a context stream that never ends?",
                        (unsigned long long)(sb->sup->opt->setup_timeout_ms / 1000));
        fail(sb, &f);
        kill_now(sb);
}

static void fail(struct sup_sandbox *sb, const struct sbx_failure *f)
{
        if (sb->failed)
                return;     /* the first failure is the cause; later ones are consequences */
        sb->failed = true;
        sb->failure = *f;
}

static void reply_create_started(struct sup_sandbox *sb)
{
        if (!sb->create_conn)
                return;
        if (sb->create_waits) {
                /* The reply comes at the end; tell the caller now which sandbox it is, so
                 * it can signal it meanwhile. */
                json_t *note = json_pack("{s:s, s:s, s:{s:O, s:s, s:i, s:O*, s:O*}}", "jsonrpc", "2.0", "method",
                                         "sandbox.started", "params", "request", sb->create_id, "id", sb->id, "pid",
                                         (int)sb->pid, "degraded", sb->degraded, "limits_not_applied", sb->limits_not_applied);
                int master = sb->tty_master >= 0 ? fcntl(sb->tty_master, F_DUPFD_CLOEXEC, 3) : -1;

                /* -t in the foreground: the caller gets the terminal with the notice. */
                if (master >= 0)
                        json_object_set_new(json_object_get(note, "params"), "tty", json_true());
                sup_conn_send_fd(sb->create_conn, note, master);
                return;
        }
        sup_conn_reply(sb->create_conn, sb->create_id,
                       json_pack("{s:s, s:o, s:i, s:s, s:O*, s:O*}", "id", sb->id, "name", nc_json_bytes(sup_sandbox_name(sb)),
                                 "pid", (int)sb->pid, "state", sup_state_name(sb->state), "degraded", sb->degraded,
                                 "limits_not_applied", sb->limits_not_applied));
        json_decref(sb->create_id);
        sb->create_id = NULL;
        sb->create_conn = NULL;
}

static void send_claim(struct sup_sandbox *sb)
{
        int r = sup_claim_send(sb);

        if (r < 0) {
                struct sbx_failure f;

                sbx_failure_set(&f, "claim", r, "Failed to send the claim to init");
                fail(sb, &f);
                kill_now(sb);
        }
}

/* fd: the one descriptor that came with msg, or -1. Only the trace listener may
 * carry one; it is taken here either way. */
static void handle_ctl_message(struct sup_sandbox *sb, json_t *msg, int fd)
{
        const char *op = json_string_value(json_object_get(msg, "op"));

        if (op && strcmp(op, SBX_SECCOMP_TRACE_OP) == 0 && fd >= 0) {
                sup_trace_attach(sb, fd);
                return;
        }
        if (op && strcmp(op, "notify_socket") == 0 && fd >= 0)
                return sup_notify_socket_attach(sb, fd);        /* --readiness-sd-notify */
        /* A pty master: the workload's (started) or an exec's. */
        if (op && fd >= 0 && json_is_true(json_object_get(msg, "tty"))) {
                if (strcmp(op, "exec_started") == 0) {
                        sup_exec_on_message(sb, op, msg, fd);
                        return;
                }
                if (strcmp(op, "started") == 0 && sb->tty && sb->tty_master < 0) {
                        sb->tty_master = fd;
                        fd = -1;
                }
        }
        if (fd >= 0)
                close(fd);
        if (!op || sup_restart_on_message(sb, op, msg))
                return;         /* --restart: an exit between two runs, or a new run (restart.c) */
        if (strcmp(op, "ready") == 0) {
                sb->t_ready = nc_monotonic_ns();
                if (sb->stop_requested)
                        kill_now(sb);
                else
                        send_claim(sb);
        } else if (strcmp(op, "started") == 0) {
                sb->t_started = nc_monotonic_ns();
                for (size_t i = 0; i < ARRAY_SIZE(sb->t_init); i++)
                        sb->t_init[i] = (uint64_t)json_integer_value(json_array_get(json_object_get(msg, "marks"), i));
                sup_timings_record(sb);
                sb->workload_pid = (pid_t)json_integer_value(json_object_get(msg, "pid"));
                if (json_is_integer(json_object_get(msg, "takeover_fd")))
                        sb->takeover_fd = (int)json_integer_value(json_object_get(msg, "takeover_fd"));
                for (int i = 0; i < 2; i++)
                        if (json_is_integer(json_array_get(json_object_get(msg, "kept_logs"), (size_t)i)))
                                sb->kept_logs[i] = (int)json_integer_value(json_array_get(json_object_get(msg, "kept_logs"), (size_t)i));
                json_decref(sb->landlock);
                sb->landlock = json_incref(json_object_get(msg, "landlock"));
                json_decref(sb->degraded);
                sb->degraded = json_incref(json_object_get(msg, "degraded"));
                json_decref(sb->mount_audit);
                sb->mount_audit = json_incref(json_object_get(msg, "mount_audit"));
                if (json_array_size(sb->degraded) > 0)
                        log_warn("Sandbox %s runs with degraded security (%zu steps skipped, as asked)", sb->id,
                                 json_array_size(sb->degraded));
                if (sb->spec->seccomp_mode == NC_SECCOMP_TRACE)
                        log_warn("Sandbox %s runs without a seccomp filter (--seccomp-mode trace, as asked): every system "
                                 "call is allowed and recorded to '%s'", sb->id, sb->spec->seccomp_log);
                sb->started_ns = nc_now_ns();
                if (sb->state == SUP_STATE_creating)
                        (void)sup_sandbox_set_state(sb, SUP_STATE_running);
                sup_probes_start(sb);
                uv_timer_stop(&sb->deadline);   /* the setup deadline; --timeout counts from here */
                if (sb->timeout_ms)
                        uv_timer_start(&sb->deadline, on_deadline, sb->timeout_ms, 0);
                (void)sup_state_write(sb);
                reply_create_started(sb);
        } else if (strcmp(op, "exit") == 0) {
                sb->wstatus = (int)json_integer_value(json_object_get(msg, "status"));
                sb->have_status = true;
                /* A SIGKILL under a memory limit may be the OOM killer's, which counts the
                 * kill just after sending it: that end is recorded at the reap, so the
                 * result can say oom_killed. */
                sb->status_final = !json_is_true(json_object_get(msg, "restartable")) &&
                                   !(WIFSIGNALED(sb->wstatus) && WTERMSIG(sb->wstatus) == SIGKILL && sb->spec->limits.memory);
                sb->t_exit = nc_monotonic_ns();
        } else if (strcmp(op, "failed") == 0) {
                struct sbx_failure f;

                sbx_failure_from_json(msg, &f);
                fail(sb, &f);
        } else if (strncmp(op, "exec_", 5) == 0) {
                sup_exec_on_message(sb, op, msg, -1);
        } else
                log_warn("Sandbox %s: unknown message '%s' from init, ignoring", sb->id, op);
}

/* Reads every queued message. Returns false at EOF. */
bool sup_sandbox_drain_ctl(struct sup_sandbox *sb)
{
        for (;;) {
                json_t *msg = NULL;
                int fd = -1;
                size_t nfds = 1;
                int r = sbx_ctl_recv_json(sb->ctl, &msg, &fd, &nfds);

                if (r == -EAGAIN)
                        return true;
                if (r == 0 || r == -ECONNRESET)
                        return false;
                if (r < 0) {
                        log_warn_errno(r, "Sandbox %s: bad message from init, ignoring", sb->id);
                        continue;
                }
                handle_ctl_message(sb, msg, nfds ? fd : -1);
                json_decref(msg);
        }
}

static void on_ctl(uv_poll_t *p, int status, int events)
{
        struct sup_sandbox *sb = p->data;

        if (status < 0 || !sup_sandbox_drain_ctl(sb)) {
                uv_poll_stop(p);
                sb->ctl_polling = false;
        }
        sup_sandbox_maybe_finalize(sb);
}

/* ---- logs of detached sandboxes ------------------------------------------ */

/* A poll handle is closed before its descriptor, never after: closing the handle makes
 * libuv unregister the descriptor's number from epoll, and once the descriptor is
 * closed that number may already be another connection's, which would go deaf. */
void sup_sandbox_log_close(struct sup_sandbox *sb, int stream)
{
        if (sb->log_polling[stream]) {
                uv_poll_stop(&sb->log_poll[stream]);
                sb->log_polling[stream] = false;
        }
        if (sb->log_poll[stream].data && !uv_is_closing((uv_handle_t *)&sb->log_poll[stream]))
                uv_close((uv_handle_t *)&sb->log_poll[stream], sup_sandbox_on_handle_closed);
        if (sb->log_fd[stream] >= 0) {
                sup_logs_eof(sb->logs, stream);
                close(sb->log_fd[stream]);
                sb->log_fd[stream] = -1;
        }
}

/* Reads what one stream has, at most a few chunks per wakeup so that a chatty sandbox
 * cannot starve the others. Returns false at EOF. */
bool sup_sandbox_log_read(struct sup_sandbox *sb, int stream, int rounds)
{
        char buf[65536];

        while (rounds-- > 0) {
                ssize_t n = read(sb->log_fd[stream], buf, sizeof(buf));

                if (n > 0) {
                        sup_logs_feed(sb->logs, stream, buf, (size_t)n);
                        continue;
                }
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return true;
                sup_sandbox_log_close(sb, stream);
                return false;
        }
        return true;
}

static void on_log(uv_poll_t *p, int status, int events)
{
        struct sup_sandbox *sb = p->data;
        int stream = p == &sb->log_poll[SUP_LOG_STDOUT] ? SUP_LOG_STDOUT : SUP_LOG_STDERR;

        if (!sup_sandbox_log_read(sb, stream, 4) || status < 0)
                sup_sandbox_log_close(sb, stream);
        sup_logs_pump(sb);
        if (sb->log_fd[stream] < 0)
                sup_sandbox_maybe_finalize(sb);
}

static void log_to_journal(void *ctx, const struct sup_log_record *r)
{
        struct sup_sandbox *sb = ctx;

        nc_journal_sink_line(sb->sup->journal, sb->id, sup_sandbox_name(sb), r->stream, r->data, r->len);
}

static void watch_logs(struct sup_sandbox *sb)
{
        if (sb->sup->journal && sb->logs) {
                sb->logs->sink = log_to_journal;
                sb->logs->sink_ctx = sb;
        }
        for (int i = 0; i < 2; i++) {
                (void)fcntl(sb->log_fd[i], F_SETFL, O_NONBLOCK);
                if (uv_poll_init(&sb->sup->loop, &sb->log_poll[i], sb->log_fd[i]) == 0) {
                        sb->log_poll[i].data = sb;
                        sb->open_handles++;
                        sb->log_polling[i] = uv_poll_start(&sb->log_poll[i], UV_READABLE, on_log) == 0;
                }
        }
}

int sup_sandbox_detach_stdio(struct sup_sandbox *sb, const char *logdir)
{
        char path[PATH_MAX + 64];
        int out[2], err[2];

        if (pipe2(out, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(err, O_CLOEXEC) < 0) {
                int e = -errno;
                close(out[0]);
                close(out[1]);
                return e;
        }
        snprintf(path, sizeof(path), "%s/%s.log", logdir, sb->id);
        sb->logs = sup_logs_new(path);
        sb->stdio[1] = out[1];
        sb->stdio[2] = err[1];
        sb->log_fd[SUP_LOG_STDOUT] = out[0];
        sb->log_fd[SUP_LOG_STDERR] = err[0];
        sb->detached = true;
        watch_logs(sb);
        return sb->logs ? 0 : -ENOMEM;
}

static void on_client_gone(uv_poll_t *p, int status, int events)
{
        struct sup_sandbox *sb = p->data;

        uv_poll_stop(p);
        sb->client_polling = false;
        if (sup_state_live(sb->state)) {
                log_info("The client of foreground sandbox %s is gone; stopping it", sb->id);
                sup_sandbox_stop(sb, SUP_STOP_TIMEOUT_MS);
        }
}

void sup_sandbox_watch_client(struct sup_sandbox *sb, int pidfd)
{
        sb->client_pidfd = pidfd;
        if (uv_poll_init(&sb->sup->loop, &sb->client_poll, pidfd) < 0)
                return;
        sb->client_poll.data = sb;
        sb->open_handles++;
        sb->client_polling = uv_poll_start(&sb->client_poll, UV_READABLE, on_client_gone) == 0;
}

static void on_oom(uv_poll_t *p, int status, int events)
{
        struct sup_sandbox *sb = p->data;
        uint64_t n;

        if (read(sb->oom_efd, &n, sizeof(n)) != sizeof(n))
                return;
        /* cgroup v1 has no memory.oom.group: with the kernel's OOM killer off for the
         * sandbox (oom_kill_disable), its tasks wait out of memory until we kill the
         * whole sandbox, through cgroup.kill of its v2 leaf as well. */
        log_info("Sandbox %s ran out of memory; killing it", sb->id);
        sb->oom_event = true;
        kill_now(sb);
}

/* v1: memory.oom_control's eventfd says the sandbox ran out; we kill the group. */
static void watch_oom(struct sup_sandbox *sb)
{
        const struct sbx_config *cfg = sup_cg(sb);
        int efd;

        if (!cfg->cg || sb->spec->limits.memory == 0 || (efd = cfg->cg->oom_eventfd(cfg, sb->id)) < 0)
                return;
        sb->oom_efd = efd;
        if (uv_poll_init(&sb->sup->loop, &sb->oom_poll, efd) == 0) {
                sb->oom_poll.data = sb;
                sb->open_handles++;
                sb->oom_polling = uv_poll_start(&sb->oom_poll, UV_READABLE, on_oom) == 0;
        }
}

/* The steps between the clone and the claim, the same for a pool member, whose clone
 * was long before its request. false: the sandbox failed (and is being killed). */
static bool after_clone(struct sup_sandbox *sb)
{
        struct sup *s = sb->sup;
        struct sbx_failure f;

        (void)fcntl(sb->ctl, F_SETFL, fcntl(sb->ctl, F_GETFL) | O_NONBLOCK);
        if (uv_poll_init(&s->loop, &sb->ctl_poll, sb->ctl) == 0) {
                sb->ctl_poll.data = sb;
                sb->open_handles++;
                sb->ctl_polling = uv_poll_start(&sb->ctl_poll, UV_READABLE, on_ctl) == 0;
        }
        if (sb->stop_requested)
                goto kill;
        if (sup_claim_apply_limits(sb, &f) < 0 || sup_claim_prepare_volumes(sb, &f) < 0) {
                fail(sb, &f);
                goto kill;
        }
        watch_oom(sb);
        if (sup_rootfs_prepare(sb) < 0 || sup_network_setup(sb) < 0)
                goto kill;
        if (s->opt->setup_timeout_ms)
                uv_timer_start(&sb->deadline, on_setup_deadline, s->opt->setup_timeout_ms, 0);
        return true;
kill:
        kill_now(sb);
        return false;
}

void sup_sandbox_on_cloned(struct sup *s, const char *id, pid_t pid, int pidfd, int ctl)
{
        struct sup_sandbox *sb = find_by_id(s, id);

        if (!sb || sb->state != SUP_STATE_creating || sb->pidfd >= 0) {
                /* Nobody wants it any more: the zygote reaps it. */
                (void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
                close(pidfd);
                close(ctl);
                return;
        }
        sb->t_cloned = nc_monotonic_ns();
        sb->pid = pid;
        sb->pidfd = pidfd;
        sb->ctl = ctl;
        (void)nc_proc_start_time(pid, &sb->init_start);
        (void)after_clone(sb);
}

/* A pool member taken over by this sandbox: its init is parked, "ready" said long ago. */
static void start_claimed(struct sup_sandbox *sb)
{
        /* The zygote keeps a detached sandbox's log pipes for a loop process that takes
         * over (docs/restart.md); the member was prepared before there were any. */
        if (sb->log_fd[0] >= 0 && sb->log_fd[1] >= 0 &&
            sup_zygote_send_fds(sb->sup, json_pack("{s:s, s:s}", "op", "logs", "id", sb->id), sb->log_fd, 2) < 0)
                log_warn("Sandbox %s: the zygote did not take its log pipes; a new loop process would not get them", sb->id);
        if (after_clone(sb))
                send_claim(sb);
}

void sup_sandbox_adopt(struct sup_sandbox *sb, pid_t pid, int pidfd, int ctl, const int *log)
{
        struct sup *s = sb->sup;
        uint64_t now = nc_now_ns();

        sb->pid = pid;
        sb->pidfd = pidfd;
        sb->ctl = ctl;
        (void)fcntl(ctl, F_SETFL, fcntl(ctl, F_GETFL) | O_NONBLOCK);
        if (uv_poll_init(&s->loop, &sb->ctl_poll, ctl) == 0) {
                sb->ctl_poll.data = sb;
                sb->open_handles++;
                sb->ctl_polling = uv_poll_start(&sb->ctl_poll, UV_READABLE, on_ctl) == 0;
        }
        if (log && sb->logs) {
                /* What the workload wrote while no loop process ran waited in the pipes. */
                sb->log_fd[0] = log[0];
                sb->log_fd[1] = log[1];
                watch_logs(sb);
        } else if (log) {
                close(log[0]);
                close(log[1]);
        }
        watch_oom(sb);
        if (sup_state_live(sb->state) && sb->started_ns)
                sup_probes_start(sb);   /* afresh: what the old loop process knew is gone */
        /* Timers run again from what the state file says they were. */
        if (sb->timeout_ms && sb->started_ns && sb->state != SUP_STATE_stopping) {
                uint64_t end = sb->started_ns + sb->timeout_ms * 1000000ull;
                uv_timer_start(&sb->deadline, on_deadline, end > now ? (end - now) / 1000000 : 0, 0);
        }
        if (sb->state == SUP_STATE_stopping)
                uv_timer_start(&sb->timer, on_stop_timeout,
                               sb->kill_at_ns > now ? (sb->kill_at_ns - now) / 1000000 : 0, 0);
        if (sb->client_pid > 0 && sup_state_live(sb->state)) {
                /* Foreground: the same client, if it is still there (its CLI reconnects). */
                int cfd = (int)syscall(SYS_pidfd_open, sb->client_pid, 0);
                uint64_t start = 0;

                if (cfd >= 0 && nc_proc_start_time(sb->client_pid, &start) == 0 && start == sb->client_start)
                        sup_sandbox_watch_client(sb, cfd);
                else {
                        if (cfd >= 0)
                                close(cfd);
                        log_info("The client of foreground sandbox %s is gone; stopping it", sb->id);
                        sup_sandbox_stop(sb, SUP_STOP_TIMEOUT_MS);
                }
        }
        /* A claim may have been answered while no loop process ran. */
        (void)sup_sandbox_drain_ctl(sb);
}

void sup_sandbox_fail(struct sup_sandbox *sb, const struct sbx_failure *f)
{
        fail(sb, f);
}
