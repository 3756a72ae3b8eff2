/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the seccomp profile loader: JSON in, validation, and for every profile that
 * validates, compilation to BPF (which must then succeed: validation is the contract). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "seccomp_profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct nc_err err = { { 0 } };
        struct sbx_seccomp_prog prog = { 0 };
        json_error_t jerr;
        json_t *p;

        if (size > SBX_SECCOMP_PROFILE_MAX)
                return 0;
        p = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
        if (!p)
                return 0;
        if (sbx_seccomp_profile_validate(p, &err) == 0) {
                if (sbx_seccomp_profile_compile(p, NULL, &prog, &err) != 0)
                        __builtin_trap();
                free(prog.insns);
        }
        json_decref(p);
        return 0;
}
