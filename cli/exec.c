/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus exec [-i] [-t] [-e K=V]... [-w DIR] [-u USER [--group G]] ID [--] CMD [ARG...]:
 * another process inside a running sandbox, forked by its init (so it shares its
 * namespaces, cgroup and Landlock domain, and gets the same capabilities, no_new_privs
 * and seccomp). Our stdio is its stdio (SCM_RIGHTS), or with -t a pty of the sandbox's
 * whose master we hold; our exit status is its. It lives as long as we do: if we die,
 * nucleusd has init kill it. The seed's `attach ID -- CMD` is this; a bare
 * `attach ID` is attach.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "macros.h"
#include "spec.h"

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: nucleus exec [-i] [-t] [-e K=V]... [-w DIR] [-u USER [--group G]] ID [--] CMD [ARG...]\n"
                "       nucleus attach ID [-- CMD [ARG...]]\n"
                "\n"
                "Run CMD inside a running sandbox, under its lock-down (forked by its init), with this\n"
                "terminal's stdio. It is killed if this command dies.\n"
                "\n"
                "  -t, --tty            give CMD a terminal: a pty of the sandbox's own /dev/pts, with this\n"
                "                       terminal's size (kept in step when it changes)\n"
                "  -i, --interactive    with -t, pass our input to it (this terminal goes raw meanwhile);\n"
                "                       without -t, stdin is passed anyway (accepted for docker's spelling)\n"
                "  -e, --env K=V        set a variable on top of the sandbox's environment; -e K copies ours\n"
                "  -w, --workdir DIR    working directory (default: the sandbox's)\n"
                "  -u, --user U         run as U: a number, root or nobody (default: the workload's user);\n"
                "                       a number needs --group\n"
                "  --group G            its gid: a number, root or nogroup\n"
                "\n"
                "Exit status: CMD's, or 128+signal; 126/127 when it cannot be executed or found; 125\n"
                "when nucleus failed.\n"
                "\n"
                "`attach ID` without CMD connects this terminal to the terminal of a sandbox started\n"
                "with -t (run -d -t), one client at a time. Ctrl-P Ctrl-Q detaches and leaves the\n"
                "sandbox running; otherwise attach exits with the workload's status.\n");
}

struct exec_opts {
        json_t *env, *args;
        const char *ref, *cwd;
        bool tty, input, user_given, group_given, user_numeric;
        unsigned uid, gid;
};

