/* SPDX-License-Identifier: Apache-2.0 */
/* Health and readiness probes: when they run, what they find, what it means.
 *
 * Every probe is driven by one timer on the loop: it fires for the next run, then
 * serves as that run's timeout; no probe ever blocks the loop or has a thread.
 *   exec  a process forked by the sandbox's init, exactly as sandbox.exec does it (the
 *         workload's user, namespaces, cgroup, Landlock domain, seccomp filter), run as
 *         /bin/sh -c CMD as the seed runs it; stdout and stderr go to a memfd, so a
 *         chatty command can never block on a pipe nobody reads
 *   tcp   a non-blocking connect to 127.0.0.1:PORT from a socket made inside the
 *         sandbox's network namespace (so it works for --network none too)
 *   http  probe_http.c
 * Probes of a paused sandbox wait: a frozen workload cannot answer, and that is not
 * a failure. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "probe.h"

/* A tcp connect in flight: its poll handle lives until its close callback, which may
 * come after the probe has moved on. */
struct sup_probe_tcp {
        uv_poll_t poll;
        int fd;
        struct sup_probe *p;            /* NULL once abandoned */
};

static void on_tick(uv_timer_t *t);

static uint64_t now_ms(const struct sup_probe *p)
{
        return uv_now(&p->owner->sb->sup->loop);
}

static void audit(struct sup_sandbox *sb, const char *event, json_t *fields)
{
        nc_audit_log_write(&sb->sup->audit, event, sb->id, sup_sandbox_name(sb), sb->owner_uid, fields);
}

struct sup_probes *sup_probes_get(struct sup_sandbox *sb)
{
        struct sup_probes *ps;

        if (sb->probes)
                return sb->probes;
        if (!(ps = calloc(1, sizeof(*ps))))
                return NULL;
        ps->sb = sb;
        ps->notify_fd = -1;
        ps->health = (struct sup_probe){ .owner = ps, .spec = &sb->spec->health, .out_fd = -1 };
        ps->readiness = (struct sup_probe){ .owner = ps, .spec = &sb->spec->readiness, .readiness = true, .out_fd = -1 };
        sb->probes = ps;
        return ps;
}

int sup_probe_socket(struct sup_sandbox *sb, int family, int type, int protocol)
{
        _cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        int fd, e;

        if (self < 0)
                return -errno;
        if (sb->pidfd < 0)
                return -ESRCH;
        if (setns(sb->pidfd, CLONE_NEWNET) < 0)
                return -errno;
        fd = socket(family, type | SOCK_CLOEXEC, protocol);
        e = errno;
        if (setns(self, CLONE_NEWNET) < 0)
                abort();        /* the loop must never go on in a sandbox's namespace */
        return fd < 0 ? -e : fd;
}

static void schedule(struct sup_probe *p, uint64_t delay_ms)
{
        uv_timer_start(&p->timer, on_tick, delay_ms, 0);
}

/* ---- results and states ------------------------------------------------------ */

static void health_changed(struct sup_probes *ps, int from, const struct sup_probe_result *last)
{
        struct sup_sandbox *sb = ps->sb;
        const char *to = sup_health_status_name(ps->hs.status);

        log_info("Sandbox %s is %s (was %s; failing streak %u)", sb->id, to, sup_health_status_name(from),
                 ps->hs.failing_streak);
        /* The seed's audit events, on changes only: a record per run would drown the log. */
        audit(sb, ps->hs.status == SUP_HEALTH_UNHEALTHY ? "health_check_unhealthy" : "health_check_passed",
              json_pack("{s:s, s:s, s:i, s:i}", "from", sup_health_status_name(from), "to", to, "failing_streak",
                        (int)ps->hs.failing_streak, "exit_code", last->exit_code));
        sup_event_emit_probe(sb, "health", sup_health_status_name(from), to);
        if (ps->hs.status == SUP_HEALTH_UNHEALTHY)
                sup_restart_unhealthy(sb);
}

