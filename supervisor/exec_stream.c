/* SPDX-License-Identifier: Apache-2.0 */
/* sandbox.exec with stdio "stream": for clients that cannot pass descriptors (a
 * language without SCM_RIGHTS, a remote proxy), nucleusd gives the process /dev/null
 * as stdin and two pipes as stdout and stderr, and relays what it writes as
 * sandbox.exec_output notifications tagged with the request's id. Flow control as for
 * log readers: while the client's connection is congested the pipes are not read, so
 * the process blocks on a full pipe instead of nucleusd buffering without bound; they
 * are read again when the connection drains. The reply (the exit status) comes after
 * the last output. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "sup.h"

#define CHUNK (64 * 1024)

struct sup_exec_stream {
        struct sup_exec *x;             /* NULL once the exec is done and the handles close */
        struct sup_sandbox *sb;
        int fd[2];                      /* read ends: stdout, stderr; -1 at EOF */
        uv_poll_t poll[2];
        bool polling[2];
        int handles;                    /* poll handles not yet closed */
};

static const char *const stream_names[2] = { "stdout", "stderr" };

/* Reads what one pipe holds now (up to one chunk) and sends it. false at EOF. */
static bool relay(struct sup_exec_stream *st, int i)
{
        static char buf[CHUNK];
        struct sup_exec *x = st->x;
        ssize_t n = read(st->fd[i], buf, sizeof(buf));

        if (n < 0)
                return errno == EAGAIN || errno == EINTR;
        if (n == 0)
                return false;
        if (x && x->conn)       /* a client that is gone gets nothing; its process is killed */
                sup_conn_send(x->conn, json_pack("{s:s, s:s, s:{s:O, s:s, s:s, s:o}}", "jsonrpc", "2.0", "method",
                                                 "sandbox.exec_output", "params", "request", x->req_id, "id", st->sb->id,
                                                 "stream", stream_names[i], "data", nc_json_bytesn(buf, (size_t)n)));
        return true;
}

static void stop(struct sup_exec_stream *st, int i)
{
        if (st->polling[i]) {
                uv_poll_stop(&st->poll[i]);
                st->polling[i] = false;
        }
}

static void on_readable(uv_poll_t *p, int status, int events)
{
        struct sup_exec_stream *st = p->data;
        int i = p == &st->poll[0] ? 0 : 1;

        (void)status;
        (void)events;
        if (st->x && st->x->conn && sup_conn_congested(st->x->conn)) {
                stop(st, i);    /* sup_exec_streams_drained starts it again */
                return;
        }
        if (!relay(st, i)) {
                stop(st, i);
                close(st->fd[i]);
                st->fd[i] = -1;
        }
}

static void on_closed(uv_handle_t *h)
{
        struct sup_exec_stream *st = h->data;

        if (--st->handles == 0)
                free(st);
}

int sup_exec_stream_new(struct sup_sandbox *sb, int fds[3], struct sup_exec_stream **ret)
{
        struct sup_exec_stream *st = calloc(1, sizeof(*st));
        int out[2] = { -1, -1 }, err[2] = { -1, -1 }, null = -1;

        if (!st)
                return -ENOMEM;
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
            (null = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
                int e = -errno;
                for (int i = 0; i < 2; i++) {
                        if (out[i] >= 0)
                                close(out[i]);
                        if (err[i] >= 0)
                                close(err[i]);
                }
                free(st);
                return e;
        }
        st->sb = sb;
        st->fd[0] = out[0];
        st->fd[1] = err[0];
        for (int i = 0; i < 2; i++) {
                (void)fcntl(st->fd[i], F_SETFL, O_NONBLOCK);
                uv_poll_init(&sb->sup->loop, &st->poll[i], st->fd[i]);
                st->poll[i].data = st;
                st->handles++;
        }
        fds[0] = null;
        fds[1] = out[1];
        fds[2] = err[1];
        *ret = st;
        return 0;
}

void sup_exec_stream_start(struct sup_exec_stream *st, struct sup_exec *x)
{
        st->x = x;
        for (int i = 0; i < 2; i++)
                st->polling[i] = uv_poll_start(&st->poll[i], UV_READABLE, on_readable) == 0;
}

void sup_exec_stream_finish(struct sup_exec_stream *st)
{
        /* The process has ended: what it wrote last is in the pipes. Children it left
         * behind that still hold them lose their later output (the exec is over). */
        for (int i = 0; i < 2; i++) {
                stop(st, i);
                while (st->fd[i] >= 0 && relay(st, i)) {
                        int avail = 0;
                        if (ioctl(st->fd[i], FIONREAD, &avail) < 0 || avail == 0)
                                break;
                }
                /* The handle first: libuv unregisters the descriptor's number. */
                uv_close((uv_handle_t *)&st->poll[i], on_closed);
                if (st->fd[i] >= 0)
                        close(st->fd[i]);
                st->fd[i] = -1;
        }
        st->x = NULL;
}

void sup_exec_streams_drained(struct sup *s, struct sup_conn *c)
{
        for (struct sup_sandbox *sb = sup_conn_refs_first(s); sb; sb = sb->cref_next)
                for (struct sup_exec *x = sb->execs; x; x = x->next) {
                        struct sup_exec_stream *st = x->stream;

                        if (!st || x->conn != c)
                                continue;
                        for (int i = 0; i < 2; i++)
                                if (st->fd[i] >= 0 && !st->polling[i])
                                        st->polling[i] = uv_poll_start(&st->poll[i], UV_READABLE, on_readable) == 0;
                }
}
