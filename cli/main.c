/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "macros.h"

static const struct cli_command commands[] = {
        { "run", "create", cli_cmd_run, "run a command in a new sandbox, in the foreground" },
        { "ps", "state", cli_cmd_ps, "list sandboxes" },
        { "inspect", NULL, cli_cmd_inspect, "show a sandbox as JSON" },
        { "kill", NULL, cli_cmd_kill, "send a signal to a sandbox" },
        { "exec", NULL, cli_cmd_exec, "run another command inside a running sandbox (-t: a terminal)" },
        { "attach", NULL, cli_cmd_exec, "this terminal on a -t sandbox's terminal (attach ID -- CMD: exec)" },
        { "stop", NULL, cli_cmd_stop, "stop sandboxes: SIGTERM, then SIGKILL after a timeout" },
        { "logs", NULL, cli_cmd_logs, "print (or follow) the output of a detached sandbox" },
        { "pause", NULL, cli_cmd_pause, "freeze every process of a sandbox" },
        { "resume", NULL, cli_cmd_resume, "thaw a paused sandbox" },
        { "rm", "delete", cli_cmd_rm, "remove sandboxes" },
        { "wait", NULL, cli_cmd_wait, "wait for a sandbox to end and print its exit code" },
        { "events", NULL, cli_cmd_events, "print every state change of every sandbox, as it happens" },
        { "stats", NULL, cli_cmd_stats, "CPU, memory and process usage of sandboxes" },
        { "info", NULL, cli_cmd_info, "show the supervisor's status" },
        { "version", NULL, cli_cmd_version, "show client and supervisor versions" },
        { "seccomp", NULL, cli_cmd_seccomp, "seccomp profiles: generate one from a --seccomp-mode trace log" },
        /* Seed commands that are recognised and refused with the issue that brings them. */

        { "checkpoint", NULL, cli_cmd_planned, NULL },
        { "restore", NULL, cli_cmd_planned, NULL }, { "compose", NULL, cli_cmd_planned, NULL },
        { "image", NULL, cli_cmd_planned, NULL },  { "start", NULL, cli_cmd_planned, NULL },
};

static void usage(FILE *f)
{
        fprintf(f, "Usage: nucleus [GLOBAL OPTIONS] COMMAND [ARGS...]\n\nCommands:\n");
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                if (commands[i].summary)
                        fprintf(f, "  %-9s %s%s%s%s\n", commands[i].name, commands[i].summary,
                                commands[i].alias ? " (alias: " : "", commands[i].alias ? commands[i].alias : "",
                                commands[i].alias ? ")" : "");
        fprintf(f,
                "\nGlobal options:\n"
                "  --socket PATH       the supervisor's socket (env NUCLEUS_SOCKET; default /run/nucleus/nucleus.sock)\n"
                "  --root DIR          the state directory (env NUCLEUS_STATE_DIR; default /run/nucleus)\n"
                "  --log PATH          log file of a supervisor this command starts (default <root>/nucleusd.log)\n"
                "  --log-format FMT    text or json, for that log\n"
                "  --json              machine-readable output (ps, wait, logs, stats, events, version;\n"
                "                      info and inspect print JSON anyway)\n"
                "  --version           same as `nucleus version`\n"
                "  -h, --help          this text; `nucleus COMMAND --help` for a command\n"
                "\nWhen no supervisor runs, `run` starts one (nucleusd) that exits after 60 s without\n"
                "sandboxes or clients (env NUCLEUS_IDLE_TIMEOUT, seconds).\n");
}

static int global_value(int argc, char **argv, int *i, const char *name, const char **ret)
{
        size_t n = strlen(name);

        if (strncmp(argv[*i], name, n) != 0)
                return 0;
        if (argv[*i][n] == '=') {
                *ret = argv[*i] + n + 1;
                return 1;
        }
        if (argv[*i][n] != 0)
                return 0;
        if (*i + 1 >= argc) {
                fprintf(stderr, "nucleus: %s needs a value\n", name);
                return -1;
        }
        *ret = argv[++*i];
        return 1;
}

/* An empty path would connect to an abstract socket named by zero bytes (or make the
 * state directory the current one), and one too long for sockaddr_un cannot be used:
 * both are refused, naming the value and the limit. */
static int set_path(const char *flag, char *dst, size_t cap, const char *value)
{
        if (!*value) {
                fprintf(stderr, "nucleus: %s needs a non-empty path\n", flag);
                return -EINVAL;
        }
        if (nc_paths_set(dst, cap, value) < 0) {
                fprintf(stderr, "nucleus: %s '%s' is too long: at most %zu bytes\n", flag, value, cap - 1);
                return -ENAMETOOLONG;
        }
        return 0;
}

int main(int argc, char **argv)
{
        struct cli_opts o = { 0 };
        struct nc_err err = { { 0 } };
        const char *v;
        int i, r;

        nc_log_setup("nucleus", -1, false, NC_LOG_WARN);
        if (nc_paths_default(&o.paths, &err) < 0) {
                fprintf(stderr, "nucleus: %s\n", err.msg);
                return CLI_EXIT_NUCLEUS;
        }
        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
                        usage(stdout);
                        return 0;
                }
                if (strcmp(argv[i], "--version") == 0)
                        return cli_cmd_version(&o, 1, (char *[]){ "version", NULL });
                if (strcmp(argv[i], "--json") == 0) {
                        o.json = true;
                        continue;
                }
                if ((r = global_value(argc, argv, &i, "--socket", &v)) != 0) {
                        if (r < 0 || set_path("--socket", o.paths.socket, sizeof(o.paths.socket), v) < 0)
                                return CLI_EXIT_USAGE;
                        continue;
                }
                if ((r = global_value(argc, argv, &i, "--root", &v)) != 0) {
                        if (r < 0 || set_path("--root", o.paths.state_dir, sizeof(o.paths.state_dir), v) < 0)
                                return CLI_EXIT_USAGE;
                        continue;
                }
                if ((r = global_value(argc, argv, &i, "--log", &o.log_path)) != 0) {
                        if (r < 0)
                                return CLI_EXIT_USAGE;
                        continue;
                }
                if ((r = global_value(argc, argv, &i, "--log-format", &o.log_format)) != 0) {
                        if (r < 0)
                                return CLI_EXIT_USAGE;
                        if (strcmp(o.log_format, "text") != 0 && strcmp(o.log_format, "json") != 0) {
                                fprintf(stderr, "nucleus: --log-format must be text or json, not '%s'\n", o.log_format);
                                return CLI_EXIT_USAGE;
                        }
                        continue;
                }
                fprintf(stderr, "nucleus: unknown global option '%s' (see nucleus --help)\n", argv[i]);
                return CLI_EXIT_USAGE;
        }
        if (i >= argc) {
                usage(stderr);
                return CLI_EXIT_USAGE;
        }
        for (size_t k = 0; k < ARRAY_SIZE(commands); k++)
                if (strcmp(argv[i], commands[k].name) == 0 || (commands[k].alias && strcmp(argv[i], commands[k].alias) == 0))
                        return commands[k].fn(&o, argc - i, argv + i);
        fprintf(stderr, "nucleus: unknown command '%s' (see nucleus --help)\n", argv[i]);
        return CLI_EXIT_USAGE;
}