void sup_probes_set_ready(struct sup_probes *ps, const char *how)
{
        struct sup_sandbox *sb = ps->sb;
        struct sup_waiter **pp = &sb->waiters;

        if (ps->ready)
                return;
        ps->ready = true;
        ps->ready_ns = nc_now_ns();
        log_info("Sandbox %s is ready (%s)", sb->id, how);
        (void)sup_state_write(sb);      /* a restarted loop process must not wait for it again */
        audit(sb, "readiness_probe_ready", json_pack("{s:s}", "probe", how));
        sup_event_emit_probe(sb, "readiness", "not_ready", "ready");
        /* sandbox.wait {until: "ready"} */
        while (*pp) {
                struct sup_waiter *w = *pp;

                if (w->kind != SUP_WAIT_READY) {
                        pp = &w->next;
                        continue;
                }
                *pp = w->next;
                sup_conn_reply(w->conn, w->id, json_pack("{s:s, s:b, s:s}", "id", sb->id, "ready", true, "state",
                                                         sup_state_name(sb->state)));
                sup_conn_pending_done(w->conn);
                json_decref(w->id);
                free(w);
        }
}

void sup_probe_finish(struct sup_probe *p, bool passed, int exit_code, const char *output, size_t len)
{
        struct sup_probes *ps = p->owner;
        struct sup_probe_result *r = &p->results[p->next_result];

        p->running = false;
        uv_timer_stop(&p->timer);
        if (ps->stopped || ps->suspended)
                return;
        *r = (struct sup_probe_result){ .start_ns = p->run_start_ns, .end_ns = nc_now_ns(), .exit_code = exit_code,
                                        .passed = passed };
        if (len > SUP_PROBE_OUTPUT_MAX)
                len = SUP_PROBE_OUTPUT_MAX;
        memcpy(r->output, output, len);
        r->output[len] = 0;
        p->next_result = (p->next_result + 1) % SUP_PROBE_RESULTS_KEPT;
        if (p->nresults < SUP_PROBE_RESULTS_KEPT)
                p->nresults++;
        p->runs++;
        p->failures += !passed;
        log_debug("Sandbox %s: %s probe %s (exit code %d): %s", ps->sb->id, p->readiness ? "readiness" : "health",
                  passed ? "passed" : "failed", exit_code, r->output);
        if (p->readiness) {
                if (passed) {
                        sup_probes_set_ready(ps, nc_probe_kind_name(p->spec->kind));
                        return;         /* ready once; never probed again */
                }
        } else {
                int from = ps->hs.status;

                if (sup_health_record(&ps->hs, passed, now_ms(p)) != from)
                        health_changed(ps, from, r);
        }
        schedule(p, p->spec->interval_ms);
}

/* ---- exec ---------------------------------------------------------------------- */

static void on_exec_end(void *data, int status, const struct sbx_failure *f)
{
        struct sup_probe *p = data;
        char out[SUP_PROBE_OUTPUT_MAX + 1];
        ssize_t n = 0;
        int code;

        p->exec = NULL;
        if (p->out_fd >= 0) {
                n = pread(p->out_fd, out, SUP_PROBE_OUTPUT_MAX, 0);
                close(p->out_fd);
                p->out_fd = -1;
        }
        if (n < 0)
                n = 0;
        if (p->owner->stopped || p->owner->suspended) {
                p->running = p->stale = false;
                return;
        }
        if (p->stale) {
                /* It checked a run that is gone (--restart): not this run's result. */
                p->stale = p->running = false;
                schedule(p, p->readiness ? 0 : p->spec->interval_ms);
                return;
        }
        if (f) {
                /* As a shell reports it: not found 127, not executable 126, else 125. */
                code = strcmp(f->stage, "exec") != 0 ? 125 : f->err == ENOENT || f->err == ENOTDIR ? 127 : 126;
                n = snprintf(out, sizeof(out), "%s: %s", f->msg, strerror(f->err));
                sup_probe_finish(p, false, code, out, (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1);
                return;
        }
        if (p->timed_out) {
                char msg[96];
                int m = snprintf(msg, sizeof(msg), "timed out after %ums; killed", p->spec->timeout_ms);

                /* What it wrote before, after the reason. */
                size_t keep = (size_t)n < sizeof(out) - (size_t)m - 2 ? (size_t)n : sizeof(out) - (size_t)m - 2;
                memmove(out + m + 1, out, keep);
                memcpy(out, msg, (size_t)m);
                out[m] = '\n';
                sup_probe_finish(p, false, 124, out, (size_t)m + 1 + keep);
                return;
        }
        code = nc_exit_code_from_wstatus(status);
        sup_probe_finish(p, WIFEXITED(status) && WEXITSTATUS(status) == 0, code, out, (size_t)n);
}

static int run_exec(struct sup_probe *p)
{
        struct sup_sandbox *sb = p->owner->sb;
        json_t *env = json_array(), *spec;
        int fds[3] = { -1, -1, -1 }, mfd, r;

        for (size_t i = 0; i < sb->spec->envc; i++)
                json_array_append_new(env, nc_json_bytes(sb->spec->env[i]));
        spec = json_pack("{s:[s, s, o], s:o, s:s}", "args", "/bin/sh", "-c", nc_json_bytes(p->spec->cmd), "env", env,
                         "cwd", sb->spec->cwd ? sb->spec->cwd : "/");
        mfd = memfd_create("nucleus-probe-output", MFD_CLOEXEC);
        if (!spec || mfd < 0) {
                r = mfd < 0 ? -errno : -ENOMEM;
                json_decref(spec);
                if (mfd >= 0)
                        close(mfd);
                return r;
        }
        fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        fds[1] = fcntl(mfd, F_DUPFD_CLOEXEC, 3);
        fds[2] = fcntl(mfd, F_DUPFD_CLOEXEC, 3);
        if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0) {
                r = -errno;
                for (int i = 0; i < 3; i++)
                        if (fds[i] >= 0)
                                close(fds[i]);
                close(mfd);
                json_decref(spec);
                return r;
        }
        p->out_fd = mfd;
        r = sup_sandbox_exec_internal(sb, spec, fds, on_exec_end, p, &p->exec);   /* takes fds */
        json_decref(spec);
        if (r < 0) {
                close(p->out_fd);
                p->out_fd = -1;
        }
        return r;
}

