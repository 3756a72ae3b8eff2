/* SPDX-License-Identifier: Apache-2.0 */
#include <linux/magic.h>
#include <sys/statfs.h>
#include "util.h"
#include "macros.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int nc_id_new(char ret[NC_ID_LEN + 1])
{
        static const char hex[] = "0123456789abcdef";
        uint8_t raw[NC_ID_LEN / 2];
        ssize_t n = getrandom(raw, sizeof(raw), 0);

        if (n != (ssize_t)sizeof(raw))
                return n < 0 ? -errno : -EIO;
        for (size_t i = 0; i < sizeof(raw); i++) {
                ret[2 * i] = hex[raw[i] >> 4];
                ret[2 * i + 1] = hex[raw[i] & 15];
        }
        ret[NC_ID_LEN] = 0;
        return 0;
}

static bool all_lower_hex(const char *s, size_t min, size_t max)
{
        size_t n = 0;

        for (; s[n]; n++)
                if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')) || n >= max)
                        return false;
        return n >= min;
}

bool nc_id_valid(const char *s) { return s && all_lower_hex(s, NC_ID_LEN, NC_ID_LEN); }
bool nc_id_prefix_valid(const char *s) { return s && all_lower_hex(s, 1, NC_ID_LEN); }

bool nc_name_valid(const char *s)
{
        size_t n;

        if (!s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;
        for (n = 0; s[n]; n++)
                if (!(isalnum((unsigned char)s[n]) || s[n] == '.' || s[n] == '_' || s[n] == '-') ||
                    n >= NC_NAME_MAX)
                        return false;
        return n > 0;
}

bool nc_hostname_valid(const char *s)
{
        size_t n, label = 0;

        if (!s || !*s)
                return false;
        for (n = 0; s[n]; n++) {
                char c = s[n];

                if (n >= 64)
                        return false;
                if (c == '.') {
                        if (label == 0 || s[n - 1] == '-')
                                return false;
                        label = 0;
                        continue;
                }
                if (!(isalnum((unsigned char)c) || (c == '-' && label > 0)))
                        return false;
                if (++label > 63)
                        return false;
        }
        return label > 0 && s[n - 1] != '-';
}

int nc_signal_parse(const char *s)
{
        char *end;
        long v;

        if (!s || !*s)
                return -EINVAL;
        if (isdigit((unsigned char)*s)) {
                errno = 0;
                v = strtol(s, &end, 10);
                if (errno || *end || v <= 0 || v >= NSIG)
                        return -EINVAL;
                return (int)v;
        }
        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        for (int i = 1; i < SIGRTMIN; i++) {
                const char *abbrev = sigabbrev_np(i);

                if (abbrev && strcasecmp(abbrev, s) == 0)
                        return i;
        }
        return -EINVAL;
}

const char *nc_signal_name(int sig)
{
        static const char *const names[] = {
                [SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",   [SIGQUIT] = "SIGQUIT",
                [SIGILL] = "SIGILL",   [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
                [SIGBUS] = "SIGBUS",   [SIGFPE] = "SIGFPE",   [SIGKILL] = "SIGKILL",
                [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
                [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
                [SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",
                [SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN",
                [SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG",   [SIGXCPU] = "SIGXCPU",
                [SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
                [SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO",   [SIGPWR] = "SIGPWR",
                [SIGSYS] = "SIGSYS",
        };

        if (sig > 0 && (size_t)sig < ARRAY_SIZE(names) && names[sig])
                return names[sig];
        return "SIG?";
}

int nc_exit_code_from_wstatus(int wstatus)
{
        if (WIFEXITED(wstatus))
                return WEXITSTATUS(wstatus);
        if (WIFSIGNALED(wstatus))
                return 128 + WTERMSIG(wstatus);
        return 125;
}

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Hand-written on purpose: the CLI links only jansson so it starts fast, and libcrypto's
 * EVP_EncodeBlock would pull 4 MB of relocations into every `nucleus` invocation. */
size_t nc_b64_encoded_len(size_t n) { return (n + 2) / 3 * 4 + 1; }

void nc_b64_encode(const uint8_t *in, size_t n, char *out)
{
        size_t i, o = 0;

        for (i = 0; i + 2 < n; i += 3) {
                uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
                out[o++] = b64_alphabet[v >> 18 & 63];
                out[o++] = b64_alphabet[v >> 12 & 63];
                out[o++] = b64_alphabet[v >> 6 & 63];
                out[o++] = b64_alphabet[v & 63];
        }
        if (i < n) {
                uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
                out[o++] = b64_alphabet[v >> 18 & 63];
                out[o++] = b64_alphabet[v >> 12 & 63];
                out[o++] = i + 1 < n ? b64_alphabet[v >> 6 & 63] : '=';
                out[o++] = '=';
        }
        out[o] = 0;
}

static int b64_value(char c)
{
        const char *p = c ? strchr(b64_alphabet, c) : NULL;
        return p ? (int)(p - b64_alphabet) : -1;
}

ssize_t nc_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
        size_t o = 0;

        if (n % 4)
                return -EINVAL;
        for (size_t i = 0; i < n; i += 4) {
                int a = b64_value(in[i]), b = b64_value(in[i + 1]);
                int c = in[i + 2] == '=' ? -2 : b64_value(in[i + 2]);
                int d = in[i + 3] == '=' ? -2 : b64_value(in[i + 3]);
                bool last = i + 4 == n;

                /* Padding only at the very end, and "x=y=" is not a thing. */
                if (a < 0 || b < 0 || c == -1 || d == -1 || ((c == -2 || d == -2) && !last) ||
                    (c == -2 && d != -2))
                        return -EINVAL;
                uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)(c < 0 ? 0 : c) << 6 |
                             (uint32_t)(d < 0 ? 0 : d);
                size_t k = c == -2 ? 1 : d == -2 ? 2 : 3;
                if (o + k > cap)
                        return -ENOBUFS;
                out[o++] = (uint8_t)(v >> 16);
                if (k > 1)
                        out[o++] = (uint8_t)(v >> 8);
                if (k > 2)
                        out[o++] = (uint8_t)v;
        }
        return (ssize_t)o;
}

int nc_parse_size(const char *s, uint64_t *ret)
{
        unsigned long long v;
        unsigned shift = 0;
        char *end;

        if (!s || !isdigit((unsigned char)*s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno)
                return -EINVAL;
        switch (*end) {
        case 0: break;
        case 'k': case 'K': shift = 10; end++; break;
        case 'm': case 'M': shift = 20; end++; break;
        case 'g': case 'G': shift = 30; end++; break;
        default: return -EINVAL;
        }
        if (*end || (shift && v > (~0ull >> shift)))
                return -EINVAL;
        *ret = v << shift;
        return 0;
}

uint64_t nc_now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t nc_monotonic_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void nc_format_rfc3339(uint64_t ns, char buf[64])
{
        time_t secs = (time_t)(ns / 1000000000ull);
        struct tm tm;

        gmtime_r(&secs, &tm);
        snprintf(buf, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%09luZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned long)(ns % 1000000000ull));
}

ssize_t nc_read_all(int fd, size_t max, char **ret)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        for (;;) {
                ssize_t n;

                if (len + 1 >= cap) {
                        size_t ncap = cap ? cap * 2 : 4096;
                        char *nb;

                        if (cap > max)
                                return -EFBIG;
                        nb = realloc(buf, ncap);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                        cap = ncap;
                }
                n = read(fd, buf + len, cap - len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        return (ssize_t)len;
}

int nc_proc_start_time(pid_t pid, uint64_t *ret)
{
        char path[64], buf[1024], *p;
        unsigned long long v;
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return -EIO;
        buf[n] = 0;
        /* comm may contain spaces and parentheses: fields start after the last ')'. */
        p = strrchr(buf, ')');
        if (!p)
                return -EBADMSG;
        /* field 3 (state) is the first after ')'; start time is field 22 */
        p++;
        for (int field = 3; field < 22; field++) {
                p = strchr(p + 1, ' ');
                if (!p)
                        return -EBADMSG;
        }
        if (sscanf(p, " %llu", &v) != 1)
                return -EBADMSG;
        *ret = v;
        return 0;
}

const char *nc_cgroup2_mount(void)
{
        static const char *const candidates[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
        struct statfs sfs;

        for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
                if (statfs(candidates[i], &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
                        return candidates[i];
        return NULL;
}

int nc_proc_cgroup2(pid_t pid, char *ret, size_t cap)
{
        char path[64], line[4200];
        FILE *f;
        int r = -ENOENT;

        if (pid > 0)
                snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
        else
                snprintf(path, sizeof(path), "/proc/self/cgroup");
        if (!(f = fopen(path, "re")))
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, "0::", 3) != 0)
                        continue;
                line[strcspn(line, "\n")] = 0;
                r = (size_t)snprintf(ret, cap, "%s", line + 3) < cap ? 0 : -ENAMETOOLONG;
                break;
        }
        fclose(f);
        return r;
}

bool nc_cgroup_path_valid(const char *p)
{
        size_t n = strlen(p);

        if (n < 2 || n > 1024 || p[0] != '/' || p[n - 1] == '/')
                return false;
        for (const char *c = p; *c; c++) {
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                        return false;
                if (*c == '/' && (c[1] == '/' || (c[1] == '.' && (c[2] == '/' || !c[2] || (c[2] == '.' && (c[3] == '/' || !c[3]))))))
                        return false;
        }
        return true;
}

size_t nc_utf8_seq_len(const unsigned char *s)
{
        unsigned c = s[0], n, min, cp;

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                n = 2, min = 0x80, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
                n = 3, min = 0x800, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
                n = 4, min = 0x10000, cp = c & 0x07;
        else
                return 0;
        for (unsigned i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;     /* also stops at the terminating NUL */
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}
