/* SPDX-License-Identifier: Apache-2.0 */
/* The audit log: <state_dir>/audit.jsonl, 0600, append-only, one JSON object per line.
 *
 * Records are written when the loop learns a fact, never ahead of it. The lock-down
 * steps (namespace_created, filesystem_mounted, secrets_mounted, capabilities_dropped,
 * seccomp_applied, landlock_applied) are recorded when init reports the workload
 * started, because the workload only starts once every one of them has succeeded; a
 * sandbox that fails before that gets container_exit with reason setup_failed and the
 * failing stage instead. A sandbox in --seccomp-mode trace has no filter: it gets
 * seccomp_trace, with a warning, in place of seccomp_applied. No argv, environment,
 * secret content or context file name is ever written: only ids, destinations, modes,
 * digests and results.
 *
 * The sinks (the file, one write(2) per record, and journald's copy) are in
 * telemetry/audit_log.c; this file decides what is recorded and when. */
#include <string.h>

#include "sup.h"

static void record(struct sup_sandbox *sb, const char *event, json_t *fields)
{
        nc_audit_log_write(&sb->sup->audit, event, sb->id, sup_sandbox_name(sb), sb->owner_uid, fields);
}

/* Picks from inspect only what is safe to keep: never spec.args/env or skipped names. */
static json_t *pick(const json_t *obj, const char *const *keys)
{
        json_t *out = json_object();

        for (; *keys; keys++) {
                json_t *v = json_object_get(obj, *keys);
                if (v)
                        json_object_set(out, *keys, v);
        }
        return out;
}

static void record_started(struct sup_sandbox *sb)
{
        json_t *in = sup_sandbox_inspect(sb);
        const json_t *sec = json_object_get(in, "security"), *ctx = json_object_get(in, "context");

        record(sb, "container_start", json_pack("{s:I, s:O*, s:O*}", "pid", (json_int_t)sb->pid, "uid_map_base",
                                                json_object_get(sec, "uid_map_base"), "uid_map_count",
                                                json_object_get(sec, "uid_map_count")));
        record(sb, "namespace_created", json_pack("{s:O*}", "namespaces", json_object_get(sec, "namespaces")));
        json_t *fs = json_pack("{s:O*, s:O*, s:O*}", "root_fs", json_object_get(sec, "root_fs"), "volumes",
                               json_object_get(in, "volumes"), "tmpfs",
                               json_object_get(json_object_get(in, "spec"), "tmpfs"));
        if (json_is_object(ctx))
                json_object_set_new(fs, "context", pick(ctx, (const char *const[]){ "mode", "files", "bytes", "sha256", NULL }));
        record(sb, "filesystem_mounted", fs);
        if (json_array_size(json_object_get(in, "secrets")))
                record(sb, "secrets_mounted", json_pack("{s:O}", "secrets", json_object_get(in, "secrets")));
        record(sb, "capabilities_dropped", json_pack("{s:O*, s:O*}", "capabilities", json_object_get(sec, "capabilities"),
                                                     "no_new_privs", json_object_get(sec, "no_new_privs")));
        if (sb->spec->seccomp_mode == NC_SECCOMP_TRACE)
                record(sb, "seccomp_trace", json_pack("{s:s, s:s}", "seccomp_mode", "trace", "warning",
                                                      "the workload ran without a seccomp filter: every system call was "
                                                      "allowed and recorded"));
        else
                record(sb, "seccomp_applied", json_pack("{s:O*}", "seccomp", json_object_get(sec, "seccomp")));
        record(sb, "landlock_applied", json_pack("{s:O*, s:O*}", "landlock", json_object_get(sec, "landlock"), "degraded",
                                                 json_object_get(sec, "degraded")));
        if (json_is_object(json_object_get(sec, "mount_audit")))
                record(sb, "mount_audit_passed", json_pack("{s:O}", "mount_audit", json_object_get(sec, "mount_audit")));
        json_decref(in);
}

void sup_audit_transition(struct sup_sandbox *sb, const char *from, const char *to)
{
        if (strcmp(to, "running") == 0 && strcmp(from, "creating") == 0)
                record_started(sb);
        else if (strcmp(to, "exited") == 0 || strcmp(to, "failed") == 0) {
                if (sb->failed && strcmp(sb->failure.stage, "mount_audit") == 0)
                        record(sb, "mount_audit_failed", json_pack("{s:s}", "reason", sb->failure.msg));
                record(sb, "container_exit", json_pack("{s:o}", "result", sup_sandbox_result(sb)));
        }
}

void sup_audit_close(struct sup *s)
{
        nc_audit_log_close(&s->audit);
}
