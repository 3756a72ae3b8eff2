/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "fdpass.h"
#include "macros.h"

static int try_connect(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -errno;
        memcpy(sa.sun_path, path, strnlen(path, sizeof(sa.sun_path) - 1));
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e = -errno;
                close(fd);
                return e;
        }
        return fd;
}

static int open_lock(const struct cli_opts *o)
{
        char path[PATH_MAX];

        if (nc_paths_lock(&o->paths, path, sizeof(path)) < 0)
                return -ENAMETOOLONG;
        (void)nc_mkdir_p(path, 0755, true);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        return fd < 0 ? -errno : fd;
}

int cli_connect(const struct cli_opts *o, struct cli_conn *c, enum cli_connect_mode mode)
{
        int fd, r;

        *c = (struct cli_conn){ .fd = -1, .lock_fd = -1, .next_id = 1 };
        nc_framer_init(&c->in, NC_RPC_MAX_FRAME);
        /* Shared while we connect and for as long as we run: an idle supervisor takes it
         * exclusively before it exits, so it cannot vanish between our connect and our
         * first request. Without access to the lock (not root), just connect. */
        c->lock_fd = open_lock(o);
        if (c->lock_fd >= 0 && flock(c->lock_fd, LOCK_SH) < 0) {
                close(c->lock_fd);
                c->lock_fd = -1;
        }
        fd = try_connect(o->paths.socket);
        if (fd >= 0) {
                c->fd = fd;
                return 0;
        }
        if (fd != -ENOENT && fd != -ECONNREFUSED) {
                fprintf(stderr, "nucleus: Failed to connect to '%s': %s\n", o->paths.socket, strerror(-fd));
                return fd;
        }
        if (mode == CLI_CONNECT_EXISTING)
                return -ENOENT;
        if (getenv("INVOCATION_ID")) {
                /* Autostarting here would put nucleusd and every sandbox into this unit's
                 * cgroup, killed with it. */
                fprintf(stderr,
                        "nucleus: no supervisor at %s, and this is a systemd unit (INVOCATION_ID is set), where\n"
                        "nucleus does not start one itself: start nucleus.service (systemctl start nucleus.socket)\n"
                        "or run nucleusd in its own unit, and set NUCLEUS_SOCKET if it uses another socket.\n",
                        o->paths.socket);
                return -ENOENT;
        }
        if (c->lock_fd < 0) {
                fprintf(stderr, "nucleus: no supervisor at %s, and starting one needs root\n", o->paths.socket);
                return -EACCES;
        }
        /* Exclusive: only one CLI starts a supervisor; the others find it afterwards. */
        if (flock(c->lock_fd, LOCK_EX) < 0)
                return -errno;
        fd = try_connect(o->paths.socket);
        if (fd < 0) {
                r = cli_autostart(o);
                if (r < 0)
                        return r;
                fd = try_connect(o->paths.socket);
        }
        (void)flock(c->lock_fd, LOCK_SH);
        if (fd < 0) {
                fprintf(stderr, "nucleus: Failed to connect to '%s' after starting nucleusd: %s\n", o->paths.socket,
                        strerror(-fd));
                return fd;
        }
        c->fd = fd;
        return 0;
}

void cli_disconnect(struct cli_conn *c)
{
        for (size_t i = 0; i < c->nfds; i++)
                close(c->fds[i]);
        c->nfds = 0;
        if (c->fd >= 0)
                close(c->fd);
        if (c->lock_fd >= 0)
                close(c->lock_fd);
        nc_framer_done(&c->in);
        c->fd = c->lock_fd = -1;
}

long long cli_send(struct cli_conn *c, const char *method, json_t *params, const int *fds, size_t nfds)
{
        long long id = c->next_id++;
        json_t *req = nc_rpc_make_request(method, params, id);
        _cleanup_free_ char *line = NULL;
        size_t len = 0, off = 0;

        line = req ? nc_rpc_dump_line(req, &len) : NULL;
        json_decref(req);
        if (!line)
                return -ENOMEM;
        /* The descriptors ride on the first byte of the request that uses them. */
        while (off < len) {
                ssize_t n = nc_fd_send(c->fd, line + off, len - off, off == 0 ? fds : NULL, off == 0 ? nfds : 0, 0);
                if (n < 0)
                        return n;
                off += (size_t)n;
        }
        return id;
}

int cli_take_fd(struct cli_conn *c)
{
        int fd;

        if (c->nfds == 0)
                return -EBADF;
        fd = c->fds[0];
        memmove(c->fds, c->fds + 1, --c->nfds * sizeof(int));
        return fd;
}

