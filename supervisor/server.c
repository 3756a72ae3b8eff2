/* SPDX-License-Identifier: Apache-2.0 */
/* The API socket: newline-delimited JSON-RPC 2.0 frames, descriptors by SCM_RIGHTS.
 *
 * Connections are raw fds driven by uv_poll rather than uv_pipe_t, because libuv's IPC
 * mode only accepts handle-typed descriptors and a terminal or a regular file is
 * exactly what `nucleus run` passes. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "fdpass.h"
#include "log.h"
#include "sup.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

static void conn_close(struct sup_conn *c);

static void on_conn_closed(uv_handle_t *h)
{
        struct sup_conn *c = h->data;
        struct sup *s = c->sup;

        sup_waiters_drop_conn(s, c);
        close(c->fd);
        if (c->pidfd >= 0)
                close(c->pidfd);
        for (size_t i = 0; i < c->nfds; i++)
                close(c->fds[i]);
        for (size_t i = 0; i < c->nout_fds; i++)
                close(c->out_fds[i].fd);
        nc_framer_done(&c->in);
        free(c->out);
        free(c);
        sup_idle_check(s);
}

static void conn_close(struct sup_conn *c)
{
        struct sup *s = c->sup;

        if (c->closing)
                return;
        c->closing = true;
        /* What refers to this connection (waiters, log readers, event subscriptions,
         * execs) is dropped in on_conn_closed, on a later turn of the loop, not here:
         * conn_close runs inside sup_conn_send, whose callers may be walking those very
         * lists (an event to every subscriber), and freeing them under their feet was a
         * use after free. Until then the connection is closing: nothing is sent to it. */
        if (c->prev)
                c->prev->next = c->next;
        else
                s->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        s->nconns--;
        uv_poll_stop(&c->poll);
        uv_close((uv_handle_t *)&c->poll, on_conn_closed);
}

static void conn_update_poll(struct sup_conn *c);

static int conn_flush(struct sup_conn *c)
{
        while (c->out_off < c->out_len) {
                size_t len = c->out_len - c->out_off;
                bool with_fd = c->nout_fds > 0 && c->out_fds[0].at == c->out_off;
                ssize_t n;

                /* A send stops short of the next descriptor's byte, so that byte starts
                 * the send that carries it. */
                if (c->nout_fds > (with_fd ? 1u : 0u))
                        len = c->out_fds[with_fd ? 1 : 0].at - c->out_off;
                n = nc_fd_send(c->fd, c->out + c->out_off, len, with_fd ? &c->out_fds[0].fd : NULL, with_fd, MSG_DONTWAIT);
                if (n < 0) {
                        if (n == -EAGAIN || n == -EINTR)
                                break;
                        return (int)n;
                }
                if (with_fd) {
                        close(c->out_fds[0].fd);
                        memmove(c->out_fds, c->out_fds + 1, --c->nout_fds * sizeof(c->out_fds[0]));
                }
                c->out_off += (size_t)n;
        }
        if (c->out_off == c->out_len)
                c->out_off = c->out_len = 0;
        return 0;
}

void sup_conn_send(struct sup_conn *c, json_t *msg)
{
        sup_conn_send_fd(c, msg, -1);
}

