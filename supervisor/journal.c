/* SPDX-License-Identifier: Apache-2.0 */
/* A copy of the audit records for journald, when one is running (libsystemd's native
 * protocol: one datagram per record on /run/systemd/journal/socket). The file in the
 * state dir stays the record of truth; the journal copy lets `journalctl
 * NUCLEUS_EVENT=container_exit` and the host's log shipping see the same facts.
 *
 * Whether journald runs is decided once, on first use: without its socket every record
 * would cost a failed sendmsg. */
#include <stdbool.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "sup.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static int present = -1;

static bool journal_present(void)
{
        if (present < 0)
                present = access(JOURNAL_SOCKET, W_OK) == 0;
        return present;
}

void sup_journal_audit(const char *event, const char *id, const char *name, const char *record)
{
        if (!journal_present())
                return;
        /* PRIORITY 5 (notice): security-relevant facts, not errors. */
        (void)sd_journal_send("MESSAGE=nucleus audit: %s %s", event, name, "PRIORITY=5", "SYSLOG_IDENTIFIER=nucleusd",
                              "NUCLEUS_EVENT=%s", event, "NUCLEUS_SANDBOX_ID=%s", id, "NUCLEUS_SANDBOX_NAME=%s", name,
                              "NUCLEUS_AUDIT=%s", record, NULL);
}
