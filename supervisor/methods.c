/* SPDX-License-Identifier: Apache-2.0 */
/* JSON-RPC methods. Each refuses unknown parameters and names a bad one; docs/api.md
 * documents each with an example. */
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "probe.h"
#include "sup.h"


struct method {
        const char *name;
        void (*fn)(struct sup_conn *c, json_t *id, json_t *params);
};

void sup_bad_params(struct sup_conn *c, json_t *id, const struct nc_err *err)
{
        /* A check that forgot to say what was wrong: the client still learns that it
         * was a parameter, and the log shows that a message is missing. */
        if (!err->msg[0]) {
                log_warn("Refusing a request's parameters without a message (a missing nc_err_set), ignoring");
                return sup_conn_error(c, id, NC_RPC_INVALID_PARAMS, NULL, "invalid parameters (no detail available)");
        }
        sup_conn_error(c, id, NC_RPC_INVALID_PARAMS, NULL, "%s", err->msg);
}

/* Resolves params.id (an id, a unique id prefix or a name) to a sandbox the caller may
 * act on, or answers the error itself and returns NULL. */
static struct sup_sandbox *lookup(struct sup_conn *c, json_t *id, json_t *params)
{
        struct nc_err err = { { 0 } };
        struct sup_sandbox *sb = NULL;
        const char *ref;
        int r;

        if (nc_param_string(params, "id", true, &ref, &err) < 0) {
                sup_bad_params(c, id, &err);
                return NULL;
        }
        r = sup_sandbox_find(c->sup, ref, c->cred.uid, &sb);
        if (r == -ENOTUNIQ) {
                sup_conn_error(c, id, NC_RPC_CONFLICT, NULL, "id prefix '%s' matches more than one sandbox; type more characters", ref);
                return NULL;
        }
        if (r < 0) {
                /* Others' sandboxes are not looked at: "absent" and "not yours" are one answer. */
                sup_conn_error(c, id, NC_RPC_NOT_FOUND, NULL, "no sandbox '%.128s'", ref);
                return NULL;
        }
        return sb;
}


