/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus attach ID: this terminal on the terminal of a sandbox started with -t
 * (`run -d -t`). nucleusd keeps the sandbox's pty master and hands a copy to one
 * attached client at a time; we copy the bytes ourselves. Ctrl-P Ctrl-Q detaches and
 * leaves the sandbox running; when its main process ends, we exit with its status.
 * `attach ID -- CMD` is exec (exec.c). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_attach(const struct cli_opts *o, const char *ref)
{
        struct cli_tty t = { .master = -1, .sfd = -1 };
        struct cli_conn c;
        json_t *res = NULL;
        long long wait_req;
        int fd, code = CLI_EXIT_NUCLEUS;

        if (cli_connect_or_report(o, &c, ref) < 0)
                return CLI_EXIT_NUCLEUS;
        code = cli_request(&c, "sandbox.attach", json_pack("{s:s}", "id", ref), &res);
        if (code != 0) {
                cli_disconnect(&c);
                return code;
        }
        fd = cli_take_fd(&c);
        json_decref(res);
        if (fd < 0) {
                fprintf(stderr, "nucleus: the supervisor sent no terminal\n");
                cli_disconnect(&c);
                return CLI_EXIT_NUCLEUS;
        }
        /* The main process's end, on the same connection: our exit status is its. */
        wait_req = cli_send(&c, "sandbox.wait", json_pack("{s:s}", "id", ref), NULL, 0);
        cli_tty_start(&t, fd, true, true, -1);
        code = CLI_EXIT_NUCLEUS;
        for (;;) {
                json_t *msg = NULL;
                int sig = 0, r = cli_tty_step(&t, &c, &msg, &sig);

                if (r == CLI_TTY_DETACHED) {
                        cli_tty_restore();
                        fprintf(stderr, "\nnucleus: detached from %s (it keeps running)\n", ref);
                        code = 0;
                        break;
                }
                if (r == CLI_TTY_SIGNAL) {
                        code = 128 + sig;
                        break;
                }
                if (r == CLI_TTY_LOST) {
                        cli_tty_restore();
                        fprintf(stderr, "nucleus: lost the connection to the supervisor\n");
                        break;
                }
                if (json_integer_value(json_object_get(msg, "id")) == wait_req) {
                        cli_tty_finish_output(&t);
                        cli_tty_restore();
                        if (json_object_get(msg, "error"))
                                code = cli_print_error(json_object_get(msg, "error"));
                        else
                                code = (int)json_integer_value(json_object_get(json_object_get(msg, "result"), "exit_code"));
                        json_decref(msg);
                        break;
                }
                json_decref(msg);
        }
        cli_tty_done(&t);
        cli_disconnect(&c);
        return code;
}
