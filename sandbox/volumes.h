/* SPDX-License-Identifier: Apache-2.0 */
/* Volumes: host directories or files the caller could open, mounted into a sandbox.
 *
 * The caller opens the source (its own access decides what it can share) and passes
 * the descriptor. The supervisor side turns it into a detached mount tree with
 * open_tree(OPEN_TREE_CLONE), idmapped through the sandbox's user namespace (so host
 * root's files are root's inside, and what the sandbox writes is host root's), made
 * nosuid, nodev, noexec and, for :ro, read-only. init then move_mount()s the tree onto
 * its destination, after pivot_root and before Landlock, which grants the destination
 * read or read-write (never execute). A plain bind from inside the sandbox could not
 * do this: the caller's descriptor belongs to the host's mount namespace. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "sandbox.h"

#define SBX_VOLUMES_MAX 16

/* Refuses sensitive sources (/, /boot, /dev, /etc, /home, /proc, /root, /run, /sys,
 * /var/log, /var/run and below) and reserved destinations (/, /bin, /boot, /dev, /etc,
 * /lib*, /nix, /proc, /run/secrets, /sbin, /sys, /usr and below), naming the value and
 * why. ret_source receives the source's path, for inspect. */
int sbx_volume_check(int src_fd, const char *dest, char *ret_source, size_t cap, struct nc_err *err);
/* The destination rules alone, for volumes and tmpfs alike. */
int sbx_dest_check(const char *what, const char *dest, struct nc_err *err);
/* init side: a tmpfs (nosuid, nodev, noexec, mode 0700, owned by the workload user). */
int sbx_tmpfs_attach(const char *dest, long long size, bool readonly, unsigned uid, unsigned gid, struct sbx_failure *fail);
#define SBX_SECRETS_MAX 16
#define SBX_SECRET_MAX_BYTES (1024 * 1024)
/* A secret's destination: anywhere a volume may go, or a file under /run/secrets. */
int sbx_secret_dest_check(const char *dest, struct nc_err *err);
/* init side: copies what fd holds into /run/secrets (a tmpfs of its own, made on first
 * use: nosuid, nodev, noexec, 0700), as a 0400 file owned by uid:gid; a destination
 * outside /run/secrets gets a read-only bind of it. The bytes go from the caller's file
 * to the tmpfs and nowhere else. */
int sbx_secret_attach(int fd, const char *dest, unsigned index, unsigned uid, unsigned gid, struct sbx_failure *fail);
/* A user namespace (its descriptor, or -errno) mapping only disk_uid/disk_gid to the
 * host id base, the sandbox's root: what a non-root caller's trees are idmapped through,
 * so that the workload has there what the caller has and nothing of other owners'. */
int sbx_caller_userns(uid_t disk_uid, gid_t disk_gid, uint32_t base);
/* Supervisor side, after the sandbox's id maps exist: the detached tree to send. For a
 * root caller, idmapped through the sandbox's user namespace (root inside is root on the
 * volume); for any other caller, through one that maps only the sandbox's root (host id
 * base) to owner_uid/owner_gid, so the workload has on the volume what the caller has. */
int sbx_volume_prepare(int src_fd, pid_t init_pid, uid_t owner_uid, gid_t owner_gid, uint32_t base, bool readonly,
                       int *ret_tree, struct nc_err *err);
/* init side, after pivot_root: mounts tree on dest (creating it, and its parents). */
int sbx_volume_attach(int tree, const char *dest, struct sbx_failure *fail);
