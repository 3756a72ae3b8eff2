/* SPDX-License-Identifier: Apache-2.0 */
/* --rootfs DIR: a prebuilt root replacing the host's /usr (and /etc) in a sandbox.
 *
 * The caller opens DIR; nucleusd never resolves the path. Its top-level usr, bin,
 * sbin, lib, lib32, lib64, libx32, etc and nix become the sandbox's: directories as
 * detached trees (open_tree on the supervisor side, idmapped through the sandbox's
 * user namespace, read-only, nosuid, nodev) that init moves into place at the claim,
 * symlinks recreated as they are (a merged-/usr rootfs costs no mount for /bin).
 * Nothing of the host's /usr or /etc is in such a sandbox: its prepare phase (the
 * "rootfs" profile) skips them.
 *
 * --verify-rootfs-attestation checks the tree against DIR/.nucleus-rootfs-sha256
 * (lines "<sha256 hex>\t<relative path>", one per regular file, as the seed's
 * mkRootfs writes them) before the sandbox is started. The walk follows symlinks as
 * `find -L` does, but resolves them inside DIR (RESOLVE_IN_ROOT), exactly as the
 * sandbox will see them, so a link can never make the check read a host file. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "sandbox.h"

#define SBX_ROOTFS_MANIFEST ".nucleus-rootfs-sha256"
#define SBX_ROOTFS_ENTRIES_MAX 9

struct sbx_rootfs_entry {
        char name[8];                   /* "usr", "bin", ... */
        int tree;                       /* a directory: its detached tree; -1 for a symlink */
        char link[256];                 /* a symlink: its target */
};

/* Supervisor side, before anything is allocated: DIR is a directory with at least a
 * usr or bin, and nothing this version cannot honour. */
int sbx_rootfs_check(int dirfd, struct nc_err *err);
/* Supervisor side, after the sandbox's id maps exist: the entries to send with the claim
 * (trees idmapped through init_pid's user namespace for a root caller, through
 * sbx_caller_userns for any other). On failure nothing stays open. */
int sbx_rootfs_prepare(int dirfd, pid_t init_pid, uid_t owner_uid, gid_t owner_gid, uint32_t base,
                       struct sbx_rootfs_entry ret[SBX_ROOTFS_ENTRIES_MAX], size_t *ret_n,
                       struct nc_err *err);
/* init side, after pivot_root: mounts the trees and makes the links. */
int sbx_rootfs_attach(const struct sbx_rootfs_entry *e, struct sbx_failure *fail);

/* The attestation. Blocking (it reads every file): the supervisor runs it off its loop.
 * 0 when the tree matches; -EBADMSG with err summarising what differs and *ret_report
 * {"files": N, "missing": [...], "changed": [...], "extra": [...]} (each list cut at
 * SBX_ROOTFS_REPORT_MAX paths, with the full counts); other -errno on I/O errors. */
#define SBX_ROOTFS_REPORT_MAX 20
int sbx_rootfs_attest(int dirfd, json_t **ret_report, struct nc_err *err);
/* The manifest parser alone, over bytes (the fuzz target and the tests): 0 with the
 * number of entries, or -EINVAL with err naming the line. */
int sbx_rootfs_manifest_check(const char *data, size_t len, size_t *ret_entries, struct nc_err *err);
