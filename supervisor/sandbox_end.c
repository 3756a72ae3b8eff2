/* SPDX-License-Identifier: Apache-2.0 */
/* The end of one sandbox, as seen from the loop, in two steps:
 *
 *   record  at init's final report of the workload's status (init has killed and
 *           reaped everything else in the sandbox), or at init's reap when that report
 *           never came; for a detached sandbox once its output is drained: state,
 *           usage, the result to the creator and the waiters, a --rm record removed.
 *   release at init's reap (its exit takes the namespaces down, after the reply): the
 *           host id range, the zygote's entry, the cgroup leaf, the network; then the
 *           rest of a removal (handles closed, the record freed). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "probe.h"
#include "seccomp_trace.h"
#include "sup.h"

#define REMOVE_RETRY_MS 10
#define REMOVE_MAX_TRIES 500

static int exit_code_for_failure(const struct sbx_failure *f)
{
        if (strcmp(f->stage, "exec") != 0)
                return 125;
        return f->err == ENOENT || f->err == ENOTDIR ? 127 : 126;
}

static void reply_waiters(struct sup_sandbox *sb, bool removal)
{
        struct sup_waiter **pp = &sb->waiters;

        while (*pp) {
                struct sup_waiter *w = *pp;

                if ((w->kind == SUP_WAIT_REMOVE) != removal) {
                        pp = &w->next;
                        continue;
                }
                *pp = w->next;
                sup_conn_reply(w->conn, w->id, removal ? json_pack("{s:s}", "id", sb->id) : sup_sandbox_result(sb));
                sup_conn_pending_done(w->conn);
                json_decref(w->id);
                free(w);
        }
}

static bool has_remove_waiter(const struct sup_sandbox *sb)
{
        for (const struct sup_waiter *w = sb->waiters; w; w = w->next)
                if (w->kind == SUP_WAIT_REMOVE)
                        return true;
        return false;
}

/* The end, recorded and answered as soon as it is known (sup_sandbox_maybe_finalize): state,
 * usage, the result to the creator and the waiters. */