/* ---- tcp ----------------------------------------------------------------------- */

static void tcp_closed(uv_handle_t *h)
{
        struct sup_probe_tcp *t = h->data;

        close(t->fd);
        free(t);
}

static void tcp_abandon(struct sup_probe *p)
{
        struct sup_probe_tcp *t = p->tcp;

        if (!t)
                return;
        p->tcp = NULL;
        t->p = NULL;
        uv_close((uv_handle_t *)&t->poll, tcp_closed);
}

static void tcp_result(struct sup_probe *p, int err)
{
        char msg[160];
        int n = err ? snprintf(msg, sizeof(msg), "connect to 127.0.0.1:%u inside the sandbox: %s", p->spec->port,
                               strerror(err))
                    : snprintf(msg, sizeof(msg), "connected to 127.0.0.1:%u inside the sandbox", p->spec->port);

        sup_probe_finish(p, err == 0, err ? 1 : 0, msg, (size_t)n);
}

static void on_tcp(uv_poll_t *h, int status, int events)
{
        struct sup_probe_tcp *t = h->data;
        struct sup_probe *p = t->p;
        int err = 0;
        socklen_t len = sizeof(err);

        if (!p)
                return;
        /* libuv reports POLLERR as UV_EBADF; the socket knows the real error. */
        if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                err = errno;
        else if (err == 0 && status < 0)
                err = -status;
        tcp_abandon(p);
        tcp_result(p, err);
}

