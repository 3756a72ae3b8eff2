/* SPDX-License-Identifier: Apache-2.0 */
/* Process-wide logging. Library code logs at debug at most; the caller that decides logs. */
#pragma once

#include <stdbool.h>

#include "macros.h"

enum nc_log_level { NC_LOG_ERROR, NC_LOG_WARN, NC_LOG_INFO, NC_LOG_DEBUG };

/* fd < 0 keeps stderr. json selects one JSON object per line. */
void nc_log_setup(const char *ident, int fd, bool json, enum nc_log_level max);
void nc_log(enum nc_log_level level, int err, const char *fmt, ...) _printf_(3, 4);
int nc_log_level_parse(const char *s, enum nc_log_level *ret);

/* The `err` variants take a -errno (or errno) and append ": <strerror>"; they return the
 * negative error so a caller can `return log_error_errno(r, ...)`. */
#define log_error(...) nc_log(NC_LOG_ERROR, 0, __VA_ARGS__)
#define log_warn(...) nc_log(NC_LOG_WARN, 0, __VA_ARGS__)
#define log_info(...) nc_log(NC_LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...) nc_log(NC_LOG_DEBUG, 0, __VA_ARGS__)
#define log_error_errno(e, ...) ({ int _e = (e); nc_log(NC_LOG_ERROR, _e, __VA_ARGS__); -abs(_e); })
#define log_warn_errno(e, ...) ({ int _e = (e); nc_log(NC_LOG_WARN, _e, __VA_ARGS__); -abs(_e); })
#define log_debug_errno(e, ...) ({ int _e = (e); nc_log(NC_LOG_DEBUG, _e, __VA_ARGS__); -abs(_e); })
