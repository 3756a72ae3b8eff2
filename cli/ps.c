/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "macros.h"
#include "util.h"

static void age(const char *rfc3339, char *buf, size_t cap)
{
        struct tm tm = { 0 };
        time_t t, now = time(NULL);
        long d;

        if (!rfc3339 || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm)) {
                snprintf(buf, cap, "-");
                return;
        }
        t = timegm(&tm);
        d = (long)(now - t);
        if (d < 60)
                snprintf(buf, cap, "%lds ago", d < 0 ? 0 : d);
        else if (d < 3600)
                snprintf(buf, cap, "%ldm ago", d / 60);
        else if (d < 86400)
                snprintf(buf, cap, "%ldh ago", d / 3600);
        else
                snprintf(buf, cap, "%ldd ago", d / 86400);
}

static const char *str_or_b64(const json_t *v)
{
        return json_is_string(v) ? json_string_value(v) : "<binary>";
}

int cli_cmd_ps(const struct cli_opts *o, int argc, char **argv)
{
        struct cli_conn c;
        json_t *res = NULL, *arr, *sb;
        bool all = false, json = o->json;
        size_t i;
        int r;

        for (int k = 1; k < argc; k++) {
                if (strcmp(argv[k], "-a") == 0 || strcmp(argv[k], "--all") == 0)
                        all = true;
                else if (strcmp(argv[k], "--json") == 0)
                        json = true;
                else if (strcmp(argv[k], "-h") == 0 || strcmp(argv[k], "--help") == 0) {
                        printf("Usage: nucleus ps [-a|--all] [--json]\n\nList running sandboxes; -a includes exited ones.\n");
                        return 0;
                } else {
                        fprintf(stderr, "nucleus: unknown argument '%s' for ps (use -a, --json)\n", argv[k]);
                        return CLI_EXIT_USAGE;
                }
        }
        r = cli_connect(o, &c, CLI_CONNECT_EXISTING);
        if (r == -ENOENT) {
                /* No supervisor: no sandboxes. Not an error for a listing. */
                if (json)
                        printf("[]\n");
                else
                        printf("%-12s  %-20s  %-8s  %-9s  %-5s  %-8s  %-10s  %s\n", "ID", "NAME", "STATE", "HEALTH", "READY", "PID", "AGE",
                       "COMMAND");
                return 0;
        }
        if (r < 0)
                return CLI_EXIT_NUCLEUS;
        r = cli_request(&c, "sandbox.list", json_pack("{s:b}", "all", all), &res);
        cli_disconnect(&c);
        if (r != 0)
                return r;
        arr = json_object_get(res, "sandboxes");
        if (json) {
                json_dumpf(arr, stdout, JSON_INDENT(2));
                printf("\n");
                json_decref(res);
                return 0;
        }
        printf("%-12s  %-20s  %-8s  %-9s  %-5s  %-8s  %-10s  %s\n", "ID", "NAME", "STATE", "HEALTH", "READY", "PID", "AGE",
                       "COMMAND");
        json_array_foreach(arr, i, sb) {
                char when[32], cmd[64] = "", pid[16] = "-";
                json_t *a;
                size_t k;

                age(json_string_value(json_object_get(sb, "created_at")), when, sizeof(when));
                json_array_foreach(json_object_get(sb, "command"), k, a) {
                        if (k)
                                strncat(cmd, " ", sizeof(cmd) - strlen(cmd) - 1);
                        strncat(cmd, str_or_b64(a), sizeof(cmd) - strlen(cmd) - 1);
                }
                /* One line per sandbox, whatever the command contains. */
                for (char *p = cmd; *p; p++)
                        if ((unsigned char)*p < 0x20 || *p == 0x7f)
                                *p = ' ';
                if (json_integer_value(json_object_get(sb, "pid")) > 0)
                        snprintf(pid, sizeof(pid), "%lld", (long long)json_integer_value(json_object_get(sb, "pid")));
                /* HEALTH: "-" without a health check; READY: only while it runs. */
                const char *health = json_string_value(json_object_get(sb, "health"));
                bool live = json_is_true(json_object_get(sb, "ready")) || strcmp(pid, "-") != 0;
                printf("%-12.12s  %-20.20s  %-8s  %-9s  %-5s  %-8s  %-10s  %s\n", json_string_value(json_object_get(sb, "id")),
                       str_or_b64(json_object_get(sb, "name")), json_string_value(json_object_get(sb, "state")),
                       health && live ? health : "-", !live ? "-" : json_is_true(json_object_get(sb, "ready")) ? "yes" : "no",
                       pid, when, cmd);
        }
        json_decref(res);
        return 0;
}
