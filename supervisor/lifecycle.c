/* SPDX-License-Identifier: Apache-2.0 */
#include "lifecycle.h"

#include <stddef.h>

static const char *const names[] = {
#define STATE(n) [SUP_STATE_##n] = #n,
#define EDGE(a, b)
#include "lifecycle.def"
#undef STATE
#undef EDGE
};

static const struct { enum sup_state from, to; } edges[] = {
#define STATE(n)
#define EDGE(a, b) { SUP_STATE_##a, SUP_STATE_##b },
#include "lifecycle.def"
#undef STATE
#undef EDGE
};

const char *sup_state_name(enum sup_state s)
{
        return s < _SUP_STATE_MAX ? names[s] : "invalid";
}

bool sup_state_can(enum sup_state from, enum sup_state to)
{
        for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
                if (edges[i].from == from && edges[i].to == to)
                        return true;
        return false;
}
