/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_cmd_wait(const struct cli_opts *o, int argc, char **argv)
{
        struct cli_conn c;
        json_t *res = NULL;
        bool json = o->json;
        const char *ref = NULL;
        int r;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0)
                        json = true;
                else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
                        printf("Usage: nucleus wait [--json] ID\n\nWait until the sandbox ends; print its exit code "
                               "(or, with --json, the final result).\n");
                        return 0;
                } else if (!ref && argv[i][0] != '-')
                        ref = argv[i];
                else {
                        fprintf(stderr, "nucleus: unexpected argument '%s' (usage: nucleus wait [--json] ID)\n", argv[i]);
                        return CLI_EXIT_USAGE;
                }
        }
        if (!ref) {
                fprintf(stderr, "nucleus: usage: nucleus wait [--json] ID\n");
                return CLI_EXIT_USAGE;
        }
        if (cli_connect_or_report(o, &c, ref) < 0)
                return CLI_EXIT_FAIL;
        r = cli_request(&c, "sandbox.wait", json_pack("{s:s}", "id", ref), &res);
        cli_disconnect(&c);
        if (r != 0)
                return r;
        if (json) {
                json_dumpf(res, stdout, JSON_INDENT(2));
                printf("\n");
        } else
                printf("%lld\n", (long long)json_integer_value(json_object_get(res, "exit_code")));
        json_decref(res);
        return 0;
}
