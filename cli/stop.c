/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus stop [-t SECONDS] ID...: SIGTERM, then SIGKILL after the timeout (default 10 s);
 * returns once each sandbox has ended, and prints its id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_cmd_stop(const struct cli_opts *o, int argc, char **argv)
{
        long long timeout = 10;
        int nrefs = 0;

        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *v = NULL;
                char *end;

                if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        printf("Usage: nucleus stop [-t|--timeout SECONDS] ID...\n\nSend SIGTERM, then SIGKILL after SECONDS "
                               "(default 10); return when the sandbox has ended.\n");
                        return 0;
                }
                if ((strcmp(a, "-t") == 0 || strcmp(a, "--timeout") == 0) && i + 1 < argc)
                        v = argv[++i];
                else if (strncmp(a, "--timeout=", 10) == 0)
                        v = a + 10;
                else if (strcmp(a, "-t") == 0 || strcmp(a, "--timeout") == 0) {
                        fprintf(stderr, "nucleus: %s needs a value (seconds from 0 to 86400)\n", a);
                        return CLI_EXIT_USAGE;
                } else if (a[0] == '-') {
                        fprintf(stderr, "nucleus: unknown option '%s' for stop\n", a);
                        return CLI_EXIT_USAGE;
                } else {
                        nrefs++;
                        continue;
                }
                timeout = strtoll(v, &end, 10);
                if (*end || end == v || timeout < 0 || timeout > 86400) {
                        fprintf(stderr, "nucleus: invalid timeout '%s': seconds from 0 to 86400\n", v);
                        return CLI_EXIT_USAGE;
                }
        }
        if (nrefs == 0) {
                fprintf(stderr, "nucleus: usage: nucleus stop [-t SECONDS] ID...\n");
                return CLI_EXIT_USAGE;
        }
        char *ids[argc];
        size_t n = 0;
        for (int i = 1; i < argc; i++) {
                if (argv[i][0] != '-')
                        ids[n++] = argv[i];
                else if (strcmp(argv[i], "-t") == 0 || strcmp(argv[i], "--timeout") == 0)
                        i++;
        }
        json_t *extra = json_pack("{s:I}", "timeout", (json_int_t)timeout);
        int rc = cli_each_id(o, ids, n, "sandbox.stop", extra);
        json_decref(extra);
        return rc;
}
