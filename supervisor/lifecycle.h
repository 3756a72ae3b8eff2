/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

enum sup_state {
#define STATE(n) SUP_STATE_##n,
#define EDGE(a, b)
#include "lifecycle.def"
#undef STATE
#undef EDGE
        _SUP_STATE_MAX,
};

const char *sup_state_name(enum sup_state s);
bool sup_state_can(enum sup_state from, enum sup_state to);
/* Live: has (or will have) processes. */
static inline bool sup_state_live(enum sup_state s)
{
        return s == SUP_STATE_creating || s == SUP_STATE_running || s == SUP_STATE_paused || s == SUP_STATE_stopping;
}
