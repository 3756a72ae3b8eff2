/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus pause ID / nucleus resume ID: the cgroup v2 freezer of the sandbox's leaf. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int freeze(const struct cli_opts *o, int argc, char **argv, const char *method)
{
        json_t *res = NULL;
        struct cli_conn c;
        int r;

        if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
                printf("Usage: nucleus %s ID\n", argv[0]);
                return 0;
        }
        if (argc != 2 || argv[1][0] == '-') {
                fprintf(stderr, "nucleus: usage: nucleus %s ID\n", argv[0]);
                return CLI_EXIT_USAGE;
        }
        if (cli_connect_or_report(o, &c, argv[1]) < 0)
                return CLI_EXIT_FAIL;
        r = cli_request(&c, method, json_pack("{s:s}", "id", argv[1]), &res);
        cli_disconnect(&c);
        if (r != 0)
                return r;
        printf("%s\n", json_string_value(json_object_get(res, "id")));
        json_decref(res);
        return 0;
}

int cli_cmd_pause(const struct cli_opts *o, int argc, char **argv)
{
        return freeze(o, argc, argv, "sandbox.pause");
}

int cli_cmd_resume(const struct cli_opts *o, int argc, char **argv)
{
        return freeze(o, argc, argv, "sandbox.resume");
}
