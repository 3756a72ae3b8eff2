/* SPDX-License-Identifier: Apache-2.0 */
/* Policy files of `nucleus run`. The seed's capability and Landlock policies are TOML:
 * they are converted by nucleus-toml2json (C++, toml++), run only when such a file is
 * given, so libstdc++ never loads on the CLI's normal path and nucleusd never parses
 * TOML. A file named *.json is taken as JSON directly. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"
#include "macros.h"

#define POLICY_JSON_MAX (1024 * 1024)

static bool ends_with(const char *s, const char *suffix)
{
        size_t n = strlen(s), k = strlen(suffix);

        return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Runs the helper with the opened file as its stdin and parses what it prints. Its
 * errors ("caps.toml:4:9: ...") go straight to our stderr. */
static json_t *toml_to_json(int fd, const char *path)
{
        char exe[PATH_MAX], *buf = NULL;
        int pipefd[2], status;
        ssize_t n;
        json_error_t jerr;
        json_t *j = NULL;
        pid_t pid;

        if (cli_find_binary("nucleus-toml2json", "NUCLEUS_TOML2JSON", NUCLEUS_TOML2JSON_PATH, exe, sizeof(exe)) < 0) {
                cli_binary_missing("nucleus-toml2json", "NUCLEUS_TOML2JSON", NUCLEUS_TOML2JSON_PATH, "which reads TOML policies");
                return NULL;
        }
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return NULL;
        pid = fork();
        if (pid < 0) {
                close(pipefd[0]);
                close(pipefd[1]);
                return NULL;
        }
        if (pid == 0) {
                if (dup2(fd, 0) < 0 || dup2(pipefd[1], 1) < 0)
                        _exit(127);
                execl(exe, exe, "--name", path, "-", (char *)NULL);
                _exit(127);
        }
        close(pipefd[1]);
        n = nc_read_all(pipefd[0], POLICY_JSON_MAX, &buf);
        close(pipefd[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && n > 0) {
                j = json_loadb(buf, (size_t)n, 0, &jerr);
                if (!j)   /* the helper's bug, but the user still gets a reason */
                        fprintf(stderr, "nucleus: %s: the converted policy is not valid JSON: %s\n", path, jerr.text);
        } else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
                fprintf(stderr, "nucleus: could not run %s\n", exe);
        free(buf);
        return j;
}

int cli_policy_open(struct cli_policy *p, const char *path)
{
        if (p->fd >= 0)
                close(p->fd);
        json_decref(p->json);
        p->json = NULL;
        p->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (p->fd < 0) {
                fprintf(stderr, "nucleus: Failed to open %s '%s': %s\n", p->what, path, strerror(errno));
                return -errno;
        }
        if (!p->toml)
                return 0;       /* nucleusd reads the file itself (the seccomp profile is JSON) */
        if (ends_with(path, ".json")) {
                json_error_t jerr;

                p->json = json_loadfd(p->fd, JSON_REJECT_DUPLICATES, &jerr);
                if (!p->json)
                        fprintf(stderr, "nucleus: %s:%d:%d: %s\n", path, jerr.line, jerr.column, jerr.text);
        } else
                p->json = toml_to_json(p->fd, path);
        return p->json ? 0 : -EINVAL;
}

int cli_policy_pin(struct cli_policy *p, const char *flag, const char *hex)
{
        if (strlen(hex) != 64 || strspn(hex, "0123456789abcdefABCDEF") != 64) {
                fprintf(stderr, "nucleus: invalid %s '%s': 64 hex characters expected\n", flag, hex);
                return -EINVAL;
        }
        free(p->sha256);
        p->sha256 = strdup(hex);
        for (char *c = p->sha256; c && *c; c++)
                *c = (char)tolower((unsigned char)*c);
        return p->sha256 ? 0 : -ENOMEM;
}

json_t *cli_policy_param(const struct cli_policy *p)
{
        json_t *j = json_object();

        if (p->sha256)
                json_object_set_new(j, "sha256", json_string(p->sha256));
        if (p->json)
                json_object_set(j, "policy", p->json);
        return j;
}

void cli_policy_done(struct cli_policy *p)
{
        if (p->fd >= 0)
                close(p->fd);
        free(p->sha256);
        json_decref(p->json);
        p->fd = -1;
        p->sha256 = NULL;
        p->json = NULL;
}
