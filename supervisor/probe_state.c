/* SPDX-License-Identifier: Apache-2.0 */
/* The health state machine (probe_state.h). No loop, no allocation. */
#include "probe_state.h"

const char *sup_health_status_name(int status)
{
        switch (status) {
        case SUP_HEALTH_STARTING: return "starting";
        case SUP_HEALTH_HEALTHY: return "healthy";
        case SUP_HEALTH_UNHEALTHY: return "unhealthy";
        default: return "unknown";
        }
}

void sup_health_init(struct sup_health_state *h, unsigned retries, uint64_t start_period_end_ms)
{
        *h = (struct sup_health_state){ .status = SUP_HEALTH_STARTING, .retries = retries ? retries : 1,
                                        .start_period_end_ms = start_period_end_ms };
}

uint64_t sup_restart_backoff(unsigned *step, uint64_t ran_ms)
{
        uint64_t ms;

        if (ran_ms >= SUP_RESTART_STABLE_MS)
                *step = 0;
        if (*step >= 20)        /* far past the cap; keeps the shift defined */
                return SUP_RESTART_BACKOFF_MAX_MS;
        ms = (uint64_t)SUP_RESTART_BACKOFF_FIRST_MS << *step;
        if (ms >= SUP_RESTART_BACKOFF_MAX_MS)
                return SUP_RESTART_BACKOFF_MAX_MS;
        (*step)++;
        return ms;
}

int sup_health_record(struct sup_health_state *h, bool passed, uint64_t now_ms)
{
        if (passed) {
                h->failing_streak = 0;
                h->status = SUP_HEALTH_HEALTHY;
                return h->status;
        }
        /* Still starting up: not held against it, unless it has been healthy already
         * (a sandbox that answered once is no longer starting). */
        if (h->status == SUP_HEALTH_STARTING && now_ms < h->start_period_end_ms)
                return h->status;
        if (h->failing_streak < UINT32_MAX)
                h->failing_streak++;
        if (h->failing_streak >= h->retries)
                h->status = SUP_HEALTH_UNHEALTHY;
        return h->status;
}
