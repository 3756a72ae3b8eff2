/* SPDX-License-Identifier: Apache-2.0 */
/* Capabilities of the workload: every set empty, the bounding set included. */
#pragma once

#include <sys/capability.h>

#include "sandbox.h"

/* Allocates the empty set libcap applies later; run in init before fork, because the
 * child between fork and exec must not allocate. */
int sbx_caps_prepare(cap_t *ret);
/* In the child. The order is the kernel's: the bounding set goes first (dropping it
 * needs CAP_SETPCAP), then the caller changes identity (which needs CAP_SETUID/SETGID),
 * then sbx_caps_clear empties every other set and verifies that nothing is left. */
int sbx_caps_drop_bounding(struct sbx_failure *fail);
int sbx_caps_clear(cap_t empty, struct sbx_failure *fail);
