/* SPDX-License-Identifier: Apache-2.0 */
/* Capabilities of the workload: every set empty, the bounding set included. */
#pragma once

#include <sys/capability.h>

#include "sandbox.h"

#include <jansson.h>
#include <stdint.h>

/* A capability policy (the seed's TOML, as JSON):
 *   {"bounding": {"keep": ["NET_BIND_SERVICE"]}, "ambient": {"keep": []},
 *    "effective": {"keep": []}, "inheritable": {"keep": []}}
 * Names with or without CAP_, any case. What the workload ends up with, as root of its
 * namespace, is the union of the four lists; inheritable includes ambient. Empty or
 * absent: every capability dropped (the default). */
struct sbx_caps_policy {
        uint64_t bounding, ambient, effective, inheritable;
};

/* Every error names the table, the entry and what is accepted. */
int sbx_caps_policy_from_json(const json_t *j, struct sbx_caps_policy *ret, struct nc_err *err);
uint64_t sbx_caps_policy_kept(const struct sbx_caps_policy *p);

/* Allocates the set libcap applies later (empty, or the policy's); run in init before
 * fork, because the child between fork and exec must not allocate. */
int sbx_caps_prepare(const struct sbx_caps_policy *policy, cap_t *ret);
/* In the child. The order is the kernel's: the bounding set goes first (dropping it
 * needs CAP_SETPCAP), then the caller changes identity (which needs CAP_SETUID/SETGID),
 * then sbx_caps_clear empties every other set and verifies that nothing is left. */
int sbx_caps_drop_bounding(const struct sbx_caps_policy *policy, struct sbx_failure *fail);
/* Sets the prepared sets, raises the policy's ambient capabilities, and verifies the
 * result against the policy: nothing more is left. */
int sbx_caps_clear(cap_t prepared, const struct sbx_caps_policy *policy, struct sbx_failure *fail);
