/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_cmd_rm(const struct cli_opts *o, int argc, char **argv)
{
        bool force = false;
        int nrefs = 0;

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
        char *ids[argc];
        size_t n = 0;
        for (int i = 1; i < argc; i++)
                if (argv[i][0] != '-')
                        ids[n++] = argv[i];
        json_t *extra = json_pack("{s:b}", "force", force);
        int rc = cli_each_id(o, ids, n, "sandbox.remove", extra);
        json_decref(extra);
        return rc;
}
