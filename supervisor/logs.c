/* SPDX-License-Identifier: Apache-2.0 */
#include "logs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "macros.h"
#include "spec.h"
#include "util.h"

static const char *const stream_names[] = { "stdout", "stderr" };

static int open_log_file(struct sup_logs *l)
{
        l->file_fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        l->file_size = 0;
        if (l->file_fd < 0)
                return -errno;
        l->file_size = (uint64_t)lseek(l->file_fd, 0, SEEK_END);
        return 0;
}

struct sup_logs *sup_logs_new(const char *path)
{
        struct sup_logs *l = calloc(1, sizeof(*l));

        if (!l)
                return NULL;
        l->next_seq = 1;
        l->file_fd = -1;
        snprintf(l->path, sizeof(l->path), "%s", path);
        if (open_log_file(l) < 0)
                log_warn_errno(errno, "Failed to open log file '%s'; logs stay in memory only", path);
        return l;
}

void sup_logs_free(struct sup_logs *l)
{
        if (!l)
                return;
        while (l->head) {
                struct sup_log_record *r = l->head;
                l->head = r->next;
                free(r);
        }
        if (l->file_fd >= 0)
                close(l->file_fd);
        free(l);
}

/* <id>.log -> <id>.log.1 -> ... -> <id>.log.KEEP (dropped) */
static void rotate(struct sup_logs *l)
{
        char from[4200], to[4200];

        close(l->file_fd);
        l->file_fd = -1;
        for (int i = SUP_LOG_FILE_KEEP - 1; i >= 1; i--) {
                snprintf(from, sizeof(from), "%s.%d", l->path, i);
                snprintf(to, sizeof(to), "%s.%d", l->path, i + 1);
                (void)rename(from, to);
        }
        snprintf(to, sizeof(to), "%s.1", l->path);
        (void)rename(l->path, to);
        (void)open_log_file(l);
}

static void write_file(struct sup_logs *l, const struct sup_log_record *r)
{
        char ts[64], head[96];
        struct iovec iov[3];
        int n;

        if (l->file_fd < 0)
                return;
        nc_format_rfc3339(r->ts_ns, ts);
        n = snprintf(head, sizeof(head), "%s %s %c ", ts, stream_names[r->stream], r->partial ? 'P' : 'F');
        iov[0] = (struct iovec){ head, (size_t)n };
        iov[1] = (struct iovec){ (void *)r->data, r->len };
        iov[2] = (struct iovec){ "\n", 1 };
        if (writev(l->file_fd, iov, 3) < 0)
                return;     /* the ring still has it; a full disk must not stop the sandbox */
        l->file_size += (uint64_t)n + r->len + 1;
        if (l->file_size >= SUP_LOG_FILE_MAX)
                rotate(l);
}

static void append(struct sup_logs *l, int stream, const char *data, size_t len, bool partial)
{
        struct sup_log_record *r = malloc(sizeof(*r) + len + 1);

        if (!r)
                return;
        *r = (struct sup_log_record){ .seq = l->next_seq++, .ts_ns = nc_now_ns(), .stream = (uint8_t)stream,
                                      .partial = partial, .len = len };
        memcpy(r->data, data, len);
        r->data[len] = 0;
        write_file(l, r);
        if (l->tail)
                l->tail->next = r;
        else
                l->head = r;
        l->tail = r;
        l->bytes += sizeof(*r) + len;
        /* Bounded: the oldest records go; readers behind them get a gap record. */
        while (l->bytes > SUP_LOG_RING_BYTES && l->head != l->tail) {
                struct sup_log_record *old = l->head;
                l->head = old->next;
                l->bytes -= sizeof(*old) + old->len;
                free(old);
        }
}

void sup_logs_feed(struct sup_logs *l, int stream, const char *buf, size_t n)
{
        while (n > 0) {
                const char *nl = memchr(buf, '\n', n);
                size_t take = nl ? (size_t)(nl - buf) : n;
                size_t room = SUP_LOG_LINE_MAX - l->pending_len[stream];

                if (take >= room) {
                        /* A line longer than the limit: flush what fits as a partial record. */
                        memcpy(l->pending[stream] + l->pending_len[stream], buf, room);
                        append(l, stream, l->pending[stream], SUP_LOG_LINE_MAX, true);
                        l->pending_len[stream] = 0;
                        buf += room;
                        n -= room;
                        continue;
                }
                memcpy(l->pending[stream] + l->pending_len[stream], buf, take);
                l->pending_len[stream] += take;
                if (!nl)
                        return;
                append(l, stream, l->pending[stream], l->pending_len[stream], false);
                l->pending_len[stream] = 0;
                buf += take + 1;
                n -= take + 1;
        }
}

void sup_logs_eof(struct sup_logs *l, int stream)
{
        if (l->pending_len[stream] > 0) {
                append(l, stream, l->pending[stream], l->pending_len[stream], false);
                l->pending_len[stream] = 0;
        }
}

uint64_t sup_logs_first_seq(const struct sup_logs *l)
{
        return l->head ? l->head->seq : l->next_seq;
}

const struct sup_log_record *sup_logs_from(const struct sup_logs *l, uint64_t from, uint64_t *gap)
{
        uint64_t first = sup_logs_first_seq(l);

        *gap = from < first ? first - from : 0;
        for (const struct sup_log_record *r = l->head; r; r = r->next)
                if (r->seq >= from)
                        return r;
        return NULL;
}

json_t *sup_log_record_to_json(const struct sup_log_record *r)
{
        char ts[64];

        nc_format_rfc3339(r->ts_ns, ts);
        return json_pack("{s:I, s:s, s:s, s:b, s:o}", "seq", (json_int_t)r->seq, "time", ts, "stream",
                         stream_names[r->stream], "partial", r->partial, "line", nc_json_bytesn(r->data, r->len));
}
