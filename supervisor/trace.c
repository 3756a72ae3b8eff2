/* SPDX-License-Identifier: Apache-2.0 */
/* --seccomp-mode trace, supervisor side: nucleusd answers the workload's seccomp user
 * notifications on its loop, counts each system call by number, and when the sandbox
 * ends writes one NDJSON line per distinct call, sorted by number, to the caller's
 * file: {"syscall":N,"name":"…","count":N}.
 *
 * Why this and not the kernel log: notifications need no CAP_SYSLOG and no /dev/kmsg,
 * and arrive on a listener that belongs to exactly this sandbox, so no other
 * process's calls can be mixed in.
 *
 * Trace is a profiling mode and slow by design: every single system call of the
 * workload stops it, wakes nucleusd's loop, and waits for the answer (CONTINUE) — two
 * context switches and about five system calls in nucleusd (epoll_wait, poll, RECV,
 * SEND, poll) per call. Measured on the development host: 15-25 us per call against
 * well under 1 us enforced, so a call-heavy program runs tens of times slower. It also runs without a filter: the
 * answer is "go on" (the sandbox's other lock-down still applies), with one exception:
 * clone3 fails with ENOSYS, as the enforcing filters make it fail (its flags are out of
 * a filter's reach), so that libc falls back to clone here too and the trace holds
 * both — the calls the program makes when enforced.
 *
 * The listener comes from the workload child over init's control socket
 * (sandbox/seccomp_trace.h). It lives only in this process: if the loop process dies,
 * the traced workload's calls fail with ENOSYS and the trace is lost. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "sup.h"

/* Linux 6.6: the workload and nucleusd hand the CPU to each other on every call, as
 * a ping-pong does; the kernel then wakes the other side synchronously. Older
 * headers lack the names; older kernels refuse the ioctl, which is harmless. */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/* x86_64 numbers end below 500; calls of another ABI (x32, i386) are killed by the
 * filter before they could be notified. */
#define TRACE_NR_MAX 1024
/* Notifications answered per wakeup, so that one busy sandbox cannot starve the loop. */
#define TRACE_BATCH 256

struct sup_trace {
        int log_fd;             /* the caller's file; -1 once written */
        int listener;           /* -1 until the workload sends it */
        uv_poll_t poll;         /* .data set once initialised */
        bool polling, finished;
        uint64_t counts[TRACE_NR_MAX];
        uint64_t out_of_range;
};

