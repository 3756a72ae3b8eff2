/* SPDX-License-Identifier: Apache-2.0 */
/* Terminals for `run -t` and `exec -t`: a pty pair from the sandbox's own devpts
 * instance, allocated by init, so the terminal the process sees belongs to the
 * sandbox (its /dev/pts lists it, its owner is mapped) and never to the host. */
#pragma once

#include <jansson.h>
#include <sys/types.h>

#include "sandbox.h"

struct sbx_pty_size {
        unsigned short rows, cols;      /* 0: left as the kernel made it */
};

/* {"rows": R, "cols": C} from a request; absent members are 0. */
void sbx_pty_size_from_json(const json_t *j, struct sbx_pty_size *ret);
/* Opens /dev/pts/ptmx, unlocks it, sets the window size and opens the peer (the
 * slave) with TIOCGPTPEER, owned by uid and the tty group (gid 5) as login(1) does.
 * Both O_CLOEXEC. 0 or -errno with fail set. */
int sbx_pty_open(const struct sbx_pty_size *size, uid_t uid, int *ret_master, int *ret_slave, struct sbx_failure *fail);
