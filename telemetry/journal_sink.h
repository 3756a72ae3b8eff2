/* SPDX-License-Identifier: Apache-2.0 */
/* Detached sandboxes' output, copied to journald when it runs.
 *
 * libsystemd's sd_journal_sendv() blocks while journald's socket queue is full, and
 * the loop must never wait on a slow reader. So the loop only queues lines here (a
 * bounded queue, a mutex held for a pointer swap), and one thread of this library
 * sends them. When journald falls behind by more than the bound, lines are dropped
 * and counted, and the journal gets a line saying how many. The log store (ring and
 * file) is unaffected: it stays the complete record. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NC_JOURNAL_SINK_MAX_BYTES (8u * 1024 * 1024)

struct nc_journal_sink;

/* Starts the sending thread; NULL if it cannot be started. */
struct nc_journal_sink *nc_journal_sink_new(size_t max_bytes);
/* One line of a sandbox's stdout (stream 0) or stderr (1): MESSAGE (bytes as they are),
 * PRIORITY 6 or 3, SYSLOG_IDENTIFIER and NUCLEUS_SANDBOX_NAME (the name),
 * NUCLEUS_SANDBOX_ID, NUCLEUS_STREAM. Never blocks. */
void nc_journal_sink_line(struct nc_journal_sink *s, const char *id, const char *name, int stream, const char *data,
                          size_t len);
/* Lines dropped so far because journald was too slow. */
uint64_t nc_journal_sink_dropped(struct nc_journal_sink *s);
/* Sends what is queued, stops the thread, frees everything. */
void nc_journal_sink_free(struct nc_journal_sink *s);
