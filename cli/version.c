/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Both commands take only --json and --help: an argument they would ignore is refused,
 * so `info --help` shows help and `version --bogus` is an error, as with every command. */
static int parse_args(int argc, char **argv, const char *usage, bool *json)
{
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0) {
                        *json = true;
                } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
                        printf("%s", usage);
                        return 0;
                } else {
                        fprintf(stderr, "nucleus: unexpected argument '%s' for %s (it takes only --json)\n", argv[i],
                                argv[0]);
                        return CLI_EXIT_USAGE;
                }
        }
        return -1;
}

int cli_cmd_version(const struct cli_opts *o, int argc, char **argv)
{
        json_t *res = NULL, *err = NULL;
        struct cli_conn c;
        bool json = o->json;
        int r;

        r = parse_args(argc, argv,
                       "Usage: nucleus version [--json]\n\nShow the versions of this client and of the running "
                       "supervisor (never starts one).\n",
                       &json);
        if (r >= 0)
                return r;

        /* Asks a running supervisor but never starts one just to print a version. */
        r = cli_connect(o, &c, CLI_CONNECT_EXISTING);
        if (r == 0) {
                r = cli_call(&c, "supervisor.info", NULL, &res, &err);
                cli_disconnect(&c);
                json_decref(err);
        }
        if (json) {
                json_t *j = json_pack("{s:s, s:s, s:O*}", "client", NUCLEUS_VERSION, "api_version", NC_API_VERSION,
                                      "supervisor", res);
                json_dumpf(j, stdout, JSON_INDENT(2));
                printf("\n");
                json_decref(j);
        } else {
                printf("nucleus %s (API %s)\n", NUCLEUS_VERSION, NC_API_VERSION);
                if (res)
                        printf("nucleusd %s (API %s) at %s\n", json_string_value(json_object_get(res, "version")),
                               json_string_value(json_object_get(res, "api_version")), o->paths.socket);
                else
                        printf("nucleusd: not running at %s\n", o->paths.socket);
        }
        json_decref(res);
        return 0;
}

int cli_cmd_info(const struct cli_opts *o, int argc, char **argv)
{
        json_t *res = NULL;
        struct cli_conn c;
        bool json = true;     /* its output is JSON either way; --json is accepted for scripts */
        int r;

        r = parse_args(argc, argv,
                       "Usage: nucleus info [--json]\n\nShow the running supervisor's status as JSON: its version, "
                       "paths, sandbox counts,\ncgroup backend and controllers, warm pool and create latencies "
                       "(never starts one).\n",
                       &json);
        if (r >= 0)
                return r;
        if (cli_connect(o, &c, CLI_CONNECT_EXISTING) < 0) {
                fprintf(stderr, "nucleus: no supervisor is running at %s\n", o->paths.socket);
                return CLI_EXIT_FAIL;
        }
        r = cli_request(&c, "supervisor.info", NULL, &res);
        cli_disconnect(&c);
        if (r != 0)
                return r;
        json_dumpf(res, stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(res);
        return 0;
}
