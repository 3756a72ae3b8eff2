/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "sandbox.h"

/* Defaults of agent mode; the service-modes work makes them settable per sandbox. */
#define SBX_RLIMIT_NOFILE 1024
#define SBX_RLIMIT_NPROC 512
#define SBX_RLIMIT_MEMLOCK (64 * 1024)

#include "spec.h"

/* In the child, before exec: sets NOFILE, NPROC, MEMLOCK and CORE to the spec's values
 * or the defaults. Never above the hard limit the supervisor itself runs under (the
 * supervisor refuses such a spec before anything starts). */
int sbx_rlimits_apply(const struct nc_spec_rlimits *want, struct sbx_failure *fail);
/* The value that applies: the spec's, else the default. */
long long sbx_rlimit_effective(const struct nc_spec_rlimits *want, int resource);
