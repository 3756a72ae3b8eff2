/* SPDX-License-Identifier: Apache-2.0 */
/* SCM_RIGHTS: file descriptors travel with the message they belong to. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* The largest request: stdio (3), policies (3), volumes (16), secrets (16), a context
 * stream and a rootfs; a claim carries up to 9 rootfs trees instead of the last. */
#define NC_FDPASS_MAX 64

/* Sends buf (which must be non-empty) with nfds descriptors. Returns bytes sent or -errno.
 * flags are passed to sendmsg (MSG_NOSIGNAL is always added). */
ssize_t nc_fd_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds, int flags);
/* Receives into buf; received descriptors are O_CLOEXEC. Extra descriptors beyond
 * *nfds are closed (and MSG_CTRUNC reported as -EBADMSG). */
ssize_t nc_fd_recv(int sock, void *buf, size_t len, int *fds, size_t *nfds, int flags);
