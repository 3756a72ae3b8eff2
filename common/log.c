/* SPDX-License-Identifier: Apache-2.0 */
#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

static struct {
        const char *ident;
        int fd;
        bool json;
        enum nc_log_level max;
} log_cfg = { "nucleus", 2, false, NC_LOG_INFO };

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void nc_log_setup(const char *ident, int fd, bool json, enum nc_log_level max)
{
        log_cfg.ident = ident;
        log_cfg.fd = fd >= 0 ? fd : 2;
        log_cfg.json = json;
        log_cfg.max = max;
}

int nc_log_level_parse(const char *s, enum nc_log_level *ret)
{
        for (size_t i = 0; i < ARRAY_SIZE(level_names); i++)
                if (strcmp(s, level_names[i]) == 0) {
                        *ret = (enum nc_log_level)i;
                        return 0;
                }
        return -EINVAL;
}

void nc_log(enum nc_log_level level, int err, const char *fmt, ...)
{
        char msg[2048], line[4096];
        int saved = errno, n;
        va_list ap;

        if (level > log_cfg.max)
                return;
        va_start(ap, fmt);
        n = vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if (err != 0 && (size_t)n < sizeof(msg))
                snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(abs(err)));

        if (log_cfg.json) {
                struct timespec ts;
                json_t *o;
                char *s;

                clock_gettime(CLOCK_REALTIME, &ts);
                o = json_pack("{s:s, s:s, s:s, s:f, s:i}", "level", level_names[level], "ident",
                              log_cfg.ident, "msg", msg, "ts",
                              (double)ts.tv_sec + (double)ts.tv_nsec / 1e9, "pid", (int)getpid());
                s = o ? json_dumps(o, JSON_COMPACT) : NULL;
                json_decref(o);
                n = snprintf(line, sizeof(line), "%s\n", s ? s : msg);
                free(s);
        } else if (log_cfg.fd == 2 && level <= NC_LOG_WARN) {
                /* What a person at a terminal sees: "nucleus: <message>". */
                n = snprintf(line, sizeof(line), "%s: %s%s\n", log_cfg.ident,
                             level == NC_LOG_WARN ? "warning: " : "", msg);
        } else {
                struct timespec ts;
                struct tm tm;

                clock_gettime(CLOCK_REALTIME, &ts);
                gmtime_r(&ts.tv_sec, &tm);
                n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ %s[%d] %s: %s\n",
                             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                             tm.tm_sec, ts.tv_nsec / 1000, log_cfg.ident, (int)getpid(),
                             level_names[level], msg);
        }
        if (n > 0) {
                ssize_t _w _unused_ = write(log_cfg.fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
        }
        errno = saved;
}
