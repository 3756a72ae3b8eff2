/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus exec [-e K=V]... [-w DIR] ID [--] CMD [ARG...]: another process inside a
 * running sandbox, forked by its init (so it shares its namespaces, cgroup and Landlock
 * domain, and gets the same capabilities, no_new_privs and seccomp). Our stdio is its
 * stdio (SCM_RIGHTS); our exit status is its. The seed's `attach ID -- CMD` is this. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_cmd_exec(const struct cli_opts *o, int argc, char **argv)
{
        json_t *env = json_array(), *args = json_array(), *res = NULL, *params;
        const char *ref = NULL, *cwd = NULL;
        struct cli_conn c;
        int stdio[3], i, code = CLI_EXIT_NUCLEUS;
        long long req;

        for (i = 1; i < argc; i++) {
                const char *a = argv[i];

                if (strcmp(a, "--") == 0) {
                        i++;
                        break;
                }
                if (ref && a[0] != '-')
                        break;
                if ((strcmp(a, "-e") == 0 || strcmp(a, "--env") == 0) && i + 1 < argc) {
                        const char *kv = argv[++i];
                        char buf[4096];
                        if (!strchr(kv, '=') && getenv(kv)) {
                                snprintf(buf, sizeof(buf), "%s=%s", kv, getenv(kv));
                                kv = buf;
                        }
                        json_array_append_new(env, json_string(kv));
                } else if ((strcmp(a, "-w") == 0 || strcmp(a, "--workdir") == 0) && i + 1 < argc)
                        cwd = argv[++i];
                else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        printf("Usage: nucleus exec [-e K=V]... [-w DIR] ID [--] CMD [ARG...]\n\n"
                               "Run CMD inside a running sandbox, under its lock-down, with this terminal's stdio.\n"
                               "Exit status: CMD's, or 128+signal; 126/127 when it cannot be executed or found.\n");
                        json_decref(env);
                        json_decref(args);
                        return 0;
                } else if (a[0] == '-') {
                        fprintf(stderr, "nucleus: unknown option '%s' for exec (interactive and tty modes are not available yet)\n", a);
                        json_decref(env);
                        json_decref(args);
                        return CLI_EXIT_USAGE;
                } else
                        ref = a;
        }
        for (; i < argc; i++)
                json_array_append_new(args, json_string(argv[i]));
        if (!ref || json_array_size(args) == 0) {
                fprintf(stderr, "nucleus: usage: nucleus exec [-e K=V] [-w DIR] ID [--] CMD [ARG...]\n");
                json_decref(env);
                json_decref(args);
                return CLI_EXIT_USAGE;
        }
        for (int k = 0; k < 3; k++) {
                stdio[k] = k;
                if (fcntl(k, F_GETFD) < 0)
                        stdio[k] = open("/dev/null", k == 0 ? O_RDONLY : O_WRONLY);
        }
        if (cli_connect_or_report(o, &c, ref) < 0) {
                json_decref(env);
                json_decref(args);
                return CLI_EXIT_NUCLEUS;
        }
        params = json_pack("{s:s, s:o, s:o, s:s}", "id", ref, "args", args, "env", env, "stdio", "passed");
        if (cwd)
                json_object_set_new(params, "cwd", json_string(cwd));
        req = cli_send(&c, "sandbox.exec", params, stdio, 3);
        for (;;) {
                int r = cli_recv(&c, &res);

                if (r <= 0) {
                        fprintf(stderr, "nucleus: lost the connection to the supervisor\n");
                        break;
                }
                if (json_integer_value(json_object_get(res, "id")) != req) {
                        json_decref(res);
                        continue;
                }
                if (json_object_get(res, "error")) {
                        const json_t *e = json_object_get(res, "error"), *d = json_object_get(e, "data");
                        int eno = (int)json_integer_value(json_object_get(d, "errno"));

                        fprintf(stderr, "nucleus: %s%s%s\n", json_string_value(json_object_get(e, "message")),
                                eno > 0 ? ": " : "", eno > 0 ? strerror(eno) : "");
                        code = json_integer_value(json_object_get(d, "exit_code")) > 0
                                       ? (int)json_integer_value(json_object_get(d, "exit_code"))
                                       : CLI_EXIT_FAIL;
                } else
                        code = (int)json_integer_value(json_object_get(json_object_get(res, "result"), "exit_code"));
                json_decref(res);
                break;
        }
        cli_disconnect(&c);
        return code;
}
