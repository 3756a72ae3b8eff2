/* SPDX-License-Identifier: Apache-2.0 */
/* Taking over from a loop process that died (docs/restart.md).
 *
 * The zygote holds every sandbox's descriptors and any exit status that arrived while
 * no loop process ran; it sends them to the new loop process ("adopt", one message
 * per child, then "adopt_end") before anything else. Everything else about a sandbox
 * (spec, owner, times, host id slot, log file) is in its state file, which is written
 * at every change that matters: the fields below, next to the inspect view.
 *
 * This runs before the API is served, so no new sandbox can take an adopted one's
 * host id slot and no client sees a half-rebuilt registry. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "probe.h"
#include "sup.h"

#define RESTORE_VERSION 1
#define RESTORE_WAIT_MS 10000   /* the zygote sends everything at once; this is a stuck one */

static json_t *stats_to_json(const struct sbx_cgroup_stats *st)
{
        return json_pack("{s:b, s:b, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "have_cpu", st->have_cpu,
                         "have_memory", st->have_memory, "have_pids", st->have_pids, "have_io", st->have_io,
                         "io_read_bytes", (json_int_t)st->io_read_bytes, "io_write_bytes", (json_int_t)st->io_write_bytes,
                         "cpu_usec", (json_int_t)st->cpu_usec,
                         "memory_current", (json_int_t)st->memory_current, "memory_peak", (json_int_t)st->memory_peak,
                         "memory_limit", (json_int_t)st->memory_limit, "pids_current", (json_int_t)st->pids_current,
                         "pids_limit", (json_int_t)st->pids_limit, "oom_kills", (json_int_t)st->oom_kills);
}

static uint64_t u64(const json_t *o, const char *key)
{
        return (uint64_t)json_integer_value(json_object_get(o, key));
}

static void stats_from_json(const json_t *j, struct sbx_cgroup_stats *st)
{
        st->have_cpu = json_is_true(json_object_get(j, "have_cpu"));
        st->have_memory = json_is_true(json_object_get(j, "have_memory"));
        st->have_pids = json_is_true(json_object_get(j, "have_pids"));
        st->cpu_usec = u64(j, "cpu_usec");
        st->memory_current = u64(j, "memory_current");
        st->memory_peak = u64(j, "memory_peak");
        st->memory_limit = u64(j, "memory_limit");
        st->pids_current = u64(j, "pids_current");
        st->pids_limit = u64(j, "pids_limit");
        st->oom_kills = u64(j, "oom_kills");
        /* absent from states written before I/O was counted: have_io stays false */
        st->have_io = json_is_true(json_object_get(j, "have_io"));
        st->io_read_bytes = u64(j, "io_read_bytes");
        st->io_write_bytes = u64(j, "io_write_bytes");
}

