/* SPDX-License-Identifier: Apache-2.0 */
/* sandbox.exec from the loop's side: the request goes to the sandbox's init (the only
 * spawner inside), init reports exec_started/exec_exit/exec_failed over ctl, and the
 * reply goes to the requesting connection. A process whose client is gone is killed by
 * init (exec_kill); processes still running when the sandbox ends get "sandbox_ended".
 * stdio "stream" is exec_stream.c's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "ctl.h"
#include "log.h"
#include "sup.h"

int sup_sandbox_exec(struct sup_sandbox *sb, struct sup_conn *conn, json_t *req_id, json_t *spec, const json_t *extra,
                     int fds[3], struct sup_exec_stream *stream)
{
        struct sup_exec *x = calloc(1, sizeof(*x));
        size_t nfds = fds ? 3 : 0;
        json_t *msg;
        int r;

        if (!x) {
                for (size_t i = 0; i < nfds; i++)
                        close(fds[i]);
                if (stream)
                        sup_exec_stream_finish(stream);
                return -ENOMEM;
        }
        x->id = ++sb->next_exec_id;
        msg = json_pack("{s:s, s:I, s:O}", "op", "exec", "exec", (json_int_t)x->id, "spec", spec);
        if (extra)
                json_object_update(msg, (json_t *)extra);
        r = sbx_ctl_send_json(sb->ctl, msg, fds, nfds);
        for (size_t i = 0; i < nfds; i++)
                close(fds[i]);
        if (r < 0) {
                if (stream)
                        sup_exec_stream_finish(stream);
                free(x);
                return r;
        }
        x->conn = conn;
        x->req_id = json_incref(req_id);
        x->next = sb->execs;
        sb->execs = x;
        if (conn)
                sup_conn_ref(sb);
        if (stream) {
                x->stream = stream;
                sup_exec_stream_start(stream, x);
        }
        return 0;
}

int sup_sandbox_exec_internal(struct sup_sandbox *sb, json_t *spec, int fds[3],
                              void (*on_end)(void *data, int status, const struct sbx_failure *failure), void *data,
                              struct sup_exec **ret)
{
        /* A process group of its own in init: a timeout kills all of it. */
        json_t *extra = json_pack("{s:b}", "probe", true);
        int r = sup_sandbox_exec(sb, NULL, NULL, spec, extra, fds, NULL);

        json_decref(extra);
        if (r < 0)
                return r;
        /* sup_sandbox_exec put it first on the list. */
        sb->execs->on_end = on_end;
        sb->execs->on_end_data = data;
        *ret = sb->execs;
        return 0;
}

void sup_sandbox_exec_kill(struct sup_sandbox *sb, struct sup_exec *x)
{
        if (sb->ctl < 0)
                return;
        if (x->on_end)
                log_debug("Probe exec %lld in sandbox %s timed out; killing it", x->id, sb->id);
        else
                log_info("The client of exec %lld in sandbox %s is gone; killing the process", x->id, sb->id);
        (void)sbx_ctl_send_json(sb->ctl, json_pack("{s:s, s:I}", "op", "exec_kill", "exec", (json_int_t)x->id), NULL, 0);
}

static struct sup_exec *take_exec(struct sup_sandbox *sb, long long id)
{
        for (struct sup_exec **pp = &sb->execs; *pp; pp = &(*pp)->next)
                if ((*pp)->id == id) {
                        struct sup_exec *x = *pp;
                        *pp = x->next;
                        return x;
                }
        return NULL;
}

/* Ours (a probe): the outcome goes to on_end, never to a connection. */
static void exec_done_internal(struct sup_exec *x, int status, const struct sbx_failure *failure)
{
        x->on_end(x->on_end_data, status, failure);
        free(x);
}

static void exec_done(struct sup_exec *x, json_t *result, const json_t *failure)
{
        /* The last output goes before the reply. */
        if (x->stream)
                sup_exec_stream_finish(x->stream);
        if (failure)
                sup_conn_error(x->conn, x->req_id, NC_RPC_SPAWN_FAILED, json_deep_copy(failure), "%s",
                               json_string_value(json_object_get(failure, "message")) ?: "exec failed");
        else
                sup_conn_reply(x->conn, x->req_id, result);
        json_decref(x->req_id);
        free(x);
}

/* fd: the pty master that came with exec_started, or -1; taken. */
void sup_exec_on_message(struct sup_sandbox *sb, const char *op, json_t *msg, int fd)
{
        long long id = (long long)json_integer_value(json_object_get(msg, "exec"));
        struct sup_exec *x;

        if (strcmp(op, "exec_started") == 0) {
                for (x = sb->execs; x; x = x->next)
                        if (x->id == id)
                                break;
                if (x)
                        x->pid = (pid_t)json_integer_value(json_object_get(msg, "pid"));
                if (x && x->conn && fd >= 0) {
                        /* The terminal is the client's from here: it copies bytes and sets
                         * the window size on it without asking us. */
                        sup_conn_send_fd(x->conn, json_pack("{s:s, s:s, s:{s:O, s:s, s:i, s:b}}", "jsonrpc", "2.0", "method",
                                                            "sandbox.exec_started", "params", "request", x->req_id, "id",
                                                            sb->id, "pid", (int)x->pid, "tty", true),
                                         fd);
                        fd = -1;
                }
                if (fd >= 0)
                        close(fd);
                return;
        }
        if (fd >= 0)
                close(fd);
        if (!(x = take_exec(sb, id)))
                return;
        if (strcmp(op, "exec_failed") == 0) {
                struct sbx_failure f;
                json_t *data;

                sbx_failure_from_json(msg, &f);
                data = sbx_failure_to_json(&f);
                json_object_set_new(data, "exit_code",
                                    json_integer(strcmp(f.stage, "exec") != 0 ? 125 : f.err == ENOENT || f.err == ENOTDIR ? 127 : 126));
                exec_done(x, NULL, data);
                json_decref(data);
                return;
        }
        int status = (int)json_integer_value(json_object_get(msg, "status"));
        if (x->on_end) {
                exec_done_internal(x, status, NULL);
                return;
        }
        json_t *res = json_pack("{s:s, s:i}", "id", sb->id, "exit_code", nc_exit_code_from_wstatus(status));
        if (WIFSIGNALED(status)) {
                json_object_set_new(res, "reason", json_string("signaled"));
                json_object_set_new(res, "signal", json_string(nc_signal_name(WTERMSIG(status))));
        } else
                json_object_set_new(res, "reason", json_string("exited"));
        exec_done(x, res, NULL);
}

void sup_execs_end(struct sup_sandbox *sb)
{
        while (sb->execs) {
                struct sup_exec *x = sb->execs;
                sb->execs = x->next;
                if (x->on_end) {
                        exec_done_internal(x, W_EXITCODE(0, SIGKILL), NULL);
                        continue;
                }
                exec_done(x, json_pack("{s:s, s:i, s:s, s:s}", "id", sb->id, "exit_code", 137, "reason", "sandbox_ended",
                                       "signal", "SIGKILL"), NULL);
        }
}
