/* SPDX-License-Identifier: Apache-2.0 */
/* --restart no|on-failure[:MAX]|always, --restart-on-unhealthy.
 *
 * The workload is started again by the sandbox's init, inside the same sandbox: the
 * id, name, namespaces, root, volumes, secrets, network and cgroup stay. (A new
 * sandbox could not be made from the same request: the caller's volume, secret and
 * context descriptors were consumed by the first claim.) With a policy, init does not
 * end when the workload exits: it reports {"op":"exit","restartable":true} and waits
 * for our decision, "restart" or "end". So the sandbox stays `running` between runs
 * (DESIGN.md's `exited -> running` edge is not used); `inspect` shows the restarts and
 * the last exit, and `restart` events mark each one.
 *
 * Backoff (sup_restart_backoff): 100 ms, doubled after each restart, at most 60 s; back
 * to 100 ms when the run before lasted 10 s or more (a stable workload that fails once
 * is restarted at once).
 * on-failure restarts after a non-zero exit or a signal, at most MAX times in all (as
 * docker counts); always restarts after any exit. A stop (API, timeout, the client
 * gone, nucleusd's shutdown) is never followed by a restart. */
#include <string.h>
#include <sys/wait.h>

#include "ctl.h"
#include "log.h"
#include "probe.h"


static void audit(struct sup_sandbox *sb, const char *event, json_t *fields)
{
        nc_audit_log_write(&sb->sup->audit, event, sb->id, sup_sandbox_name(sb), sb->owner_uid, fields);
}

static int send_init(struct sup_sandbox *sb, json_t *msg)
{
        if (sb->ctl < 0) {
                json_decref(msg);
                return -EBADF;
        }
        return sbx_ctl_send_json(sb->ctl, msg, NULL, 0);
}

static bool wants_restart(const struct sup_sandbox *sb, const struct sup_restart *rs, int status, const char **why)
{
        const struct nc_spec_restart *pol = &sb->spec->restart;
        bool failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);

        *why = NULL;
        if (sb->stop_requested || (sb->state != SUP_STATE_running && sb->state != SUP_STATE_paused)) {
                *why = "it is being stopped";
                return false;
        }
        if (pol->policy == NC_RESTART_ALWAYS)
                return true;
        if (pol->policy != NC_RESTART_ON_FAILURE || !failed) {
                *why = "it exited with status 0 (on-failure)";
                return false;
        }
        if (pol->max && rs->count >= pol->max) {
                *why = "it was restarted the most times on-failure:MAX allows";
                return false;
        }
        return true;
}

static void on_timer(uv_timer_t *t);

static void start_timer(struct sup_sandbox *sb, struct sup_restart *rs, uint64_t ms)
{
        if (!rs->timer_init) {
                uv_timer_init(&sb->sup->loop, &rs->timer);
                rs->timer.data = sb->probes;
                rs->timer_init = true;
                sb->open_handles++;
        }
        uv_timer_start(&rs->timer, on_timer, ms, 0);
}

static void on_timer(uv_timer_t *t)
{
        struct sup_probes *ps = t->data;
        struct sup_sandbox *sb = ps->sb;
        struct sup_restart *rs = &ps->restart;

        if (ps->stopped)
                return;
        if (rs->killing) {
                /* An unhealthy workload that ignored SIGTERM for the whole grace period. */
                log_info("The unhealthy workload of sandbox %s did not stop in time, killing it", sb->id);
                (void)send_init(sb, json_pack("{s:s, s:i}", "op", "kill_workload", "signal", SIGKILL));
                return;
        }
        if (!rs->waiting || sb->stop_requested)
                return;
        rs->count++;
        if (send_init(sb, json_pack("{s:s}", "op", "restart")) < 0)
                log_warn("Failed to ask the init of sandbox %s for a restart, ignoring", sb->id);
}

static bool on_exit_restartable(struct sup_sandbox *sb, int status)
{
        struct sup_probes *ps = sup_probes_get(sb);
        struct sup_restart *rs;
        const char *why;
        uint64_t now = nc_monotonic_ns(), ran_ms;

        if (!ps) {
                (void)send_init(sb, json_pack("{s:s}", "op", "end"));
                return false;
        }
        rs = &ps->restart;
        if (rs->killing) {
                rs->killing = false;
                uv_timer_stop(&rs->timer);
        }
        if (!wants_restart(sb, rs, status, &why)) {
                /* The end: init exits with this status, and the sandbox ends as without a
                 * policy (the caller records the status). */
                if (rs->count)
                        log_info("Sandbox %s: not restarting its workload (exit code %d): %s", sb->id,
                                 nc_exit_code_from_wstatus(status), why);
                (void)send_init(sb, json_pack("{s:s}", "op", "end"));
                return false;
        }
        rs->last_status = status;
        rs->have_last = true;
        rs->last_exit_ns = nc_now_ns();
        uint64_t started = rs->run_started_ns ? rs->run_started_ns : sb->t_started;
        ran_ms = started && now > started ? (now - started) / 1000000 : SUP_RESTART_STABLE_MS;
        rs->next_ms = sup_restart_backoff(&rs->step, ran_ms);
        rs->waiting = true;
        log_info("Sandbox %s: its workload exited (exit code %d); restarting it in %llu ms (restart %u)", sb->id,
                 nc_exit_code_from_wstatus(status), (unsigned long long)rs->next_ms, rs->count + 1);
        sup_probes_suspend(sb);
        (void)sup_state_write(sb);      /* a restarted loop process goes on with the backoff */
        sup_event_emit_probe(sb, "restart", "running", "waiting");
        start_timer(sb, rs, rs->next_ms);
        return true;
}

