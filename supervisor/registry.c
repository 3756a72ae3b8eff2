/* SPDX-License-Identifier: Apache-2.0 */
/* Sandbox records: lookup by id, unique id prefix or name, and their JSON views. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "sup.h"

struct sup_sandbox *sup_sandbox_new(struct sup *s)
{
        struct sup_sandbox *sb = calloc(1, sizeof(*sb));

        if (!sb)
                return NULL;
        sb->sup = s;
        sb->pidfd = sb->ctl = sb->client_pidfd = sb->oom_efd = -1;
        sb->log_fd[0] = sb->log_fd[1] = -1;
        sb->stdio[0] = sb->stdio[1] = sb->stdio[2] = -1;
        sb->pid = -1;
        sb->takeover_fd = sb->kept_logs[0] = sb->kept_logs[1] = -1;
        sb->context_fd = -1;
        sb->rootfs.fd = -1;
        sb->uid_slot = -1;
        sb->tty_master = -1;
        sb->state = SUP_STATE_creating;
        sb->created_ns = nc_now_ns();
        sb->next = s->sandboxes;
        if (s->sandboxes)
                s->sandboxes->prev = sb;
        s->sandboxes = sb;
        s->nsandboxes++;
        s->nlive++;
        return sb;
}

/* ---- the index: O(1) lookups by id and name ------------------------------------
 * Thousands of live sandboxes are the normal case, and lookups happen for every
 * message from the zygote and most requests; a list walk touches every sandbox's
 * memory each time. Chains are intrusive, so removal needs no allocation. */

static size_t hash_str(const char *str)
{
        size_t h = 1469598103934665603ull;      /* FNV-1a */

        for (; *str; str++)
                h = (h ^ (unsigned char)*str) * 1099511628211ull;
        return h;
}

static void chain_remove(struct sup_sandbox **bucket, struct sup_sandbox *sb, bool by_name)
{
        for (struct sup_sandbox **pp = bucket; *pp; pp = by_name ? &(*pp)->name_next : &(*pp)->id_next)
                if (*pp == sb) {
                        *pp = by_name ? sb->name_next : sb->id_next;
                        return;
                }
}

static void chain_add(struct sup *s, struct sup_sandbox *sb, bool by_name)
{
        size_t b = hash_str(by_name ? sb->spec->name : sb->id) & (s->index_cap - 1);

        if (by_name) {
                sb->name_next = s->by_name[b];
                s->by_name[b] = sb;
        } else {
                sb->id_next = s->by_id[b];
                s->by_id[b] = sb;
        }
}

static int index_resize(struct sup *s, size_t cap)
{
        struct sup_sandbox **id = calloc(cap, sizeof(*id)), **name = calloc(cap, sizeof(*name));

        if (!id || !name) {
                free(id);
                free(name);
                return -ENOMEM;
        }
        free(s->by_id);
        free(s->by_name);
        s->by_id = id;
        s->by_name = name;
        s->index_cap = cap;
        for (struct sup_sandbox *sb = s->sandboxes; sb; sb = sb->next) {
                if (sb->indexed)
                        chain_add(s, sb, false);
                if (sb->name_indexed)
                        chain_add(s, sb, true);
        }
        return 0;
}

int sup_index_reserve(struct sup *s)
{
        if (s->nindexed + 1 <= s->index_cap)
                return 0;
        return index_resize(s, s->index_cap ? s->index_cap * 2 : 256);
}

void sup_sandbox_index(struct sup_sandbox *sb)
{
        struct sup *s = sb->sup;

        if (sb->indexed || sup_index_reserve(s) < 0)
                return;         /* callers reserved first: this cannot fail then */
        sb->indexed = true;
        s->nindexed++;
        chain_add(s, sb, false);
        if (sb->spec && sb->spec->name && !sb->removed) {
                sb->name_indexed = true;
                chain_add(s, sb, true);
        }
}

