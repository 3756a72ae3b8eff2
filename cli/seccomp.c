/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus seccomp: profiles from traces.
 *
 *   nucleus seccomp generate TRACE [-o PROFILE]
 *
 * TRACE is what `run --seccomp-mode trace --seccomp-log TRACE` wrote: one JSON object
 * per line, {"syscall": N, "name": "…", "count": N}. The profile allows exactly the
 * names seen and kills on anything else:
 *
 *   {"defaultAction": "SCMP_ACT_KILL_PROCESS", "architectures": ["SCMP_ARCH_X86_64"],
 *    "syscalls": [{"names": [sorted, unique], "action": "SCMP_ACT_ALLOW"}]}
 *
 * The CLI does not link libseccomp: names come from the trace, which nucleusd wrote
 * with libseccomp's names. Whether Nucleus accepts each name (a profile may allow only
 * calls from the default and opt-in lists) is checked by nucleusd when the profile is
 * used, which names any refused call. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "macros.h"

/* The architecture this CLI was built for: traces are made on the same host. */
#if defined(__x86_64__)
#define NATIVE_ARCH "SCMP_ARCH_X86_64"
#elif defined(__aarch64__)
#define NATIVE_ARCH "SCMP_ARCH_AARCH64"
#else
#define NATIVE_ARCH "SCMP_ARCH_NATIVE"
#endif

#define TRACE_MAX_LINES 100000
#define TRACE_MAX_LINE 4096
#define NAME_MAX_LEN 64

struct names {
        char **v;
        size_t n, cap;
};

static void names_done(struct names *ns)
{
        for (size_t i = 0; i < ns->n; i++)
                free(ns->v[i]);
        free(ns->v);
}