static void record_end(struct sup_sandbox *sb)
{
        /* Before any reply: a caller that waited reads the trace next. */
        sup_trace_finish(sb);
        if (sb->ctl_polling) {
                uv_poll_stop(&sb->ctl_poll);
                sb->ctl_polling = false;
        }
        if (sb->client_polling) {
                uv_poll_stop(&sb->client_poll);
                sb->client_polling = false;
        }
        if (sb->oom_polling) {
                /* An OOM reported at the very end is still in the eventfd. */
                uint64_t n;
                if (read(sb->oom_efd, &n, sizeof(n)) == sizeof(n))
                        sb->oom_event = true;
                uv_poll_stop(&sb->oom_poll);
                sb->oom_polling = false;
        }
        uv_timer_stop(&sb->timer);
        uv_timer_stop(&sb->deadline);
        sup_probes_stop(sb);
        if (sb->tty_master >= 0) {
                /* The workload is gone; attached clients hold their own copies. */
                close(sb->tty_master);
                sb->tty_master = -1;
        }
        /* A sandbox that failed before its claim still holds the caller's stdio: a
         * caller reading our end of its pipe (out=$(nucleus run ...)) would wait for
         * EOF until the sandbox is removed. */
        for (int i = 0; i < 3; i++)
                if (sb->stdio[i] >= 0) {
                        close(sb->stdio[i]);
                        sb->stdio[i] = -1;
                }
        /* Usage at the end (peak memory, CPU time, OOM kills), read before the cgroup goes. */
        if (sup_sandbox_usage(sb, &sb->final_stats) == 0)
                sb->have_final_stats = true;
        /* Our group kill may beat the kernel's OOM killer to it: that is an OOM kill too. */
        if (sb->oom_event && sb->have_final_stats && sb->final_stats.oom_kills == 0)
                sb->final_stats.oom_kills = 1;
        if (sb->failed)
                sb->wstatus = W_EXITCODE(exit_code_for_failure(&sb->failure), 0);
        else if (sb->lost[0] && !sb->have_status)
                sb->wstatus = W_EXITCODE(255, 0);
        else if (!sb->have_status)
                /* The loop missed init's report, or init itself was killed (SIGKILL from
                 * outside): init's exit status encodes the workload's (sandbox/init.c). */
                sb->wstatus = sb->init_status;
        sb->finished_ns = nc_now_ns();
        if (sb->failed && sb->started_ns == 0)
                (void)sup_sandbox_set_state(sb, SUP_STATE_failed);
        else {
                if (sb->state == SUP_STATE_creating)
                        (void)sup_sandbox_set_state(sb, SUP_STATE_stopping);
                (void)sup_sandbox_set_state(sb, SUP_STATE_exited);
        }
        if (sup_state_live(sb->state)) {      /* a table bug; never leave it counted live */
                sb->state = SUP_STATE_failed;
                sb->sup->nlive--;
        }
        (void)sup_state_write(sb);

        if (sb->create_conn) {
                if (sb->failed) {
                        json_t *data = sbx_failure_to_json(&sb->failure);

                        json_object_set_new(data, "id", json_string(sb->id));
                        json_object_set_new(data, "exit_code", json_integer(nc_exit_code_from_wstatus(sb->wstatus)));
                        sup_conn_error(sb->create_conn, sb->create_id, NC_RPC_SPAWN_FAILED, data, "%s", sb->failure.msg);
                } else
                        sup_conn_reply(sb->create_conn, sb->create_id, sup_sandbox_result(sb));
                json_decref(sb->create_id);
                sb->create_id = NULL;
                sb->create_conn = NULL;
        }
        reply_waiters(sb, false);
        sb->t_finished = nc_monotonic_ns();
        /* --rm: gone for its caller as soon as the result is (the name is free again). */
        if (has_remove_waiter(sb))
                sup_sandbox_remove(sb);
}

/* init is reaped: let go of what the sandbox held. */
static void release(struct sup_sandbox *sb)
{
        sb->released = true;
        sup_uid_slot_release(sb);
        /* Recorded: the zygote may let go of init's entry now. */
        if (sb->pid > 0)
                (void)sup_zygote_send(sb->sup, json_pack("{s:s, s:s}", "op", "forget", "id", sb->id));
        /* Processes are gone: release the cgroup leaf now (after the replies: six
         * rmdirs on a v1 host); `rm` retries if the kernel is still tearing tasks down. */
        (void)sbx_cgroup_leaf_remove(sup_cg(sb), sb->id);
        sup_logs_pump(sb);      /* followers get their last records and the end */
        sup_execs_end(sb);      /* they died with the sandbox's pid namespace */
        /* After the replies: deleting the veth waits for the kernel to unregister it (tens
         * of ms); the lease and the ports stay taken until this is done. */
        sup_network_release(sb);
        if (has_remove_waiter(sb))
                sup_sandbox_remove(sb);
        sup_idle_check(sb->sup);
}

/* The end is known at init's final report: init killed and reaped everything else in
 * the sandbox before sending it, so nothing inside can act after the reply (a leftover
 * writing to the caller's terminal). Or at init's reap, when that report never came.
 * The final event goes out only once stdout and stderr are drained to the end. What
 * the sandbox holds is let go at the reap: init's exit takes its namespaces down, which
 * is the kernel's work (milliseconds, the mounts' above all) and nobody's answer waits
 * for it. */
void sup_sandbox_maybe_finalize(struct sup_sandbox *sb)
{
        if (!sb->finished_ns && (sb->reaped || (sb->have_status && sb->status_final)) && sb->log_fd[0] < 0 &&
            sb->log_fd[1] < 0)
                record_end(sb);
        if (sb->finished_ns && sb->reaped && !sb->released)
                release(sb);
}