void sup_sandbox_unindex_name(struct sup_sandbox *sb)
{
        struct sup *s = sb->sup;

        if (!sb->name_indexed)
                return;
        chain_remove(&s->by_name[hash_str(sb->spec->name) & (s->index_cap - 1)], sb, true);
        sb->name_indexed = false;
}

static void unindex(struct sup_sandbox *sb)
{
        struct sup *s = sb->sup;

        sup_sandbox_unindex_name(sb);
        if (!sb->indexed)
                return;
        chain_remove(&s->by_id[hash_str(sb->id) & (s->index_cap - 1)], sb, false);
        sb->indexed = false;
        s->nindexed--;
}

struct sup_sandbox *sup_sandbox_by_id(struct sup *s, const char *id)
{
        if (!s->index_cap)
                return NULL;
        for (struct sup_sandbox *sb = s->by_id[hash_str(id) & (s->index_cap - 1)]; sb; sb = sb->id_next)
                if (strcmp(sb->id, id) == 0)
                        return sb;
        return NULL;
}

void sup_index_free(struct sup *s)
{
        free(s->by_id);
        free(s->by_name);
        s->by_id = s->by_name = NULL;
        s->index_cap = 0;
}

void sup_conn_ref(struct sup_sandbox *sb)
{
        struct sup *s = sb->sup;

        if (sb->in_conn_refs)
                return;
        sb->in_conn_refs = true;
        sb->cref_prev = NULL;
        sb->cref_next = s->conn_refs;
        if (s->conn_refs)
                s->conn_refs->cref_prev = sb;
        s->conn_refs = sb;
}

static void conn_ref_unlink(struct sup_sandbox *sb)
{
        if (!sb->in_conn_refs)
                return;
        if (sb->cref_prev)
                sb->cref_prev->cref_next = sb->cref_next;
        else
                sb->sup->conn_refs = sb->cref_next;
        if (sb->cref_next)
                sb->cref_next->cref_prev = sb->cref_prev;
        sb->in_conn_refs = false;
}

static bool refers_to_conns(const struct sup_sandbox *sb)
{
        if (sb->create_conn || sb->attach_conn || sb->subs)
                return true;
        for (const struct sup_waiter *w = sb->waiters; w; w = w->next)
                if (w->conn)
                        return true;
        for (const struct sup_exec *x = sb->execs; x; x = x->next)
                if (x->conn)
                        return true;
        return false;
}

void sup_sandbox_unlink_free(struct sup_sandbox *sb)
{
        struct sup *s = sb->sup;

        unindex(sb);
        conn_ref_unlink(sb);

        if (sb->prev)
                sb->prev->next = sb->next;
        else
                s->sandboxes = sb->next;
        if (sb->next)
                sb->next->prev = sb->prev;
        s->nsandboxes--;
        for (int i = 0; i < 3; i++)
                if (sb->stdio[i] >= 0)
                        close(sb->stdio[i]);
        json_decref(sb->create_id);
        json_decref(sb->tty);
        if (sb->tty_master >= 0)
                close(sb->tty_master);
        json_decref(sb->landlock);
        json_decref(sb->degraded);
        json_decref(sb->mount_audit);
        json_decref(sb->limits_not_applied);
        sup_uid_slot_release(sb);
        if (sb->context_fd >= 0)
                close(sb->context_fd);
        json_decref(sb->context);
        if (sb->rootfs.fd >= 0)
                close(sb->rootfs.fd);
        for (size_t i = 0; i < sb->rootfs.nentries; i++)
                if (sb->rootfs.entries[i].tree >= 0)
                        close(sb->rootfs.entries[i].tree);
        free(sb->rootfs.entries);
        free(sb->cg_cfg);
        free(sb->rootfs.source);
        json_decref(sb->rootfs.attestation);
        for (size_t i = 0; i < sb->nsecrets; i++) {
                if (sb->secrets[i].fd >= 0)
                        close(sb->secrets[i].fd);
                free(sb->secrets[i].dest);
        }
        for (size_t i = 0; i < sb->nvolumes; i++) {
                if (sb->volumes[i].src_fd >= 0)
                        close(sb->volumes[i].src_fd);
                if (sb->volumes[i].tree_fd >= 0)
                        close(sb->volumes[i].tree_fd);
                free(sb->volumes[i].dest);
                free(sb->volumes[i].source);
        }
        sup_logs_free(sb->logs);
        sup_trace_free(sb->trace);
        sup_probes_free(sb->probes);
        for (int i = 0; i < 2; i++)
                if (sb->log_fd[i] >= 0)
                        close(sb->log_fd[i]);
        while (sb->execs) {
                struct sup_exec *x = sb->execs;
                sb->execs = x->next;
                if (x->stream)
                        sup_exec_stream_finish(x->stream);
                json_decref(x->req_id);
                free(x);
        }
        while (sb->subs) {
                struct sup_log_sub *sub = sb->subs;
                sb->subs = sub->next;
                sup_conn_pending_done(sub->conn);
                json_decref(sub->id);
                free(sub);
        }
        if (sb->oom_efd >= 0)
                close(sb->oom_efd);
        for (int k = 0; k < SUP_POLICY_MAX; k++)
                json_decref(sb->policies[k].json);
        nc_spec_free(sb->spec);
        free(sb);
}

