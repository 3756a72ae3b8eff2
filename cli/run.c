/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus run: one sandbox in the foreground. Our own stdin/stdout/stderr go to the
 * supervisor with SCM_RIGHTS, so the workload reads and writes them directly (no proxy
 * hop); signals we receive are forwarded; our exit status is the workload's. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"
#include "run.h"
#include "macros.h"
#include "spec.h"
#include "util.h"

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

/* How long a foreground run waits for a restarted supervisor: 30 s. A restarted loop
 * process answers within milliseconds; a whole new nucleusd (systemd's Restart=, after
 * RestartSec=) takes seconds, and the run must outlast that to get its status. */
#define RECONNECT_TRIES 600
#define RECONNECT_PAUSE_US 50000

struct run_state {
        struct cli_conn conn;
        char sandbox_id[NC_ID_LEN + 1];
        bool sd_notify;         /* --sd-notify */
        bool has_readiness;     /* ready is when the readiness probe passes, not at start */
        long long ready_wait;   /* the request id of our sandbox.wait until ready; 0: none */
        int pending_sig[8];
        size_t npending;
        int tty_fd;             /* -t: the terminal that came with sandbox.started, until taken */
};

static void forward_signal(struct run_state *st, int sig)
{
        if (st->sd_notify && (sig == SIGTERM || sig == SIGINT))
                cli_sd_notify("STOPPING=1");    /* systemctl stop: the sandbox is being stopped */
        if (!st->sandbox_id[0]) {
                if (st->npending < ARRAY_SIZE(st->pending_sig))
                        st->pending_sig[st->npending++] = sig;
                return;
        }
        (void)cli_send(&st->conn, "sandbox.kill", json_pack("{s:s, s:i}", "id", st->sandbox_id, "signal", sig), NULL, 0);
}

static int handle_final(const json_t *msg, bool detach)
{
        const json_t *err = json_object_get(msg, "error");

        if (err) {
                const json_t *data = json_object_get(err, "data");
                const char *m = json_string_value(json_object_get(err, "message"));
                int code = (int)json_integer_value(json_object_get(data, "exit_code"));
                int e = (int)json_integer_value(json_object_get(data, "errno"));

                if (e > 0 && !(m && strstr(m, strerror(e))))
                        fprintf(stderr, "nucleus: %s: %s\n", m ? m : "failed", strerror(e));
                else
                        fprintf(stderr, "nucleus: %s\n", m ? m : "failed");   /* the message has the errno already */
                return code > 0 ? code : CLI_EXIT_NUCLEUS;
        }
        if (detach) {
                const json_t *res = json_object_get(msg, "result"), *d;
                size_t k;

                json_array_foreach(json_object_get(res, "degraded"), k, d)
                        fprintf(stderr, "nucleus: warning: security degraded: %s skipped (%s)\n",
                                json_string_value(json_object_get(d, "step")), json_string_value(json_object_get(d, "reason")));
                json_array_foreach(json_object_get(res, "limits_not_applied"), k, d)
                        fprintf(stderr, "nucleus: warning: limit %s not applied: %s\n",
                                json_string_value(json_object_get(d, "limit")), json_string_value(json_object_get(d, "reason")));
                printf("%s\n", json_string_value(json_object_get(res, "id")));
                return 0;
        }
        return (int)json_integer_value(json_object_get(json_object_get(msg, "result"), "exit_code"));
}

static void notify_ready(struct run_state *st)
{
        char status[96];

        snprintf(status, sizeof(status), "READY=1\nSTATUS=sandbox %.12s is ready", st->sandbox_id);
        cli_sd_notify(status);
}

/* --sd-notify: the service is ready when its sandbox is. Without a readiness probe that
 * is now; with one, nucleusd answers a wait until ready on this same connection. */
