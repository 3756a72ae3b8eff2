/* SPDX-License-Identifier: Apache-2.0 */
/* The workload child: from fork in init to execve. */
#pragma once

#include "sandbox.h"

struct sbx_exec {
        char *const *argv;
        char *const *envp;
        const char *path;       /* the workload's PATH, searched for argv[0] without '/' */
        const char *cwd;
        int stdio[3];
        int errfd;              /* O_CLOEXEC pipe: silent on success, a failure otherwise */
};

/* Never returns. Does not allocate or log: a failure goes to errfd as
 * {stage, errno, message} and the child exits 127 (not found) or 126 (not executable). */
_Noreturn void sbx_exec_workload(const struct sbx_exec *x);