struct sup_sandbox *sup_sandbox_by_name(struct sup *s, const char *name)
{
        if (!s->index_cap)
                return NULL;
        for (struct sup_sandbox *sb = s->by_name[hash_str(name) & (s->index_cap - 1)]; sb; sb = sb->name_next)
                if (!sb->removed && strcmp(sb->spec->name, name) == 0)
                        return sb;
        return NULL;
}

int sup_sandbox_usage(const struct sup_sandbox *sb, struct sbx_cgroup_stats *ret)
{
        const struct sbx_config *cfg = sup_cg(sb);
        int r;

        if (!cfg->cg)
                return -EOPNOTSUPP;
        if ((r = cfg->cg->stats(cfg, sb->id, ret)) < 0)
                return r;
        ret->cpu_usec = ret->cpu_usec > sb->cpu_base_usec ? ret->cpu_usec - sb->cpu_base_usec : 0;
        ret->io_read_bytes = ret->io_read_bytes > sb->io_read_base ? ret->io_read_bytes - sb->io_read_base : 0;
        ret->io_write_bytes = ret->io_write_bytes > sb->io_write_base ? ret->io_write_bytes - sb->io_write_base : 0;
        return 0;
}

bool sup_sandbox_visible(const struct sup_sandbox *sb, uid_t caller)
{
        return !sb->removed && (caller == 0 || caller == sb->owner_uid);
}

int sup_sandbox_find(struct sup *s, const char *ref, uid_t caller, struct sup_sandbox **ret)
{
        struct sup_sandbox *found = NULL;
        size_t n = strlen(ref);

        /* As docker resolves: a full id, then an exact name, then a unique id prefix. A
         * name that happens to be hex ("cafe") is found by its name first. Only what the
         * caller may see takes part, so lookups reveal nothing of other users. */
        found = sup_sandbox_by_id(s, ref);
        if (found && sup_sandbox_visible(found, caller)) {
                *ret = found;
                return 0;
        }
        found = sup_sandbox_by_name(s, ref);
        if (found && sup_sandbox_visible(found, caller)) {
                *ret = found;
                return 0;
        }
        found = NULL;
        if (!nc_id_prefix_valid(ref))
                return -ENOENT;
        for (struct sup_sandbox *sb = s->sandboxes; sb; sb = sb->next) {
                if (!sup_sandbox_visible(sb, caller) || strncmp(sb->id, ref, n) != 0)
                        continue;
                if (found)
                        return -ENOTUNIQ;
                found = sb;
        }
        if (!found)
                return -ENOENT;
        *ret = found;
        return 0;
}

