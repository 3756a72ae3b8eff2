/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus logs [-f] [-n N] [--since-seq S] [--timestamps] [--json] ID
 *
 * stdout records go to stdout and stderr records to stderr, as the workload wrote them.
 * Records the supervisor no longer holds are reported on stderr with their count, never
 * skipped silently. A follower reconnects by itself when nucleusd's loop process
 * restarts, resuming after the last record it printed; --since-seq does the same by
 * hand. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "spec.h"
#include "util.h"

static void print_record(const json_t *p, bool timestamps, bool json)
{
        const char *stream = json_string_value(json_object_get(p, "stream"));
        FILE *out = stream && strcmp(stream, "stderr") == 0 ? stderr : stdout;
        struct nc_err err = { { 0 } };
        char *line = NULL;

        if (json) {
                json_dumpf(p, stdout, JSON_COMPACT);
                fputc('\n', stdout);
                return;
        }
        if (nc_json_bytes_get(json_object_get(p, "line"), &line, &err, "line") < 0) {
                /* bytes with a NUL: print the base64 form rather than drop the record */
                line = strdup("<binary record>");
        }
        if (timestamps)
                fprintf(out, "%s ", json_string_value(json_object_get(p, "time")));
        fputs(line ? line : "", out);
        if (!json_is_true(json_object_get(p, "partial")))
                fputc('\n', out);
        free(line);
}

static long long send_request(struct cli_conn *c, const char *ref, bool follow, long long since, long long tail)
{
        json_t *params = json_pack("{s:s, s:b}", "id", ref, "follow", follow);

        if (since > 0)
                json_object_set_new(params, "since_seq", json_integer(since));
        else if (tail >= 0)
                json_object_set_new(params, "tail", json_integer(tail));
        return cli_send(c, "sandbox.logs", params, NULL, 0);
}

/* 30 s, as for `run`. */
#define RECONNECT_TRIES 600
#define RECONNECT_PAUSE_US 50000

static long long reconnect(const struct cli_opts *o, struct cli_conn *c, const char *ref, long long since, long long tail)
{
        cli_disconnect(c);
        fflush(stdout);
        for (int tries = 0; tries < RECONNECT_TRIES; tries++) {
                if (cli_connect(o, c, CLI_CONNECT_EXISTING) == 0)
                        return send_request(c, ref, true, since, tail);
                cli_disconnect(c);
                usleep(RECONNECT_PAUSE_US);
        }
        return -ENOTCONN;
}

int cli_cmd_logs(const struct cli_opts *o, int argc, char **argv)
{
        bool follow = false, timestamps = false, json = o->json;
        long long tail = -1, since = 0;
        const char *ref = NULL;
        struct cli_conn c;
        long long req;
        int rc = 0;

        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                char *end;

                if (strcmp(a, "-f") == 0 || strcmp(a, "--follow") == 0)
                        follow = true;
                else if (strcmp(a, "--timestamps") == 0 || strcmp(a, "-t") == 0)
                        timestamps = true;
                else if (strcmp(a, "--json") == 0)
                        json = true;
                else if ((strcmp(a, "-n") == 0 || strcmp(a, "--tail") == 0 || strcmp(a, "--since-seq") == 0) && i + 1 < argc) {
                        long long v = strtoll(argv[i + 1], &end, 10);
                        if (*end || end == argv[i + 1] || v < 0) {
                                fprintf(stderr, "nucleus: invalid %s '%s': a non-negative integer\n", a, argv[i + 1]);
                                return CLI_EXIT_USAGE;
                        }
                        if (strcmp(a, "--since-seq") == 0)
                                since = v;
                        else
                                tail = v;
                        i++;
                } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        printf("Usage: nucleus logs [-f] [-n N] [--since-seq S] [--timestamps] [--json] ID\n\n"
                               "Print the output of a detached sandbox; -f follows until it ends. Records carry\n"
                               "sequence numbers: --since-seq resumes exactly where an earlier reader stopped.\n\n"
                               "  -f, --follow         keep printing new records until the sandbox ends\n"
                               "  -n, --tail N         start at the last N records the supervisor still holds\n"
                               "  --since-seq S        start at record S (not with -n)\n"
                               "  -t, --timestamps     prefix each line with its time (RFC 3339)\n"
                               "  --json               one JSON object per record, as the API sends it (seq, time, stream, line, ...)\n");
                        return 0;
                } else if (strcmp(a, "-n") == 0 || strcmp(a, "--tail") == 0 || strcmp(a, "--since-seq") == 0) {
                        fprintf(stderr, "nucleus: %s needs a value (a non-negative integer)\n", a);
                        return CLI_EXIT_USAGE;
                } else if (a[0] != '-' && !ref)
                        ref = a;
                else {
                        fprintf(stderr, "nucleus: unexpected argument '%s' for logs\n", a);
                        return CLI_EXIT_USAGE;
                }
        }
        if (!ref) {
                fprintf(stderr, "nucleus: usage: nucleus logs [-f] [-n N] [--since-seq S] [--timestamps] [--json] ID\n");
                return CLI_EXIT_USAGE;
        }
        /* The supervisor ignores tail when since_seq is given: say so rather than drop -n. */
        if (since > 0 && tail >= 0) {
                fprintf(stderr, "nucleus: give either -n N (the last N records) or --since-seq S (from record S), not "
                                "both\n");
                return CLI_EXIT_USAGE;
        }
        if (cli_connect_or_report(o, &c, ref) < 0)
                return CLI_EXIT_FAIL;
        req = send_request(&c, ref, follow, since, tail);
        for (;;) {
                json_t *msg = NULL;
                const char *method;
                int r;

                /* A follower prints each record as it comes: into a pipe or a file stdout
                 * is fully buffered, and 'logs -f ID | grep x' (or > file) showed nothing
                 * for minutes, and lost it all when interrupted. */
                if (follow)
                        fflush(stdout);
                r = cli_recv(&c, &msg);

                /* A follower outlives a restart of nucleusd's loop process: it asks the
                 * new one for the records after the last it printed (docs/restart.md). */
                if (r <= 0 && follow && (req = reconnect(o, &c, ref, since, tail)) > 0)
                        continue;
                if (r <= 0) {
                        fprintf(stderr, "nucleus: lost the connection to the supervisor\n");
                        rc = CLI_EXIT_NUCLEUS;
                        break;
                }
                method = json_string_value(json_object_get(msg, "method"));
                const json_t *p = json_object_get(msg, "params");
                if (method && strcmp(method, "sandbox.log") == 0) {
                        print_record(p, timestamps, json);
                        since = json_integer_value(json_object_get(p, "seq")) + 1;
                } else if (method && strcmp(method, "sandbox.log_gap") == 0) {
                        since = json_integer_value(json_object_get(p, "from_seq")) + json_integer_value(json_object_get(p, "missed"));
                        fprintf(stderr, "nucleus: %lld lines from #%lld were lost: the supervisor keeps only the newest "
                                        "(the log file has them)\n",
                                (long long)json_integer_value(json_object_get(json_object_get(msg, "params"), "missed")),
                                (long long)json_integer_value(json_object_get(json_object_get(msg, "params"), "from_seq")));
                } else if (json_integer_value(json_object_get(msg, "id")) == req) {
                        if (json_object_get(msg, "error"))
                                rc = cli_print_error(json_object_get(msg, "error"));
                        json_decref(msg);
                        break;
                }
                json_decref(msg);
        }
        fflush(stdout);
        cli_disconnect(&c);
        return rc;
}