int sup_open_null_stdio(int fds[3])
{
        for (int i = 0; i < 3; i++) {
                fds[i] = open("/dev/null", (i == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
                if (fds[i] < 0) {
                        int e = -errno;
                        for (int k = 0; k < i; k++)
                                close(fds[k]);
                        return e;
                }
        }
        return 0;
}


static void m_list(struct sup_conn *c, json_t *id, json_t *params)
{
        static const char *const known[] = { "all", NULL };
        struct nc_err err = { { 0 } };
        json_t *arr;
        bool all;

        if (nc_params_only(params, known, &err) < 0 || nc_param_bool(params, "all", false, &all, &err) < 0)
                return sup_bad_params(c, id, &err);
        arr = json_array();
        for (struct sup_sandbox *sb = c->sup->sandboxes; sb; sb = sb->next)
                if (sup_sandbox_visible(sb, c->cred.uid) && (all || sup_state_live(sb->state)))
                        json_array_append_new(arr, sup_sandbox_summary(sb));
        sup_conn_reply(c, id, json_pack("{s:o}", "sandboxes", arr));
}

static void m_inspect(struct sup_conn *c, json_t *id, json_t *params)
{
        static const char *const known[] = { "id", "network_rules", NULL };
        struct nc_err err = { { 0 } };
        struct sup_sandbox *sb;
        bool rules;

        if (nc_params_only(params, known, &err) < 0 || nc_param_bool(params, "network_rules", false, &rules, &err) < 0)
                return sup_bad_params(c, id, &err);
        if (!(sb = lookup(c, id, params)))
                return;
        json_t *j = sup_sandbox_inspect(sb);
        sup_network_inspect_live(sb, json_object_get(j, "network"));
        if (rules)
                json_object_set_new(json_object_get(j, "network"), "rules", sup_network_rules(sb));
        sup_conn_reply(c, id, j);
}

static void m_kill(struct sup_conn *c, json_t *id, json_t *params)
{
        static const char *const known[] = { "id", "signal", NULL };
        struct nc_err err = { { 0 } };
        struct sup_sandbox *sb;
        json_t *v;
        int sig = SIGKILL, r;

        if (nc_params_only(params, known, &err) < 0)
                return sup_bad_params(c, id, &err);
        v = json_object_get(params, "signal");
        if (json_is_integer(v))
                sig = json_integer_value(v) > 0 && json_integer_value(v) < NSIG ? (int)json_integer_value(v) : -EINVAL;
        else if (json_is_string(v))
                sig = nc_signal_parse(json_string_value(v));
        else if (v && !json_is_null(v))
                sig = -EINVAL;
        if (sig < 0) {
                nc_err_set(&err, "parameter 'signal' must be a signal name (\"TERM\", \"SIGTERM\") or a number from 1 to %d", NSIG - 1);
                return sup_bad_params(c, id, &err);
        }
        if (sig != SIGKILL && !sbx_init_forwards(sig)) {
                /* init is PID 1: the kernel drops what it does not forward, and STOP would
                 * stop init itself. Refuse rather than report a delivery that never happens. */
                /* Named by number too: a real-time signal has no name here ("SIG?"). */
                nc_err_set(&err, "signal %d (%s) cannot be sent to a sandbox; accepted: KILL and %s", sig,
                           sig >= SIGRTMIN && sig <= SIGRTMAX ? "a real-time signal" : nc_signal_name(sig),
                           sbx_init_forwarded_names());
                return sup_bad_params(c, id, &err);
        }
        if (!(sb = lookup(c, id, params)))
                return;
        if (!sup_state_live(sb->state))
                return sup_conn_error(c, id, NC_RPC_BAD_STATE, NULL, "sandbox %s is %s; kill needs a running sandbox",
                                      sb->id, sup_state_name(sb->state));
        if (sb->pidfd < 0) {
                /* Still being created: SIGKILL cancels it; other signals have no one to go to. */
                if (sig != SIGKILL)
                        return sup_conn_error(c, id, NC_RPC_BAD_STATE, NULL, "sandbox %s is creating; only KILL can be sent before it runs", sb->id);
                if (sb->stop_reason == SUP_STOP_NONE)
                        sb->stop_reason = SUP_STOP_API;
                sup_sandbox_stop(sb, 0);
        } else if ((r = sup_sandbox_signal(sb, sig)) < 0)
                return sup_conn_error(c, id, NC_RPC_INTERNAL_ERROR, NULL, "Failed to signal sandbox %s: %s", sb->id, strerror(-r));
        if (sig == SIGKILL)
                sb->stop_requested = true;
        sup_conn_reply(c, id, json_pack("{s:s, s:s}", "id", sb->id, "signal", nc_signal_name(sig)));
}

/* false when the connection has too many waiting already (answered -32006). */
static bool add_waiter(struct sup_sandbox *sb, struct sup_conn *c, json_t *id, int kind)
{
        struct sup_waiter *w;

        if (!sup_conn_pending_add(c, id))
                return false;
        w = calloc(1, sizeof(*w));
        if (!w) {
                sup_conn_pending_done(c);
                sup_conn_error(c, id, NC_RPC_INTERNAL_ERROR, NULL, "out of memory");
                return false;
        }
        w->conn = c;
        w->id = json_incref(id);
        w->kind = kind;
        w->next = sb->waiters;
        sb->waiters = w;
        if (c)
                sup_conn_ref(sb);
        return true;
}

static void m_wait(struct sup_conn *c, json_t *id, json_t *params)
{
        static const char *const known[] = { "id", "until", NULL };
        struct nc_err err = { { 0 } };
        struct sup_sandbox *sb;
        const json_t *until = json_object_get(params, "until");
        bool ready = json_is_string(until) && strcmp(json_string_value(until), "ready") == 0;

        if (nc_params_only(params, known, &err) < 0)
                return sup_bad_params(c, id, &err);
        if (until && !ready && !(json_is_string(until) && strcmp(json_string_value(until), "exit") == 0))
                return sup_conn_error(c, id, NC_RPC_INVALID_PARAMS, NULL,
                                      "'until' must be \"exit\" (the default) or \"ready\"");
        if (!(sb = lookup(c, id, params)))
                return;
        /* Ready: now, or when its readiness probe passes (probe.c replies); a sandbox
         * that ends first gets its final result instead. */
        if (ready && sup_state_live(sb->state) && sup_sandbox_ready(sb))
                return sup_conn_reply(c, id, json_pack("{s:s, s:b, s:s}", "id", sb->id, "ready", true, "state",
                                                       sup_state_name(sb->state)));
        if (ready && sup_state_live(sb->state))
                add_waiter(sb, c, id, SUP_WAIT_READY);
        else if (sup_state_live(sb->state))
                add_waiter(sb, c, id, SUP_WAIT_RESULT);
        else
                sup_conn_reply(c, id, sup_sandbox_result(sb));
}

static void m_remove(struct sup_conn *c, json_t *id, json_t *params)
{
        static const char *const known[] = { "id", "force", NULL };
        struct nc_err err = { { 0 } };
        struct sup_sandbox *sb;
        bool force;

        if (nc_params_only(params, known, &err) < 0 || nc_param_bool(params, "force", false, &force, &err) < 0)
                return sup_bad_params(c, id, &err);
        if (!(sb = lookup(c, id, params)))
                return;
        if (sup_state_live(sb->state) && !force)
                return sup_conn_error(c, id, NC_RPC_BAD_STATE, NULL,
                                      "sandbox %s is %s; stop it first or remove with force", sb->id,
                                      sup_state_name(sb->state));
        /* The reply comes when the removal is complete: processes, cgroup, state file. */
        if (!add_waiter(sb, c, id, SUP_WAIT_REMOVE))
                return;
        if (sup_state_live(sb->state)) {
                if (sb->stop_reason == SUP_STOP_NONE)
                        sb->stop_reason = SUP_STOP_API;
                sup_sandbox_stop(sb, 0);
        } else
                sup_sandbox_remove(sb);
}

static void m_info(struct sup_conn *c, json_t *id, json_t *params)
{
        static const char *const known[] = { NULL };
        struct nc_err err = { { 0 } };
        struct sup *s = c->sup;
        char started[64];

        if (nc_params_only(params, known, &err) < 0)
                return sup_bad_params(c, id, &err);
        nc_format_rfc3339(s->started_ns, started);
        json_t *info = json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:{s:i, s:i, s:i}, s:o}",
                "api_version", NC_API_VERSION, "version", NUCLEUS_VERSION, "pid", (int)getppid(), "loop_pid", (int)getpid(),
                "started_at", started, "socket", s->opt->paths.socket, "state_dir", s->opt->paths.state_dir,
                "cgroup_root", s->cfg->cgroup_root, "sandboxes", (json_int_t)(s->nsandboxes), "live",
                (json_int_t)s->nlive, "idle_timeout_ms", (json_int_t)s->opt->idle_timeout_ms, "uid_map",
                "base", (int)s->cfg->uid_base, "count", (int)s->cfg->uid_count, "ranges", (int)sup_uid_slots(s->opt), "cgroups", sbx_cgroup_info(s->cfg));

        json_object_set_new(info, "pool", sup_pool_info(s));
        json_object_set_new(info, "create_latency", sup_timings_info(s));
        sup_conn_reply(c, id, info);
}

