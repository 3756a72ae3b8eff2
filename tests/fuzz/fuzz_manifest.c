/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the parsers of file contents nucleusd reads from places a caller controls:
 * the rootfs attestation manifest (a file inside the caller's --rootfs) and the
 * mountinfo text of production's mount audit (the same bytes fed to both). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mount_audit.h"
#include "rootfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *vols[] = { "/data", "/run/x" };
        struct sbx_failure fail = { 0 };
        struct nc_err err = { { 0 } };
        size_t n;
        FILE *f;

        if (size > 1 << 20)
                return 0;
        (void)sbx_rootfs_manifest_check((const char *)data, size, &n, &err);
        if (size == 0)
                return 0;
        f = fmemopen((void *)data, size, "r");
        if (f) {
                (void)sbx_mount_audit_stream(f, vols, 2, &n, &fail);
                fclose(f);
        }
        return 0;
}