static int names_add(struct names *ns, const char *name)
{
        for (size_t i = 0; i < ns->n; i++)
                if (strcmp(ns->v[i], name) == 0)
                        return 0;
        if (ns->n == ns->cap) {
                size_t cap = ns->cap ? ns->cap * 2 : 64;
                char **v = realloc(ns->v, cap * sizeof(char *));
                if (!v)
                        return -ENOMEM;
                ns->v = v;
                ns->cap = cap;
        }
        if (!(ns->v[ns->n] = strdup(name)))
                return -ENOMEM;
        ns->n++;
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool name_valid(const char *s)
{
        size_t k = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");
        return k > 0 && k <= NAME_MAX_LEN && s[k] == 0;
}

/* One line of a trace. Returns 1 with *ret_name (borrowed from j) for a call to allow,
 * 0 for a call without a name (printed as a warning), or -EINVAL with msg filled. */
static int parse_line(const json_t *j, const char **ret_name, char *msg, size_t cap)
{
        const json_t *nr = json_object_get(j, "syscall"), *name = json_object_get(j, "name"), *count = json_object_get(j, "count");
        const char *key;
        json_t *v;

        if (!json_is_object(j)) {
                snprintf(msg, cap, "not a JSON object");
                return -EINVAL;
        }
        json_object_foreach((json_t *)j, key, v)
                if (strcmp(key, "syscall") && strcmp(key, "name") && strcmp(key, "count")) {
                        snprintf(msg, cap, "unknown member '%.64s' (accepted: syscall, name, count)", key);
                        return -EINVAL;
                }
        if (!json_is_integer(nr) || json_integer_value(nr) < 0 || json_integer_value(nr) > 65535) {
                snprintf(msg, cap, "'syscall' must be a system call number (an integer from 0 to 65535)");
                return -EINVAL;
        }
        if (!json_is_integer(count) || json_integer_value(count) < 1) {
                snprintf(msg, cap, "'count' must be a positive integer");
                return -EINVAL;
        }
        if (json_is_null(name)) {
                fprintf(stderr, "nucleus: warning: system call %lld has no name (newer than nucleusd's libseccomp); "
                                "left out, so it will be denied\n", (long long)json_integer_value(nr));
                return 0;
        }
        if (!json_is_string(name) || !name_valid(json_string_value(name))) {
                snprintf(msg, cap, "'name' must be a system call name ([a-z0-9_], at most %d characters) or null", NAME_MAX_LEN);
                return -EINVAL;
        }
        *ret_name = json_string_value(name);
        return 1;
}

static int read_trace(const char *path, struct names *ns)
{
        _cleanup_free_ char *line = NULL;
        size_t cap = 0, lineno = 0;
        FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
        ssize_t n;
        int r = 0;

        if (!f) {
                fprintf(stderr, "nucleus: cannot read trace '%s': %s\n", path, strerror(errno));
                return -errno;
        }
        while ((n = getline(&line, &cap, f)) >= 0) {
                char msg[256];
                const char *name = NULL;
                json_error_t jerr;
                json_t *j;

                lineno++;
                if (lineno > TRACE_MAX_LINES || n > TRACE_MAX_LINE) {
                        fprintf(stderr, "nucleus: %s:%zu: %s\n", path, lineno,
                                lineno > TRACE_MAX_LINES ? "too many lines for a trace" : "line too long for a trace");
                        r = -EINVAL;
                        break;
                }
                if (strspn(line, " \t\r\n") == (size_t)n)
                        continue;       /* a blank line, e.g. at the end */
                j = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
                if (!j) {
                        fprintf(stderr, "nucleus: %s:%zu: not JSON: %s\n", path, lineno, jerr.text);
                        r = -EINVAL;
                        break;
                }
                r = parse_line(j, &name, msg, sizeof(msg));
                if (r > 0)
                        r = names_add(ns, name);
                json_decref(j);
                if (r == -EINVAL)
                        fprintf(stderr, "nucleus: %s:%zu: %s (a trace line is {\"syscall\": N, \"name\": \"...\", \"count\": N})\n",
                                path, lineno, msg);
                if (r < 0)
                        break;
        }
        if (r == 0 && ferror(f)) {
                fprintf(stderr, "nucleus: cannot read trace '%s': %s\n", path, strerror(errno));
                r = -EIO;
        }
        if (f != stdin)
                fclose(f);
        if (r == 0 && ns->n == 0) {
                fprintf(stderr, "nucleus: %s: no system calls in the trace\n", path);
                r = -EINVAL;
        }
        return r < 0 ? r : 0;
}

static int write_profile(const struct names *ns, const char *out)
{
        json_t *names = json_array(), *p;
        int fd = 1, r = 0;
        char *text;

        for (size_t i = 0; names && i < ns->n; i++)
                json_array_append_new(names, json_string(ns->v[i]));
        p = json_pack("{s:s, s:[s], s:[{s:o, s:s}]}", "defaultAction", "SCMP_ACT_KILL_PROCESS", "architectures", NATIVE_ARCH,
                      "syscalls", "names", names, "action", "SCMP_ACT_ALLOW");
        text = p ? json_dumps(p, JSON_INDENT(2)) : NULL;
        json_decref(p);
        if (!text) {
                fprintf(stderr, "nucleus: out of memory\n");
                return -ENOMEM;
        }
        if (out && strcmp(out, "-") != 0) {
                fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
                if (fd < 0) {
                        fprintf(stderr, "nucleus: cannot write profile '%s': %s\n", out, strerror(errno));
                        free(text);
                        return -errno;
                }
        }
        size_t len = strlen(text);
        text[len] = '\n';       /* json_dumps' NUL becomes the final newline */
        for (size_t off = 0; off < len + 1 && r == 0;) {
                ssize_t n = write(fd, text + off, len + 1 - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        r = n < 0 ? -errno : -EIO;
                else
                        off += (size_t)n;
        }
        if (fd != 1 && close(fd) < 0 && r == 0)
                r = -errno;
        if (r < 0)
                fprintf(stderr, "nucleus: cannot write profile '%s': %s\n", out && strcmp(out, "-") ? out : "(stdout)",
                        strerror(-r));
        free(text);
        return r;
}

static void usage_generate(FILE *f)
{
        fprintf(f,
                "Usage: nucleus seccomp generate TRACE [-o PROFILE]\n"
                "\n"
                "Write a minimal OCI seccomp profile from a trace made with\n"
                "`nucleus run --seccomp-mode trace --seccomp-log TRACE -- COMMAND`: the system calls\n"
                "seen are allowed (names sorted), anything else kills the process\n"
                "(SCMP_ACT_KILL_PROCESS). Use it with `nucleus run --seccomp-profile PROFILE`.\n"
                "\n"
                "  -o, --output PROFILE   where to write it; - or none: standard output\n"
                "  -h, --help             this text\n");
}

static int cmd_generate(int argc, char **argv)
{
        struct names ns = { 0 };
        const char *trace = NULL, *out = NULL;
        int r;

        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];

                if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        usage_generate(stdout);
                        return 0;
                }
                if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
                        if (i + 1 >= argc) {
                                fprintf(stderr, "nucleus: %s needs a value (a file, or - for standard output)\n", a);
                                return CLI_EXIT_USAGE;
                        }
                        out = argv[++i];
                } else if (strncmp(a, "--output=", 9) == 0)
                        out = a + 9;
                else if (a[0] == '-' && a[1] != 0) {
                        fprintf(stderr, "nucleus: unknown option '%s' for seccomp generate (see nucleus seccomp generate --help)\n", a);
                        return CLI_EXIT_USAGE;
                } else if (trace) {
                        fprintf(stderr, "nucleus: seccomp generate takes one TRACE, got '%s' and '%s'\n", trace, a);
                        return CLI_EXIT_USAGE;
                } else
                        trace = a;
        }
        if (!trace) {
                fprintf(stderr, "nucleus: usage: nucleus seccomp generate TRACE [-o PROFILE]\n");
                return CLI_EXIT_USAGE;
        }
        r = read_trace(trace, &ns);
        if (r == 0) {
                qsort(ns.v, ns.n, sizeof(char *), cmp_str);
                r = write_profile(&ns, out);
        }
        names_done(&ns);
        return r < 0 ? CLI_EXIT_FAIL : 0;
}

static const struct {
        const char *name;
        int (*fn)(int argc, char **argv);
        const char *summary;
} commands[] = {
        { "generate", cmd_generate, "TRACE [-o PROFILE]  a minimal OCI profile from a --seccomp-mode trace log" },
};

static void usage(FILE *f)
{
        fprintf(f, "Usage: nucleus seccomp COMMAND [ARGS...]\n\nCommands:\n");
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
}

int cli_cmd_seccomp(const struct cli_opts *o, int argc, char **argv)
{
        (void)o;
        if (argc < 2) {
                usage(stderr);
                return CLI_EXIT_USAGE;
        }
        if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
                usage(stdout);
                return 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                if (strcmp(argv[1], commands[i].name) == 0)
                        return commands[i].fn(argc - 1, argv + 1);
        fprintf(stderr, "nucleus: unknown seccomp command '%s' (see nucleus seccomp --help)\n", argv[1]);
        return CLI_EXIT_USAGE;
}
