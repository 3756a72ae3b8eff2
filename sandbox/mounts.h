/* SPDX-License-Identifier: Apache-2.0 */
/* The sandbox's file system, built by init in its own mount namespace. */
#pragma once

#include "sandbox.h"

/* Phase 1: root tmpfs, /usr (+/nix), merged-/usr links, /proc, /dev, /etc base, /tmp,
 * then pivot_root. On failure fills fail and returns -errno. */
int sbx_mounts_prepare(const struct sbx_config *cfg, const struct sbx_profile *profile, struct sbx_failure *fail);
/* Phase 2: /etc/hostname and /etc/hosts for the claimed hostname, then /etc is made
 * read-only. */
/* resolv_conf: the file's text for a sandbox with a network; NULL keeps the one that
 * says there is none. */
int sbx_mounts_finish_etc(const char *hostname, const char *resolv_conf, struct sbx_failure *fail);

/* For docs/security.md, which is checked against them. */
extern const char *const sbx_proc_masked_files[];
extern const char *const sbx_proc_masked_dirs[];