static json_t *stats_of(const struct sup_sandbox *sb)
{
        struct sbx_cgroup_stats st;
        json_t *usage;

        if (!sup_state_live(sb->state) && sb->have_final_stats)
                usage = sbx_cgroup_stats_to_json(&sb->final_stats);
        else if (sup_sandbox_usage(sb, &st) == 0)
                usage = sbx_cgroup_stats_to_json(&st);
        else
                usage = json_object();
        return json_pack("{s:s, s:o, s:s, s:I, s:o}", "id", sb->id, "name", nc_json_bytes(sup_sandbox_name(sb)), "state",
                         sup_state_name(sb->state), "sampled_at_ns", (json_int_t)nc_now_ns(), "usage", usage);
}

static void m_stats(struct sup_conn *c, json_t *id, json_t *params)
{
        static const char *const known[] = { "id", NULL };
        struct nc_err err = { { 0 } };
        struct sup_sandbox *sb;
        json_t *arr;

        if (nc_params_only(params, known, &err) < 0)
                return sup_bad_params(c, id, &err);
        if (json_object_get(params, "id")) {
                if ((sb = lookup(c, id, params)))
                        sup_conn_reply(c, id, stats_of(sb));
                return;
        }
        arr = json_array();
        for (sb = c->sup->sandboxes; sb; sb = sb->next)
                if (sup_sandbox_visible(sb, c->cred.uid) && sup_state_live(sb->state))
                        json_array_append_new(arr, stats_of(sb));
        sup_conn_reply(c, id, json_pack("{s:o}", "sandboxes", arr));
}