json_t *sup_restore_fields(const struct sup_sandbox *sb)
{
        json_t *pol = json_object(), *vols = json_array(), *secs = json_array();

        for (int k = 0; k < SUP_POLICY_MAX; k++)
                if (sb->policies[k].json)
                        json_object_set_new(pol, sup_policy_kinds[k].param, json_string(sb->policies[k].sha256));
        for (size_t i = 0; i < sb->nvolumes; i++)
                json_array_append_new(vols, json_pack("{s:o, s:o, s:b}", "source", nc_json_bytes(sb->volumes[i].source),
                                                      "dest", nc_json_bytes(sb->volumes[i].dest), "readonly",
                                                      sb->volumes[i].readonly));
        for (size_t i = 0; i < sb->nsecrets; i++)
                json_array_append_new(secs, json_pack("{s:o}", "dest", nc_json_bytes(sb->secrets[i].dest)));

        json_t *j = json_pack("{s:i, s:s, s:I, s:I, s:I, s:i, s:b, s:b, s:i, s:b, s:I, s:I, s:i, s:i, s:i, s:b, s:i, s:b}",
                "version", RESTORE_VERSION, "state", sup_state_name(sb->state), "created_ns", (json_int_t)sb->created_ns,
                "started_ns", (json_int_t)sb->started_ns, "finished_ns", (json_int_t)sb->finished_ns,
                "uid_slot", sb->uid_slot, "detached", sb->detached, "auto_remove", sb->auto_remove,
                "stop_reason", (int)sb->stop_reason, "stop_requested", sb->stop_requested,
                "kill_at_ns", (json_int_t)sb->kill_at_ns, "timeout_ms", (json_int_t)sb->timeout_ms,
                "workload_pid", (int)sb->workload_pid, "wstatus", sb->wstatus, "init_status", sb->init_status,
                "have_status", sb->have_status, "client_pid", (int)sb->client_pid, "oom_event", sb->oom_event);

        json_object_set_new(j, "client_start", json_integer((json_int_t)sb->client_start));
        json_object_set_new(j, "init_start", json_integer((json_int_t)sb->init_start));
        json_object_set_new(j, "cpu_base_usec", json_integer((json_int_t)sb->cpu_base_usec));
        json_object_set_new(j, "io_read_base", json_integer((json_int_t)sb->io_read_base));
        json_object_set_new(j, "io_write_base", json_integer((json_int_t)sb->io_write_base));
        if (sb->cg_cfg)
                json_object_set_new(j, "cgroup_parent_dir", json_string(sb->cg_cfg->cgroup_root));
        json_object_set_new(j, "takeover_fd", json_integer(sb->takeover_fd));
        json_object_set_new(j, "kept_logs", json_pack("[i, i]", sb->kept_logs[0], sb->kept_logs[1]));
        if (sb->lost[0])
                json_object_set_new(j, "lost", json_string(sb->lost));
        json_object_set_new(j, "policies", pol);
        json_object_set_new(j, "volumes", vols);
        json_object_set_new(j, "secrets", secs);
        if (sb->failed)
                json_object_set_new(j, "failure", sbx_failure_to_json(&sb->failure));
        if (sb->have_final_stats)
                json_object_set_new(j, "final_stats", stats_to_json(&sb->final_stats));
        if (sb->logs)
                json_object_set_new(j, "log_file", json_string(sb->logs->path));
        sup_probes_save(sb, j);
        json_object_set(j, "landlock", sb->landlock ? sb->landlock : json_null());
        json_object_set(j, "degraded", sb->degraded ? sb->degraded : json_null());
        json_object_set(j, "mount_audit", sb->mount_audit ? sb->mount_audit : json_null());
        json_object_set(j, "limits_not_applied", sb->limits_not_applied ? sb->limits_not_applied : json_null());
        json_object_set(j, "context", sb->context ? sb->context : json_null());
        if (sb->rootfs.source)
                json_object_set_new(j, "rootfs", json_pack("{s:o, s:O?}", "source", nc_json_bytes(sb->rootfs.source),
                                                           "attestation", sb->rootfs.attestation));
        return j;
}

static json_t *kept(const json_t *r, const char *key)
{
        const json_t *v = json_object_get(r, key);

        return v && !json_is_null(v) ? json_incref((json_t *)v) : NULL;
}

static char *bytes(const json_t *v)
{
        struct nc_err err;
        char *s = NULL;

        return v && nc_json_bytes_get(v, &s, &err, "field") == 0 ? s : strdup("");
}

static int state_by_name(const char *name, enum sup_state *ret)
{
        for (int i = 0; i < _SUP_STATE_MAX; i++)
                if (name && strcmp(sup_state_name((enum sup_state)i), name) == 0) {
                        *ret = (enum sup_state)i;
                        return 0;
                }
        return -EINVAL;
}

/* A record from a state file: everything but descriptors. NULL when the file does not
 * describe a sandbox this version can rebuild. */
static struct sup_sandbox *rebuild(struct sup *s, const char *id, const json_t *st)
{
        const json_t *r = json_object_get(st, "restore"), *v;
        struct nc_err err = { { 0 } };
        struct nc_spec *spec = NULL;
        struct sup_sandbox *sb;
        enum sup_state state;
        size_t i;

