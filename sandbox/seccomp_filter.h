/* SPDX-License-Identifier: Apache-2.0 */
/* The seccomp filter of every workload: compiled once by libseccomp in the zygote,
 * kept as a raw BPF program, loaded by each child with seccomp(2) just before execve.
 * (Debian 12's libseccomp 2.5.4 has no seccomp_export_bpf_mem; the program is exported
 * through a memfd instead.) */
#pragma once

#include <linux/filter.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct sbx_seccomp_prog {
        struct sock_filter *insns;
        unsigned short len;
};

/* Variants of the argument rules. SBX_SECCOMP_NO_INET: socket(AF_INET/AF_INET6) fails
 * with EPERM too — the strict modes' filter for a sandbox without a network, where an
 * IP socket can only reach the sandbox's own loopback. */
#define SBX_SECCOMP_NO_INET 1u

int sbx_seccomp_compile_default(unsigned flags, struct sbx_seccomp_prog *ret, struct nc_err *err);
/* The default plus the opted-in calls (each must pass sbx_seccomp_optin_valid). Runs in
 * init for a sandbox that asked for opt-ins: it allocates, so never after fork. */
int sbx_seccomp_compile(const char *const *optin, unsigned flags, struct sbx_seccomp_prog *ret, struct nc_err *err);
bool sbx_seccomp_optin_valid(const char *name);
/* Allocation-free: safe between fork and exec. Requires no_new_privs. log: the kernel
 * logs every action but allow (SECCOMP_FILTER_FLAG_LOG; audit or the kernel log). */
int sbx_seccomp_load(const struct sbx_seccomp_prog *p, bool log);

/* The tables, for docs/security.md and its test (the document is checked against them). */
struct sbx_named_value {
        unsigned long value;
        const char *name;
};
struct sbx_seccomp_rule {
        const char *name, *rule;
};
extern const char *const sbx_seccomp_allowed[];
extern const char *const sbx_seccomp_killed[];
extern const char *const sbx_seccomp_optin[];
extern const struct sbx_seccomp_rule sbx_seccomp_filtered[];
extern const struct sbx_named_value sbx_seccomp_ioctls[];
extern const struct sbx_named_value sbx_seccomp_prctls[];
size_t sbx_seccomp_allowed_count(void);
size_t sbx_seccomp_killed_count(void);

/* Building blocks shared with seccomp_profile.c. */
bool sbx_seccomp_is_allowed(const char *name);     /* on the default allowlist */
bool sbx_seccomp_is_filtered(const char *name);    /* allowed with argument checks */
bool sbx_seccomp_is_killed(const char *name);      /* kills by default */
/* Adds the allow rules with Nucleus's argument checks for one filtered call. */
int sbx_seccomp_add_filtered(scmp_filter_ctx ctx, const char *name, unsigned flags, struct nc_err *err);
/* Sets the bad-architecture action, exports to BPF and releases ctx (always). */
int sbx_seccomp_export(scmp_filter_ctx ctx, struct sbx_seccomp_prog *ret, struct nc_err *err);