static void m_logs(struct sup_conn *c, json_t *id, json_t *params)
{
        static const char *const known[] = { "id", "follow", "since_seq", "tail", NULL };
        struct nc_err err = { { 0 } };
        struct sup_sandbox *sb;
        struct sup_log_sub *sub;
        long long since, tail;
        bool follow;

        if (nc_params_only(params, known, &err) < 0 || nc_param_bool(params, "follow", false, &follow, &err) < 0 ||
            nc_param_int(params, "since_seq", 0, 1, INT64_MAX, &since, &err) < 0 ||
            nc_param_int(params, "tail", -1, 0, INT64_MAX, &tail, &err) < 0)
                return sup_bad_params(c, id, &err);
        if (!id)
                return;         /* records are tagged with the request id: a notification cannot have any */
        if (!(sb = lookup(c, id, params)))
                return;
        if (!sb->logs)
                return sup_conn_error(c, id, NC_RPC_BAD_STATE, NULL, "sandbox %s was not created detached: its output went "
                                      "to the descriptors of its caller", sb->id);
        if (!sup_conn_pending_add(c, id))
                return;
        sub = calloc(1, sizeof(*sub));
        if (!sub) {
                sup_conn_pending_done(c);
                return sup_conn_error(c, id, NC_RPC_INTERNAL_ERROR, NULL, "out of memory");
        }
        sub->conn = c;
        sub->id = json_incref(id);
        sub->follow = follow;
        if (since > 0)
                sub->next_seq = (uint64_t)since;
        else if (tail >= 0)
                /* the last N records still held */
                sub->next_seq = sb->logs->next_seq > (uint64_t)tail ? sb->logs->next_seq - (uint64_t)tail : 1;
        else
                sub->next_seq = 1;      /* everything: what the ring dropped is reported as a gap */
        if (since <= 0 && tail >= 0 && sub->next_seq < sup_logs_first_seq(sb->logs))
                sub->next_seq = sup_logs_first_seq(sb->logs);
        sub->next = sb->subs;
        sb->subs = sub;
        sup_conn_ref(sb);
        sup_logs_pump(sb);
}

static bool add_waiter(struct sup_sandbox *sb, struct sup_conn *c, json_t *id, int kind);

static void m_stop(struct sup_conn *c, json_t *id, json_t *params)
{
        static const char *const known[] = { "id", "timeout", NULL };
        struct nc_err err = { { 0 } };
        struct sup_sandbox *sb;
        long long timeout_s;

        if (nc_params_only(params, known, &err) < 0 ||
            nc_param_int(params, "timeout", SUP_STOP_TIMEOUT_MS / 1000, 0, 24 * 3600, &timeout_s, &err) < 0)
                return sup_bad_params(c, id, &err);
        if (!(sb = lookup(c, id, params)))
                return;
        if (!sup_state_live(sb->state))
                /* Already ended: stop has nothing to do, and says how it ended. */
                return sup_conn_reply(c, id, sup_sandbox_result(sb));
        /* The reply is the final result, once the sandbox has stopped. */
        if (!add_waiter(sb, c, id, SUP_WAIT_RESULT))
                return;
        if (sb->stop_reason == SUP_STOP_NONE)
                sb->stop_reason = SUP_STOP_API;
        sup_sandbox_stop(sb, (uint64_t)timeout_s * 1000);
}

