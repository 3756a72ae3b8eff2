/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "sandbox.h"

/* Defaults of agent mode; the service-modes work makes them settable per sandbox. */
#define SBX_RLIMIT_NOFILE 1024
#define SBX_RLIMIT_NPROC 512
#define SBX_RLIMIT_MEMLOCK (64 * 1024)

/* In the child, before exec: lowers NOFILE, NPROC, MEMLOCK and CORE (never raises a
 * hard limit the supervisor itself runs under). */
int sbx_rlimits_apply(struct sbx_failure *fail);
