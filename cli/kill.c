/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus kill [-s SIG] ID, and the seed's positional form nucleus kill ID [SIG]. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"

int cli_cmd_kill(const struct cli_opts *o, int argc, char **argv)
{
        const char *sigarg = NULL, *ref = NULL;
        struct cli_conn c;
        json_t *res = NULL;
        int sig = 9, r;

        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];

                if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        printf("Usage: nucleus kill [-s|--signal SIG] ID [SIG]\n\nSend SIG (default KILL) to the sandbox's workload.\n");
                        return 0;
                }
                if ((strcmp(a, "-s") == 0 || strcmp(a, "--signal") == 0) && i + 1 < argc)
                        sigarg = argv[++i];
                else if (strncmp(a, "--signal=", 9) == 0)
                        sigarg = a + 9;
                else if (strcmp(a, "-s") == 0 || strcmp(a, "--signal") == 0) {
                        fprintf(stderr, "nucleus: %s needs a value (a signal name such as TERM, or a number)\n", a);
                        return CLI_EXIT_USAGE;
                } else if (a[0] == '-' && a[1] != 0) {
                        fprintf(stderr, "nucleus: unknown option '%s' for kill\n", a);
                        return CLI_EXIT_USAGE;
                } else if (!ref)
                        ref = a;
                else if (!sigarg)
                        sigarg = a;
                else {
                        fprintf(stderr, "nucleus: unexpected argument '%s' (usage: nucleus kill [-s SIG] ID)\n", a);
                        return CLI_EXIT_USAGE;
                }
        }
        if (!ref) {
                fprintf(stderr, "nucleus: usage: nucleus kill [-s SIG] ID\n");
                return CLI_EXIT_USAGE;
        }
        if (sigarg && (sig = nc_signal_parse(sigarg)) < 0) {
                fprintf(stderr, "nucleus: invalid signal '%s': use a name (TERM, SIGTERM) or a number from 1 to 64\n", sigarg);
                return CLI_EXIT_USAGE;
        }
        if (cli_connect_or_report(o, &c, ref) < 0)
                return CLI_EXIT_FAIL;
        r = cli_request(&c, "sandbox.kill", json_pack("{s:s, s:i}", "id", ref, "signal", sig), &res);
        cli_disconnect(&c);
        if (r != 0)
                return r;
        printf("%s\n", json_string_value(json_object_get(res, "id")));
        json_decref(res);
        return 0;
}
