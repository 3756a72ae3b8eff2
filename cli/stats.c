/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus stats [ID] [--json] [--no-stream]: usage from the sandboxes' cgroups, live
 * (refreshed every second, like top) or once. CPU % is the CPU time used between two
 * samples over the time between them (100 % = one CPU). BLOCK I/O is bytes read / bytes
 * written through the block layer since the sandbox started. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "macros.h"

struct prev {
        char id[33];
        long long cpu_usec, at_ns;
};

static void human(long long bytes, char *buf, size_t cap)
{
        static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        double v = (double)bytes;
        int u = 0;

        if (bytes < 0) {
                snprintf(buf, cap, "-");
                return;
        }
        while (v >= 1024 && u < 4) {
                v /= 1024;
                u++;
        }
        snprintf(buf, cap, u ? "%.1f%s" : "%.0f%s", v, unit[u]);
}

static long long num(const json_t *o, const char *k)
{
        const json_t *v = json_object_get(o, k);
        return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

static void print_table(const json_t *list, struct prev *prev, size_t *nprev)
{
        const json_t *sb;
        size_t i;

        printf("%-12s  %-20s  %8s  %7s  %10s  %10s  %10s  %9s  %19s\n", "ID", "NAME", "CPU TIME", "CPU %", "MEM",
               "MEM LIMIT", "MEM PEAK", "PIDS", "BLOCK I/O");
        json_array_foreach(list, i, sb) {
                const json_t *u = json_object_get(sb, "usage");
                const char *id = json_string_value(json_object_get(sb, "id"));
                long long cpu = num(u, "cpu_usec"), at = num(sb, "sampled_at_ns");
                char mem[16], lim[16], peak[16], pct[16] = "-", pids[24] = "-", rd[16], wr[16], io[40] = "-";
                const json_t *name = json_object_get(sb, "name");

                for (size_t k = 0; k < *nprev && cpu >= 0; k++)
                        if (strcmp(prev[k].id, id) == 0 && at > prev[k].at_ns)
                                snprintf(pct, sizeof(pct), "%.1f",
                                         100.0 * (double)(cpu - prev[k].cpu_usec) * 1000.0 / (double)(at - prev[k].at_ns));
                human(num(u, "memory_bytes"), mem, sizeof(mem));
                human(num(u, "memory_limit_bytes"), lim, sizeof(lim));
                human(num(u, "memory_peak_bytes"), peak, sizeof(peak));
                if (num(u, "pids") >= 0)
                        snprintf(pids, sizeof(pids), "%lld/%s", num(u, "pids"),
                                 num(u, "pids_limit") > 0 ? "" : "-");
                if (num(u, "io_read_bytes") >= 0) {
                        human(num(u, "io_read_bytes"), rd, sizeof(rd));
                        human(num(u, "io_write_bytes"), wr, sizeof(wr));
                        snprintf(io, sizeof(io), "%s / %s", rd, wr);
                }
                if (num(u, "pids_limit") > 0)
                        snprintf(pids, sizeof(pids), "%lld/%lld", num(u, "pids"), num(u, "pids_limit"));
                printf("%-12.12s  %-20.20s  %7.2fs  %7s  %10s  %10s  %10s  %9s  %19s\n", id,
                       json_is_string(name) ? json_string_value(name) : "<binary>", cpu >= 0 ? (double)cpu / 1e6 : 0.0, pct,
                       mem, lim, peak, pids, io);
                if (*nprev < 256 && id) {
                        size_t k;
                        for (k = 0; k < *nprev && strcmp(prev[k].id, id) != 0; k++)
                                ;
                        if (k == *nprev)
                                (*nprev)++;
                        snprintf(prev[k].id, sizeof(prev[k].id), "%s", id);
                        prev[k].cpu_usec = cpu;
                        prev[k].at_ns = at;
                }
        }
}

int cli_cmd_stats(const struct cli_opts *o, int argc, char **argv)
{
        bool json = o->json, stream = true;
        const char *ref = NULL;
        struct prev prev[256];
        size_t nprev = 0;
        struct cli_conn c;
        int r;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0)
                        json = true;
                else if (strcmp(argv[i], "--no-stream") == 0)
                        stream = false;
                else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
                        printf("Usage: nucleus stats [--json] [--no-stream] [ID]\n\nCPU time and %%, memory usage, limit and "
                               "peak, processes and block I/O of running sandboxes\n(or of ID), refreshed every second; --no-stream "
                               "prints once. --json prints one JSON document per sample.\n");
                        return 0;
                } else if (argv[i][0] != '-' && !ref)
                        ref = argv[i];
                else {
                        fprintf(stderr, "nucleus: unexpected argument '%s' (usage: nucleus stats [--json] [--no-stream] [ID])\n", argv[i]);
                        return CLI_EXIT_USAGE;
                }
        }
        r = cli_connect(o, &c, CLI_CONNECT_EXISTING);
        if (r == -ENOENT) {
                fprintf(stderr, "nucleus: no supervisor is running at %s\n", o->paths.socket);
                return CLI_EXIT_FAIL;
        }
        if (r < 0)
                return CLI_EXIT_NUCLEUS;
        for (int round = 0;; round++) {
                json_t *res = NULL, *err = NULL, *list;

                r = cli_call(&c, "sandbox.stats", ref ? json_pack("{s:s}", "id", ref) : json_object(), &res, &err);
                if (r != 0) {
                        if (r > 0) {
                                r = cli_print_error(err);
                                json_decref(err);
                        } else
                                r = CLI_EXIT_NUCLEUS;
                        cli_disconnect(&c);
                        return r;
                }
                list = ref ? json_pack("[O]", res) : json_incref(json_object_get(res, "sandboxes"));
                if (json) {
                        json_dumpf(ref ? res : list, stdout, JSON_COMPACT);
                        printf("\n");
                } else {
                        if (stream && isatty(1))
                                printf("\033[H\033[2J");   /* like top: redraw in place */
                        else if (round > 0)
                                printf("\n");
                        print_table(list, prev, &nprev);
                }
                fflush(stdout);
                json_decref(list);
                json_decref(res);
                if (!stream)
                        break;
                sleep(1);
        }
        cli_disconnect(&c);
        return 0;
}
