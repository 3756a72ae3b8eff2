/* SPDX-License-Identifier: Apache-2.0 */
/* Prints the generated part of docs/security.md from the tables the code enforces, so
 * the document cannot drift from the code: ctest compares the two (doc.security), and
 * `security_doc --write docs/security.md` updates the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "landlock.h"
#include "macros.h"
#include "mounts.h"
#include "rlimits.h"
#include "seccomp_filter.h"

#define BEGIN "<!-- BEGIN GENERATED: tests/security_doc.c -->\n"
#define END "<!-- END GENERATED -->\n"

/* Items as `<prefix><name>`, wrapped. */
static void words(FILE *f, const char *const *v, const char *prefix)
{
        size_t col = 0;

        for (size_t i = 0; v[i]; i++) {
                char item[96];
                int n = snprintf(item, sizeof(item), "`%s%s`", prefix, v[i]);

                if (col + (size_t)n > 88) {
                        fputc('\n', f);
                        col = 0;
                }
                col += (size_t)fprintf(f, "%s%s", col ? " " : "", item);
        }
        fputc('\n', f);
}

static void named(FILE *f, const struct sbx_named_value *v)
{
        const char *names[128];
        size_t n = 0;

        for (; v->name && n < 127; v++)
                names[n++] = v->name;
        names[n] = NULL;
        words(f, names, "");
}

static void generate(FILE *f)
{
        fputs(BEGIN, f);
        fprintf(f, "\n### seccomp: allowed system calls (%zu, x86_64)\n\n", sbx_seccomp_allowed_count());
        words(f, sbx_seccomp_allowed, "");
        fputs("\n### seccomp: allowed with argument checks\n\n| call | rule |\n|---|---|\n", f);
        for (const struct sbx_seccomp_rule *r = sbx_seccomp_filtered; r->name; r++)
                fprintf(f, "| `%s` | %s |\n", r->name, r->rule);
        fputs("\nioctl requests:\n", f);
        named(f, sbx_seccomp_ioctls);
        fputs("\nprctl options:\n", f);
        named(f, sbx_seccomp_prctls);
        fprintf(f, "\n### seccomp: calls that kill the process (%zu)\n\n", sbx_seccomp_killed_count());
        words(f, sbx_seccomp_killed, "");
        fputs("\nAny other call fails with `EPERM`. A call made with another architecture's numbers kills.\n", f);
        fputs("\n### seccomp: the opt-in list (`--seccomp-allow NAME`)\n\n", f);
        words(f, sbx_seccomp_optin, "");
        fputs("\n### Landlock (default policy; rights beyond the negotiated ABI are dropped)\n\n"
              "| path | rights |\n|---|---|\n", f);
        for (size_t i = 0;; i++) {
                const char *path;
                char rights[256];

                if (sbx_landlock_rule_describe(i, &path, rights, sizeof(rights)) < 0)
                        break;
                fprintf(f, "| `%s` | %s |\n", path, rights);
        }
        fputs("| anything else | nothing |\n", f);
        fputs("\n### /proc\n\nMounted read-only. Masked by an empty read-only file:\n", f);
        words(f, sbx_proc_masked_files, "/proc/");
        fputs("\nMasked by an empty read-only tmpfs:\n", f);
        words(f, sbx_proc_masked_dirs, "/proc/");
        fprintf(f, "\n### rlimits\n\n| limit | value |\n|---|---|\n| `RLIMIT_NOFILE` | %d |\n"
                   "| `RLIMIT_NPROC` | %d |\n| `RLIMIT_MEMLOCK` | %d bytes |\n| `RLIMIT_CORE` | 0 |\n\n",
                SBX_RLIMIT_NOFILE, SBX_RLIMIT_NPROC, SBX_RLIMIT_MEMLOCK);
        fputs(END, f);
}

static char *slurp(const char *path)
{
        FILE *f = fopen(path, "r");
        char *buf;
        long n;

        if (!f)
                return NULL;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        rewind(f);
        buf = calloc(1, (size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
        }
        fclose(f);
        return buf;
}

static int run(int argc, char **argv, const char *gen, size_t genlen)
{
        _cleanup_free_ char *doc = NULL;
        char *begin, *end;

        if (argc == 1) {
                fputs(gen, stdout);
                return 0;
        }
        if (argc != 3 || (strcmp(argv[1], "--check") && strcmp(argv[1], "--write"))) {
                fprintf(stderr, "usage: security_doc [--check|--write] docs/security.md\n");
                return 2;
        }
        doc = slurp(argv[2]);
        begin = doc ? strstr(doc, BEGIN) : NULL;
        end = begin ? strstr(begin, END) : NULL;
        if (!end) {
                fprintf(stderr, "%s: no generated block (%s ... %s)\n", argv[2], "BEGIN GENERATED", "END GENERATED");
                return 1;
        }
        end += strlen(END);
        if (strcmp(argv[1], "--check") == 0) {
                if ((size_t)(end - begin) == genlen && memcmp(begin, gen, genlen) == 0) {
                        printf("%s matches the code\n", argv[2]);
                        return 0;
                }
                fprintf(stderr, "%s is out of date with the code; run: build/bin/security_doc --write %s\n", argv[2], argv[2]);
                return 1;
        }
        FILE *out = fopen(argv[2], "w");
        if (!out)
                return perror(argv[2]), 1;
        fwrite(doc, 1, (size_t)(begin - doc), out);
        fputs(gen, out);
        fputs(end, out);
        return fclose(out) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
        char *gen = NULL;
        size_t genlen = 0;
        FILE *mem = open_memstream(&gen, &genlen);
        int rc;

        if (!mem)
                return perror("open_memstream"), 1;
        generate(mem);
        fclose(mem);
        rc = run(argc, argv, gen, genlen);
        free(gen);
        return rc;
}