static void pause_resume(struct sup_conn *c, json_t *id, json_t *params, bool pause)
{
        static const char *const known[] = { "id", NULL };
        struct nc_err err = { { 0 } };
        struct sup_sandbox *sb;
        int r;

        if (nc_params_only(params, known, &err) < 0)
                return sup_bad_params(c, id, &err);
        if (!(sb = lookup(c, id, params)))
                return;
        if (sb->state != (pause ? SUP_STATE_running : SUP_STATE_paused))
                return sup_conn_error(c, id, NC_RPC_BAD_STATE, NULL, "sandbox %s is %s; %s needs a %s sandbox", sb->id,
                                      sup_state_name(sb->state), pause ? "pause" : "resume", pause ? "running" : "paused");
        if (!sup_cg(sb)->cgroup_root[0])
                return sup_conn_error(c, id, NC_RPC_BAD_STATE, NULL, "%s needs the cgroup v2 freezer, and this host has no cgroup2 mount",
                                      pause ? "pause" : "resume");
        /* cgroup.freeze of the sandbox's v2 leaf: every process in it, on hybrid hosts too. */
        r = sbx_cg_write(sup_cg(sb)->cgroup_root, sb->id, "cgroup.freeze", pause ? "1" : "0");
        if (r < 0)
                return sup_conn_error(c, id, NC_RPC_INTERNAL_ERROR, NULL, "Failed to %s sandbox %s: %s", pause ? "freeze" : "thaw",
                                      sb->id, strerror(-r));
        (void)sup_sandbox_set_state(sb, pause ? SUP_STATE_paused : SUP_STATE_running);
        (void)sup_state_write(sb);
        sup_conn_reply(c, id, json_pack("{s:s, s:s}", "id", sb->id, "state", sup_state_name(sb->state)));
}

static void m_pause(struct sup_conn *c, json_t *id, json_t *params)
{
        pause_resume(c, id, params, true);
}

static void m_resume(struct sup_conn *c, json_t *id, json_t *params)
{
        pause_resume(c, id, params, false);
}

json_t *sup_tty_param(const json_t *v, struct nc_err *err)
{
        static const char *const known[] = { "rows", "cols", NULL };
        long long rows = 0, cols = 0;

        if (json_is_true(v))
                return json_object();
        if (!json_is_object(v) || nc_params_only(v, known, err) < 0 || nc_param_int(v, "rows", 0, 0, 65535, &rows, err) < 0 ||
            nc_param_int(v, "cols", 0, 0, 65535, &cols, err) < 0) {
                if (!err->msg[0])
                        nc_err_set(err, "parameter 'tty' must be true or {\"rows\": N, \"cols\": N}");
                return NULL;
        }
        return json_pack("{s:I, s:I}", "rows", (json_int_t)rows, "cols", (json_int_t)cols);
}