        if (json_integer_value(json_object_get(r, "version")) != RESTORE_VERSION ||
            state_by_name(json_string_value(json_object_get(r, "state")), &state) < 0 ||
            nc_spec_from_json(json_object_get(st, "spec"), &spec, &err) < 0) {
                log_warn("State file of sandbox %s cannot be restored (%s)", id, err.msg[0] ? err.msg : "unknown format");
                return NULL;
        }
        sb = sup_index_reserve(s) == 0 ? sup_sandbox_new(s) : NULL;
        if (!sb) {
                nc_spec_free(spec);
                return NULL;
        }
        memcpy(sb->id, id, sizeof(sb->id));
        sb->spec = spec;
        sup_sandbox_index(sb);
        sb->owner_uid = (uid_t)json_integer_value(json_object_get(st, "owner_uid"));
        sb->created_ns = u64(r, "created_ns");
        sb->started_ns = u64(r, "started_ns");
        sb->finished_ns = u64(r, "finished_ns");
        sb->auto_remove = json_is_true(json_object_get(r, "auto_remove"));
        sb->stop_reason = (enum sup_stop_reason)json_integer_value(json_object_get(r, "stop_reason"));
        if (sb->stop_reason > SUP_STOP_SUPERVISOR)
                sb->stop_reason = SUP_STOP_SUPERVISOR;
        sb->stop_requested = json_is_true(json_object_get(r, "stop_requested"));
        sb->kill_at_ns = u64(r, "kill_at_ns");
        sb->timeout_ms = u64(r, "timeout_ms");
        sb->workload_pid = (pid_t)json_integer_value(json_object_get(r, "workload_pid"));
        sb->wstatus = (int)json_integer_value(json_object_get(r, "wstatus"));
        sb->init_status = (int)json_integer_value(json_object_get(r, "init_status"));
        sb->have_status = json_is_true(json_object_get(r, "have_status"));
        sb->client_pid = (pid_t)json_integer_value(json_object_get(r, "client_pid"));
        sb->client_start = u64(r, "client_start");
        sb->oom_event = json_is_true(json_object_get(r, "oom_event"));
        sb->init_start = u64(r, "init_start");
        sb->cpu_base_usec = u64(r, "cpu_base_usec");
        sb->io_read_base = u64(r, "io_read_base");
        sb->io_write_base = u64(r, "io_write_base");
        if (json_is_string(json_object_get(r, "cgroup_parent_dir")) &&
            !(sb->cg_cfg = sup_placement_restore(s, json_string_value(json_object_get(r, "cgroup_parent_dir")))))
                log_warn("Sandbox %s: out of memory for its cgroup placement", id);
        sup_probes_load(sb, r);
        if (json_is_integer(json_object_get(r, "takeover_fd")))
                sb->takeover_fd = (int)json_integer_value(json_object_get(r, "takeover_fd"));
        for (i = 0; i < 2; i++)
                if (json_is_integer(json_array_get(json_object_get(r, "kept_logs"), i)))
                        sb->kept_logs[i] = (int)json_integer_value(json_array_get(json_object_get(r, "kept_logs"), i));
        snprintf(sb->lost, sizeof(sb->lost), "%s", json_string_value(json_object_get(r, "lost")) ?: "");
        if ((v = json_object_get(r, "failure"))) {
                sb->failed = true;
                sbx_failure_from_json(v, &sb->failure);
        }
        if ((v = json_object_get(r, "final_stats"))) {
                sb->have_final_stats = true;
                stats_from_json(v, &sb->final_stats);
        }
        sb->landlock = kept(r, "landlock");
        sb->degraded = kept(r, "degraded");
        sb->mount_audit = kept(r, "mount_audit");
        sb->limits_not_applied = kept(r, "limits_not_applied");
        sb->context = kept(r, "context");
        if ((v = json_object_get(r, "rootfs"))) {
                sb->rootfs.source = bytes(json_object_get(v, "source"));
                sb->rootfs.attestation = kept(v, "attestation");
        }
        for (int k = 0; k < SUP_POLICY_MAX; k++) {
                const char *sha = json_string_value(json_object_get(json_object_get(r, "policies"), sup_policy_kinds[k].param));

                /* Init has the policy in force; what we keep is that there is one, and its hash. */
                if (sha && sup_sha256_hex_valid(sha)) {
                        sb->policies[k].json = json_true();
                        snprintf(sb->policies[k].sha256, sizeof(sb->policies[k].sha256), "%s", sha);
                }
        }
        json_array_foreach(json_object_get(r, "volumes"), i, v) {
                if (i >= SBX_VOLUMES_MAX)
                        break;
                sb->volumes[i] = (struct sup_volume){ .src_fd = -1, .tree_fd = -1, .source = bytes(json_object_get(v, "source")),
                                                      .dest = bytes(json_object_get(v, "dest")),
                                                      .readonly = json_is_true(json_object_get(v, "readonly")) };
                sb->nvolumes = i + 1;
        }
        json_array_foreach(json_object_get(r, "secrets"), i, v) {
                if (i >= SBX_SECRETS_MAX)
                        break;
                sb->secrets[i] = (struct sup_secret){ .fd = -1, .dest = bytes(json_object_get(v, "dest")) };
                sb->nsecrets = i + 1;
        }
        if (json_is_true(json_object_get(r, "detached"))) {
                const char *path = json_string_value(json_object_get(r, "log_file"));

                sb->detached = true;
                if (path)
                        sb->logs = sup_logs_recover(path);
        }
        uv_timer_init(&s->loop, &sb->timer);
        uv_timer_init(&s->loop, &sb->deadline);
        sb->timer.data = sb->deadline.data = sb;
        sb->open_handles = 2;
        if (sb->auto_remove) {
                struct sup_waiter *w = calloc(1, sizeof(*w));
                if (w) {
                        w->kind = SUP_WAIT_REMOVE;
                        sb->waiters = w;
                }
        }
        sb->state = state;
        if (!sup_state_live(state)) {
                s->nlive--;
                sb->reaped = sb->released = true;
        } else if (sup_uid_slot_claim(sb, (int)json_integer_value(json_object_get(r, "uid_slot"))) < 0)
                log_warn("Sandbox %s: its host id range is taken twice, ignoring", id);
        return sb;
}