int sup_trace_new(struct sup_sandbox *sb, int log_fd)
{
        struct sup_trace *t = calloc(1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        t->log_fd = log_fd;
        t->listener = -1;
        sb->trace = t;
        return 0;
}

void sup_trace_free(struct sup_trace *t)
{
        if (!t)
                return;
        if (t->log_fd >= 0)
                close(t->log_fd);
        /* Only now: libuv touches the descriptor until the poll handle is closed. */
        if (t->listener >= 0)
                close(t->listener);
        free(t);
}

/* The lines, sorted by number (the table's order). Names come from libseccomp; a
 * number it does not know (a call newer than the library) gets "name": null. */
static int write_log(struct sup_trace *t, size_t *ret_distinct)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, distinct = 0;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                return -ENOMEM;
        for (int nr = 0; nr < TRACE_NR_MAX; nr++) {
                if (!t->counts[nr])
                        continue;
                char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
                json_t *j = json_pack("{s:i, s:s?, s:I}", "syscall", nr, "name", name, "count", (json_int_t)t->counts[nr]);
                char *line = j ? json_dumps(j, JSON_COMPACT) : NULL;

                free(name);
                json_decref(j);
                if (!line) {
                        fclose(f);
                        return -ENOMEM;
                }
                fprintf(f, "%s\n", line);
                free(line);
                distinct++;
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        for (size_t off = 0; off < len;) {
                ssize_t n = write(t->log_fd, buf + off, len - off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                off += (size_t)n;
        }
        *ret_distinct = distinct;
        return 0;
}

void sup_trace_finish(struct sup_sandbox *sb)
{
        struct sup_trace *t = sb->trace;
        size_t distinct = 0;
        int r;

        if (!t || t->finished)
                return;
        t->finished = true;
        if (t->polling) {
                uv_poll_stop(&t->poll);
                t->polling = false;
        }
        r = write_log(t, &distinct);
        if (r < 0)
                log_warn_errno(r, "Sandbox %s: Failed to write the seccomp trace to '%s', ignoring", sb->id,
                               sb->spec->seccomp_log);
        else
                log_info("Sandbox %s: wrote %zu distinct system calls to the seccomp trace '%s'", sb->id, distinct,
                         sb->spec->seccomp_log);
        if (t->out_of_range)
                log_warn("Sandbox %s: %llu traced calls had numbers beyond %d and are not in the trace", sb->id,
                         (unsigned long long)t->out_of_range, TRACE_NR_MAX);
        close(t->log_fd);
        t->log_fd = -1;
}

static int clone3_nr(void)
{
        static int nr = -2;

        if (nr == -2)
                nr = seccomp_syscall_resolve_name("clone3");    /* __NR_SCMP_ERROR (-1) if unknown */
        return nr;
}

/* Answers what is pending. RECV would block when nothing is, so each one is preceded
 * by a zero-timeout poll: the loop never waits on a traced workload. A notification
 * whose caller died meanwhile gives ENOENT, which is normal. */
static void on_listener(uv_poll_t *p, int status, int events)
{
        struct sup_sandbox *sb = p->data;
        struct sup_trace *t = sb->trace;

        (void)events;
        if (status < 0) {
                log_warn("Sandbox %s: seccomp trace listener failed: %s", sb->id, uv_strerror(status));
                sup_trace_finish(sb);
                return;
        }
        for (int i = 0; i < TRACE_BATCH; i++) {
                struct pollfd pfd = { .fd = t->listener, .events = POLLIN };
                struct seccomp_notif req;
                struct seccomp_notif_resp resp;

                if (poll(&pfd, 1, 0) <= 0)
                        return;
                if (!(pfd.revents & POLLIN)) {
                        /* POLLHUP: no process uses the filter any more. */
                        if (pfd.revents & (POLLHUP | POLLERR))
                                sup_trace_finish(sb);
                        return;
                }
                memset(&req, 0, sizeof(req));      /* the kernel wants it zeroed */
                if (ioctl(t->listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
                        if (errno == EINTR || errno == ENOENT)
                                continue;
                        log_warn("Sandbox %s: seccomp trace: receiving a notification failed: %s", sb->id, strerror(errno));
                        sup_trace_finish(sb);
                        return;
                }
                if (req.data.nr >= 0 && req.data.nr < TRACE_NR_MAX)
                        t->counts[req.data.nr]++;
                else
                        t->out_of_range++;
                memset(&resp, 0, sizeof(resp));
                resp.id = req.id;
                if (req.data.nr == clone3_nr())
                        resp.error = -ENOSYS;
                else
                        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
                if (ioctl(t->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
                        log_warn("Sandbox %s: seccomp trace: answering call %d failed: %s", sb->id, req.data.nr,
                                 strerror(errno));
        }
}

void sup_trace_attach(struct sup_sandbox *sb, int listener)
{
        struct sup_trace *t = sb->trace;

        if (!t || t->listener >= 0 || t->finished) {
                /* Not ours to answer: closing it makes the calls fail (ENOSYS) rather
                 * than wait for an answer that would never come. */
                log_warn("Sandbox %s: unexpected seccomp listener from init, closing it", sb->id);
                close(listener);
                return;
        }
        t->listener = listener;
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) < 0)
                log_debug("Sandbox %s: no synchronous wake-up for the seccomp trace (%s), ignoring", sb->id, strerror(errno));
        if (uv_poll_init(&sb->sup->loop, &t->poll, listener) < 0) {
                log_warn("Sandbox %s: cannot poll the seccomp trace listener; its calls will fail", sb->id);
                return;
        }
        t->poll.data = sb;
        sb->open_handles++;
        t->polling = uv_poll_start(&t->poll, UV_READABLE, on_listener) == 0;
}

bool sup_trace_close(struct sup_sandbox *sb, uv_close_cb cb)
{
        if (!sb->trace || !sb->trace->poll.data)
                return false;
        uv_close((uv_handle_t *)&sb->trace->poll, cb);
        return true;
}

json_t *sup_trace_inspect(const struct sup_sandbox *sb)
{
        const struct sup_trace *t = sb->trace;
        size_t distinct = 0;

        if (!t)
                return json_null();
        for (int nr = 0; nr < TRACE_NR_MAX; nr++)
                distinct += t->counts[nr] != 0;
        return json_pack("{s:o, s:b, s:b, s:I}", "log", nc_json_bytes(sb->spec->seccomp_log), "listening", t->polling,
                         "written", t->finished, "distinct_syscalls", (json_int_t)distinct);
}
