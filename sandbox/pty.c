/* SPDX-License-Identifier: Apache-2.0 */
#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "macros.h"

/* gid 5 is "tty" in the sandbox's generated /etc/group (mounts.c). */
#define TTY_GID 5

void sbx_pty_size_from_json(const json_t *j, struct sbx_pty_size *ret)
{
        json_int_t r = json_integer_value(json_object_get(j, "rows")), c = json_integer_value(json_object_get(j, "cols"));

        ret->rows = r > 0 && r <= 65535 ? (unsigned short)r : 0;
        ret->cols = c > 0 && c <= 65535 ? (unsigned short)c : 0;
}

int sbx_pty_open(const struct sbx_pty_size *size, uid_t uid, int *ret_master, int *ret_slave, struct sbx_failure *fail)
{
        _cleanup_close_ int master = -1;
        int unlock = 0, slave;

        /* The sandbox's own instance (newinstance): /dev/ptmx is a link to it, but the
         * name says which instance we mean. */
        master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0) {
                sbx_failure_set(fail, "pty", errno, "Failed to open /dev/pts/ptmx");
                return -errno;
        }
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0) {
                sbx_failure_set(fail, "pty", errno, "Failed to unlock the pty");
                return -errno;
        }
        if (size->rows && size->cols) {
                struct winsize ws = { .ws_row = size->rows, .ws_col = size->cols };

                if (ioctl(master, TIOCSWINSZ, &ws) < 0) {
                        sbx_failure_set(fail, "pty", errno, "Failed to set the window size");
                        return -errno;
                }
        }
        /* By descriptor, not by /dev/pts/N: no name to race for. */
        slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0) {
                sbx_failure_set(fail, "pty", errno, "Failed to open the pty's terminal side");
                return -errno;
        }
        /* The process may reopen its terminal (/dev/pts/N) as itself, like after login. */
        (void)!fchown(slave, uid, TTY_GID);
        *ret_master = TAKE_FD(master);
        *ret_slave = slave;
        return 0;
}