void sup_restart_resume(struct sup_sandbox *sb)
{
        struct sup_probes *ps = sb->probes;

        /* The whole backoff again: when the old one started is not kept. */
        if (ps && ps->restart.waiting && !ps->restart.timer_init)
                start_timer(sb, &ps->restart, ps->restart.next_ms ? ps->restart.next_ms : SUP_RESTART_BACKOFF_FIRST_MS);
}

static void on_restarted(struct sup_sandbox *sb, const json_t *msg)
{
        struct sup_probes *ps = sup_probes_get(sb);
        struct sup_restart *rs;

        if (!ps)
                return;
        rs = &ps->restart;
        rs->waiting = false;
        rs->run_started_ns = nc_monotonic_ns();
        sb->workload_pid = (pid_t)json_integer_value(json_object_get(msg, "pid"));
        audit(sb, "container_restart", json_pack("{s:i, s:i, s:I}", "restarts", (int)rs->count, "exit_code",
                                                   nc_exit_code_from_wstatus(rs->last_status), "backoff_ms",
                                                   (json_int_t)rs->next_ms));
        (void)sup_state_write(sb);
        sup_event_emit_probe(sb, "restart", "waiting", "running");
        sup_probes_restarted(sb);
}

bool sup_restart_on_message(struct sup_sandbox *sb, const char *op, const json_t *msg)
{
        if (strcmp(op, "exit") == 0 && json_is_true(json_object_get(msg, "restartable")))
                return on_exit_restartable(sb, (int)json_integer_value(json_object_get(msg, "status")));
        if (strcmp(op, "restarted") == 0) {
                on_restarted(sb, msg);
                return true;
        }
        return false;
}

void sup_restart_unhealthy(struct sup_sandbox *sb)
{
        struct sup_probes *ps = sb->probes;

        if (!sb->spec->restart.on_unhealthy || !ps || ps->restart.waiting || ps->restart.killing ||
            sb->state != SUP_STATE_running)
                return;
        log_info("Sandbox %s is unhealthy; stopping its workload to restart it (--restart-on-unhealthy)", sb->id);
        audit(sb, "container_unhealthy_stop", json_pack("{s:i}", "failing_streak", (int)ps->hs.failing_streak));
        ps->restart.killing = true;
        (void)send_init(sb, json_pack("{s:s, s:i}", "op", "kill_workload", "signal", SIGTERM));
        start_timer(sb, &ps->restart, SUP_STOP_TIMEOUT_MS);
}

void sup_restart_inspect(const struct sup_sandbox *sb, json_t *j)
{
        const struct sup_probes *ps = sb->probes;
        const struct nc_spec_restart *pol = &sb->spec->restart;
        json_t *r;

        if (pol->policy == NC_RESTART_NO) {
                json_object_set_new(j, "restart", json_null());
                return;
        }
        r = json_pack("{s:s, s:i, s:b, s:i, s:b}", "policy", nc_restart_policy_name(pol->policy), "max", (int)pol->max,
                      "on_unhealthy", pol->on_unhealthy, "count", ps ? (int)ps->restart.count : 0, "waiting",
                      ps && ps->restart.waiting);
        if (ps && ps->restart.have_last) {
                char ts[64];

                nc_format_rfc3339(ps->restart.last_exit_ns, ts);
                json_object_set_new(r, "last_exit", json_pack("{s:i, s:s}", "exit_code",
                                                              nc_exit_code_from_wstatus(ps->restart.last_status), "at", ts));
                if (WIFSIGNALED(ps->restart.last_status))
                        json_object_set_new(json_object_get(r, "last_exit"), "signal",
                                            json_string(nc_signal_name(WTERMSIG(ps->restart.last_status))));
        }
        if (ps && ps->restart.waiting)
                json_object_set_new(r, "backoff_ms", json_integer((json_int_t)ps->restart.next_ms));
        json_object_set_new(j, "restart", r);
}