void sup_sandbox_on_reaped(struct sup *s, const char *id, int status, bool known)
{
        struct sup_sandbox *sb = sup_sandbox_by_id(s, id);

        if (!sb || sb->released) {
                /* One we gave up on (a clone nobody wanted, or left by a loop process
                 * that died before recording it): nothing to record. */
                if (!sb)
                        (void)sbx_cgroup_leaf_remove(s->cfg, id);
                (void)sup_zygote_send(s, json_pack("{s:s, s:s}", "op", "forget", "id", id));
                return;
        }
        sb->reaped = true;
        sb->init_status = status;
        sb->t_reaped = nc_monotonic_ns();
        if (sb->ctl >= 0)
                (void)sup_sandbox_drain_ctl(sb);
        if (!known && !sb->have_status && !sb->failed)
                snprintf(sb->lost, sizeof(sb->lost), "init ended without reporting the workload's status, and the kernel "
                         "gave none (PIDFD_GET_INFO needs Linux 6.15)");
        if (sb->pidfd >= 0) {
                close(sb->pidfd);
                sb->pidfd = -1;
        }
        if (sb->detached) {
                /* init is gone, so its namespace is; whatever escaped it dies with the
                 * cgroup. Then the pipes reach EOF. */
                (void)sbx_cgroup_leaf_kill(sup_cg(sb), sb->id);
                for (int i = 0; i < 2; i++)
                        if (sb->log_fd[i] >= 0)
                                (void)sup_sandbox_log_read(sb, i, 1 << 20);
                sup_logs_pump(sb);
        }
        sup_sandbox_maybe_finalize(sb);
}

void sup_sandbox_on_ending(struct sup *s, const char *id)
{
        struct sup_sandbox *sb = sup_sandbox_by_id(s, id);

        if (!sb || sb->released || sb->reaped)
                return;
        if (sb->ctl >= 0)
                (void)sup_sandbox_drain_ctl(sb);
        /* init reported the exact status before it exited: no need to wait for the
         * host's init to reap it (the zygote's "forget" drops its entry). */
        if (sb->have_status)
                sup_sandbox_on_reaped(s, id, sb->wstatus, true);
}

void sup_sandbox_lost(struct sup_sandbox *sb, const char *why)
{
        log_warn("Sandbox %s cannot be taken over: %s; recording its end with an unknown status", sb->id, why);
        snprintf(sb->lost, sizeof(sb->lost), "not taken over after nucleusd restarted: %s", why);
        sb->reaped = true;
        sb->pid = -1;
        /* Whatever still runs in its cgroup is ours and unsupervised. */
        (void)sbx_cgroup_leaf_kill(sup_cg(sb), sb->id);
        sup_sandbox_maybe_finalize(sb);
}

void sup_sandbox_on_zygote_failed(struct sup *s, const char *id, const json_t *msg)
{
        struct sup_sandbox *sb = sup_sandbox_by_id(s, id);
        struct sbx_failure f;

        if (!sb)
                return;
        sbx_failure_from_json(msg, &f);
        sup_sandbox_fail(sb, &f);
        /* Nothing ever ran: nothing can write to the pipes (we hold their write ends). */
        for (int i = 0; i < 2; i++)
                if (sb->log_fd[i] >= 0)
                        sup_sandbox_log_close(sb, i);
        sb->reaped = true;
        sup_sandbox_maybe_finalize(sb);
}

void sup_sandbox_unref(struct sup_sandbox *sb)
{
        if (--sb->open_handles > 0)
                return;
        reply_waiters(sb, true);
        sup_event_emit(sb, "removing", "removed");
        if (sb->client_pidfd >= 0)
                close(sb->client_pidfd);
        if (sb->ctl >= 0)
                close(sb->ctl);
        struct sup *s = sb->sup;
        sup_sandbox_unlink_free(sb);
        sup_idle_check(s);
}

