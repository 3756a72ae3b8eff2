/* SPDX-License-Identifier: Apache-2.0 */
/* The health state machine, apart from any loop so that it can be tested alone:
 *
 *   starting ──pass──▶ healthy ◀──pass── unhealthy
 *      │                  │                  ▲
 *      └── `retries` failures in a row, ─────┘
 *          none of them in the start period
 *
 * As docker counts: a failure inside the start period is recorded but does not count
 * towards the retries (a slow start is not a failure), while a pass there makes the
 * sandbox healthy at once. A pass resets the failing streak. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum sup_health_status { SUP_HEALTH_STARTING, SUP_HEALTH_HEALTHY, SUP_HEALTH_UNHEALTHY };

struct sup_health_state {
        int status;                     /* enum sup_health_status */
        unsigned failing_streak;        /* failures in a row that counted */
        unsigned retries;
        uint64_t start_period_end_ms;   /* on the caller's clock */
};

const char *sup_health_status_name(int status);
void sup_health_init(struct sup_health_state *h, unsigned retries, uint64_t start_period_end_ms);
/* One probe's outcome at now_ms; returns the status after it. */
int sup_health_record(struct sup_health_state *h, bool passed, uint64_t now_ms);

/* --restart's backoff: 100 ms, doubled after each restart, at most 60 s; back to 100 ms
 * when the run that just ended lasted 10 s or more. ran_ms: that run's length; *step:
 * the restarts since the last reset, advanced. Returns the delay in ms. */
#define SUP_RESTART_BACKOFF_FIRST_MS 100u
#define SUP_RESTART_BACKOFF_MAX_MS 60000u
#define SUP_RESTART_STABLE_MS 10000u
uint64_t sup_restart_backoff(unsigned *step, uint64_t ran_ms);
