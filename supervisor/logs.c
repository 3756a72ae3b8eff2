/* SPDX-License-Identifier: Apache-2.0 */
#include "logs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
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
        if (!(l->path = strdup(path))) {
                free(l);
                return NULL;
        }
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
        free(l->pending[0]);
        free(l->pending[1]);
        free(l->path);
        free(l);
}

/* <id>.seq holds the sequence number of the first record in <id>.log: the files
 * rotated away took their count with them, and a new loop process must number on
 * from where the last one stopped. Written (atomically) before the rotation. Not
 * named <id>.log.*: those are all CRI log files. */
void sup_logs_seq_path(const char *log_path, char *buf, size_t cap)
{
        size_t n = strlen(log_path);

        if (n > 4 && strcmp(log_path + n - 4, ".log") == 0)
                snprintf(buf, cap, "%.*s.seq", (int)(n - 4), log_path);
        else
                snprintf(buf, cap, "%s.seq", log_path);
}

static int write_first_seq(const struct sup_logs *l, uint64_t seq)
{
        char tmp[4200], final[4200], buf[32];
        int fd, n;

        sup_logs_seq_path(l->path, final, sizeof(final));
        snprintf(tmp, sizeof(tmp), "%s.tmp", final);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        n = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)seq);
        if (write(fd, buf, (size_t)n) != n) {
                close(fd);
                return -EIO;
        }
        close(fd);
        return rename(tmp, final) < 0 ? -errno : 0;
}

static uint64_t read_first_seq(const struct sup_logs *l)
{
        char path[4200], buf[32] = "";
        unsigned long long v;
        ssize_t n;
        int fd;

        sup_logs_seq_path(l->path, path, sizeof(path));
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return 1;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        buf[n > 0 ? n : 0] = 0;
        return sscanf(buf, "%llu", &v) == 1 && v > 0 ? v : 1;
}

