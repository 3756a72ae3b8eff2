/* SPDX-License-Identifier: Apache-2.0 */
/* A sandbox's --rootfs on the supervisor side: the attestation before the start (on
 * libuv's thread pool: it reads every file, and the loop serves everyone else
 * meanwhile), and the detached trees after the clone. sandbox/rootfs.c does the work. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sup.h"

static void start_now(struct sup_sandbox *sb)
{
        int r = sup_sandbox_start(sb);

        if (r < 0)
                sup_sandbox_fail_before_clone(sb, "zygote", r, "Failed to ask the zygote for a sandbox");
}

static void attest_work(uv_work_t *w)
{
        struct sup_sandbox *sb = w->data;

        sb->rootfs.work_r = sbx_rootfs_attest(sb->rootfs.fd, &sb->rootfs.attestation, &sb->rootfs.work_err);
}

static void attest_done(uv_work_t *w, int status)
{
        struct sup_sandbox *sb = w->data;

        sb->open_handles--;     /* the reference attest_work held; handles keep it above 0 */
        if (status < 0) {
                sup_sandbox_fail_before_clone(sb, "rootfs", status, "the rootfs attestation was cancelled");
                return;
        }
        if (sb->rootfs.work_r < 0) {
                log_warn("Sandbox %s: %s", sb->id, sb->rootfs.work_err.msg);
                sup_sandbox_fail_before_clone(sb, "rootfs", sb->rootfs.work_r == -EBADMSG ? 0 : sb->rootfs.work_r,
                                              sb->rootfs.work_err.msg);
                return;
        }
        if (sb->stop_requested) {
                sup_sandbox_fail_before_clone(sb, "rootfs", ECANCELED, "stopped while its rootfs was being attested");
                return;
        }
        log_info("Sandbox %s: rootfs attested (%lld files)", sb->id,
                 (long long)json_integer_value(json_object_get(sb->rootfs.attestation, "files")));
        start_now(sb);
}

void sup_rootfs_start(struct sup_sandbox *sb)
{
        int r;

        if (sb->rootfs.fd < 0 || !sb->rootfs.attest) {
                start_now(sb);
                return;
        }
        sb->rootfs.work.data = sb;
        sb->open_handles++;
        r = uv_queue_work(&sb->sup->loop, &sb->rootfs.work, attest_work, attest_done);
        if (r < 0) {
                sb->open_handles--;
                sup_sandbox_fail_before_clone(sb, "rootfs", -r, "Failed to queue the rootfs attestation");
        }
}

int sup_rootfs_prepare(struct sup_sandbox *sb)
{
        struct nc_err err = { { 0 } };
        int r;

        if (sb->rootfs.fd < 0)
                return 0;
        /* Only a sandbox with a --rootfs needs room for its trees. */
        if (!sb->rootfs.entries && !(sb->rootfs.entries = calloc(SBX_ROOTFS_ENTRIES_MAX, sizeof(*sb->rootfs.entries))))
                r = nc_err_set_errno(&err, -ENOMEM, "out of memory");
        else
                r = sbx_rootfs_prepare(sb->rootfs.fd, sb->pid, sb->owner_uid, sb->owner_gid, sb->uid_base, sb->rootfs.entries, &sb->rootfs.nentries, &err);
        close(sb->rootfs.fd);
        sb->rootfs.fd = -1;
        if (r < 0) {
                struct sbx_failure f;

                sbx_failure_set(&f, "rootfs", -r, "%s ('%s')", err.msg, sb->rootfs.source);
                sup_sandbox_fail(sb, &f);
        }
        return r;
}