static struct sup_sandbox *find(struct sup *s, const char *id)
{
        return sup_sandbox_by_id(s, id);
}

static void close_fds(int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
}

static void adopt(struct sup *s, const json_t *msg, int *fds, size_t nfds)
{
        const char *id = json_string_value(json_object_get(msg, "id"));
        bool reaped = json_is_true(json_object_get(msg, "reaped"));
        json_t *st = NULL;
        struct sup_sandbox *sb = NULL;

        if (!id || !nc_id_valid(id) || nfds < 2 || find(s, id)) {
                close_fds(fds, nfds);
                return;
        }
        if (sup_state_read(s, id, &st) == 0)
                sb = rebuild(s, id, st);
        json_decref(st);
        if (!sb || !sup_state_live(sb->state)) {
                /* Never started (the old loop died while creating it: its client's
                 * request failed with the connection), or its end is recorded already. */
                if (!sb)
                        log_info("Sandbox %s was still being created by the previous loop process; killing it", id);
                if (!reaped)
                        (void)syscall(SYS_pidfd_send_signal, fds[0], SIGKILL, NULL, 0);
                else
                        (void)sup_zygote_send(s, json_pack("{s:s, s:s}", "op", "forget", "id", id));
                if (!sb)
                        (void)sbx_cgroup_leaf_kill(s->cfg, id);
                close_fds(fds, nfds);
                return;
        }
        sup_sandbox_adopt(sb, (pid_t)json_integer_value(json_object_get(msg, "pid")), fds[0], fds[1],
                          nfds == 4 ? fds + 2 : NULL);
        log_info("Adopted sandbox %s (%s, pid %d)%s", id, sup_state_name(sb->state), (int)sb->pid,
                 reaped ? "; it ended while no loop process ran" : "");
        if (reaped)
                sup_sandbox_on_reaped(s, id, (int)json_integer_value(json_object_get(msg, "status")),
                                      !json_is_true(json_object_get(msg, "status_unknown")));
}

/* Level 2 (docs/restart.md): every nucleusd process died, and this is a new nucleusd.
 * A state file of a live sandbox names its init (pid and start time) and the
 * descriptors init keeps for us (sandbox/init.c): its pidfd, the takeover socket pair's
 * supervisor end, and for a detached sandbox the log pipes' read ends. The start time
 * is read after pidfd_open, so a pidfd for a process that merely reuses the pid is
 * never taken for init's. pidfd_getfd needs ptrace rights over init (non-dumpable):
 * host root. Returns 0 with fds filled (pidfd, ctl, log[2]; -1 when not detached), or
 * -1 with why; on failure every descriptor is closed again, and an init that is ours
 * but cannot be supervised is killed (its cgroup leaf may be elsewhere by now). */
