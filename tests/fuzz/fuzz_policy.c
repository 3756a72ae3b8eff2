/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the three policy loaders on the same JSON: the seccomp profile (validated,
 * then compiled to BPF, which must succeed for anything that validated), the
 * capability policy and the Landlock policy. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "caps.h"
#include "landlock.h"
#include "seccomp_profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct nc_err err = { { 0 } };
        struct sbx_seccomp_prog prog = { 0 };
        struct sbx_caps_policy caps;
        struct sbx_landlock_policy ll;
        json_error_t jerr;
        json_t *p;

        if (size > SBX_SECCOMP_PROFILE_MAX)
                return 0;
        p = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
        if (!p)
                return 0;
        if (sbx_seccomp_profile_validate(p, &err) == 0) {
                if (sbx_seccomp_profile_compile(p, NULL, 0, &prog, &err) != 0)
                        __builtin_trap();
                free(prog.insns);
        }
        (void)sbx_caps_policy_from_json(p, &caps, &err);
        if (sbx_landlock_policy_from_json(p, &ll, &err) == 0)
                sbx_landlock_policy_done(&ll);
        json_decref(p);
        return 0;
}