void sup_conn_send_fd(struct sup_conn *c, json_t *msg, int fd)
{
        _cleanup_free_ char *line = NULL;
        size_t n = 0;

        if (!c || c->closing || (fd >= 0 && c->nout_fds == SUP_CONN_MAX_OUT_FDS)) {
                if (fd >= 0)
                        close(fd);
                json_decref(msg);
                return;
        }
        line = nc_rpc_dump_line(msg, &n);
        json_decref(msg);
        if (!line) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        /* The limit is on what is still unsent: counting the bytes already sent too (the
         * buffer is reset only when it drains completely) closed a client that reads
         * steadily but never quite catches up, such as an events subscriber. */
        if (c->out_len - c->out_off + n > SUP_CONN_MAX_OUT) {
                /* A client that does not read its replies must not hold our memory. */
                log_warn("Client pid %d does not read its replies; closing its connection", (int)c->cred.pid);
                if (fd >= 0)
                        close(fd);
                conn_close(c);
                return;
        }
        if (c->out_off > 0 && c->out_off == c->out_len)
                c->out_off = c->out_len = 0;
        /* Sent bytes make up more than half: move the rest to the front, so that the
         * buffer holds what is unsent and not everything ever sent (amortised: the
         * bytes moved are fewer than those sent since the last move). */
        if (c->out_off > c->out_len - c->out_off) {
                memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
                for (size_t i = 0; i < c->nout_fds; i++)
                        c->out_fds[i].at -= c->out_off;
                c->out_len -= c->out_off;
                c->out_off = 0;
        }
        if (c->out_len + n > c->out_cap) {
                size_t ncap = c->out_cap ? c->out_cap : 4096;
                char *nb;

                while (ncap < c->out_len + n)
                        ncap *= 2;
                nb = realloc(c->out, ncap);
                if (!nb) {
                        if (fd >= 0)
                                close(fd);
                        conn_close(c);
                        return;
                }
                c->out = nb;
                c->out_cap = ncap;
        }
        if (fd >= 0) {
                c->out_fds[c->nout_fds].fd = fd;
                c->out_fds[c->nout_fds++].at = c->out_len;
        }
        memcpy(c->out + c->out_len, line, n);
        c->out_len += n;
        if (conn_flush(c) < 0) {
                conn_close(c);
                return;
        }
        conn_update_poll(c);
}

bool sup_conn_pending_add(struct sup_conn *c, json_t *id)
{
        if (!c)
                return true;
        if (c->npending >= SUP_CONN_MAX_PENDING) {
                sup_conn_error(c, id, NC_RPC_BUSY, NULL, "this connection already has %d requests waiting for their "
                               "sandboxes (wait, stop, remove, logs), the most one may have", SUP_CONN_MAX_PENDING);
                return false;
        }
        c->npending++;
        return true;
}

void sup_conn_pending_done(struct sup_conn *c)
{
        if (c && c->npending > 0)
                c->npending--;
}

void sup_conn_reply(struct sup_conn *c, json_t *id, json_t *result)
{
        if (!id) {      /* a notification gets no reply */
                json_decref(result);
                return;
        }
        sup_conn_send(c, nc_rpc_make_result(id, result));
}

void sup_conn_error(struct sup_conn *c, json_t *id, int code, json_t *data, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        /* A notification (no id) gets no reply, errors included (JSON-RPC 2.0). Frames
         * that could not be read far enough to tell pass json_null() as their id. */
        if (!id) {
                json_decref(data);
                return;
        }
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        sup_conn_send(c, nc_rpc_make_error(id, code, msg, data));
}

int sup_conn_take_fds(struct sup_conn *c, int *fds, size_t n)
{
        if (c->nfds < n)
                return -EBADF;
        memcpy(fds, c->fds, n * sizeof(int));
        memmove(c->fds, c->fds + n, (c->nfds - n) * sizeof(int));
        c->nfds -= n;
        return 0;
}

static void conn_handle_line(struct sup_conn *c, char *line, size_t len)
{
        struct nc_rpc_request req = { 0 };
        struct nc_err err = { { 0 } };
        json_t *id = NULL;
        int code = nc_rpc_request_parse(line, len, &req, &id, &err);

        if (code != 0) {
                json_t *rid = id ? id : json_null();
                sup_conn_error(c, rid, code, NULL, "%s", err.msg);
                json_decref(rid);
                return;
        }
        json_decref(id);
        sup_dispatch(c, &req);
        nc_rpc_request_done(&req);
}

