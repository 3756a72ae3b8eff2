/* SPDX-License-Identifier: Apache-2.0 */
/* Landlock: the file system policy of a sandbox, enforced by the kernel on init and on
 * everything init forks afterwards (workload, exec, probes).
 *
 * The mounts already decide what exists in the sandbox; Landlock decides what may be
 * done with it. Mount flags alone cannot say "the workload may read /usr but not write
 * it even though it is root of its user namespace", nor "no execve() from /tmp", nor
 * "no signals to processes outside the sandbox". */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandbox.h"

/* What the running kernel actually enforces, for `inspect`: the same policy is weaker
 * on an older kernel, and an operator must be able to see by how much. */
struct sbx_landlock_report {
        int abi;                /* negotiated ABI: min(kernel, newest this file knows); 0 = no Landlock */
        bool refer;             /* ABI 2: moves and links across directories checked, not just refused (EXDEV) */
        bool truncate;          /* ABI 3: truncate(2)/O_TRUNC need a write right */
        bool ioctl_dev;         /* ABI 5: ioctl(2) on device files limited to /dev/{null,tty,ptmx,pts,...} */
        bool scope_signal;      /* ABI 6: no signals to processes outside the sandbox's domain */
        bool scope_abstract_unix; /* ABI 6: no connect() to abstract unix sockets bound outside it */
        bool tcp;               /* ABI 4, only when a policy lists ports: TCP bind/connect limited to them */
};

/* The running kernel's Landlock ABI; 0 when it has none. */
int sbx_landlock_abi(void);

/* Applies the default agent-mode policy to the calling thread and everything it forks
 * later; there is no undo, which is the point. Paths are the sandbox's view, so this
 * runs after pivot_root.
 *
 * Call it LAST among init's file system work: once a domain restricts the file system,
 * the kernel refuses mount(2), umount(2) and pivot_root(2) to its members (EPERM),
 * and init itself may no longer write to /etc or /proc. Only the calling thread is
 * restricted (init is single-threaded). It does not set no_new_privs: init holds
 * CAP_SYS_ADMIN in its user namespace, which is what landlock_restrict_self() asks of a
 * process that has not set it, and each child sets it for itself before execve.
 *
 * `extra` lists volume mount points (absolute): granted read, or read and write, never
 * execute. Unlike the default paths, which are
 * skipped when absent, a missing extra path is an error, since the caller asked for it.
 *
 * Either the whole policy is in effect or nothing is. Returns 0, or -errno with fail set
 * (stage "landlock"). -EOPNOTSUPP with report->abi == 0 when the kernel has no Landlock
 * (not built, or not in lsm= at boot): the caller decides whether that is fatal. On
 * failure the report says what the kernel offers, but no extras are in effect. */
struct sbx_landlock_extra {
        const char *path;
        bool writable;
};
int sbx_landlock_apply_default(const struct sbx_landlock_extra *extra, size_t nextra,
                               struct sbx_landlock_report *report, struct sbx_failure *fail);

/* A Landlock policy (the seed's TOML, as JSON): {"min_abi": 3, "rules": [{"path": "/bin",
 * "access": ["read", "execute"]}, ...]}. Access words: read, readdir, write, execute,
 * create, remove, all, all_except_execute. The rules replace the default ones.
 *
 * Nucleus adds "ports": [{"port": 8080, "access": ["bind", "connect"]}, ...] ([[ports]]
 * in TOML). Only a policy with ports makes Landlock handle TCP (ABI 4): then bind(2)
 * and connect(2) of TCP sockets work on the listed ports alone, loopback included, and
 * a kernel below ABI 4 refuses the sandbox. Without ports TCP is not handled at all:
 * handling it with no port rules would deny every TCP bind and connect. */
struct sbx_landlock_policy {
        int min_abi;
        size_t nrules;
        struct sbx_landlock_rule {
                char *path;
                uint64_t access;
        } *rules;
        size_t nports;
        struct sbx_landlock_port {
                uint64_t port;
                uint64_t access;        /* LANDLOCK_ACCESS_NET_* */
        } *ports;
};
int sbx_landlock_policy_from_json(const json_t *j, struct sbx_landlock_policy *ret, struct nc_err *err);
void sbx_landlock_policy_done(struct sbx_landlock_policy *p);
/* As sbx_landlock_apply_default, with the policy's rules (NULL: the default); fails
 * with -EOPNOTSUPP when the kernel's ABI is below the policy's min_abi, or below 4 for
 * a policy with ports. */
int sbx_landlock_apply(const struct sbx_landlock_policy *policy, const struct sbx_landlock_extra *extra, size_t nextra,
                       struct sbx_landlock_report *report, struct sbx_failure *fail);

/* {"abi":7,"extras":["refer","truncate","ioctl_dev","scope_signal","scope_abstract_unix"]}
 * (+ "tcp" when a policy's ports are enforced); NULL when out of memory. */
json_t *sbx_landlock_report_to_json(const struct sbx_landlock_report *r);

/* Rule i of the default policy: its path and its rights in words. -ENOENT past the end. */
int sbx_landlock_rule_describe(size_t i, const char **ret_path, char *buf, size_t cap);
