/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus run's options: what the flags become (a spec for nucleusd, plus the
 * descriptors the CLI opened as the caller) and the parser that fills them. run.c
 * sends them; run_flags.c parses them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "cli.h"
#include "spec.h"

/* In the order nucleusd expects their descriptors (after stdio). */
enum { POLICY_SECCOMP, POLICY_CAPS, POLICY_LANDLOCK, POLICY_MAX };

#define RUN_VOLUMES_MAX 16

/* run_probes.c: --health-* and --readiness-*, collected, then made the spec's probes. */
struct cli_probe_flags {
        const char *health_cmd, *health_http, *readiness_cmd;
        uint16_t health_tcp, readiness_tcp;
        bool readiness_sd_notify, start_period_given, restart_on_unhealthy;
        const char *restart;            /* --restart POLICY */
        unsigned nhealth, nreadiness, retries;
        uint32_t interval_ms, timeout_ms, start_period_ms, readiness_interval_ms;      /* 0: not given */
};
/* 0 taken, -ENOENT not a probe flag, -EINVAL (printed) a bad value. */
int cli_run_probe_flag(struct cli_probe_flags *pf, const char *opt, const char *val);
int cli_run_probe_flags_apply(const struct cli_probe_flags *pf, struct nc_spec *spec);
/* Their lines of `nucleus run --help`. */
void cli_run_probe_usage(FILE *f);

struct run_opts {
        bool rm, detach, user_numeric, group_given;
        bool tty, interactive;          /* -t: a pty of the sandbox's; -i: our input goes in */
        struct {
                int fd;
                char *dest;
                bool readonly;
        } vol[RUN_VOLUMES_MAX], sec[RUN_VOLUMES_MAX];
        size_t nvol, nsec;
        const char *context_dir;
        const char *context_mode;       /* "copy" (the default) or "bind" */
        bool context_integrity;
        struct cli_context context;
        long long timeout_s;
        struct cli_policy policy[POLICY_MAX];
        int rootfs_fd;                  /* --rootfs, opened here; -1 without */
        bool rootfs_attestation;        /* --verify-rootfs-attestation */
        int seccomp_log_fd;             /* --seccomp-log, opened by us; -1: none */
        struct cli_probe_flags probes;
        bool sd_notify;                 /* --sd-notify: tell our service manager (sdnotify.c) */
};

/* sdnotify.c: --sd-notify, for `nucleus run` as a Type=notify service's ExecStart.
 * libsystemd is loaded only then (dlopen), so every other CLI start stays without it.
 * open: 0, or -errno with the reason printed (no NOTIFY_SOCKET, no libsystemd).
 * send: a sd_notify(3) state string such as "READY=1"; failures are only logged. */
int cli_sd_notify_open(void);
void cli_sd_notify(const char *state);
/* The service's cgroup (this process moved into a leaf of it), as create's
 * cgroup_parent; NULL (with a warning printed) when it cannot be placed there. */
json_t *cli_sd_notify_placement(void);

void cli_run_opts_done(struct run_opts *ro);
/* run_paths.c: each prints its error (the flag, the value, the reason) and returns
 * -errno. --secret SRC:DEST / --systemd-credential NAME:DEST; --volume SRC:DEST[:ro|rw];
 * a volume from parts (what: the flag, for messages); --seccomp-log's file. */
int cli_run_add_secret(struct run_opts *ro, const char *val, bool credential);
int cli_run_add_volume(struct run_opts *ro, const char *val);
int cli_run_push_volume(struct run_opts *ro, const char *src, const char *dest, bool readonly, const char *what);
int cli_run_open_seccomp_log(struct nc_spec *spec, struct run_opts *ro);
/* Fills spec and ro from `run`'s arguments, printing every error (with the offending
 * value and what would be valid). 0 or -errno; --help prints the usage and exits. */
int cli_run_parse(int argc, char **argv, struct nc_spec *spec, struct run_opts *ro);