/* Returns 0, 1 after --help, or CLI_EXIT_USAGE (message printed). */
static int parse(int argc, char **argv, struct exec_opts *x)
{
        int i;

        for (i = 1; i < argc; i++) {
                const char *a = argv[i];

                if (strcmp(a, "--") == 0) {
                        i++;
                        break;
                }
                if (x->ref && a[0] != '-')
                        break;
                if ((strcmp(a, "-e") == 0 || strcmp(a, "--env") == 0) && i + 1 < argc) {
                        /* -e K copies K from our environment, as run does: whole, however long,
                         * and as bytes (nc_json_bytes: base64 when not UTF-8, never dropped). */
                        const char *kv = argv[++i];
                        _cleanup_free_ char *copy = NULL;
                        if (!strchr(kv, '=')) {
                                const char *val = getenv(kv);
                                if (!val) {
                                        fprintf(stderr, "nucleus: -e %s: %s is not set in this environment (use -e %s=VALUE)\n",
                                                kv, kv, kv);
                                        return CLI_EXIT_USAGE;
                                }
                                if (asprintf(&copy, "%s=%s", kv, val) < 0)
                                        return CLI_EXIT_NUCLEUS;
                                kv = copy;
                        }
                        json_array_append_new(x->env, nc_json_bytes(kv));
                } else if ((strcmp(a, "-w") == 0 || strcmp(a, "--workdir") == 0) && i + 1 < argc)
                        x->cwd = argv[++i];
                else if ((strcmp(a, "-u") == 0 || strcmp(a, "--user") == 0) && i + 1 < argc) {
                        const char *v = argv[++i];
                        if (cli_parse_ident(a, v, true, &x->uid) < 0)
                                return CLI_EXIT_USAGE;
                        x->user_given = true;
                        x->user_numeric = strcmp(v, "root") && strcmp(v, "nobody");
                        if (!x->group_given)
                                x->gid = x->uid;
                } else if (strcmp(a, "--group") == 0 && i + 1 < argc) {
                        if (cli_parse_ident(a, argv[++i], false, &x->gid) < 0)
                                return CLI_EXIT_USAGE;
                        x->group_given = true;
                } else if (strcmp(a, "-t") == 0 || strcmp(a, "--tty") == 0)
                        x->tty = true;
                else if (strcmp(a, "-i") == 0 || strcmp(a, "--interactive") == 0)
                        x->input = true;
                else if (strcmp(a, "-it") == 0 || strcmp(a, "-ti") == 0)
                        x->tty = x->input = true;
                else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        usage(stdout);
                        return 1;
                } else if (i + 1 == argc && (strcmp(a, "-e") == 0 || strcmp(a, "--env") == 0 || strcmp(a, "-w") == 0 ||
                                             strcmp(a, "--workdir") == 0 || strcmp(a, "-u") == 0 ||
                                             strcmp(a, "--user") == 0 || strcmp(a, "--group") == 0)) {
                        fprintf(stderr, "nucleus: %s needs a value (see nucleus exec --help)\n", a);
                        return CLI_EXIT_USAGE;
                } else if (a[0] == '-') {
                        fprintf(stderr, "nucleus: unknown option '%s' for exec (see nucleus exec --help)\n", a);
                        return CLI_EXIT_USAGE;
                } else
                        x->ref = a;
        }
        for (; i < argc; i++)
                json_array_append_new(x->args, nc_json_bytes(argv[i]));   /* a non-UTF-8 argument was dropped */
        if (x->user_numeric && !x->group_given) {
                fprintf(stderr, "nucleus: a numeric --user needs --group (as for run)\n");
                return CLI_EXIT_USAGE;
        }
        if (x->group_given && !x->user_given) {
                fprintf(stderr, "nucleus: --group needs --user\n");
                return CLI_EXIT_USAGE;
        }
        return 0;
}

/* The final reply: CMD's exit status, or the failure's. */
static int final_code(const json_t *res)
{
        if (json_object_get(res, "error")) {
                const json_t *e = json_object_get(res, "error"), *d = json_object_get(e, "data");
                int eno = (int)json_integer_value(json_object_get(d, "errno"));
                int code = (int)json_integer_value(json_object_get(d, "exit_code"));

                fprintf(stderr, "nucleus: %s%s%s\n", json_string_value(json_object_get(e, "message")),
                        eno > 0 ? ": " : "", eno > 0 ? strerror(eno) : "");
                return code > 0 ? code : CLI_EXIT_FAIL;
        }
        return (int)json_integer_value(json_object_get(json_object_get(res, "result"), "exit_code"));
}

static bool is_ours(const json_t *msg, long long req)
{
        return json_integer_value(json_object_get(msg, "id")) == req;
}

/* -t: wait for the terminal, then relay until the reply. */
static int run_tty(struct cli_conn *c, long long req, bool input)
{
        struct cli_tty t = { .master = -1, .sfd = -1 };
        json_t *msg = NULL;
        bool started = false;
        int code = CLI_EXIT_NUCLEUS;

        for (;;) {
                int sig = 0, r;

                if (!started) {
                        r = cli_recv(c, &msg) == 1 ? CLI_TTY_MESSAGE : CLI_TTY_LOST;
                } else
                        r = cli_tty_step(&t, c, &msg, &sig);
                if (r == CLI_TTY_LOST) {
                        cli_tty_restore();
                        fprintf(stderr, "nucleus: lost the connection to the supervisor\n");
                        break;
                }
                if (r == CLI_TTY_SIGNAL) {
                        /* Our connection closes with us, and nucleusd kills the process. */
                        code = 128 + sig;
                        break;
                }
                if (r != CLI_TTY_MESSAGE)
                        continue;
                const char *method = json_string_value(json_object_get(msg, "method"));
                const json_t *p = json_object_get(msg, "params");

                if (!started && method && strcmp(method, "sandbox.exec_started") == 0 &&
                    json_integer_value(json_object_get(p, "request")) == req) {
                        int fd = cli_take_fd(c);

                        if (fd < 0) {
                                fprintf(stderr, "nucleus: the supervisor sent no terminal\n");
                                json_decref(msg);
                                break;
                        }
                        cli_tty_start(&t, fd, input, false, -1);
                        started = true;
                } else if (is_ours(msg, req)) {
                        if (started)
                                cli_tty_finish_output(&t);
                        cli_tty_restore();
                        code = final_code(msg);
                        json_decref(msg);
                        break;
                }
                json_decref(msg);
        }
        cli_tty_done(&t);
        return code;
}