static int run_tcp(struct sup_probe *p)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(p->spec->port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        struct sup_probe_tcp *t;
        int fd = sup_probe_socket(p->owner->sb, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

        if (fd < 0)
                return fd;
        int err = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 ? 0 : errno;
        if (err != EINPROGRESS) {
                /* Loopback often answers at once, either way. */
                close(fd);
                tcp_result(p, err);
                return 0;
        }
        if (!(t = calloc(1, sizeof(*t)))) {
                close(fd);
                return -ENOMEM;
        }
        t->fd = fd;
        t->p = p;
        if (uv_poll_init_socket(&p->owner->sb->sup->loop, &t->poll, fd) < 0) {
                close(fd);
                free(t);
                return -EIO;
        }
        t->poll.data = t;
        p->tcp = t;
        uv_poll_start(&t->poll, UV_WRITABLE, on_tcp);
        return 0;
}

/* ---- scheduling -------------------------------------------------------------------- */

static void on_timeout(uv_timer_t *h)
{
        struct sup_probe *p = h->data;
        char msg[96];
        int n = snprintf(msg, sizeof(msg), "timed out after %ums", p->spec->timeout_ms);

        if (!p->running)
                return;
        switch (p->spec->kind) {
        case NC_PROBE_EXEC:
                /* init kills it; the outcome comes with its exit (on_exec_end). */
                p->timed_out = true;
                if (p->exec)
                        sup_sandbox_exec_kill(p->owner->sb, p->exec);
                return;
        case NC_PROBE_TCP:
                tcp_abandon(p);
                break;
        case NC_PROBE_HTTP:
                sup_probe_http_cancel(p);
                break;
        }
        sup_probe_finish(p, false, 1, msg, (size_t)n);
}

static void on_tick(uv_timer_t *h)
{
        struct sup_probe *p = h->data;
        struct sup_sandbox *sb = p->owner->sb;
        int r = -EINVAL;

        if (p->owner->stopped || p->running)
                return;
        if (sb->state != SUP_STATE_running) {
                schedule(p, p->spec->interval_ms);      /* paused: try again later */
                return;
        }
        p->running = true;
        p->timed_out = false;
        p->run_start_ns = nc_now_ns();
        /* The timeout first: a probe that finishes at once replaces it with the next tick. */
        uv_timer_start(&p->timer, on_timeout, p->spec->timeout_ms, 0);
        switch (p->spec->kind) {
        case NC_PROBE_EXEC: r = run_exec(p); break;
        case NC_PROBE_TCP: r = run_tcp(p); break;
        case NC_PROBE_HTTP: r = sup_probe_http_start(p); break;
        }
        if (r < 0 && p->running) {
                char msg[160];
                int n = snprintf(msg, sizeof(msg), "Failed to start the %s probe: %s", nc_probe_kind_name(p->spec->kind),
                                 strerror(-r));

                log_warn("Sandbox %s: %s", sb->id, msg);
                sup_probe_finish(p, false, 1, msg, (size_t)n);
        }
}

static void probe_start(struct sup_probe *p, uint64_t first_ms)
{
        struct sup_sandbox *sb = p->owner->sb;

        if (!p->timer_init) {
                uv_timer_init(&sb->sup->loop, &p->timer);
                p->timer.data = p;
                p->timer_init = true;
                sb->open_handles++;
        }
        schedule(p, first_ms);
}

void sup_probes_start(struct sup_sandbox *sb)
{
        const struct nc_spec *spec = sb->spec;
        struct sup_probes *ps;

        sup_restart_resume(sb);
        if (spec->health.kind == NC_PROBE_NONE && spec->readiness.kind == NC_PROBE_NONE)
                return;         /* the common case: nothing to allocate */
        if (!(ps = sup_probes_get(sb)) || ps->started)
                return;
        ps->started = true;
        if (spec->health.kind != NC_PROBE_NONE) {
                /* As docker does: the first check one interval after the start. */
                sup_health_init(&ps->hs, spec->health.retries, uv_now(&sb->sup->loop) + spec->health.start_period_ms);
                probe_start(&ps->health, spec->health.interval_ms);
        }
        switch (ps->ready ? NC_PROBE_NONE : spec->readiness.kind) {
        case NC_PROBE_NONE:
                if (!ps->ready)
                        ps->ready_ns = nc_now_ns();
                ps->ready = true;
                break;
        case NC_PROBE_SD_NOTIFY:
                if (ps->notify_fd < 0)
                        log_warn("Sandbox %s: no notify socket came from init; it cannot become ready", sb->id);
                break;
        default:
                probe_start(&ps->readiness, 0);         /* at once: a ready workload should not wait */
        }
        if (ps->restart.waiting)
                sup_probes_suspend(sb);         /* a restarted loop process, between two runs */
}

void sup_probes_stop(struct sup_sandbox *sb)
{
        struct sup_probes *ps = sb->probes;

        if (!ps || ps->stopped)
                return;
        ps->stopped = true;
        for (struct sup_probe *p = &ps->health; p; p = p == &ps->health ? &ps->readiness : NULL) {
                if (p->timer_init)
                        uv_timer_stop(&p->timer);
                tcp_abandon(p);
                sup_probe_http_cancel(p);
                /* An exec in flight died with the sandbox; sup_execs_end reports it. */
        }
        if (ps->restart.timer_init)
                uv_timer_stop(&ps->restart.timer);
        ps->restart.waiting = ps->restart.killing = false;
        sup_notify_socket_stop(ps);
}

void sup_probes_suspend(struct sup_sandbox *sb)
{
        struct sup_probes *ps = sb->probes;

        if (!ps || !ps->started || ps->stopped)
                return;
        ps->suspended = true;
        for (struct sup_probe *p = &ps->health; p; p = p == &ps->health ? &ps->readiness : NULL) {
                if (p->timer_init)
                        uv_timer_stop(&p->timer);
                tcp_abandon(p);
                sup_probe_http_cancel(p);
                /* An exec in flight ends on its own (on_exec_end drops its result). */
                if (p->exec)
                        p->stale = true;
                else
                        p->running = false;
        }
}

void sup_probes_restarted(struct sup_sandbox *sb)
{
        struct sup_probes *ps = sb->probes;
        const struct nc_spec *spec = sb->spec;

        if (!ps || !ps->started || ps->stopped)
                return;
        ps->suspended = false;
        if (spec->health.kind != NC_PROBE_NONE) {
                int from = ps->hs.status;

                /* A new run starts up again: its own start period, from "starting". */
                sup_health_init(&ps->hs, spec->health.retries, uv_now(&sb->sup->loop) + spec->health.start_period_ms);
                if (from != SUP_HEALTH_STARTING)
                        sup_event_emit_probe(sb, "health", sup_health_status_name(from), "starting");
                if (!ps->health.running)
                        schedule(&ps->health, spec->health.interval_ms);
        }
        if (spec->readiness.kind != NC_PROBE_NONE) {
                if (ps->ready) {
                        ps->ready = false;
                        sup_event_emit_probe(sb, "readiness", "ready", "not_ready");
                        (void)sup_state_write(sb);
                }
                if (spec->readiness.kind != NC_PROBE_SD_NOTIFY && !ps->readiness.running)
                        probe_start(&ps->readiness, 0);
        }
}

void sup_probes_close(struct sup_sandbox *sb, uv_close_cb cb)
{
        struct sup_probes *ps = sb->probes;

        if (!ps)
                return;
        sup_probes_stop(sb);
        for (struct sup_probe *p = &ps->health; p; p = p == &ps->health ? &ps->readiness : NULL) {
                sup_probe_http_free(p);
                if (p->timer_init) {
                        p->timer.data = sb;     /* cb is the sandbox's: it counts its handles */
                        uv_close((uv_handle_t *)&p->timer, cb);
                }
        }
        if (ps->notify_poll.data) {
                ps->notify_poll.data = sb;
                uv_close((uv_handle_t *)&ps->notify_poll, cb);
        }
        if (ps->restart.timer_init) {
                ps->restart.timer.data = sb;
                uv_close((uv_handle_t *)&ps->restart.timer, cb);
        }
}

void sup_probes_free(struct sup_probes *ps)
{
        if (!ps)
                return;
        for (struct sup_probe *p = &ps->health; p; p = p == &ps->health ? &ps->readiness : NULL)
                if (p->out_fd >= 0)
                        close(p->out_fd);
        /* Only now: libuv watched it until the poll handle was closed. */
        if (ps->notify_fd >= 0)
                close(ps->notify_fd);
        free(ps);
}

void sup_probes_save(const struct sup_sandbox *sb, json_t *j)
{
        const struct sup_probes *ps = sb->probes;

        if (!ps)
                return;
        if (ps->ready)
                json_object_set_new(j, "ready_ns", json_integer((json_int_t)ps->ready_ns));
        if (ps->restart.count || ps->restart.waiting || ps->restart.have_last)
                json_object_set_new(j, "restart", json_pack("{s:i, s:b, s:i, s:i, s:b, s:I}", "count", (int)ps->restart.count,
                                                            "waiting", ps->restart.waiting, "step", (int)ps->restart.step,
                                                            "last_status", ps->restart.last_status, "have_last",
                                                            ps->restart.have_last, "last_exit_ns",
                                                            (json_int_t)ps->restart.last_exit_ns));
}

void sup_probes_load(struct sup_sandbox *sb, const json_t *j)
{
        const json_t *ready = json_object_get(j, "ready_ns"), *r = json_object_get(j, "restart");
        struct sup_probes *ps;

        if ((!json_is_integer(ready) && !json_is_object(r)) || !(ps = sup_probes_get(sb)))
                return;
        if (json_is_integer(ready) && json_integer_value(ready) > 0) {
                ps->ready = true;
                ps->ready_ns = (uint64_t)json_integer_value(ready);
        }
        if (json_is_object(r)) {
                ps->restart.count = (unsigned)json_integer_value(json_object_get(r, "count"));
                ps->restart.waiting = json_is_true(json_object_get(r, "waiting"));
                ps->restart.step = (unsigned)json_integer_value(json_object_get(r, "step"));
                ps->restart.last_status = (int)json_integer_value(json_object_get(r, "last_status"));
                ps->restart.have_last = json_is_true(json_object_get(r, "have_last"));
                ps->restart.last_exit_ns = (uint64_t)json_integer_value(json_object_get(r, "last_exit_ns"));
        }
}

bool sup_sandbox_ready(const struct sup_sandbox *sb)
{
        if (sb->probes && sb->probes->started)
                return sb->probes->ready;
        return sb->spec->readiness.kind == NC_PROBE_NONE && sb->started_ns != 0;
}

/* ---- what callers see ----------------------------------------------------------- */

static json_t *results_json(const struct sup_probe *p)
{
        json_t *a = json_array();

        /* Oldest first, as docker's Log. */
        for (size_t k = 0; k < p->nresults; k++) {
                size_t i = (p->next_result + SUP_PROBE_RESULTS_KEPT - p->nresults + k) % SUP_PROBE_RESULTS_KEPT;
                const struct sup_probe_result *r = &p->results[i];
                char start[64], end[64];

                nc_format_rfc3339(r->start_ns, start);
                nc_format_rfc3339(r->end_ns, end);
                json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:i, s:o}", "start", start, "end", end, "passed",
                                                   r->passed, "exit_code", r->exit_code, "output", nc_json_bytes(r->output)));
        }
        return a;
}

