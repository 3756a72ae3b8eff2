/* SPDX-License-Identifier: Apache-2.0 */
/* Seccomp trace mode (--seccomp-mode trace), sandbox side: a filter that sends every
 * system call of the workload to a user-notification listener, and the hand-off of
 * that listener to nucleusd, which answers each call and counts it (supervisor/trace.c).
 *
 * The listener exists only once the filter is loaded, and from then on every call the
 * child makes waits for an answer from whoever holds the listener. So the child must
 * pass the listener on without being stopped by its own filter: the filter lets a call
 * through unnotified when its sixth argument is a per-sandbox random cookie. Only the
 * hand-off uses it (sendmsg, close, and write + exit_group to report a failed
 * hand-off); no libc wrapper passes a sixth argument to these calls, so the workload
 * never matches it by accident, and a program that hid calls on purpose would only
 * spoil its own profile: trace mode is for profiling, not for confinement. */
#pragma once

#include <stdint.h>

#include "err.h"
#include "seccomp_filter.h"

/* The ctl message that carries the listener (one descriptor). */
#define SBX_SECCOMP_TRACE_OP "seccomp_listener"

/* Compiles the trace filter (allocates: in init, before fork). cookie must not be 0. */
int sbx_seccomp_trace_compile(uint64_t cookie, struct sbx_seccomp_prog *ret, struct nc_err *err);
/* In the child, last before execve, with no_new_privs set: loads p with a new listener
 * and sends it over sock as {"op":"seccomp_listener"}. On success the child holds no
 * copy of the listener. If the hand-off fails it reports {stage, errno, message} on
 * errfd and exits 125 itself (every ordinary call would wait for an answer forever).
 * Returns -errno only when the filter could not be loaded (nothing changed then).
 * Allocation-free. */
int sbx_seccomp_trace_start(const struct sbx_seccomp_prog *p, uint64_t cookie, int sock, int errfd);
