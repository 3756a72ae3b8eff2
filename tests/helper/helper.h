/* Shared by the parts of nucleus-test-helper (one static binary). */
#pragma once

#define PROG "nucleus-test-helper"
#define UNUSED __attribute__((unused))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* "result=ok", or "result=errno errno=NAME". */
void print_result(int err);
/* Prints "nucleus-test-helper: MESSAGE" to stderr; returns 2 (usage error). */
__attribute__((format(printf, 1, 2))) int usage_error(const char *fmt, ...);
/* SIGSYS -> "SYS"; unknown numbers as digits. */
const char *helper_signal_name(int sig);

/* probes.c: `try-syscall NAME`. */
int cmd_try_syscall(char **argv);
