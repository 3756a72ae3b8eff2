/* SPDX-License-Identifier: Apache-2.0 */
/* journald, through libsystemd's native protocol (one datagram per entry on
 * /run/systemd/journal/socket). */
#pragma once

#include <stdbool.h>

/* Whether journald's socket is there. Callers decide once: without it, every entry
 * would cost a failed sendmsg. */
bool nc_journal_present(void);
/* An audit record: MESSAGE plus NUCLEUS_EVENT, NUCLEUS_SANDBOX_ID, NUCLEUS_SANDBOX_NAME
 * and the record's JSON as NUCLEUS_AUDIT, so `journalctl NUCLEUS_EVENT=...` finds it. */
void nc_journal_audit(const char *event, const char *id, const char *name, const char *record);
