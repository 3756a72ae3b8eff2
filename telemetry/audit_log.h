/* SPDX-License-Identifier: Apache-2.0 */
/* The audit log's sinks: an append-only JSON-lines file and, when journald runs, the
 * journal. What is recorded and when is the supervisor's business (supervisor/audit.c);
 * this library only writes records, and never reads the loop's state. */
#pragma once

#include <jansson.h>

struct nc_audit_log {
        char path[4096];        /* <state_dir>/audit.jsonl */
        int fd;                 /* opened on first use (0600, O_APPEND); -1 until then */
        int journal;            /* journald present: -1 unknown, 0 no, 1 yes (decided once) */
};

void nc_audit_log_init(struct nc_audit_log *l, const char *state_dir);
/* One record: {"time", "event", "id", "name", "owner_uid"} plus `fields` (stolen; may be
 * NULL). One write(2) per record, so concurrent writers never interleave lines. A
 * failed write is logged and otherwise ignored: the audit log is a record, not a gate. */
void nc_audit_log_write(struct nc_audit_log *l, const char *event, const char *id, const char *name, unsigned owner_uid,
                        json_t *fields);
void nc_audit_log_close(struct nc_audit_log *l);
