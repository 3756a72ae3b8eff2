/* SPDX-License-Identifier: Apache-2.0 */
#include "journal.h"

#include <systemd/sd-journal.h>
#include <unistd.h>

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

bool nc_journal_present(void)
{
        return access(JOURNAL_SOCKET, W_OK) == 0;
}

void nc_journal_audit(const char *event, const char *id, const char *name, const char *record)
{
        /* PRIORITY 5 (notice): security-relevant facts, not errors. */
        (void)sd_journal_send("MESSAGE=nucleus audit: %s %s", event, name, "PRIORITY=5", "SYSLOG_IDENTIFIER=nucleusd",
                              "NUCLEUS_EVENT=%s", event, "NUCLEUS_SANDBOX_ID=%s", id, "NUCLEUS_SANDBOX_NAME=%s", name,
                              "NUCLEUS_AUDIT=%s", record, NULL);
}
