/* SPDX-License-Identifier: Apache-2.0 */
/* The loop process: forked by the zygote, owner of the uv_loop_t. Serves the API,
 * drives every sandbox's lifecycle, and exits when idle (autostarted supervisors) or
 * when asked to stop (after stopping every sandbox). */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>

#include "ctl.h"
#include "log.h"
#include "journal.h"
#include "sup.h"

int sup_zygote_send_fds(struct sup *s, json_t *msg, const int *fds, size_t nfds)
{
        if (s->zyg_fd < 0) {
                json_decref(msg);
                return -EPIPE;
        }
        return sbx_ctl_send_json(s->zyg_fd, msg, fds, nfds);
}

int sup_zygote_send(struct sup *s, json_t *msg)
{
        return sup_zygote_send_fds(s, msg, NULL, 0);
}

static void begin_shutdown(struct sup *s, const char *why);

static void on_zygote(uv_poll_t *p, int status, int events)
{
        struct sup *s = p->data;

        for (;;) {
                int fds[2] = { -1, -1 };
                size_t nfds = 2;
                json_t *msg = NULL;
                const char *op, *id;
                int r = sbx_ctl_recv_json(s->zyg_fd, &msg, fds, &nfds);

                if (r == -EAGAIN)
                        return;
                if (r <= 0) {
                        /* Without the zygote nothing can be spawned or reaped. */
                        log_error("Lost the zygote (%s); exiting", r == 0 ? "closed" : strerror(-r));
                        s->exit_code = 1;
                        uv_poll_stop(p);
                        uv_stop(&s->loop);
                        return;
                }
                op = json_string_value(json_object_get(msg, "op"));
                id = json_string_value(json_object_get(msg, "id"));
                if (!op || !id || sup_pool_on_zygote(s, op, id, msg, fds, &nfds)) {
                        /* a pool member's (pool.c), or nothing: fall through to cleanup */
                } else if (strcmp(op, "cloned") == 0 && nfds == 2) {
                        sup_sandbox_on_cloned(s, id, (pid_t)json_integer_value(json_object_get(msg, "pid")), fds[0], fds[1]);
                        nfds = 0;
                } else if (strcmp(op, "failed") == 0)
                        sup_sandbox_on_zygote_failed(s, id, msg);
                else if (strcmp(op, "reaped") == 0)
                        sup_sandbox_on_reaped(s, id, (int)json_integer_value(json_object_get(msg, "status")),
                                              !json_is_true(json_object_get(msg, "status_unknown")));
                else if (strcmp(op, "ending") == 0)
                        sup_sandbox_on_ending(s, id);
                else
                        log_warn("Unexpected message '%s' from the zygote, ignoring", op);
                for (size_t i = 0; i < nfds; i++)
                        close(fds[i]);
                json_decref(msg);
        }
}

static void finish_if_done(struct sup *s)
{
        if (!s->shutting_down || s->nlive > 0 || !sup_pool_empty(s))
                return;
        /* Ended but not yet reaped: init is still taking its namespaces down. */
        for (const struct sup_sandbox *sb = s->sandboxes; sb; sb = sb->next)
                if (!sb->released)
                        return;
        /* Every result has been sent to its waiters by now. Exited records go with the
         * process, and so do their state files and cgroup leaves. */
        for (struct sup_sandbox *sb = s->sandboxes; sb; sb = sb->next)
                if (!sb->removed)
                        sup_sandbox_remove(sb);
        if (s->nsandboxes == 0) {
                sup_server_close_all(s);
                uv_stop(&s->loop);
        }
}

static void begin_shutdown(struct sup *s, const char *why)
{
        if (s->shutting_down)
                return;
        log_info("Shutting down (%s): stopping %zu sandboxes", why, s->nlive);
        s->shutting_down = true;
        sup_notify_stopping(s);
        /* No new clients; the connected ones keep waiting for their sandboxes' results.
         * A socket systemd passed us is systemd's: it stays for the next activation. */
        sup_server_stop(s);
        if (!s->opt->socket_activated)
                (void)unlink(s->opt->paths.socket);
        for (struct sup_sandbox *sb = s->sandboxes; sb; sb = sb->next)
                sup_sandbox_stop(sb, SUP_STOP_TIMEOUT_MS);
        sup_pool_drain(s);
        finish_if_done(s);
}

/* Idle: nothing runs, nobody is connected, and no detached sandbox still holds output
 * someone may ask for (its logs go with it). Exited foreground sandboxes do not keep a
 * supervisor alive: their callers already have their results. */
static bool idle(const struct sup *s)
{
        if (s->nlive > 0 || s->nconns > 0 || s->shutting_down)
                return false;
        for (const struct sup_sandbox *sb = s->sandboxes; sb; sb = sb->next)
                if ((sb->detached && !sb->removed) || !sb->released)
                        return false;
        return true;
}

