/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
        fprintf(f, "Usage: nucleus inspect [--network] ID|NAME\n\n"
                   "Print everything the supervisor knows about a sandbox, as JSON.\n"
                   "  --network   print the sandbox's network instead, then the nft rules that apply\n"
                   "              to it (a bridge sandbox: the shared rules and its own), as nft lists them\n");
}

int cli_cmd_inspect(const struct cli_opts *o, int argc, char **argv)
{
        const char *ref = NULL;
        bool network = false;
        struct cli_conn c;
        json_t *res = NULL;
        int r;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
                        usage(stdout);
                        return 0;
                }
                if (strcmp(argv[i], "--network") == 0)
                        network = true;
                else if (argv[i][0] == '-' || ref) {
                        fprintf(stderr, "nucleus: unexpected argument '%s' for inspect\n", argv[i]);
                        usage(stderr);
                        return CLI_EXIT_USAGE;
                } else
                        ref = argv[i];
        }
        if (!ref) {
                usage(stderr);
                return CLI_EXIT_USAGE;
        }
        if (cli_connect_or_report(o, &c, ref) < 0)
                return CLI_EXIT_FAIL;
        r = cli_request(&c, "sandbox.inspect", json_pack("{s:s, s:b}", "id", ref, "network_rules", network), &res);
        cli_disconnect(&c);
        if (r != 0)
                return r;
        if (network) {
                json_t *net = json_object_get(res, "network");
                json_t *rules = json_incref(json_object_get(net, "rules"));     /* outlives the del */

                json_object_del(net, "rules");
                json_dumpf(net, stdout, JSON_INDENT(2));
                if (json_is_string(rules))
                        printf("\n%s", json_string_value(rules));
                else
                        printf("\n# no nft rules: only bridge sandboxes have any\n");
                json_decref(rules);
        } else {
                json_dumpf(res, stdout, JSON_INDENT(2));
                printf("\n");
        }
        json_decref(res);
        return 0;
}