int cli_recv_buffered(struct cli_conn *c, json_t **ret)
{
        char *line;
        size_t len;
        int r = nc_framer_next(&c->in, &line, &len);
        json_error_t jerr;

        if (r <= 0)
                return r == 0 ? -EAGAIN : r;
        *ret = json_loadb(line, len, 0, &jerr);
        return *ret ? 1 : -EBADMSG;
}

int cli_recv(struct cli_conn *c, json_t **ret)
{
        for (;;) {
                char *line, *buf;
                size_t len, avail;
                ssize_t n;
                int r = nc_framer_next(&c->in, &line, &len);

                if (r == 1) {
                        json_error_t jerr;
                        *ret = json_loadb(line, len, 0, &jerr);
                        if (!*ret)
                                return -EBADMSG;
                        return 1;
                }
                if (r < 0)
                        return r;
                int fds[CLI_CONN_MAX_FDS];
                size_t nfds = CLI_CONN_MAX_FDS - c->nfds;

                if ((r = nc_framer_reserve(&c->in, 65536, &buf, &avail)) < 0)
                        return r;
                n = nc_fd_recv(c->fd, buf, avail, fds, &nfds, 0);
                if (n < 0)
                        return (int)n;
                memcpy(c->fds + c->nfds, fds, nfds * sizeof(int));
                c->nfds += nfds;
                if (n == 0)
                        return 0;
                nc_framer_commit(&c->in, (size_t)n);
        }
}

int cli_call(struct cli_conn *c, const char *method, json_t *params, json_t **ret_result, json_t **ret_error)
{
        long long id = cli_send(c, method, params, NULL, 0);

        if (id < 0) {
                fprintf(stderr, "nucleus: Failed to send the request: %s\n", strerror((int)-id));
                return (int)id;
        }
        for (;;) {
                json_t *msg = NULL;
                int r = cli_recv(c, &msg);
                json_t *mid;

                if (r <= 0) {
                        fprintf(stderr, "nucleus: the supervisor closed the connection%s%s\n", r < 0 ? ": " : "",
                                r < 0 ? strerror(-r) : "");
                        return r < 0 ? r : -ECONNRESET;
                }
                mid = json_object_get(msg, "id");
                if (!json_is_integer(mid) || json_integer_value(mid) != id) {
                        json_decref(msg);
                        continue;
                }
                if (json_object_get(msg, "error")) {
                        *ret_error = json_incref(json_object_get(msg, "error"));
                        json_decref(msg);
                        return 1;
                }
                *ret_result = json_incref(json_object_get(msg, "result"));
                json_decref(msg);
                return 0;
        }
}

int cli_print_error(const json_t *error)
{
        const char *m = json_string_value(json_object_get(error, "message"));

        fprintf(stderr, "nucleus: %s\n", m ? m : "unknown error");
        return CLI_EXIT_FAIL;
}

int cli_connect_or_report(const struct cli_opts *o, struct cli_conn *c, const char *what)
{
        int r = cli_connect(o, c, CLI_CONNECT_EXISTING);

        if (r == -ENOENT)
                fprintf(stderr, "nucleus: no sandbox '%s': no supervisor is running at %s\n", what, o->paths.socket);
        return r;
}

int cli_each_id(const struct cli_opts *o, char **ids, size_t n, const char *method, const json_t *extra)
{
        struct cli_conn c;
        int rc = 0;

        if (n == 0)
                return 0;
        if (cli_connect_or_report(o, &c, ids[0]) < 0)
                return CLI_EXIT_FAIL;
        for (size_t i = 0; i < n; i++) {
                json_t *params = json_deep_copy(extra), *res = NULL;
                int r;

                json_object_set_new(params, "id", json_string(ids[i]));
                r = cli_request(&c, method, params, &res);
                if (r != 0) {
                        rc = r;
                        if (r == CLI_EXIT_NUCLEUS)
                                break;
                        continue;
                }
                printf("%s\n", json_string_value(json_object_get(res, "id")));
                json_decref(res);
        }
        cli_disconnect(&c);
        return rc;
}

int cli_request(struct cli_conn *c, const char *method, json_t *params, json_t **ret_result)
{
        json_t *err = NULL;
        int r = cli_call(c, method, params, ret_result, &err);

        if (r < 0)
                return CLI_EXIT_NUCLEUS;
        if (r > 0) {
                r = cli_print_error(err);
                json_decref(err);
                return r;
        }
        return 0;
}
