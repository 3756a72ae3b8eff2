/* SPDX-License-Identifier: Apache-2.0 */
/* Production's post-setup mount audit (mount_audit.c has the rules). */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "sandbox.h"

/* Checks every mount of the caller's mount namespace against the rules; volumes are the
 * claim's volume and tmpfs destinations (they must be noexec). 0 with *ret_checked the
 * number of mounts checked, or -EPERM with fail naming the first offending mount, its
 * flags and the flags it needs (stage "mount_audit"). */
int sbx_mount_audit(const char *const *volumes, size_t nvolumes, size_t *ret_checked, struct sbx_failure *fail);
/* The same over a mountinfo stream (the unit tests feed it text). */
int sbx_mount_audit_stream(FILE *f, const char *const *volumes, size_t nvolumes, size_t *ret_checked,
                           struct sbx_failure *fail);