static void notify_started(struct run_state *st)
{
        if (!st->sd_notify)
                return;
        if (!st->has_readiness) {
                notify_ready(st);
                return;
        }
        st->ready_wait = cli_send(&st->conn, "sandbox.wait", json_pack("{s:s, s:s}", "id", st->sandbox_id, "until", "ready"),
                                  NULL, 0);
        if (st->ready_wait < 0) {
                fprintf(stderr, "nucleus: warning: cannot wait for sandbox %s to be ready; telling the service manager now\n",
                        st->sandbox_id);
                st->ready_wait = 0;
                notify_ready(st);
        }
}

/* Returns true when msg is the final reply to our create (code set). */
static bool handle_message(struct run_state *st, json_t *msg, long long create_id, bool detach, int *code)
{
        const char *method = json_string_value(json_object_get(msg, "method"));
        const json_t *mid = json_object_get(msg, "id");

        if (method && strcmp(method, "sandbox.started") == 0) {
                const char *id = json_string_value(json_object_get(json_object_get(msg, "params"), "id"));

                const json_t *deg = json_object_get(json_object_get(msg, "params"), "degraded"), *d;
                size_t k;

                json_array_foreach(deg, k, d)
                        fprintf(stderr, "nucleus: warning: security degraded: %s skipped (%s)\n",
                                json_string_value(json_object_get(d, "step")), json_string_value(json_object_get(d, "reason")));
                json_array_foreach(json_object_get(json_object_get(msg, "params"), "limits_not_applied"), k, d)
                        fprintf(stderr, "nucleus: warning: limit %s not applied: %s\n",
                                json_string_value(json_object_get(d, "limit")), json_string_value(json_object_get(d, "reason")));
                if (json_is_true(json_object_get(json_object_get(msg, "params"), "tty")) && st->tty_fd < 0)
                        st->tty_fd = cli_take_fd(&st->conn);
                if (id && strlen(id) == NC_ID_LEN) {
                        memcpy(st->sandbox_id, id, sizeof(st->sandbox_id));
                        for (size_t i = 0; i < st->npending; i++)
                                forward_signal(st, st->pending_sig[i]);
                        st->npending = 0;
                        notify_started(st);
                }
                return false;
        }
        if (st->ready_wait && json_is_integer(mid) && json_integer_value(mid) == st->ready_wait) {
                /* An error: the sandbox ended before it was ready; its result follows. */
                if (json_object_get(msg, "result"))
                        notify_ready(st);
                st->ready_wait = 0;
                return false;
        }
        if (json_is_integer(mid) && json_integer_value(mid) == create_id) {
                *code = handle_final(msg, detach);
                return true;
        }
        return false;   /* replies to our kill requests */
}

/* nucleusd's loop process restarted (docs/restart.md): the sandbox runs on, its stdio
 * is ours still (init holds it), and the new loop process knows it from its state
 * file. Connect again and wait for the same sandbox; the reply to that wait is our
 * result. Returns the wait's request id, or -errno when nucleusd stays away. */
static long long reconnect(const struct cli_opts *o, struct run_state *st)
{
        cli_disconnect(&st->conn);
        for (int tries = 0; tries < RECONNECT_TRIES; tries++) {
                if (cli_connect(o, &st->conn, CLI_CONNECT_EXISTING) == 0)
                        return cli_send(&st->conn, "sandbox.wait", json_pack("{s:s}", "id", st->sandbox_id), NULL, 0);
                cli_disconnect(&st->conn);
                usleep(RECONNECT_PAUSE_US);
        }
        return -ENOTCONN;
}

