/* SPDX-License-Identifier: Apache-2.0 */
/* The workload child: from fork in init to execve. */
#pragma once

#include <sys/capability.h>

#include "caps.h"

#include "sandbox.h"
#include "seccomp_filter.h"
#include "spec.h"

#include <stdint.h>

struct sbx_exec {
        char *const *argv;
        char *const *envp;
        const char *path;       /* the workload's PATH, searched for argv[0] without '/' */
        const char *cwd;
        int stdio[3];
        bool ctty;              /* stdio is a pty's terminal side: make it our controlling terminal */
        bool own_group;         /* a process group of its own, killed as one (probes) */
        int errfd;              /* O_CLOEXEC pipe: silent on success, a failure otherwise */
        cap_t caps;             /* prepared by init: libcap allocates, the child must not */
        const struct sbx_caps_policy *caps_policy;      /* NULL: drop everything */
        const struct sbx_seccomp_prog *seccomp;
        bool seccomp_log;       /* --seccomp-log-denied: SECCOMP_FILTER_FLAG_LOG */
        /* Trace mode (seccomp_trace.h): loaded instead of seccomp, its listener sent
         * over trace_sock (init's control socket) to nucleusd. NULL otherwise. */
        const struct sbx_seccomp_prog *trace;
        uint64_t trace_cookie;
        int trace_sock;
        const struct nc_spec_rlimits *rlimits;
        unsigned uid, gid;
        const unsigned *groups;
        size_t ngroups;
};

/* Never returns. Does not allocate or log: a failure goes to errfd as
 * {stage, errno, message} and the child exits 127 (not found), 126 (not executable)
 * or 125 (a lock-down step failed: nothing runs unless every step succeeded). */
_Noreturn void sbx_exec_workload(const struct sbx_exec *x);
