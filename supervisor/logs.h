/* SPDX-License-Identifier: Apache-2.0 */
/* The log store of one detached sandbox: stdout and stderr pipes read on the loop into
 * (a) a bounded ring of sequence-numbered records, allocated lazily, and (b) a log file
 * in CRI format ("<RFC3339Nano> stdout|stderr F|P <line>"), size-capped with rotation.
 * Readers ask from a sequence number; what the ring no longer holds is reported as an
 * explicit gap, never silently skipped. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SUP_LOG_RING_BYTES (4u * 1024 * 1024)  /* per sandbox, records included */
#define SUP_LOG_LINE_MAX (16u * 1024)           /* longer lines become P(artial) records */
#define SUP_LOG_FILE_MAX (10u * 1024 * 1024)    /* rotate at this size ... */
#define SUP_LOG_FILE_KEEP 3                     /* ... keeping <id>.log.1 .. .3 */

enum { SUP_LOG_STDOUT, SUP_LOG_STDERR };

struct sup_log_record {
        struct sup_log_record *next;
        uint64_t seq, ts_ns;
        uint8_t stream;
        bool partial;
        size_t len;
        char data[];
};

struct sup_logs {
        struct sup_log_record *head, *tail;     /* oldest .. newest */
        uint64_t next_seq;                      /* the seq the next record gets (first is 1) */
        size_t bytes;
        char *pending[2];                       /* an unfinished line per stream; NULL until one comes */
        size_t pending_len[2];
        int file_fd;
        uint64_t file_size;
        char *path;
        /* Called with every new record (the journald copy); NULL: none. */
        void (*sink)(void *ctx, const struct sup_log_record *r);
        void *sink_ctx;
};

struct sup_logs *sup_logs_new(const char *path);
/* A restarted loop process: the store of path as the last one left it, the ring
 * refilled from the files, and numbering continued from the last record written. */
struct sup_logs *sup_logs_recover(const char *path);
/* Where the first sequence number of the current log file is kept (<id>.seq). */
void sup_logs_seq_path(const char *log_path, char *buf, size_t cap);
void sup_logs_free(struct sup_logs *l);
/* Bytes read from a stream: complete lines become records; the rest waits. */
void sup_logs_feed(struct sup_logs *l, int stream, const char *buf, size_t n);
/* The stream ended: an unfinished last line becomes a record of its own. */
void sup_logs_eof(struct sup_logs *l, int stream);
/* The oldest record still held with seq >= from, or NULL; *gap is how many records
 * from `from` on are no longer held. */
const struct sup_log_record *sup_logs_from(const struct sup_logs *l, uint64_t from, uint64_t *gap);
uint64_t sup_logs_first_seq(const struct sup_logs *l);
json_t *sup_log_record_to_json(const struct sup_log_record *r);
