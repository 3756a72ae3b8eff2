/* SPDX-License-Identifier: Apache-2.0 */
/* The C half of fuzz_toml: the JSON nucleus-toml2json printed, decoded as nucleusd
 * decodes a capability and a Landlock policy. (The sandbox headers are C only.) */
#include <stddef.h>

#include "caps.h"
#include "landlock.h"

int fuzz_toml_decode(const char *json, size_t len);

/* -1 when jansson refuses the JSON (a bug in the converter), else 0. */
int fuzz_toml_decode(const char *json, size_t len)
{
        struct nc_err err = { { 0 } };
        struct sbx_caps_policy caps;
        struct sbx_landlock_policy ll;
        json_error_t jerr;
        json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);

        if (!j)
                return -1;
        (void)sbx_caps_policy_from_json(j, &caps, &err);
        if (sbx_landlock_policy_from_json(j, &ll, &err) == 0)
                sbx_landlock_policy_done(&ll);
        json_decref(j);
        return 0;
}