int cli_cmd_exec(const struct cli_opts *o, int argc, char **argv)
{
        struct exec_opts x = { .env = json_array(), .args = json_array() };
        json_t *res = NULL, *params;
        struct cli_conn c;
        int stdio[3], code = CLI_EXIT_NUCLEUS, r;
        long long req;

        r = parse(argc, argv, &x);
        if (r == 0 && strcmp(argv[0], "attach") == 0 && x.ref && json_array_size(x.args) == 0 && !x.tty && !x.input &&
            !x.user_given && !x.cwd && json_array_size(x.env) == 0) {
                json_decref(x.env);
                json_decref(x.args);
                return cli_attach(o, x.ref);
        }
        if (r == 0 && (!x.ref || json_array_size(x.args) == 0)) {
                if (strcmp(argv[0], "attach") == 0)   /* its own usage, not exec's */
                        fprintf(stderr, "nucleus: usage: nucleus attach ID, or nucleus attach [OPTIONS] ID -- CMD [ARG...] "
                                        "(as exec)\n");
                else
                        fprintf(stderr, "nucleus: usage: nucleus exec [-i] [-t] [-e K=V] [-w DIR] [-u USER] ID [--] CMD "
                                        "[ARG...]\n");
                r = CLI_EXIT_USAGE;
        }
        if (r != 0) {
                json_decref(x.env);
                json_decref(x.args);
                return r == 1 ? 0 : r;
        }
        for (int k = 0; k < 3; k++) {
                stdio[k] = k;
                if (fcntl(k, F_GETFD) < 0)
                        stdio[k] = open("/dev/null", k == 0 ? O_RDONLY : O_WRONLY);
        }
        if (cli_connect_or_report(o, &c, x.ref) < 0) {
                json_decref(x.env);
                json_decref(x.args);
                return CLI_EXIT_NUCLEUS;
        }
        params = json_pack("{s:s, s:o, s:o, s:s}", "id", x.ref, "args", x.args, "env", x.env, "stdio",
                           x.tty ? "null" : "passed");
        if (x.cwd)
                json_object_set_new(params, "cwd", json_string(x.cwd));
        if (x.user_given)
                json_object_set_new(params, "user", json_pack("{s:i, s:i}", "uid", (int)x.uid, "gid", (int)x.gid));
        if (x.tty)
                json_object_set_new(params, "tty", cli_tty_param());
        req = cli_send(&c, "sandbox.exec", params, x.tty ? NULL : stdio, x.tty ? 0 : 3);
        if (req < 0) {
                fprintf(stderr, "nucleus: Failed to send the request: %s\n", strerror((int)-req));
                cli_disconnect(&c);
                return CLI_EXIT_NUCLEUS;
        }
        if (x.tty) {
                code = run_tty(&c, req, x.input);
                cli_disconnect(&c);
                return code;
        }
        for (;;) {
                r = cli_recv(&c, &res);
                if (r <= 0) {
                        fprintf(stderr, "nucleus: lost the connection to the supervisor\n");
                        break;
                }
                if (!is_ours(res, req)) {
                        json_decref(res);
                        continue;
                }
                code = final_code(res);
                json_decref(res);
                break;
        }
        cli_disconnect(&c);
        return code;
}