static void m_exec(struct sup_conn *c, json_t *id, json_t *params)
{
        static const char *const known[] = { "id", "args", "env", "cwd", "stdio", "user", "tty", NULL };
        struct nc_err err = { { 0 } };
        _cleanup_spec_ struct nc_spec *x = NULL;
        struct sup_sandbox *sb;
        const char *stdio;
        int fds[3] = { -1, -1, -1 }, r;
        json_t *spec, *v, *extra = json_object();
        const json_t *jtty = json_object_get(params, "tty"), *juser = json_object_get(params, "user");
        const bool tty = jtty && !json_is_false(jtty) && !json_is_null(jtty);
        size_t i;

        if (nc_param_string(params, "stdio", false, &stdio, &err) < 0)
                goto bad;
        stdio = stdio ? stdio : "null";
        if (strcmp(stdio, "passed") == 0) {
                if (sup_conn_take_fds(c, fds, 3) < 0) {
                        nc_err_set(&err, "stdio \"passed\" needs 3 descriptors sent with the request, got %zu", c->nfds);
                        goto bad;
                }
        } else if (strcmp(stdio, "null") != 0 && strcmp(stdio, "stream") != 0) {
                nc_err_set(&err, "parameter 'stdio' must be \"null\", \"passed\" (three descriptors sent with the request) "
                           "or \"stream\" (output as sandbox.exec_output notifications), not '%.32s'", stdio);
                goto bad;
        }
        if (tty && strcmp(stdio, "null") != 0) {
                nc_err_set(&err, "parameter 'tty' replaces stdio: the process's stdio is the new terminal (stdio \"null\")");
                goto bad;
        }
        if (!tty && strcmp(stdio, "null") == 0 && (r = sup_open_null_stdio(fds)) < 0) {
                json_decref(extra);
                return sup_conn_error(c, id, NC_RPC_INTERNAL_ERROR, NULL, "Failed to open /dev/null: %s", strerror(-r));
        }
        if (nc_params_only(params, known, &err) < 0)
                goto bad;
        if (tty) {
                json_t *t = sup_tty_param(jtty, &err);
                if (!t)
                        goto bad;
                json_object_set_new(extra, "tty", t);
        }
        if (!(sb = lookup(c, id, params)))
                goto out;
        if (sb->state != SUP_STATE_running || sb->ctl < 0) {
                sup_conn_error(c, id, NC_RPC_BAD_STATE, NULL, "sandbox %s is %s; exec needs a running sandbox", sb->id,
                               sup_state_name(sb->state));
                goto out;
        }
        /* The process gets the sandbox's environment, with the request's on top, and the
         * workload's identity unless the request names one (same form as spec.user). */
        spec = json_pack("{s:O*, s:O*, s:O*}", "args", json_object_get(params, "args"), "cwd", json_object_get(params, "cwd"),
                         "user", juser);
        if (nc_spec_from_json(spec, &x, &err) < 0) {
                json_decref(spec);
                goto bad;
        }
        if (juser && !json_is_null(juser))
                json_object_set_new(extra, "own_user", json_true());
        for (i = 0; i < sb->spec->envc; i++)
                (void)nc_spec_setenv(x, sb->spec->env[i], NULL);
        /* env is checked like spec.env: an array (anything else was silently ignored) of
         * byte strings, so a value that is not UTF-8 can come base64-encoded. */
        v = json_object_get(params, "env");
        if (v && !json_is_null(v) && !json_is_array(v)) {
                json_decref(spec);
                nc_err_set(&err, "parameter 'env' must be an array of \"KEY=VALUE\" byte strings");
                goto bad;
        }
        json_t *e;
        json_array_foreach(v, i, e) {
                _cleanup_free_ char *kv = NULL;
                char what[32];

                snprintf(what, sizeof(what), "env[%zu]", i);
                if (nc_json_bytes_get(e, &kv, &err, what) < 0 || nc_spec_setenv(x, kv, &err) < 0) {
                        json_decref(spec);
                        if (!err.msg[0])
                                nc_err_set(&err, "Failed to read env[%zu]: out of memory", i);
                        goto bad;
                }
        }
        json_decref(spec);
        spec = nc_spec_to_json(x);
        struct sup_exec_stream *stream = NULL;
        if (strcmp(stdio, "stream") == 0 && (r = sup_exec_stream_new(sb, fds, &stream)) < 0) {
                json_decref(spec);
                json_decref(extra);
                return sup_conn_error(c, id, NC_RPC_INTERNAL_ERROR, NULL, "Failed to make the output pipes: %s", strerror(-r));
        }
        r = sup_sandbox_exec(sb, c, id, spec, extra, tty ? NULL : fds, stream);
        json_decref(spec);
        json_decref(extra);
        fds[0] = fds[1] = fds[2] = -1;
        /* init hung up: the sandbox is ending (a kill just before this exec) although its
         * state does not say so yet. That is the client's bad timing, not our failure. */
        if (r == -EPIPE || r == -ECONNRESET)
                sup_conn_error(c, id, NC_RPC_BAD_STATE, NULL, "sandbox %s is ending; exec needs a running sandbox", sb->id);
        else if (r < 0)
                sup_conn_error(c, id, NC_RPC_INTERNAL_ERROR, NULL, "Failed to send the exec request to init: %s", strerror(-r));
        return;
bad:
        sup_bad_params(c, id, &err);
out:
        json_decref(extra);
        for (int k = 0; k < 3; k++)
                if (fds[k] >= 0)
                        close(fds[k]);
}

/* A client that died has hung up its socket before we get around to closing our end:
 * it must not keep the next one out. */