int cli_cmd_run(const struct cli_opts *o, int argc, char **argv)
{
        _cleanup_spec_ struct nc_spec *spec = nc_spec_new();
        struct run_state st = { .tty_fd = -1 };
        struct cli_tty tty = { .master = -1, .sfd = -1 };
        _cleanup_(cli_run_opts_done) struct run_opts ro = { .policy = {
                [POLICY_SECCOMP] = { "--seccomp-profile", "seccomp_profile", "seccomp profile", false, -1, NULL, NULL },
                [POLICY_CAPS] = { "--caps-policy", "caps_policy", "capability policy", true, -1, NULL, NULL },
                [POLICY_LANDLOCK] = { "--landlock-policy", "landlock_policy", "Landlock policy", true, -1, NULL, NULL },
        }, .context = { .fd = -1 }, .rootfs_fd = -1, .seccomp_log_fd = -1 };
        int stdio[3 + POLICY_MAX + 2 * RUN_VOLUMES_MAX + 3], sfd, code = CLI_EXIT_NUCLEUS;
        size_t nfds = 3;
        long long create_id;
        json_t *params, *context = NULL;
        sigset_t set;

        if (!spec)
                return CLI_EXIT_NUCLEUS;
        if (cli_run_parse(argc, argv, spec, &ro) < 0)
                return CLI_EXIT_NUCLEUS;
        if (ro.sd_notify && cli_sd_notify_open() < 0)
                return CLI_EXIT_NUCLEUS;
        st.sd_notify = ro.sd_notify;
        st.has_readiness = spec->readiness.kind != NC_PROBE_NONE;

        /* A closed stdio fd of ours becomes /dev/null for the workload. */
        for (int i = 0; i < 3; i++) {
                stdio[i] = i;
                if (fcntl(i, F_GETFD) < 0)
                        stdio[i] = open("/dev/null", i == 0 ? O_RDONLY : O_WRONLY);
        }
        if (ro.context_dir) {
                bool copy = !ro.context_mode || strcmp(ro.context_mode, "copy") == 0;
                json_t *ctx = json_pack("{s:s}", "mode", copy ? "copy" : "bind");

                /* Before connecting: the walk is the caller's, and so are its refusals. The
                 * helper reports, then blocks on the pipe until the sandbox's init reads. */
                if (copy) {
                        if (cli_context_pack(ro.context_dir, ro.context_integrity, &ro.context) < 0) {
                                json_decref(ctx);
                                return CLI_EXIT_NUCLEUS;
                        }
                        json_object_update(ctx, ro.context.report);
                }
                context = ctx;
        }
        if (cli_connect(o, &st.conn, CLI_CONNECT_AUTOSTART) < 0) {
                json_decref(context);
                return CLI_EXIT_NUCLEUS;
        }

        /* Signals become requests; block them before the sandbox exists so none is lost. */
        sigemptyset(&set);
        for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
                sigaddset(&set, forwarded[i]);
        if (ro.tty)
                sigaddset(&set, SIGWINCH);      /* passed on to the sandbox's terminal (tty.c) */
        sigprocmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);
        sfd = signalfd(-1, &set, SFD_CLOEXEC);

        params = json_pack("{s:o, s:b, s:s, s:b, s:b}", "spec", nc_spec_to_json(spec), "wait", !ro.detach, "stdio",
                           ro.detach ? "logs" : ro.tty ? "null" : "passed", "auto_remove", ro.rm, "foreground", !ro.detach);
        if (ro.timeout_s)
                json_object_set_new(params, "timeout", json_integer(ro.timeout_s));
        if (ro.sd_notify) {
                json_t *parent = cli_sd_notify_placement();
                if (parent)
                        json_object_set_new(params, "cgroup_parent", parent);
        }
        if (ro.tty)
                json_object_set_new(params, "tty", cli_tty_param());
        if (ro.detach || ro.tty)
                nfds = 0;       /* nucleusd keeps the output, or the terminal is the stdio: none of ours */
        /* Policy descriptors go along after the stdio, if any. */
        for (int k = 0; k < POLICY_MAX; k++)
                if (ro.policy[k].fd >= 0) {
                        stdio[nfds++] = ro.policy[k].fd;
                        json_object_set_new(params, ro.policy[k].param, cli_policy_param(&ro.policy[k]));
                }
        if (ro.nvol) {
                json_t *vols = json_array();
                for (size_t i = 0; i < ro.nvol; i++) {
                        json_array_append_new(vols, json_pack("{s:s, s:b}", "dest", ro.vol[i].dest, "readonly", ro.vol[i].readonly));
                        stdio[nfds++] = ro.vol[i].fd;
                }
                json_object_set_new(params, "volumes", vols);
        }
        if (ro.nsec) {
                json_t *secs = json_array();
                for (size_t i = 0; i < ro.nsec; i++) {
                        json_array_append_new(secs, json_pack("{s:s}", "dest", ro.sec[i].dest));
                        stdio[nfds++] = ro.sec[i].fd;
                }
                json_object_set_new(params, "secrets", secs);
        }
        if (context) {
                json_object_set_new(params, "context", context);
                if (ro.context.fd >= 0)
                        stdio[nfds++] = ro.context.fd;
        }
        if (ro.rootfs_fd >= 0) {
                json_object_set_new(params, "rootfs", json_pack("{s:b}", "verify_attestation", ro.rootfs_attestation));
                stdio[nfds++] = ro.rootfs_fd;
        }
        /* Last, after the context and the rootfs: the order nucleusd takes them in (docs/api.md). */
        if (ro.seccomp_log_fd >= 0)
                stdio[nfds++] = ro.seccomp_log_fd;
        create_id = cli_send(&st.conn, "sandbox.create", params, nfds ? stdio : NULL, nfds);
        if (ro.context.fd >= 0) {
                /* nucleusd holds its own copy now; ours would keep the stream open. */
                close(ro.context.fd);
                ro.context.fd = -1;
        }
        if (create_id < 0) {
                fprintf(stderr, "nucleus: Failed to send the request: %s\n", strerror((int)-create_id));
                goto out;
        }
        for (;;) {
                struct pollfd pfd[2] = { { .fd = st.conn.fd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
                json_t *msg = NULL;
                int r;

                if (st.tty_fd >= 0) {
                        /* -t: from here our signals and the connection are watched with the
                         * terminal. */
                        cli_tty_start(&tty, st.tty_fd, ro.interactive, false, sfd);
                        st.tty_fd = sfd = -1;
                }
                if (tty.sfd >= 0) {
                        int sig = 0;

                        r = cli_tty_step(&tty, &st.conn, &msg, &sig);
                        if (r == CLI_TTY_SIGNAL) {
                                forward_signal(&st, sig);
                                continue;
                        }
                        r = r == CLI_TTY_MESSAGE ? 1 : 0;
                        if (r == 1 && json_integer_value(json_object_get(msg, "id")) == create_id) {
                                cli_tty_finish_output(&tty);
                                cli_tty_restore();
                        }
                        goto handle;
                }
                r = cli_recv_buffered(&st.conn, &msg);
                if (r == -EAGAIN) {
                        if (poll(pfd, sfd >= 0 ? 2 : 1, -1) < 0) {
                                if (errno == EINTR)
                                        continue;
                                break;
                        }
                        if (sfd >= 0 && (pfd[1].revents & POLLIN)) {
                                struct signalfd_siginfo si;
                                if (read(sfd, &si, sizeof(si)) == sizeof(si))
                                        forward_signal(&st, (int)si.ssi_signo);
                        }
                        if (!pfd[0].revents)
                                continue;
                        r = cli_recv(&st.conn, &msg);
                }
        handle:
                /* A loop process that restarted: reconnect and keep waiting (without a
                 * terminal; a -t session's master was the old loop's). */
                if (r <= 0 && !ro.detach && tty.sfd < 0 && st.sandbox_id[0] && (create_id = reconnect(o, &st)) > 0)
                        continue;
                if (r <= 0) {
                        cli_tty_restore();
                        fprintf(stderr, "nucleus: lost the connection to the supervisor%s%s\n", r < 0 ? ": " : "",
                                r < 0 ? strerror(-r) : "");
                        break;
                }
                if (handle_message(&st, msg, create_id, ro.detach, &code)) {
                        json_decref(msg);
                        break;
                }
                json_decref(msg);
        }
out:
        cli_tty_done(&tty);
        if (st.tty_fd >= 0)
                close(st.tty_fd);
        cli_disconnect(&st.conn);
        return code;
}
