/* SPDX-License-Identifier: Apache-2.0 */
/* Small pure helpers: ids, names, signals, exit statuses, base64. libc only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NC_ID_LEN 32
#define NC_NAME_MAX 128

/* 128 random bits as 32 lowercase hex characters (+ NUL). */
int nc_id_new(char ret[NC_ID_LEN + 1]);
bool nc_id_valid(const char *s);
/* An id prefix a user may type: 1..32 lowercase hex characters. */
bool nc_id_prefix_valid(const char *s);
/* [A-Za-z0-9._-]{1,128}, not "." or "..": the seed's rule. */
bool nc_name_valid(const char *s);
/* RFC 1123 host name, at most 64 bytes (the kernel's limit for sethostname). */
bool nc_hostname_valid(const char *s);

/* "TERM", "SIGTERM", "term" or "15" -> 15. Returns -EINVAL for anything else. */
int nc_signal_parse(const char *s);
/* "SIGTERM"; a static buffer for unknown numbers is never used: returns "SIG?" then. */
const char *nc_signal_name(int sig);

/* One place maps a wait status to a shell exit code: exited -> code, killed -> 128+sig. */
int nc_exit_code_from_wstatus(int wstatus);

/* Sizes of base64 buffers (with NUL). decode returns the length or -EINVAL. */
size_t nc_b64_encoded_len(size_t n);
void nc_b64_encode(const uint8_t *in, size_t n, char *out);
ssize_t nc_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap);

/* "512", "64K", "16M", "1G" (binary units) -> bytes. -EINVAL for anything else. */
int nc_parse_size(const char *s, uint64_t *ret);

uint64_t nc_now_ns(void);          /* CLOCK_REALTIME */
/* A process's start time (clock ticks after boot, /proc/PID/stat field 22): with the
 * pid, it names one process even after the pid is reused. */
int nc_proc_start_time(pid_t pid, uint64_t *ret);
/* Where the cgroup2 hierarchy is mounted: /sys/fs/cgroup, or /sys/fs/cgroup/unified on
 * a hybrid host; NULL without one. */
const char *nc_cgroup2_mount(void);
/* The cgroup2 path ("0::PATH" in /proc/PID/cgroup) of pid, or of this process when pid
 * is 0. 0, or -errno. */
int nc_proc_cgroup2(pid_t pid, char *ret, size_t cap);
/* A cgroup path as a caller may name one: absolute, no "." or ".." part, no "//",
 * not "/" itself, printable. */
bool nc_cgroup_path_valid(const char *p);
uint64_t nc_monotonic_ns(void);    /* CLOCK_MONOTONIC */
/* RFC 3339 with nanoseconds, UTC: 2026-11-22T22:38:55.123456789Z */
void nc_format_rfc3339(uint64_t ns, char buf[64]);
/* Reads fd to EOF into a NUL-terminated buffer of at most max bytes (the caller frees
 * *ret). Returns the length, or -EFBIG past max, or -errno. */
ssize_t nc_read_all(int fd, size_t max, char **ret);

/* Length of the valid UTF-8 sequence at s (the rules jansson applies: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one; stops at a
 * NUL. For text that quotes outside bytes and must stay valid JSON. */
size_t nc_utf8_seq_len(const unsigned char *s);
