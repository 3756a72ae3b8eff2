/* SPDX-License-Identifier: Apache-2.0 */
#include "ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "fdpass.h"
#include "macros.h"
#include "util.h"

/* JSON string escaping into a fixed buffer; no allocation. */
static size_t json_escape(char *dst, size_t cap, const char *src)
{
        size_t o = 0;

        for (; *src && o + 7 < cap; src++) {
                unsigned char c = (unsigned char)*src;

                if (c == '"' || c == '\\') {
                        dst[o++] = '\\';
                        dst[o++] = (char)c;
                } else if (c < 0x20) {
                        o += (size_t)snprintf(dst + o, cap - o, "\\u%04x", c);
                } else if (c >= 0x80) {
                        /* A valid UTF-8 character (a path of the user's) passes as it is; a
                         * byte that is not part of one becomes '?', so an invalid path never
                         * makes the whole frame invalid (the API's messages do the same). */
                        size_t n = nc_utf8_seq_len((const unsigned char *)src);

                        if (n == 0)
                                dst[o++] = '?';
                        for (size_t k = 0; k < n; k++)
                                dst[o++] = src[k];
                        src += n ? n - 1 : 0;
                } else
                        dst[o++] = (char)c;
        }
        dst[o] = 0;
        return o;
}

void sbx_ctl_send_failure(int fd, const char *stage, int err, const char *msg)
{
        char esc_stage[96], esc_msg[1024], buf[1400];
        const char *name = err > 0 ? strerrorname_np(err) : NULL;
        int n;

        json_escape(esc_stage, sizeof(esc_stage), stage);
        json_escape(esc_msg, sizeof(esc_msg), msg);
        n = snprintf(buf, sizeof(buf),
                     "{\"op\":\"failed\",\"stage\":\"%s\",\"errno\":%d,\"errno_name\":\"%s\",\"message\":\"%s\"}",
                     esc_stage, err, name ? name : "", esc_msg);
        if (n > 0 && (size_t)n < sizeof(buf))
                (void)!write(fd, buf, (size_t)n);   /* write(): fd may be a pipe */
}

_Noreturn void sbx_ctl_die(int fd, int code, const char *stage, int err, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        sbx_ctl_send_failure(fd, stage, err, msg);
        _exit(code);
}

int sbx_ctl_send_json(int fd, json_t *msg, const int *fds, size_t nfds)
{
        char *s = json_dumps(msg, JSON_COMPACT);
        ssize_t n;

        json_decref(msg);
        if (!s)
                return -ENOMEM;
        if (strlen(s) > SBX_CTL_MAX_MSG) {
                free(s);
                return -EMSGSIZE;   /* the receiver's buffer would truncate it */
        }
        n = nc_fd_send(fd, s, strlen(s), fds, nfds, 0);
        free(s);
        return n < 0 ? (int)n : 0;
}

int sbx_ctl_recv_json(int fd, json_t **ret, int *fds, size_t *nfds)
{
        /* Most messages are small: the stack takes them. Peeking at the length first
         * (MSG_TRUNC returns a datagram's real size) spares every message the mapping of
         * a 2 MiB buffer, whose unmapping flushes TLBs across CPUs; a claim with a large
         * argv or environment gets a heap buffer of its own size. */
        char small[16384], *buf = small;
        json_error_t jerr;
        ssize_t len, n;

        do
                len = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
        while (len < 0 && errno == EINTR);
        if (len < 0)
                return -errno;
        if ((size_t)len > sizeof(small) && (size_t)len <= SBX_CTL_MAX_MSG && !(buf = malloc((size_t)len)))
                return -ENOMEM;
        /* Too large: read truncated (the descriptors still arrive and are closed). */
        n = nc_fd_recv(fd, buf, buf == small ? sizeof(small) : (size_t)len, fds, nfds, 0);
        if (n > 0 && (size_t)len > SBX_CTL_MAX_MSG) {
                if (nfds)
                        for (size_t i = 0; i < *nfds; i++)
                                close(fds[i]);
                n = -EMSGSIZE;
        }
        if (n <= 0) {
                if (buf != small)
                        free(buf);
                return (int)n;
        }
        *ret = json_loadb(buf, (size_t)n, 0, &jerr);
        if (buf != small)
                free(buf);
        if (!*ret || !json_is_object(*ret)) {
                json_decref(*ret);
                *ret = NULL;
                if (nfds)
                        for (size_t i = 0; i < *nfds; i++)
                                close(fds[i]);
                return -EBADMSG;
        }
        return 1;
}

void sbx_failure_set(struct sbx_failure *f, const char *stage, int err, const char *fmt, ...)
{
        va_list ap;

        snprintf(f->stage, sizeof(f->stage), "%s", stage);
        f->err = err < 0 ? -err : err;
        va_start(ap, fmt);
        vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
        va_end(ap);
}

json_t *sbx_failure_to_json(const struct sbx_failure *f)
{
        const char *name = f->err > 0 ? strerrorname_np(f->err) : NULL;

        return json_pack("{s:s, s:i, s:s, s:s}", "stage", f->stage, "errno", f->err, "errno_name",
                         name ? name : "", "message", f->msg);
}

void sbx_failure_from_json(const json_t *j, struct sbx_failure *f)
{
        const char *stage = json_string_value(json_object_get(j, "stage"));
        const char *msg = json_string_value(json_object_get(j, "message"));

        sbx_failure_set(f, stage ? stage : "unknown", (int)json_integer_value(json_object_get(j, "errno")),
                        "%s", msg ? msg : "");
}
