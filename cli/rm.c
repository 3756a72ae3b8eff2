/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_cmd_rm(const struct cli_opts *o, int argc, char **argv)
{
        struct cli_conn c;
        bool force = false, connected = false;
        int rc = 0, nrefs = 0;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--force") == 0)
                        force = true;
                else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
                        printf("Usage: nucleus rm [-f|--force] ID...\n\nRemove sandboxes; -f kills running ones first.\n"
                               "Returns when processes, cgroup and state are gone.\n");
                        return 0;
                } else if (argv[i][0] == '-') {
                        fprintf(stderr, "nucleus: unknown option '%s' for rm\n", argv[i]);
                        return CLI_EXIT_USAGE;
                } else
                        nrefs++;
        }
        if (nrefs == 0) {
                fprintf(stderr, "nucleus: usage: nucleus rm [-f] ID...\n");
                return CLI_EXIT_USAGE;
        }
        for (int i = 1; i < argc; i++) {
                json_t *res = NULL;
                int r;

                if (argv[i][0] == '-')
                        continue;
                if (!connected) {
                        if (cli_connect_or_report(o, &c, argv[i]) < 0)
                                return CLI_EXIT_FAIL;
                        connected = true;
                }
                r = cli_request(&c, "sandbox.remove", json_pack("{s:s, s:b}", "id", argv[i], "force", force), &res);
                if (r == CLI_EXIT_NUCLEUS) {
                        rc = r;
                        break;
                }
                if (r != 0) {
                        rc = r;
                        continue;
                }
                printf("%s\n", json_string_value(json_object_get(res, "id")));
                json_decref(res);
        }
        if (connected)
                cli_disconnect(&c);
        return rc;
}