void sup_sandbox_on_handle_closed(uv_handle_t *h)
{
        sup_sandbox_unref(h->data);
}

static void close_handles(struct sup_sandbox *sb)
{
        uv_close((uv_handle_t *)&sb->timer, sup_sandbox_on_handle_closed);
        uv_close((uv_handle_t *)&sb->deadline, sup_sandbox_on_handle_closed);
        for (int i = 0; i < 2; i++)
                if (sb->log_poll[i].data && !uv_is_closing((uv_handle_t *)&sb->log_poll[i]))
                        uv_close((uv_handle_t *)&sb->log_poll[i], sup_sandbox_on_handle_closed);
        if (sb->ctl_poll.data)
                uv_close((uv_handle_t *)&sb->ctl_poll, sup_sandbox_on_handle_closed);
        if (sb->client_poll.data)
                uv_close((uv_handle_t *)&sb->client_poll, sup_sandbox_on_handle_closed);
        if (sb->oom_poll.data)
                uv_close((uv_handle_t *)&sb->oom_poll, sup_sandbox_on_handle_closed);
        (void)sup_trace_close(sb, sup_sandbox_on_handle_closed);
        sup_probes_close(sb, sup_sandbox_on_handle_closed);
}

static void on_remove_retry(uv_timer_t *t)
{
        struct sup_sandbox *sb = t->data;
        int r = sbx_cgroup_leaf_remove(sup_cg(sb), sb->id);

        if (r == -EBUSY && ++sb->remove_tries < REMOVE_MAX_TRIES) {
                uv_timer_start(&sb->timer, on_remove_retry, REMOVE_RETRY_MS, 0);
                return;
        }
        if (r < 0)
                log_warn_errno(r, "Failed to remove cgroup leaf of sandbox %s, ignoring", sb->id);
        close_handles(sb);
}

static int remove_record(struct sup_sandbox *sb);

/* In two steps: the record goes at once (invisible, its name free, its files gone);
 * the cgroup leaf and the handles once init is reaped (release() calls again). */
void sup_sandbox_remove(struct sup_sandbox *sb)
{
        if (!sb->removed && remove_record(sb) < 0)
                return;
        if (sb->released && !sb->remove_started) {
                sb->remove_started = true;
                on_remove_retry(&sb->timer);
        }
}

static int remove_record(struct sup_sandbox *sb)
{
        int r;

        if (sup_sandbox_set_state(sb, SUP_STATE_removing) < 0)
                return -EINVAL;
        sb->removed = true;    /* invisible to lookups from now on */
        sup_sandbox_unindex_name(sb);
        /* Readers still behind (their connections congested) learn that the rest is
         * gone rather than waiting forever. */
        while (sb->subs) {
                struct sup_log_sub *sub = sb->subs;

                sb->subs = sub->next;
                sup_conn_error(sub->conn, sub->id, NC_RPC_NOT_FOUND, json_pack("{s:I}", "next_seq", (json_int_t)sub->next_seq),
                               "sandbox %s was removed while this reader was behind, from record %llu on", sb->id,
                               (unsigned long long)sub->next_seq);
                sup_conn_pending_done(sub->conn);
                json_decref(sub->id);
                free(sub);
        }
        r = sup_state_remove(sb->sup, sb->id);
        if (r < 0)
                log_warn_errno(r, "Failed to remove the state file of sandbox %s, ignoring", sb->id);
        if (sb->logs) {
                char rotated[PATH_MAX + 16];

                (void)unlink(sb->logs->path);
                sup_logs_seq_path(sb->logs->path, rotated, sizeof(rotated));
                (void)unlink(rotated);
                for (int i = 1; i <= SUP_LOG_FILE_KEEP; i++) {
                        snprintf(rotated, sizeof(rotated), "%s.%d", sb->logs->path, i);
                        (void)unlink(rotated);
                }
        }
        return 0;
}
