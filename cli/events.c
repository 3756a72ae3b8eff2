/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus events [--json]: every state change of every sandbox this user may see, as
 * it happens, until interrupted. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_cmd_events(const struct cli_opts *o, int argc, char **argv)
{
        bool json = o->json;
        struct cli_conn c;
        long long req;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0)
                        json = true;
                else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
                        printf("Usage: nucleus events [--json]\n\nPrint every state change of every sandbox you may see, "
                               "as it happens.\n");
                        return 0;
                } else {
                        fprintf(stderr, "nucleus: unexpected argument '%s' for events\n", argv[i]);
                        return CLI_EXIT_USAGE;
                }
        }
        if (cli_connect(o, &c, CLI_CONNECT_EXISTING) < 0) {
                fprintf(stderr, "nucleus: no supervisor is running at %s\n", o->paths.socket);
                return CLI_EXIT_FAIL;
        }
        req = cli_send(&c, "events.subscribe", NULL, NULL, 0);
        for (;;) {
                json_t *msg = NULL, *p;
                int r = cli_recv(&c, &msg);

                if (r <= 0)
                        break;
                if (json_integer_value(json_object_get(msg, "id")) == req && json_object_get(msg, "error")) {
                        r = cli_print_error(json_object_get(msg, "error"));
                        json_decref(msg);
                        cli_disconnect(&c);
                        return r;
                }
                p = json_object_get(msg, "params");
                if (p && json_string_value(json_object_get(msg, "method")) &&
                    strcmp(json_string_value(json_object_get(msg, "method")), "sandbox.event") == 0) {
                        if (json_integer_value(json_object_get(p, "lost_before")) > 0)
                                fprintf(stderr, "nucleus: %lld events were lost (this reader was too slow)\n",
                                        (long long)json_integer_value(json_object_get(p, "lost_before")));
                        if (json) {
                                json_object_del(p, "subscription");
                                json_dumpf(p, stdout, JSON_COMPACT);
                                putchar('\n');
                        } else {
                                /* A probe's change names its type: "health: starting -> healthy". */
                                const char *type = json_string_value(json_object_get(p, "type"));
                                bool probe = type && strcmp(type, "state") != 0;
                                printf("%s %.12s %-20s %s%s%s -> %s\n", json_string_value(json_object_get(p, "time")),
                                       json_string_value(json_object_get(p, "id")),
                                       json_is_string(json_object_get(p, "name")) ? json_string_value(json_object_get(p, "name")) : "<binary>",
                                       probe ? type : "", probe ? ": " : "", json_string_value(json_object_get(p, "from")),
                                       json_string_value(json_object_get(p, probe ? type : "state")));
                        }
                        fflush(stdout);
                }
                json_decref(msg);
        }
        cli_disconnect(&c);
        return 0;
}