static json_t *time_or_null(uint64_t ns)
{
        char buf[64];

        if (!ns)
                return json_null();
        nc_format_rfc3339(ns, buf);
        return json_string(buf);
}

static json_t *strv_json(char *const *v)
{
        json_t *a = json_array();

        for (; v && *v; v++)
                json_array_append_new(a, nc_json_bytes(*v));
        return a;
}

json_t *sup_sandbox_summary(const struct sup_sandbox *sb)
{
        json_t *j = json_pack("{s:s, s:o, s:s, s:i, s:o, s:o}", "id", sb->id, "name",
                              nc_json_bytes(sup_sandbox_name(sb)), "state", sup_state_name(sb->state), "pid",
                              sup_state_live(sb->state) ? (int)sb->pid : 0, "created_at",
                              time_or_null(sb->created_ns), "command", strv_json(sb->spec->argv));

        if (sb->state == SUP_STATE_exited || sb->state == SUP_STATE_failed)
                json_object_set_new(j, "exit_code", json_integer(nc_exit_code_from_wstatus(sb->wstatus)));
        sup_probes_summary(sb, j);
        return j;
}

/* The final result: exact exit code, signal and reason; sent to waiters and kept. */
json_t *sup_sandbox_result(const struct sup_sandbox *sb)
{
        json_t *j = json_pack("{s:s, s:o, s:s}", "id", sb->id, "name", nc_json_bytes(sup_sandbox_name(sb)), "state",
                              sup_state_name(sb->state));
        int code = nc_exit_code_from_wstatus(sb->wstatus);

        if (sb->lost[0] && !sb->failed) {
                /* Ended while no nucleusd ran, in a way nobody could see. */
                json_object_set_new(j, "reason", json_string("status_unknown"));
                json_object_set_new(j, "detail", json_string(sb->lost));
        } else if (sb->failed) {
                json_object_set_new(j, "reason", json_string("setup_failed"));
                json_object_set_new(j, "failure", sbx_failure_to_json(&sb->failure));
        } else if (sb->oom_event || (sb->have_final_stats && sb->final_stats.oom_kills > 0)) {
                /* Killed for memory: the kernel's SIGKILL alone says too little. */
                json_object_set_new(j, "reason", json_string("oom_killed"));
                if (WIFSIGNALED(sb->wstatus))
                        json_object_set_new(j, "signal", json_string(nc_signal_name(WTERMSIG(sb->wstatus))));
        } else if (sb->stop_reason != SUP_STOP_NONE) {
                static const char *const reasons[] = { [SUP_STOP_API] = "stopped_by_api", [SUP_STOP_TIMEOUT] = "timeout",
                                                       [SUP_STOP_SUPERVISOR] = "stopped_by_supervisor" };
                json_object_set_new(j, "reason", json_string(reasons[sb->stop_reason]));
                if (WIFSIGNALED(sb->wstatus))
                        json_object_set_new(j, "signal", json_string(nc_signal_name(WTERMSIG(sb->wstatus))));
        } else if (WIFSIGNALED(sb->wstatus)) {
                json_object_set_new(j, "reason", json_string("signaled"));
                json_object_set_new(j, "signal", json_string(nc_signal_name(WTERMSIG(sb->wstatus))));
                json_object_set_new(j, "signal_number", json_integer(WTERMSIG(sb->wstatus)));
        } else
                json_object_set_new(j, "reason", json_string("exited"));
        if (json_object_get(j, "signal") && WIFSIGNALED(sb->wstatus) && !json_object_get(j, "signal_number"))
                json_object_set_new(j, "signal_number", json_integer(WTERMSIG(sb->wstatus)));
        json_object_set_new(j, "exit_code", json_integer(code));
        json_object_set_new(j, "started_at", time_or_null(sb->started_ns));
        json_object_set_new(j, "finished_at", time_or_null(sb->finished_ns));
        if (sb->have_final_stats)
                json_object_set_new(j, "usage", sbx_cgroup_stats_to_json(&sb->final_stats));
        return j;
}

