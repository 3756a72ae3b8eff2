/* SPDX-License-Identifier: Apache-2.0 */
/* Where things live. Each path has a default, an environment variable and a flag, so
 * tests can run several supervisors side by side. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>
#include <sys/un.h>

#include "err.h"

struct nc_paths {
        char socket[sizeof(((struct sockaddr_un *)0)->sun_path)];   /* NUCLEUS_SOCKET */
        char state_dir[PATH_MAX];                                    /* NUCLEUS_STATE_DIR */
        char cgroup_root[PATH_MAX];                                  /* NUCLEUS_CGROUP_ROOT; "" = detect */
};

/* Fills defaults from the environment: root uses /run/nucleus, others
 * $XDG_RUNTIME_DIR/nucleus. Returns -ENAMETOOLONG if a path does not fit, with err
 * naming the variable and its limit. */
int nc_paths_default(struct nc_paths *p, struct nc_err *err);
int nc_paths_set(char *dst, size_t cap, const char *value);
/* mkdir -p: creates path and its missing parents with mode. parents_only stops short
 * of the last component (for a file's directory). */
int nc_mkdir_p(const char *path, mode_t mode, bool parents_only);

/* The autostart lock lives next to the socket: "<socket>.lock". */
int nc_paths_lock(const struct nc_paths *p, char *buf, size_t cap);
