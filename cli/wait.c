/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_cmd_wait(const struct cli_opts *o, int argc, char **argv)
{
        struct cli_conn c;
        json_t *res = NULL;
        bool json = o->json, ready = false;
        const char *ref = NULL;
        int r;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0)
                        json = true;
                else if (strcmp(argv[i], "--ready") == 0)
                        ready = true;
                else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
                        printf("Usage: nucleus wait [--json] [--ready] ID\n\nWait until the sandbox ends; print its exit code "
                               "(or, with --json, the final result).\n"
                               "  --ready  wait until it is ready instead (its readiness probe passed; at once without\n"
                               "           one); fails if it ends first\n");
                        return 0;
                } else if (!ref && argv[i][0] != '-')
                        ref = argv[i];
                else {
                        fprintf(stderr, "nucleus: unexpected argument '%s' (usage: nucleus wait [--json] [--ready] ID)\n", argv[i]);
                        return CLI_EXIT_USAGE;
                }
        }
        if (!ref) {
                fprintf(stderr, "nucleus: usage: nucleus wait [--json] [--ready] ID\n");
                return CLI_EXIT_USAGE;
        }
        if (cli_connect_or_report(o, &c, ref) < 0)
                return CLI_EXIT_FAIL;
        r = cli_request(&c, "sandbox.wait", json_pack("{s:s, s:s}", "id", ref, "until", ready ? "ready" : "exit"), &res);
        cli_disconnect(&c);
        if (r != 0)
                return r;
        if (ready && !json_is_true(json_object_get(res, "ready"))) {
                fprintf(stderr, "nucleus: sandbox %s ended before it was ready (exit code %lld)\n", ref,
                        (long long)json_integer_value(json_object_get(res, "exit_code")));
                json_decref(res);
                return CLI_EXIT_FAIL;
        }
        if (ready && !json) {
                printf("ready\n");
                json_decref(res);
                return 0;
        }
        if (json) {
                json_dumpf(res, stdout, JSON_INDENT(2));
                printf("\n");
        } else
                printf("%lld\n", (long long)json_integer_value(json_object_get(res, "exit_code")));
        json_decref(res);
        return 0;
}