static void conn_read(struct sup_conn *c)
{
        for (int rounds = 0; rounds < 16 && !c->closing; rounds++) {
                int fds[NC_FDPASS_MAX];
                size_t nfds = NC_FDPASS_MAX;
                char *buf, *line;
                size_t avail, len;
                ssize_t n;
                int r;

                if (nc_framer_reserve(&c->in, 65536, &buf, &avail) < 0) {
                        conn_close(c);
                        return;
                }
                n = nc_fd_recv(c->fd, buf, avail, fds, &nfds, MSG_DONTWAIT);
                if (n == -EAGAIN)
                        return;
                if (n == -EBADMSG) {
                        sup_conn_error(c, json_null(), NC_RPC_INVALID_REQUEST, NULL,
                                       "more than %d descriptors in one message", NC_FDPASS_MAX);
                        conn_close(c);
                        return;
                }
                if (n <= 0) {
                        conn_close(c);
                        return;
                }
                if (c->nfds + nfds > SUP_CONN_MAX_FDS) {
                        for (size_t i = 0; i < nfds; i++)
                                close(fds[i]);
                        sup_conn_error(c, json_null(), NC_RPC_INVALID_REQUEST, NULL,
                                       "too many descriptors passed without a request using them (at most %d)",
                                       SUP_CONN_MAX_FDS);
                        conn_close(c);
                        return;
                }
                memcpy(c->fds + c->nfds, fds, nfds * sizeof(int));
                c->nfds += nfds;
                nc_framer_commit(&c->in, (size_t)n);
                while (!c->closing && (r = nc_framer_next(&c->in, &line, &len)) != 0) {
                        if (r == -EMSGSIZE) {
                                sup_conn_error(c, json_null(), NC_RPC_FRAME_TOO_LARGE, NULL,
                                               "frame larger than %d bytes; it was skipped", NC_RPC_MAX_FRAME);
                                continue;
                        }
                        conn_handle_line(c, line, len);
                }
        }
}

static void on_conn_event(uv_poll_t *p, int status, int events)
{
        struct sup_conn *c = p->data;

        if (status < 0) {
                conn_close(c);
                return;
        }
        if (events & UV_WRITABLE) {
                bool was_congested = sup_conn_congested(c);

                if (conn_flush(c) < 0) {
                        conn_close(c);
                        return;
                }
                conn_update_poll(c);
                if (was_congested && !sup_conn_congested(c))
                        sup_conn_drained(c->sup, c);    /* log readers waiting for room */
        }
        if (events & (UV_READABLE | UV_DISCONNECT))
                conn_read(c);
}

static void conn_update_poll(struct sup_conn *c)
{
        bool want = c->out_len > c->out_off;

        if (c->closing || want == c->writable_wanted)
                return;
        c->writable_wanted = want;
        uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT | (want ? UV_WRITABLE : 0), on_conn_event);
}

static int peer_pidfd(int fd, pid_t pid)
{
        int pidfd = -1;
        socklen_t len = sizeof(pidfd);

        /* SO_PEERPIDFD names the process that connected, with no pid-reuse window. */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 && pidfd >= 0)
                return pidfd;
        return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void on_accept(uv_poll_t *p, int status, int events)
{
        struct sup *s = p->data;

        for (int i = 0; i < 64; i++) {
                int fd = accept4(s->opt->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                struct sup_conn *c;
                socklen_t len;

                if (fd < 0)
                        return;
                if (s->nconns >= SUP_MAX_CONNS || s->shutting_down) {
                        close(fd);
                        continue;
                }
                c = calloc(1, sizeof(*c));
                if (!c) {
                        close(fd);
                        continue;
                }
                c->sup = s;
                c->fd = fd;
                len = sizeof(c->cred);
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) < 0) {
                        close(fd);
                        free(c);
                        continue;
                }
                c->pidfd = peer_pidfd(fd, c->cred.pid);
                nc_framer_init(&c->in, NC_RPC_MAX_FRAME);
                if (uv_poll_init(&s->loop, &c->poll, fd) < 0) {
                        close(fd);
                        if (c->pidfd >= 0)
                                close(c->pidfd);
                        free(c);
                        continue;
                }
                c->poll.data = c;
                c->next = s->conns;
                if (s->conns)
                        s->conns->prev = c;
                s->conns = c;
                s->nconns++;
                uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT, on_conn_event);
        }
}

int sup_server_start(struct sup *s)
{
        int r = uv_poll_init(&s->loop, &s->listen_poll, s->opt->listen_fd);

        if (r < 0)
                return r;
        s->listen_poll.data = s;
        return uv_poll_start(&s->listen_poll, UV_READABLE, on_accept);
}

void sup_server_stop(struct sup *s)
{
        if (uv_is_active((uv_handle_t *)&s->listen_poll))
                uv_poll_stop(&s->listen_poll);
}

void sup_server_close_all(struct sup *s)
{
        sup_server_stop(s);
        while (s->conns) {
                /* A last attempt to deliver what is queued; the loop is about to stop. */
                (void)conn_flush(s->conns);
                conn_close(s->conns);
        }
}