json_t *sup_sandbox_inspect(const struct sup_sandbox *sb)
{
        json_t *j = sup_sandbox_summary(sb);
        const struct sup *s = sb->sup;
        char cg[PATH_MAX];

        json_object_set_new(j, "spec", nc_spec_to_json(sb->spec));
        json_object_set_new(j, "owner_uid", json_integer(sb->owner_uid));
        json_object_set_new(j, "started_at", time_or_null(sb->started_ns));
        json_object_set_new(j, "finished_at", time_or_null(sb->finished_ns));
        json_object_set_new(j, "foreground", json_boolean(sb->client_pidfd >= 0));
        json_object_set_new(j, "detached", json_boolean(sb->detached));
        /* attach has something to connect to only while the workload's terminal lives. */
        json_object_set_new(j, "tty", sb->tty ? json_pack("{s:b}", "attachable", sb->tty_master >= 0) : json_null());
        json_t *vols = json_array();
        for (size_t i = 0; i < sb->nvolumes; i++)
                json_array_append_new(vols, json_pack("{s:o, s:o, s:b}", "source", nc_json_bytes(sb->volumes[i].source), "dest",
                                                      nc_json_bytes(sb->volumes[i].dest), "readonly", sb->volumes[i].readonly));
        json_object_set_new(j, "volumes", vols);
        json_t *secs = json_array();
        for (size_t i = 0; i < sb->nsecrets; i++)
                json_array_append_new(secs, json_pack("{s:o}", "dest", nc_json_bytes(sb->secrets[i].dest)));
        json_object_set_new(j, "secrets", secs);
        json_object_set(j, "context", sb->context ? sb->context : json_null());
        if (sb->logs)
                json_object_set_new(j, "logs", json_pack("{s:s, s:I, s:I}", "file", sb->logs->path, "first_seq",
                                                         (json_int_t)sup_logs_first_seq(sb->logs), "next_seq",
                                                         (json_int_t)sb->logs->next_seq));
        if (sup_cg(sb)->cgroup_root[0]) {
                snprintf(cg, sizeof(cg), "%s/%s", sup_cg(sb)->cgroup_root, sb->id);
                json_object_set_new(j, "cgroup", json_string(cg));
        }
        if (sb->rootfs.source)
                json_object_set_new(j, "rootfs", json_pack("{s:o, s:O?}", "source", nc_json_bytes(sb->rootfs.source),
                                                           "attestation", sb->rootfs.attestation));
        json_object_set_new(j, "security", json_pack("{s:s, s:s, s:s, s:o, s:i, s:[sssssss], s:s, s:b, s:s, s:O*}",
                "mode", nc_service_mode_name(sb->spec->service_mode), "trust_level", nc_trust_level_name(sb->spec->trust_level),
                "root_fs", sb->rootfs.source ? "rootfs" : "tmpfs", "uid_map_base", sb->uid_base ? json_integer(sb->uid_base) : json_null(),
                "uid_map_count", (int)s->cfg->uid_count, "namespaces", "user", "pid", "mount", "uts",
                "ipc", "net", "cgroup", "capabilities", sb->policies[SUP_POLICY_CAPS].json ? "policy" : "none", "no_new_privs", 1, "seccomp",
                sb->spec->seccomp_mode == NC_SECCOMP_TRACE ? "none" : sb->policies[SUP_POLICY_SECCOMP].json ? "profile" : "default",
                "landlock", sb->landlock));
        /* Trace mode runs without a filter: say so where the filter would be named. */
        json_object_set_new(json_object_get(j, "security"), "seccomp_mode", json_string(nc_seccomp_mode_name(sb->spec->seccomp_mode)));
        if (sb->trace)
                json_object_set_new(json_object_get(j, "security"), "seccomp_trace", sup_trace_inspect(sb));
        json_object_set(json_object_get(j, "security"), "degraded", sb->degraded ? sb->degraded : json_array());
        json_object_set(json_object_get(j, "security"), "mount_audit", sb->mount_audit ? sb->mount_audit : json_null());
        json_object_set_new(j, "limits", json_pack("{s:s, s:O}", "backend", s->cfg->cg ? s->cfg->cg->name : "none",
                                                   "not_applied", sb->limits_not_applied ? sb->limits_not_applied : json_array()));
        for (int k = 0; k < SUP_POLICY_MAX; k++)
                if (sb->policies[k].json) {
                        char key[48];
                        snprintf(key, sizeof(key), "%s_sha256", sup_policy_kinds[k].param);
                        json_object_set_new(json_object_get(j, "security"), key, json_string(sb->policies[k].sha256));
                }
        if (sb->t_started && sb->t_request)
                json_object_set_new(j, "timings_us", sup_timings_of(sb));
        if (sb->spec->network.mode == NC_NET_HOST)     /* no network namespace of its own */
                json_array_remove(json_object_get(json_object_get(j, "security"), "namespaces"), 5);
        json_object_set_new(j, "network", sup_network_inspect(sb));
        sup_probes_inspect(sb, j);
        if (sb->state == SUP_STATE_exited || sb->state == SUP_STATE_failed)
                json_object_set_new(j, "result", sup_sandbox_result(sb));
        return j;
}