/* <id>.log -> <id>.log.1 -> ... -> <id>.log.KEEP (dropped) */
static void rotate(struct sup_logs *l)
{
        char from[4200], to[4200];

        if (write_first_seq(l, l->next_seq) < 0)
                log_warn_errno(errno, "Failed to record the first sequence number of '%s', ignoring", l->path);

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

static struct sup_log_record *record_new(struct sup_logs *l, int stream, uint64_t ts_ns, const char *data, size_t len,
                                         bool partial)
{
        struct sup_log_record *r = malloc(sizeof(*r) + len + 1);

        if (!r)
                return NULL;
        *r = (struct sup_log_record){ .seq = l->next_seq++, .ts_ns = ts_ns, .stream = (uint8_t)stream,
                                      .partial = partial, .len = len };
        memcpy(r->data, data, len);
        r->data[len] = 0;
        return r;
}

static void ring_push(struct sup_logs *l, struct sup_log_record *r)
{
        if (l->tail)
                l->tail->next = r;
        else
                l->head = r;
        l->tail = r;
        l->bytes += sizeof(*r) + r->len;
        /* Bounded: the oldest records go; readers behind them get a gap record. */
        while (l->bytes > SUP_LOG_RING_BYTES && l->head != l->tail) {
                struct sup_log_record *old = l->head;
                l->head = old->next;
                l->bytes -= sizeof(*old) + old->len;
                free(old);
        }
}

static void append(struct sup_logs *l, int stream, const char *data, size_t len, bool partial)
{
        struct sup_log_record *r = record_new(l, stream, nc_now_ns(), data, len, partial);

        if (!r) {
                l->next_seq++;  /* lost to memory, not to the numbering: readers see a gap */
                return;
        }
        write_file(l, r);
        if (l->sink)
                l->sink(l->sink_ctx, r);
        ring_push(l, r);
}

/* The unfinished line's buffer is allocated when a line first arrives in pieces: most
 * output comes in whole lines, and thousands of idle detached sandboxes must not hold
 * 32 KiB each for nothing. Without memory for it, the piece becomes a partial record. */
static bool pending_room(struct sup_logs *l, int stream)
{
        if (!l->pending[stream])
                l->pending[stream] = malloc(SUP_LOG_LINE_MAX);
        return l->pending[stream] != NULL;
}

void sup_logs_feed(struct sup_logs *l, int stream, const char *buf, size_t n)
{
        while (n > 0) {
                const char *nl = memchr(buf, '\n', n);
                size_t take = nl ? (size_t)(nl - buf) : n;
                size_t room = SUP_LOG_LINE_MAX - l->pending_len[stream];

                if (l->pending_len[stream] == 0 && nl && take < SUP_LOG_LINE_MAX) {
                        /* A whole line: straight from the buffer. */
                        append(l, stream, buf, take, false);
                        buf += take + 1;
                        n -= take + 1;
                        continue;
                }
                if (!pending_room(l, stream)) {
                        size_t part = take < SUP_LOG_LINE_MAX ? take : SUP_LOG_LINE_MAX;
                        append(l, stream, buf, part, !nl || part < take);
                        buf += part + (nl && part == take);
                        n -= part + (nl && part == take);
                        continue;
                }
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

/* "<RFC3339Nano> stdout|stderr F|P <line>": the record it was written from. A line
 * that does not parse is kept whole: it was a record all the same, and numbering
 * must count it. */
static void load_line(struct sup_logs *l, const char *line, size_t len)
{
        struct tm tm = { 0 };
        unsigned long nsec = 0;
        int stream = SUP_LOG_STDOUT, off = 0;
        char flag = 'F', name[8] = "";
        uint64_t ts = 0;
        struct sup_log_record *r;

        if (len > 40 && sscanf(line, "%4d-%2d-%2dT%2d:%2d:%2d.%9luZ %7s %c%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &nsec, name, &flag, &off) == 9 &&
            (size_t)off < len && line[off] == ' ') {
                off++;  /* exactly one space: the line's own leading blanks are its own */
                tm.tm_year -= 1900;
                tm.tm_mon -= 1;
                ts = (uint64_t)timegm(&tm) * 1000000000ull + nsec;
                stream = strcmp(name, "stderr") == 0 ? SUP_LOG_STDERR : SUP_LOG_STDOUT;
        } else
                off = 0;
        r = record_new(l, stream, ts, line + off, len - (size_t)off, flag == 'P');
        if (r)
                ring_push(l, r);
        else
                l->next_seq++;
}

/* Loads one file's records, numbered from l->next_seq on. */
static void load_file(struct sup_logs *l, const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        _cleanup_free_ char *data = NULL;
        ssize_t n;
        size_t off = 0;

        if (fd < 0)
                return;
        n = nc_read_all(fd, SUP_LOG_FILE_MAX + (SUP_LOG_LINE_MAX + 128) * 2, &data);
        if (n <= 0)
                return;
        while (off < (size_t)n) {
                const char *nl = memchr(data + off, '\n', (size_t)n - off);
                size_t len = nl ? (size_t)(nl - (data + off)) : (size_t)n - off;

                load_line(l, data + off, len);
                off += len + 1;
        }
}

static uint64_t count_lines(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        char buf[65536];
        uint64_t lines = 0;
        bool last_nl = true;
        ssize_t n;

        if (fd < 0)
                return 0;
        while ((n = read(fd, buf, sizeof(buf))) > 0) {
                for (ssize_t i = 0; i < n; i++)
                        lines += buf[i] == '\n';
                last_nl = buf[n - 1] == '\n';
        }
        return lines + !last_nl;
}

struct sup_logs *sup_logs_recover(const char *path)
{
        struct sup_logs *l = sup_logs_new(path);
        uint64_t first, prev_lines = 0;
        char rotated[4200];
        struct stat st;

        if (!l)
                return NULL;
        first = read_first_seq(l);
        /* The ring holds what fits; the rotated file is read only when the current one
         * alone is smaller than the ring. */
        snprintf(rotated, sizeof(rotated), "%s.1", path);
        if (l->file_size < SUP_LOG_RING_BYTES && first > 1 && stat(rotated, &st) == 0) {
                prev_lines = count_lines(rotated);
                if (prev_lines < first) {
                        l->next_seq = first - prev_lines;
                        load_file(l, rotated);
                }
        }
        l->next_seq = first;
        /* Records numbered first... come from the current file; drop the rotated ones'
         * numbering if it disagreed (their seqs were assigned from first - lines). */
        load_file(l, path);
        /* A line cut short by the dying loop process: end it, so the next record starts
         * on a line of its own. */
        if (l->file_fd >= 0 && l->file_size > 0) {
                char c = '\n';
                if (pread(l->file_fd, &c, 1, (off_t)l->file_size - 1) == 1 && c != '\n' && write(l->file_fd, "\n", 1) == 1)
                        l->file_size++;
        }
        return l;
}
