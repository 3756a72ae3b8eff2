/* SPDX-License-Identifier: Apache-2.0 */
#include "seccomp_trace.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macros.h"

/* The calls of the hand-off, each allowed unnotified only with the cookie as its sixth
 * argument. */
static const int handoff_calls[] = { SCMP_SYS(sendmsg), SCMP_SYS(close), SCMP_SYS(write), SCMP_SYS(exit_group) };

int sbx_seccomp_trace_compile(uint64_t cookie, struct sbx_seccomp_prog *ret, struct nc_err *err)
{
        /* Every call becomes SECCOMP_RET_USER_NOTIF: the filter decides nothing, it only
         * reports. Another architecture's calls still kill (sbx_seccomp_export). */
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_NOTIFY);
        int r;

        if (!ctx)
                return nc_err_set(err, "seccomp_init(SCMP_ACT_NOTIFY) failed: the kernel or libseccomp lacks user notification");
        if (cookie == 0) {
                seccomp_release(ctx);
                return nc_err_set(err, "seccomp trace: the hand-off cookie must not be 0");
        }
        for (size_t i = 0; i < ARRAY_SIZE(handoff_calls); i++) {
                struct scmp_arg_cmp cmp = { .arg = 5, .op = SCMP_CMP_EQ, .datum_a = cookie, .datum_b = 0 };

                r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, handoff_calls[i], 1, &cmp);
                if (r < 0) {
                        seccomp_release(ctx);
                        return nc_err_set_errno(err, r, "seccomp trace: cannot add the hand-off rule for call %d",
                                                handoff_calls[i]);
                }
        }
        return sbx_seccomp_export(ctx, ret, err);
}

/* A {stage, errno, message} for init, then the end: both with the cookie, since
 * nobody would answer a notified call. */
static _Noreturn void handoff_failed(int errfd, int err, uint64_t cookie)
{
        char buf[256];
        int n = snprintf(buf, sizeof(buf),
                         "{\"op\":\"failed\",\"stage\":\"seccomp\",\"errno\":%d,\"errno_name\":\"%s\","
                         "\"message\":\"Failed to pass the seccomp trace listener to nucleusd\"}",
                         err, strerrorname_np(err) ?: "");

        if (n > 0 && (size_t)n < sizeof(buf))
                (void)syscall(SYS_write, errfd, buf, (size_t)n, 0, 0, cookie);
        for (;;)
                (void)syscall(SYS_exit_group, 125, 0, 0, 0, 0, cookie);
}

int sbx_seccomp_trace_start(const struct sbx_seccomp_prog *p, uint64_t cookie, int sock, int errfd)
{
        static const char payload[] = "{\"op\":\"" SBX_SECCOMP_TRACE_OP "\"}";
        struct sock_fprog prog = { .len = p->len, .filter = p->insns };
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control;
        struct iovec iov = { .iov_base = (void *)payload, .iov_len = sizeof(payload) - 1 };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                              .msg_controllen = sizeof(control.buf) };
        struct cmsghdr *c;
        long listener, r;

        /* The kernel makes the listener O_CLOEXEC. */
        listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
        if (listener < 0)
                return -errno;
        memset(&control, 0, sizeof(control));
        c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &(int){ (int)listener }, sizeof(int));
        do
                r = syscall(SYS_sendmsg, sock, &msg, MSG_NOSIGNAL, 0, 0, cookie);
        while (r < 0 && errno == EINTR);
        int e = r < 0 ? errno : 0;
        /* Our copy must go now, not at execve: were nucleusd to drop its copy, ours would
         * keep the listener alive and every later call would wait for an answer forever. */
        (void)syscall(SYS_close, (int)listener, 0, 0, 0, 0, cookie);
        if (e)
                handoff_failed(errfd, e, cookie);
        return 0;
}
