/* SPDX-License-Identifier: Apache-2.0 */
/* --readiness-sd-notify: the workload says READY=1 the way it would to systemd.
 *
 * The sandbox's init binds a datagram socket at NC_NOTIFY_SOCKET_PATH inside the
 * sandbox (sandbox/notify_socket.c), before Landlock, and sends it here over its
 * control socket; the workload finds it through NOTIFY_SOCKET. Binding inside means
 * nothing of the host's file system is shown to the sandbox, and only processes of
 * this sandbox can reach the socket (it is in the sandbox's mount namespace; any of
 * them may send, as with NotifyAccess=all). We read READY=1 and STATUS=; everything
 * else of the protocol (WATCHDOG=1, STOPPING=1, FDSTORE=1 with its descriptors, which
 * the kernel discards as we take no control data) is ignored. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "probe.h"

#define NOTIFY_DATAGRAMS_PER_WAKEUP 16  /* a flood cannot starve the loop */

static void handle_line(struct sup_probes *ps, const char *line, size_t n)
{
        if (n == 7 && memcmp(line, "READY=1", 7) == 0) {
                sup_probes_set_ready(ps, "sd_notify");
                return;
        }
        if (n > 7 && memcmp(line, "STATUS=", 7) == 0) {
                size_t len = n - 7 < sizeof(ps->notify_status) - 1 ? n - 7 : sizeof(ps->notify_status) - 1;

                memcpy(ps->notify_status, line + 7, len);
                ps->notify_status[len] = 0;
        }
}

static void on_notify(uv_poll_t *h, int status, int events)
{
        struct sup_probes *ps = h->data;
        char buf[4096];

        for (int i = 0; i < NOTIFY_DATAGRAMS_PER_WAKEUP; i++) {
                ssize_t n = recv(ps->notify_fd, buf, sizeof(buf), MSG_DONTWAIT);
                const char *p = buf, *end;

                if (n < 0)
                        return;         /* EAGAIN: all read */
                if (ps->stopped)
                        continue;
                end = buf + n;
                while (p < end) {
                        const char *nl = memchr(p, '\n', (size_t)(end - p));
                        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

                        /* A NUL ends the message for sd_notify's readers too. */
                        if (memchr(p, 0, len))
                                len = (size_t)((const char *)memchr(p, 0, len) - p);
                        handle_line(ps, p, len);
                        p += (nl ? (size_t)(nl - p) + 1 : len);
                        if (!nl)
                                break;
                }
        }
}

void sup_notify_socket_attach(struct sup_sandbox *sb, int fd)
{
        struct sup_probes *ps = sb->spec->readiness.kind == NC_PROBE_SD_NOTIFY ? sup_probes_get(sb) : NULL;

        if (!ps || ps->notify_fd >= 0 || ps->stopped) {
                close(fd);
                return;
        }
        (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        ps->notify_fd = fd;
        if (uv_poll_init(&sb->sup->loop, &ps->notify_poll, fd) < 0) {
                log_warn("Sandbox %s: Failed to watch its notify socket; it cannot become ready", sb->id);
                return;
        }
        ps->notify_poll.data = ps;
        sb->open_handles++;
        ps->notify_polling = uv_poll_start(&ps->notify_poll, UV_READABLE, on_notify) == 0;
}

void sup_notify_socket_stop(struct sup_probes *ps)
{
        if (ps->notify_polling) {
                uv_poll_stop(&ps->notify_poll);
                ps->notify_polling = false;
        }
}
