/* SPDX-License-Identifier: Apache-2.0 */
/* One SHA-256 over a directory tree, computed the same way on both sides of a copied
 * --context: by nucleus-context-pack over the source (as the caller) and by the
 * sandbox's init over /context after unpacking. Entries are sorted by path (bytewise);
 * each adds "D <path>\0" for a directory or "F <path>\0<hex sha256 of its bytes>\0" for
 * a file. Ownership, modes and times are left out: init changes them on purpose.
 * Its own library (nc_tree_digest, libcrypto), so the CLI itself does not load it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nc_tree_entry {
        char *path;             /* relative, no leading '/' */
        bool dir;
        uint8_t sha256[32];     /* files only */
};

/* The SHA-256 of everything fd reads until EOF. 0 or -errno. */
int nc_sha256_fd(int fd, uint8_t ret[32]);
/* Sorts entries in place and writes the tree digest as 64 lowercase hex + NUL. */
int nc_tree_digest(struct nc_tree_entry *entries, size_t n, char hex[65]);
