/* SPDX-License-Identifier: Apache-2.0 */
/* The two private protocols of a nucleusd, both JSON objects, one per SOCK_SEQPACKET
 * message, with descriptors attached by SCM_RIGHTS:
 *
 * loop <-> zygote
 *   -> {"op":"prepare","id":ID,"uid_base":U,"profile":{..}}   fds: [log pipes] (detached)
 *   -> {"op":"logs","id":ID}                       fds: [log pipes]; a claimed pool member's
 *   -> {"op":"forget","id":ID}                     its end is recorded: drop the entry
 *   <- {"op":"cloned","id":ID,"pid":P}             fds: [pidfd, ctl]
 *   <- {"op":"failed","id":ID,"stage":..,"errno":..,"message":..}
 *   <- {"op":"reaped","id":ID,"pid":P,"status":W}   W: init's wait status
 *
 * supervisor <-> init (ctl)
 *   zygote -> {"op":"go"}                          uid/gid maps are written
 *   <- {"op":"ready"}                              prepared and parked
 *   -> {"op":"claim","spec":{..},"tty":{rows,cols}?}   fds: [stdin, stdout, stderr] (replaced
 *                                                  by a pty's terminal side with "tty")
 *   <- {"op":"seccomp_listener"}                   fds: [listener]; sent by the workload
 *                                                  child itself, in --seccomp-mode trace,
 *                                                  before its execve (seccomp_trace.h)
 *   <- {"op":"started","pid":P,"tty":B}            P: the workload's pid inside; fds: [pty
 *                                                  master] when B
 *   <- {"op":"exit","status":W}                    W: the workload's wait status
 *   -> {"op":"exec","exec":N,"spec":{..},"own_user":B,"tty":{rows,cols}?}
 *                                                  fds: [stdin, stdout, stderr], none with tty
 *   <- {"op":"exec_started","exec":N,"pid":P,"tty":B}   fds: [pty master] when B
 *   <- {"op":"exec_exit","exec":N,"status":W} or {"op":"exec_failed","exec":N,"stage":..}
 *   -> {"op":"exec_kill","exec":N}                 the exec's client is gone: SIGKILL it
 *   <- {"op":"failed","stage":..,"errno":..,"message":..}   then init exits
 */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "sandbox.h"

/* A claim carries argv and env; messages up to this size are accepted. */
#define SBX_CTL_MAX_MSG (2 * 1024 * 1024)

/* Allocation-free: formats a "failed" message on the stack and sends it. Safe between
 * fork and exec. */
void sbx_ctl_send_failure(int fd, const char *stage, int err, const char *msg);
/* Same, and _exit(code). */
_Noreturn void sbx_ctl_die(int fd, int code, const char *stage, int err, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

int sbx_ctl_send_json(int fd, json_t *msg, const int *fds, size_t nfds);   /* steals msg */
/* Receives one message (at most SBX_CTL_MAX_MSG; a larger one is dropped: -EMSGSIZE).
 * Returns 0 on EOF, 1 with *ret set, or -errno. */
int sbx_ctl_recv_json(int fd, json_t **ret, int *fds, size_t *nfds);

