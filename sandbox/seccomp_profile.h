/* SPDX-License-Identifier: Apache-2.0 */
/* Seccomp profiles in the OCI format (the seed's `--seccomp-profile FILE`):
 *
 *   {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
 *    "architectures": ["SCMP_ARCH_X86_64"],
 *    "syscalls": [{"names": ["read", ...], "action": "SCMP_ACT_ALLOW",
 *                  "args": [{"index": 0, "value": 1, "valueTwo": 0, "op": "SCMP_CMP_EQ"}],
 *                  "errnoRet": 1}]}
 *
 * Unlike the seed, defaultAction and args are honoured. A profile cannot make Nucleus
 * weaker than its own rules: it may allow only calls that the default allows or that
 * the opt-in list offers, and the argument checks on clone, socket, ioctl, prctl,
 * prlimit64, mprotect and personality always apply (allowing one of them allows it with
 * Nucleus's checks). The supervisor validates; init compiles. */
#pragma once

#include <jansson.h>

#include "err.h"
#include "seccomp_filter.h"

#define SBX_SECCOMP_PROFILE_MAX (256 * 1024)

/* Every error names the member (syscalls[3].names[1]) and what would be accepted. */
int sbx_seccomp_profile_validate(const json_t *profile, struct nc_err *err);
/* The profile plus opt-ins (NULL-terminated, may be NULL), compiled to BPF, with the
 * argument rules' variant flags (SBX_SECCOMP_*). Allocates. */
int sbx_seccomp_profile_compile(const json_t *profile, const char *const *optin, unsigned flags,
                                struct sbx_seccomp_prog *ret, struct nc_err *err);