static void on_idle_timer(uv_timer_t *t)
{
        struct sup *s = t->data;

        if (!idle(s))
                return;
        /* A CLI holds the lock shared from before it connects until it exits, so taking
         * it exclusively proves no client is between "found the socket" and "sent its
         * request". Busy means someone is coming: stay. */
        if (s->opt->lock_fd >= 0 && flock(s->opt->lock_fd, LOCK_EX | LOCK_NB) < 0) {
                uv_timer_start(&s->idle_timer, on_idle_timer, 50, 0);
                return;
        }
        /* The socket disappears while we hold the lock: a CLI that gets the lock next
         * finds no supervisor and starts a new one. */
        begin_shutdown(s, "idle");
}

void sup_idle_check(struct sup *s)
{
        finish_if_done(s);
        if (s->shutting_down || s->opt->idle_timeout_ms == 0)
                return;
        if (idle(s))
                uv_timer_start(&s->idle_timer, on_idle_timer, s->opt->idle_timeout_ms, 0);
        else
                uv_timer_stop(&s->idle_timer);
}

static void on_signal(uv_signal_t *h, int signum)
{
        begin_shutdown(h->data, signum == SIGINT ? "SIGINT" : signum == SIGHUP ? "SIGHUP" : "SIGTERM");
}

static void close_walk(uv_handle_t *h, void *arg)
{
        if (!uv_is_closing(h))
                uv_close(h, NULL);
}

int sup_loop_main(const struct sup_options *opt, int zygote_sock)
{
        struct sup s = { .opt = opt, .cfg = &opt->cfg, .zyg_fd = zygote_sock };
        sigset_t all;
        int r;

        nc_audit_log_init(&s.audit, opt->paths.state_dir);
        /* journald gets a copy of detached sandboxes' output when it runs. */
        if (nc_journal_present() && !(s.journal = nc_journal_sink_new(NC_JOURNAL_SINK_MAX_BYTES)))
                log_warn("Failed to start the journald log sink, ignoring");
        /* The zygote blocks its signals for its signalfd; we want ours back. */
        sigfillset(&all);
        sigprocmask(SIG_UNBLOCK, &all, NULL);
        signal(SIGPIPE, SIG_IGN);
        s.started_ns = nc_now_ns();
        (void)fcntl(zygote_sock, F_SETFL, fcntl(zygote_sock, F_GETFL) | O_NONBLOCK);

        r = uv_loop_init(&s.loop);
        if (r < 0)
                return log_error_errno(-r, "uv_loop_init");
        if (sup_uid_slots_init(&s) < 0)
                return log_error_errno(ENOMEM, "Failed to allocate the host id ranges");
        /* Restoring may end sandboxes, which checks for idleness. */
        uv_timer_init(&s.loop, &s.idle_timer);
        s.idle_timer.data = &s;
        r = sup_restore_run(&s);
        if (r < 0)
                return log_error_errno(r, "Failed to take over the zygote's sandboxes");
        /* After the takeover: the sandboxes a previous loop process left running keep
         * their veths, rules and leases; only what no live sandbox owns is swept. */
        if (sup_network_init(&s) < 0)
                return 1;
        uv_poll_init(&s.loop, &s.zyg_poll, zygote_sock);
        s.zyg_poll.data = &s;
        uv_poll_start(&s.zyg_poll, UV_READABLE, on_zygote);
        uv_signal_init(&s.loop, &s.sig_term);
        uv_signal_init(&s.loop, &s.sig_int);
        uv_signal_init(&s.loop, &s.sig_hup);
        s.sig_term.data = s.sig_int.data = s.sig_hup.data = &s;
        uv_signal_start(&s.sig_term, on_signal, SIGTERM);
        uv_signal_start(&s.sig_int, on_signal, SIGINT);
        uv_signal_start(&s.sig_hup, on_signal, SIGHUP);
        r = sup_server_start(&s);
        if (r < 0)
                return log_error_errno(-r, "Failed to serve the API socket");
        if ((r = sup_pool_init(&s)) < 0)
                return log_error_errno(-r, "Failed to set up the warm pool");
        sup_idle_check(&s);
        log_info("Serving the API on %s%s", opt->paths.socket, opt->socket_activated ? " (from systemd)" : "");
        sup_notify_ready(&s);

        uv_run(&s.loop, UV_RUN_DEFAULT);

        sup_pool_free(&s);
        uv_walk(&s.loop, close_walk, NULL);
        uv_run(&s.loop, UV_RUN_DEFAULT);
        r = uv_loop_close(&s.loop);
        if (r < 0)
                log_warn("The loop still had handles at exit: %s", uv_strerror(r));
        free(s.uid_slots);
        sup_timings_free(&s);
        sup_index_free(&s);
        sup_network_done(&s);
        sup_audit_close(&s);
        nc_journal_sink_free(s.journal);        /* sends what is still queued */
        return s.exit_code;
}