static int reach(struct sup *s, struct sup_sandbox *sb, pid_t pid, int fds[4], char *why, size_t cap)
{
        uint64_t start = 0;
        bool verified = false;
        struct stat st;
        int type = 0;
        socklen_t len = sizeof(type);

        fds[0] = fds[1] = fds[2] = fds[3] = -1;
        if (pid <= 0 || !sb->init_start || sb->takeover_fd < 0 || (sb->detached && sb->kept_logs[0] < 0)) {
                snprintf(why, cap, "its state file has no takeover information (written by an older nucleusd?)");
                return -1;
        }
        fds[0] = (int)syscall(SYS_pidfd_open, pid, 0);
        if (fds[0] < 0) {
                snprintf(why, cap, "its init (pid %d) ended while no nucleusd ran; exit status unknown", (int)pid);
                return -1;
        }
        if (nc_proc_start_time(pid, &start) < 0 || start != sb->init_start) {
                snprintf(why, cap, "pid %d is another process now (its init ended while no nucleusd ran); exit status "
                         "unknown", (int)pid);
                goto fail;
        }
        verified = true;        /* our sandbox's init, for sure */
        struct pollfd dead = { .fd = fds[0], .events = POLLIN };
        if (poll(&dead, 1, 0) > 0) {
                /* A zombie its new parent has not reaped yet: its descriptors went with it. */
                snprintf(why, cap, "its init (pid %d) ended while no nucleusd ran; exit status unknown", (int)pid);
                goto fail;
        }
        if (sup_cg(sb)->cgroup_root[0]) {
                char leaf[PATH_MAX + NC_ID_LEN + 2];

                snprintf(leaf, sizeof(leaf), "%s/%s", sup_cg(sb)->cgroup_root, sb->id);
                if (stat(leaf, &st) < 0 || !S_ISDIR(st.st_mode)) {
                        snprintf(why, cap, "its cgroup leaf is gone");
                        goto fail;
                }
        }
        fds[1] = (int)syscall(SYS_pidfd_getfd, fds[0], sb->takeover_fd, 0);
        if (fds[1] < 0 || getsockopt(fds[1], SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET) {
                snprintf(why, cap, "init's takeover socket is unreachable (%s)", fds[1] < 0 ? strerror(errno) : "not a socket");
                goto fail;
        }
        for (int i = 0; sb->detached && i < 2; i++) {
                fds[2 + i] = (int)syscall(SYS_pidfd_getfd, fds[0], sb->kept_logs[i], 0);
                if (fds[2 + i] < 0 || fstat(fds[2 + i], &st) < 0 || !S_ISFIFO(st.st_mode)) {
                        snprintf(why, cap, "its log pipes are unreachable in init");
                        goto fail;
                }
        }
        /* Last: init drops its copy of our end (and exits now if its workload ended
         * meanwhile; the status is queued for us). */
        if (sbx_ctl_send_json(fds[1], json_pack("{s:s}", "op", "takeover"), NULL, 0) < 0) {
                snprintf(why, cap, "init does not answer on its takeover socket");
                goto fail;
        }
        return 0;
fail:
        if (verified)
                (void)syscall(SYS_pidfd_send_signal, fds[0], SIGKILL, NULL, 0);
        close_fds(fds, 4);
        fds[0] = fds[1] = fds[2] = fds[3] = -1;
        return -1;
}

static void take_over(struct sup *s, struct sup_sandbox *sb, const json_t *st)
{
        pid_t pid = (pid_t)json_integer_value(json_object_get(st, "init_pid"));
        char why[160];
        int fds[4];

        if (reach(s, sb, pid, fds, why, sizeof(why)) < 0) {
                sup_sandbox_lost(sb, why);
                return;
        }
        /* The zygote gets copies: our loop process may die too (level 1). */
        if (sup_zygote_send_fds(s, json_pack("{s:s, s:s, s:i}", "op", "foster", "id", sb->id, "pid", (int)pid), fds,
                                sb->detached ? 4 : 2) < 0)
                log_warn("Sandbox %s: the zygote did not take it; a restart of the loop process would lose it", sb->id);
        sup_sandbox_adopt(sb, pid, fds[0], fds[1], sb->detached ? fds + 2 : NULL);
        log_info("Took over sandbox %s (%s, init pid %d) from an earlier nucleusd", sb->id, sup_state_name(sb->state),
                 (int)pid);
}

/* After the adoptions: a state file nobody holds. Ended ones are records still to be
 * inspected, waited for, read and removed; live ones belonged to an earlier nucleusd
 * whose every process died: taken over when init is still there (take_over), else
 * ended with an unknown status. Never dropped silently. */
static void leftover(struct sup *s, const char *id, void *arg)
{
        size_t *taken = arg;
        enum sup_state state;
        json_t *st = NULL;
        struct sup_sandbox *sb;

        if (find(s, id))
                return;
        if (sup_state_read(s, id, &st) == 0 &&
            state_by_name(json_string_value(json_object_get(json_object_get(st, "restore"), "state")), &state) == 0 &&
            (sb = rebuild(s, id, st))) {
                if (sup_state_live(state)) {
                        take_over(s, sb, st);
                        *taken += 1;
                } else if (sb->auto_remove)
                        sup_sandbox_remove(sb);
                json_decref(st);
                return;
        }
        json_decref(st);
        /* Not a sandbox this version can rebuild. */
        log_warn("Removing sandbox %s left by a previous supervisor", id);
        sup_state_discard(s, id);
}

/* Leaves under our cgroup root that no sandbox owns: pool members of an nucleusd whose
 * every process died (their inits exit once nothing holds their control sockets; a
 * pool member has no state file), or a clone whose first loop process died before it
 * wrote one. Killed and removed; a leaf still emptying is retried briefly. */
static void sweep_leaves(struct sup *s)
{
        DIR *d = s->cfg->cgroup_root[0] ? opendir(s->cfg->cgroup_root) : NULL;
        struct dirent *de;
        char ids[64][NC_ID_LEN + 1];
        size_t n = 0;

        if (!d)
                return;
        while ((de = readdir(d))) {
                if (!nc_id_valid(de->d_name) || find(s, de->d_name))
                        continue;
                log_info("Removing cgroup leaf %s, which no sandbox owns (left by an earlier nucleusd)", de->d_name);
                if (sbx_cgroup_leaf_remove(s->cfg, de->d_name) == -EBUSY && n < ARRAY_SIZE(ids))
                        snprintf(ids[n++], sizeof(ids[0]), "%s", de->d_name);
        }
        closedir(d);
        for (int tries = 0; n > 0 && tries < 100; tries++) {
                size_t left = 0;

                (void)usleep(10000);
                for (size_t i = 0; i < n; i++)
                        if (sbx_cgroup_leaf_remove(s->cfg, ids[i]) == -EBUSY)
                                memmove(ids[left++], ids[i], sizeof(ids[0]));
                n = left;
        }
}

int sup_restore_run(struct sup *s)
{
        bool restart = false;
        size_t adopted = 0, taken = 0;
        uint64_t t0;

        for (;;) {
                struct pollfd p = { .fd = s->zyg_fd, .events = POLLIN };
                int fds[4] = { -1, -1, -1, -1 };
                size_t nfds = 4;
                json_t *msg = NULL;
                const char *op;
                int r;

                r = poll(&p, 1, RESTORE_WAIT_MS);
                if (r <= 0)
                        return r == 0 ? -ETIMEDOUT : -errno;
                r = sbx_ctl_recv_json(s->zyg_fd, &msg, fds, &nfds);
                if (r == -EAGAIN || r == -EINTR)
                        continue;
                if (r <= 0)
                        return r == 0 ? -EPIPE : r;
                op = json_string_value(json_object_get(msg, "op"));
                if (op && strcmp(op, "adopt") == 0) {
                        adopt(s, msg, fds, nfds);
                        adopted++;
                } else if (op && strcmp(op, "adopt_end") == 0) {
                        restart = json_is_true(json_object_get(msg, "restart"));
                        close_fds(fds, nfds);
                        json_decref(msg);
                        break;
                } else
                        close_fds(fds, nfds);
                json_decref(msg);
        }
        t0 = nc_monotonic_ns();
        sup_state_each(s, leftover, &taken);
        sweep_leaves(s);
        if (restart)
                log_info("Took over %zu sandboxes from the previous loop process (%zu live)", adopted, s->nlive);
        if (taken)
                log_info("Went through %zu live sandboxes of an earlier nucleusd in %.1f ms (%zu live now)", taken,
                         (double)(nc_monotonic_ns() - t0) / 1e6, s->nlive);
        return 0;
}
