/* SPDX-License-Identifier: Apache-2.0 */
/* --context DIR in copy mode, init side: a tar stream (made by nucleus-context-pack as
 * the caller, passed as a pipe) unpacked into a tmpfs of its own at /context, which is
 * then made read-only. Only directories and regular files are accepted; ownership is
 * the workload user's, setuid/setgid/sticky bits are dropped, and every path must stay
 * beneath /context. Bind mode is a read-only volume and needs nothing here. */
#pragma once

#include "sandbox.h"

/* Caps on what a copied context may hold. The bytes are charged to the sandbox's
 * memory cgroup as well (the tmpfs is filled by init, inside it). */
#define SBX_CONTEXT_MAX_BYTES (1024LL * 1024 * 1024)
#define SBX_CONTEXT_MAX_INODES 200000

/* expect_sha256: with --verify-context-integrity, the source tree's digest
 * (common/tree_digest.h) that /context must match once unpacked; NULL: not checked. */
int sbx_context_populate(int fd, unsigned uid, unsigned gid, const char *expect_sha256, struct sbx_failure *fail);
