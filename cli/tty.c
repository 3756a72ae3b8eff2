/* SPDX-License-Identifier: Apache-2.0 */
/* The caller's side of a sandbox terminal (`run -t`, `exec -t`, `attach`). The pty is
 * the sandbox's (allocated by its init); nucleusd hands us its master, and we copy
 * bytes between it and our own terminal ourselves: no relay through nucleusd, and a
 * window-size change is one ioctl on the master, no API round trip. Our terminal goes
 * raw while we relay input and is restored on every way out: a return, exit(), and the
 * signals we take through a signalfd (SIGKILL aside, which nothing can catch). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "macros.h"

/* Ctrl-P Ctrl-Q, as docker's attach. */
#define DETACH_1 0x10
#define DETACH_2 0x11

static struct termios saved;
static bool raw_on;

void cli_tty_restore(void)
{
        if (!raw_on)
                return;
        (void)tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
        raw_on = false;
}

static int our_terminal(void)
{
        for (int fd = 0; fd < 3; fd++)
                if (isatty(fd))
                        return fd;
        return -1;
}

json_t *cli_tty_param(void)
{
        struct winsize ws;
        int fd = our_terminal();

        if (fd < 0 || ioctl(fd, TIOCGWINSZ, &ws) < 0 || !ws.ws_row || !ws.ws_col)
                return json_true();     /* the kernel's default size */
        return json_pack("{s:i, s:i}", "rows", (int)ws.ws_row, "cols", (int)ws.ws_col);
}

int cli_tty_start(struct cli_tty *t, int master, bool input, bool detach_keys, int sfd)
{
        static const int sigs[] = { SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT };
        sigset_t set;

        *t = (struct cli_tty){ .master = master, .input = input, .detach_keys = detach_keys, .sfd = sfd };
        signal(SIGPIPE, SIG_IGN);
        if (sfd < 0) {
                sigemptyset(&set);
                for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
                        sigaddset(&set, sigs[i]);
                sigprocmask(SIG_BLOCK, &set, NULL);
                t->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        } else
                (void)fcntl(sfd, F_SETFL, fcntl(sfd, F_GETFL) | O_NONBLOCK);
        /* Raw only when our keystrokes go in: ^C is then a byte for the process inside.
         * Without -i, ^C stays a signal for us (and ends the exec with us). */
        if (input && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
                struct termios raw = saved;

                cfmakeraw(&raw);
                /* Output processing stays: the pty's lines end in \r\n already, and
                 * our own messages still end in \n. */
                raw.c_oflag = saved.c_oflag;
                atexit(cli_tty_restore);
                if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0)
                        raw_on = true;
        }
        return 0;
}

void cli_tty_done(struct cli_tty *t)
{
        cli_tty_restore();
        if (t->sfd >= 0)
                close(t->sfd);
        if (t->master >= 0)
                close(t->master);
        t->sfd = t->master = -1;
}

static int write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return -errno;
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

static void resize(struct cli_tty *t)
{
        struct winsize ws;
        int fd = our_terminal();

        if (fd >= 0 && ioctl(fd, TIOCGWINSZ, &ws) == 0)
                (void)ioctl(t->master, TIOCSWINSZ, &ws);
}

/* Our input to the terminal, minus a detach sequence. Returns true on detach. */
static bool feed_input(struct cli_tty *t, const char *buf, size_t n)
{
        char out[4096 + 1];
        size_t k = 0;

        for (size_t i = 0; i < n; i++) {
                char ch = buf[i];

                if (t->detach_keys && t->pending_p) {
                        t->pending_p = false;
                        if (ch == DETACH_2)
                                return true;
                        out[k++] = DETACH_1;    /* not a detach: the ^P was meant for inside */
                } else if (t->detach_keys && ch == DETACH_1) {
                        t->pending_p = true;
                        continue;
                }
                out[k++] = ch;
        }
        if (k > 0 && t->master >= 0)
                (void)write_all(t->master, out, k);
        return false;
}

/* Copies what the terminal has to our stdout. Returns false once it reports the end
 * (EIO: every process inside has closed its side). */
static bool drain_output(struct cli_tty *t)
{
        char buf[16384];
        ssize_t n = read(t->master, buf, sizeof(buf));

        if (n > 0) {
                (void)write_all(STDOUT_FILENO, buf, (size_t)n);
                return true;
        }
        return n < 0 && (errno == EAGAIN || errno == EINTR);
}

int cli_tty_step(struct cli_tty *t, struct cli_conn *c, json_t **ret_msg, int *ret_sig)
{
        for (;;) {
                struct pollfd pfd[4] = {
                        { .fd = c->fd, .events = POLLIN },
                        { .fd = t->sfd, .events = POLLIN },
                        { .fd = t->master, .events = POLLIN },
                        { .fd = t->input ? STDIN_FILENO : -1, .events = POLLIN },
                };
                int r = cli_recv_buffered(c, ret_msg);

                if (r != -EAGAIN)
                        return r == 1 ? CLI_TTY_MESSAGE : CLI_TTY_LOST;
                if (poll(pfd, ARRAY_SIZE(pfd), -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return CLI_TTY_LOST;
                }
                if (pfd[1].revents & POLLIN) {
                        struct signalfd_siginfo si;

                        while (read(t->sfd, &si, sizeof(si)) == sizeof(si)) {
                                if (si.ssi_signo == SIGWINCH && t->master >= 0) {
                                        resize(t);
                                        continue;
                                }
                                if (si.ssi_signo != SIGWINCH) {
                                        *ret_sig = (int)si.ssi_signo;
                                        return CLI_TTY_SIGNAL;
                                }
                        }
                }
                if (pfd[2].revents && !drain_output(t)) {
                        /* Keep ours open until the end, but stop polling it. */
                        t->input = false;
                        close(t->master);
                        t->master = -1;
                }
                if (pfd[3].revents) {
                        char buf[4096];
                        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

                        if (n > 0 && feed_input(t, buf, (size_t)n))
                                return CLI_TTY_DETACHED;
                        if (n == 0 && t->master >= 0 && !t->detach_keys) {
                                /* Our input ended: the terminal's end-of-file character
                                 * tells the process inside, as typing ^D would. An
                                 * attached client only stops typing: the workload
                                 * outlives it. */
                                (void)write_all(t->master, "\x04", 1);
                        }
                        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
                                t->input = false;       /* a hung-up terminal is not an end of input */
                }
                if (pfd[0].revents) {
                        r = cli_recv(c, ret_msg);
                        return r == 1 ? CLI_TTY_MESSAGE : CLI_TTY_LOST;
                }
        }
}

void cli_tty_finish_output(struct cli_tty *t)
{
        /* The process has ended, but what it wrote last may still be on its way
         * through the pty: read until the end, or until nothing came for a while.
         * Something inside may still hold the terminal open, even keep writing: the
         * pty holds a few KB, so 2 s is plenty for the last of it and bounds the rest. */
        for (int rounds = 0; t->master >= 0 && rounds < 20; rounds++) {
                struct pollfd p = { .fd = t->master, .events = POLLIN };

                if (poll(&p, 1, 100) <= 0 || !drain_output(t))
                        break;
        }
}
