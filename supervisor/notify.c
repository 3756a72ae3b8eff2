/* SPDX-License-Identifier: Apache-2.0 */
/* systemd's service protocol, from the loop process (nucleus.service is Type=notify with
 * NotifyAccess=all: the main process is the zygote, but readiness and liveness are the
 * loop's). READY=1 once the API serves; STATUS= with the sandbox count, at most once a
 * second; WATCHDOG=1 at half of WatchdogSec when the unit sets it. The zygote reads
 * WATCHDOG_USEC for us (sd_watchdog_enabled checks WATCHDOG_PID against the caller,
 * and the zygote is the main PID), so a hung loop process is what the watchdog sees.
 * Without NOTIFY_SOCKET (not under systemd) this is all a no-op. */
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "sup.h"

#define STATUS_INTERVAL_MS 1000

static void on_tick(uv_timer_t *t)
{
        struct sup *s = t->data;
        uint64_t now = uv_now(&s->loop);

        if (s->opt->watchdog_usec && now >= s->notify_next_watchdog) {
                (void)sd_notify(0, "WATCHDOG=1");
                s->notify_next_watchdog = now + s->opt->watchdog_usec / 2000;
        }
        if (s->nlive != s->notify_last_live || s->nsandboxes != s->notify_last_total) {
                s->notify_last_live = s->nlive;
                s->notify_last_total = s->nsandboxes;
                (void)sd_notifyf(0, "STATUS=%zu sandboxes running, %zu in all", s->nlive, s->nsandboxes);
        }
}

void sup_notify_ready(struct sup *s)
{
        uint64_t tick = STATUS_INTERVAL_MS;

        if (!getenv("NOTIFY_SOCKET"))
                return;
        (void)sd_notifyf(0, "READY=1\nSTATUS=%zu sandboxes running, %zu in all", s->nlive, s->nsandboxes);
        s->notify_last_live = s->nlive;
        s->notify_last_total = s->nsandboxes;
        if (s->opt->watchdog_usec) {
                (void)sd_notify(0, "WATCHDOG=1");
                if (s->opt->watchdog_usec / 2000 < tick)
                        tick = s->opt->watchdog_usec / 2000 ? s->opt->watchdog_usec / 2000 : 1;
                s->notify_next_watchdog = uv_now(&s->loop) + s->opt->watchdog_usec / 2000;
        }
        uv_timer_init(&s->loop, &s->notify_timer);
        s->notify_timer.data = s;
        uv_timer_start(&s->notify_timer, on_tick, tick, tick);
        uv_unref((uv_handle_t *)&s->notify_timer);      /* never what keeps the loop alive */
        log_debug("Told systemd we are ready (watchdog %llu us)", (unsigned long long)s->opt->watchdog_usec);
}

void sup_notify_stopping(struct sup *s)
{
        (void)s;
        if (getenv("NOTIFY_SOCKET"))
                (void)sd_notify(0, "STOPPING=1");
}