static bool conn_hung_up(const struct sup_conn *c)
{
        struct pollfd p = { .fd = c->fd, .events = POLLRDHUP };

        return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* A copy of the workload's terminal (a sandbox made with tty) for one client at a
 * time: that client copies the bytes itself, so nothing here relays them. */
static void m_attach(struct sup_conn *c, json_t *id, json_t *params)
{
        static const char *const known[] = { "id", NULL };
        struct nc_err err = { { 0 } };
        struct sup_sandbox *sb;
        int fd;

        if (nc_params_only(params, known, &err) < 0)
                return sup_bad_params(c, id, &err);
        if (!(sb = lookup(c, id, params)))
                return;
        if (!sup_state_live(sb->state) || sb->state == SUP_STATE_creating) {
                return sup_conn_error(c, id, NC_RPC_BAD_STATE, NULL, "sandbox %s is %s; attach needs a running sandbox",
                                      sb->id, sup_state_name(sb->state));
        }
        if (sb->tty_master < 0)
                return sup_conn_error(c, id, NC_RPC_BAD_STATE, NULL, "sandbox %s has no terminal to attach to: it was "
                                      "created without -t (use exec to run another command in it)", sb->id);
        if (sb->attach_conn && sb->attach_conn != c && !sb->attach_conn->closing && !conn_hung_up(sb->attach_conn))
                return sup_conn_error(c, id, NC_RPC_CONFLICT, NULL, "sandbox %s already has a client attached "
                                      "(pid %d); one at a time", sb->id, (int)sb->attach_conn->cred.pid);
        fd = fcntl(sb->tty_master, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return sup_conn_error(c, id, NC_RPC_INTERNAL_ERROR, NULL, "Failed to copy the terminal: %s", strerror(errno));
        sb->attach_conn = c;
        sup_conn_ref(sb);
        if (!id) {
                close(fd);
                return;
        }
        sup_conn_send_fd(c, nc_rpc_make_result(id, json_pack("{s:s, s:b}", "id", sb->id, "tty", true)), fd);
}

static void m_events(struct sup_conn *c, json_t *id, json_t *params)
{
        static const char *const known[] = { NULL };
        struct nc_err err = { { 0 } };
        struct sup_event_sub *sub;

        if (nc_params_only(params, known, &err) < 0)
                return sup_bad_params(c, id, &err);
        if (!id)
                return;         /* events are tagged with the request id */
        if (c->nevent_subs >= SUP_CONN_MAX_EVENT_SUBS)
                return sup_conn_error(c, id, NC_RPC_BUSY, NULL, "this connection already has %d event subscriptions, the "
                                      "most one may have (each gets every event; one is enough)",
                                      SUP_CONN_MAX_EVENT_SUBS);
        sub = calloc(1, sizeof(*sub));
        if (!sub)
                return sup_conn_error(c, id, NC_RPC_INTERNAL_ERROR, NULL, "out of memory");
        sub->conn = c;
        sub->id = json_incref(id);
        sub->next = c->sup->event_subs;
        c->sup->event_subs = sub;
        c->nevent_subs++;
        /* The reply first; events follow until the connection closes. */
        sup_conn_reply(c, id, json_pack("{s:O}", "subscription", id));
}

static const struct method methods[] = {
        { "sandbox.create", sup_method_create },   { "sandbox.list", m_list }, { "sandbox.inspect", m_inspect },
        { "sandbox.kill", m_kill },       { "sandbox.wait", m_wait }, { "sandbox.remove", m_remove },
        { "sandbox.stats", m_stats },     { "sandbox.logs", m_logs }, { "sandbox.stop", m_stop },
        { "sandbox.pause", m_pause },     { "sandbox.resume", m_resume }, { "sandbox.exec", m_exec },
        { "sandbox.attach", m_attach },
        { "events.subscribe", m_events },
        { "supervisor.info", m_info },
};

void sup_dispatch(struct sup_conn *c, struct nc_rpc_request *req)
{
        for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
                if (strcmp(methods[i].name, req->method) == 0) {
                        methods[i].fn(c, req->id, req->params);
                        return;
                }
        sup_conn_error(c, req->id, NC_RPC_METHOD_NOT_FOUND, NULL, "unknown method '%.64s'", req->method);
}