static const char *health_status(const struct sup_sandbox *sb)
{
        const struct sup_probes *ps = sb->probes;

        return ps && ps->started ? sup_health_status_name(ps->hs.status) : "starting";
}

void sup_probes_summary(const struct sup_sandbox *sb, json_t *j)
{
        if (sb->spec->health.kind != NC_PROBE_NONE)
                json_object_set_new(j, "health", json_string(health_status(sb)));
        json_object_set_new(j, "ready", json_boolean(sup_state_live(sb->state) && sup_sandbox_ready(sb)));
        if (sb->spec->restart.policy != NC_RESTART_NO)
                json_object_set_new(j, "restarts", json_integer(sb->probes ? (json_int_t)sb->probes->restart.count : 0));
}

void sup_probes_inspect(const struct sup_sandbox *sb, json_t *j)
{
        const struct sup_probes *ps = sb->probes;

        if (sb->spec->health.kind != NC_PROBE_NONE) {
                json_t *h = json_pack("{s:s, s:s, s:i, s:i}", "status", health_status(sb),
                                      "probe", nc_probe_kind_name(sb->spec->health.kind), "failing_streak",
                                      ps ? (int)ps->hs.failing_streak : 0, "retries", (int)sb->spec->health.retries);
                json_object_set_new(h, "runs", json_integer(ps ? (json_int_t)ps->health.runs : 0));
                json_object_set_new(h, "failures", json_integer(ps ? (json_int_t)ps->health.failures : 0));
                json_object_set_new(h, "log", ps ? results_json(&ps->health) : json_array());
                json_object_set_new(j, "health", h);
        } else
                json_object_set_new(j, "health", json_null());
        if (sb->spec->readiness.kind != NC_PROBE_NONE) {
                json_t *r = json_pack("{s:s, s:b}", "probe", nc_probe_kind_name(sb->spec->readiness.kind), "ready",
                                      json_is_true(json_object_get(j, "ready")));
                char ts[64];

                if (ps && ps->ready) {
                        nc_format_rfc3339(ps->ready_ns, ts);
                        json_object_set_new(r, "ready_at", json_string(ts));
                }
                if (ps && ps->notify_status[0])
                        json_object_set_new(r, "status", nc_json_bytes(ps->notify_status));
                if (sb->spec->readiness.kind != NC_PROBE_SD_NOTIFY)
                        json_object_set_new(r, "log", ps ? results_json(&ps->readiness) : json_array());
                json_object_set_new(j, "readiness", r);
        } else
                json_object_set_new(j, "readiness", json_null());
        sup_restart_inspect(sb, j);
}
