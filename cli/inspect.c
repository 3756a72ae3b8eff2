/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_cmd_inspect(const struct cli_opts *o, int argc, char **argv)
{
        struct cli_conn c;
        json_t *res = NULL;
        int r;

        if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
                printf("Usage: nucleus inspect ID|NAME\n\nPrint everything the supervisor knows about a sandbox, as JSON.\n");
                return 0;
        }
        if (argc != 2) {
                fprintf(stderr, "nucleus: usage: nucleus inspect ID|NAME\n");
                return CLI_EXIT_USAGE;
        }
        if (cli_connect_or_report(o, &c, argv[1]) < 0)
                return CLI_EXIT_FAIL;
        r = cli_request(&c, "sandbox.inspect", json_pack("{s:s}", "id", argv[1]), &res);
        cli_disconnect(&c);
        if (r != 0)
                return r;
        json_dumpf(res, stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(res);
        return 0;
}
