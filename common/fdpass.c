/* SPDX-License-Identifier: Apache-2.0 */
#include "fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

ssize_t nc_fd_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds, int flags)
{
        union {
                char buf[CMSG_SPACE(sizeof(int) * NC_FDPASS_MAX)];
                struct cmsghdr align;
        } control;
        struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
        ssize_t n;

        if (nfds > NC_FDPASS_MAX || len == 0)
                return -EINVAL;
        if (nfds > 0) {
                struct cmsghdr *c;

                memset(&control, 0, sizeof(control));
                msg.msg_control = control.buf;
                msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
                c = CMSG_FIRSTHDR(&msg);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
        }
        do
                n = sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        return n < 0 ? -errno : n;
}

ssize_t nc_fd_recv(int sock, void *buf, size_t len, int *fds, size_t *nfds, int flags)
{
        union {
                char buf[CMSG_SPACE(sizeof(int) * NC_FDPASS_MAX)];
                struct cmsghdr align;
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = len };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                              .msg_controllen = sizeof(control.buf) };
        size_t want = nfds ? *nfds : 0, got = 0;
        ssize_t n;

        do
                n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                int *p = (int *)CMSG_DATA(c);

                for (size_t i = 0; i < k; i++) {
                        int fd;

                        memcpy(&fd, p + i, sizeof(int));
                        if (got < want)
                                fds[got++] = fd;
                        else
                                close(fd);  /* more than the caller can hold: never leak */
                }
        }
        if (nfds)
                *nfds = got;
        if (msg.msg_flags & MSG_CTRUNC) {
                for (size_t i = 0; i < got; i++)
                        close(fds[i]);
                if (nfds)
                        *nfds = 0;
                return -EBADMSG;
        }
        return n;
}