/* A reference that was not noted with sup_conn_ref would outlive its connection: the
 * debug build (the sanitizer run of the test suite) checks every sandbox. */
static void check_no_refs(struct sup *s, struct sup_conn *c)
{
#ifndef NDEBUG
        for (struct sup_sandbox *sb = s->sandboxes; sb; sb = sb->next) {
                bool ref = sb->create_conn == c || sb->attach_conn == c;
                for (struct sup_waiter *w = sb->waiters; w; w = w->next)
                        ref = ref || w->conn == c;
                for (struct sup_log_sub *sub = sb->subs; sub; sub = sub->next)
                        ref = ref || sub->conn == c;
                for (struct sup_exec *x = sb->execs; x; x = x->next)
                        ref = ref || x->conn == c;
                if (ref) {
                        fprintf(stderr, "sandbox %s refers to a closed connection without sup_conn_ref\n", sb->id);
                        abort();
                }
        }
#else
        (void)s;
        (void)c;
#endif
}

void sup_waiters_drop_conn(struct sup *s, struct sup_conn *c)
{
        sup_events_drop_conn(s, c);
        for (struct sup_sandbox *sb = s->conn_refs, *next; sb; sb = next) {
                next = sb->cref_next;
                struct sup_waiter **pp = &sb->waiters;

                while (*pp) {
                        struct sup_waiter *w = *pp;
                        if (w->conn == c) {
                                *pp = w->next;
                                json_decref(w->id);
                                free(w);
                        } else
                                pp = &w->next;
                }
                struct sup_log_sub **sp = &sb->subs;
                while (*sp) {
                        struct sup_log_sub *sub = *sp;
                        if (sub->conn == c) {
                                *sp = sub->next;
                                json_decref(sub->id);
                                free(sub);
                        } else
                                sp = &sub->next;
                }
                /* A foreground exec lives as long as its client: the process is killed
                 * and its reply goes nowhere. */
                for (struct sup_exec *x = sb->execs; x; x = x->next)
                        if (x->conn == c) {
                                x->conn = NULL;
                                sup_sandbox_exec_kill(sb, x);
                        }
                if (sb->attach_conn == c)
                        sb->attach_conn = NULL;
                if (sb->create_conn == c) {
                        sb->create_conn = NULL;
                        json_decref(sb->create_id);
                        sb->create_id = NULL;
                }
                /* Replied and finished ones leave the list here, lazily. */
                if (!refers_to_conns(sb))
                        conn_ref_unlink(sb);
        }
        check_no_refs(s, c);
}
