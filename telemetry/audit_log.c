/* SPDX-License-Identifier: Apache-2.0 */
#include "audit_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "spec.h"
#include "util.h"

void nc_audit_log_init(struct nc_audit_log *l, const char *state_dir)
{
        snprintf(l->path, sizeof(l->path), "%s/audit.jsonl", state_dir);
        l->fd = -1;
        l->journal = -1;
}

static int audit_fd(struct nc_audit_log *l)
{
        if (l->fd >= 0)
                return l->fd;
        l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (l->fd < 0)
                log_warn("Failed to open the audit log %s: %s", l->path, strerror(errno));
        return l->fd;
}

void nc_audit_log_write(struct nc_audit_log *l, const char *event, const char *id, const char *name, unsigned owner_uid,
                        json_t *fields)
{
        char ts[64], *line;
        json_t *j;
        int fd = audit_fd(l);

        nc_format_rfc3339(nc_now_ns(), ts);
        j = json_pack("{s:s, s:s, s:s, s:o, s:i}", "time", ts, "event", event, "id", id, "name",
                      name ? nc_json_bytes(name) : json_null(), "owner_uid", (int)owner_uid);
        if (fields)
                json_object_update(j, fields);
        json_decref(fields);
        line = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(j);
        if (!line)
                return;
        size_t len = strlen(line);
        if (l->journal < 0)
                l->journal = nc_journal_present();
        if (l->journal)
                nc_journal_audit(event, id, name ? name : id, line);
        line[len] = '\n';       /* json_dumps' NUL becomes the newline; one write */
        if (fd >= 0 && write(fd, line, len + 1) != (ssize_t)(len + 1))
                log_warn("Failed to append to the audit log: %s", strerror(errno));
        free(line);
}

void nc_audit_log_close(struct nc_audit_log *l)
{
        if (l->fd >= 0)
                close(l->fd);
        l->fd = -1;
}
