/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus run: the health and readiness flags. They may come in any order (an
 * interval before the command it times), so they are collected first and turned into
 * the spec's probes once every flag is read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run.h"

void cli_run_probe_usage(FILE *f)
{
        fputs(
                "  --health-cmd CMD     a health check run inside by /bin/sh -c, as the workload's user, under its\n"
                "                       lock-down; exit 0 is healthy (states: starting, healthy, unhealthy)\n"
                "  --health-tcp PORT    a health check that connects to 127.0.0.1:PORT inside the sandbox\n"
                "  --health-http URL    a health check that GETs URL inside the sandbox (an IP address or localhost;\n"
                "                       status 200-399 is healthy)\n"
                "  --health-interval D  between checks (default 30s); durations: 500ms, 2s, 1m, 1h; a number is seconds\n"
                "  --health-timeout D   a check that takes longer fails (default 5s)\n"
                "  --health-retries N   failures in a row that make it unhealthy (default 3)\n"
                "  --health-start-period D  failures in this time after the start do not count (default 5s)\n"
                "  --readiness-exec CMD  the sandbox is ready once CMD (as --health-cmd) exits 0; probed every second\n"
                "  --readiness-tcp PORT  ... once 127.0.0.1:PORT inside accepts a connection\n"
                "  --readiness-sd-notify ... once the workload sends READY=1 to $NOTIFY_SOCKET (/run/nucleus/notify)\n"
                "  --readiness-interval D  between readiness probes (default 1s)\n"
                "                       `nucleus wait --ready ID` returns once it is ready; ps and inspect show both\n"
                "  --restart no|on-failure[:MAX]|always  start the workload again when it exits (on-failure: after a\n"
                "                       non-zero exit or a signal, at most MAX times), inside the same sandbox, after a\n"
                "                       backoff from 100ms doubling to 60s (reset after 10s of running); never after a stop\n"
                "  --restart-on-unhealthy  stop an unhealthy workload (SIGTERM, SIGKILL after 10s) so the policy restarts it\n", f);
}

static int port(const char *opt, const char *val, uint16_t *ret)
{
        char *end;
        long v = strtol(val, &end, 10);

        if (*end || end == val || v < 1 || v > 65535) {
                fprintf(stderr, "nucleus: invalid %s '%s': a TCP port from 1 to 65535 (inside the sandbox)\n", opt, val);
                return -EINVAL;
        }
        *ret = (uint16_t)v;
        return 0;
}

static int duration(const char *opt, const char *val, uint64_t min, uint32_t *ret)
{
        uint64_t ms;
        char lo[32];

        nc_duration_format(min, lo, sizeof(lo));
        if (nc_duration_parse(val, &ms) < 0) {
                fprintf(stderr, "nucleus: invalid %s '%s': a duration like 500ms, 2s, 1m or 1h (a plain number is "
                        "seconds)\n", opt, val);
                return -EINVAL;
        }
        if (ms < min || ms > NC_PROBE_DURATION_MAX_MS) {
                fprintf(stderr, "nucleus: invalid %s '%s': from %s to 24h\n", opt, val, lo);
                return -EINVAL;
        }
        *ret = (uint32_t)ms;
        return 0;
}

int cli_run_probe_flag(struct cli_probe_flags *pf, const char *opt, const char *val)
{
        if (strcmp(opt, "--health-cmd") == 0 || strcmp(opt, "--readiness-exec") == 0) {
                bool ready = opt[2] == 'r';

                if (!*val || strlen(val) >= NC_PROBE_CMD_MAX) {
                        fprintf(stderr, "nucleus: %s needs a command (run by /bin/sh -c inside the sandbox), shorter "
                                "than %d bytes\n", opt, NC_PROBE_CMD_MAX);
                        return -EINVAL;
                }
                *(ready ? &pf->readiness_cmd : &pf->health_cmd) = val;
                (*(ready ? &pf->nreadiness : &pf->nhealth))++;
                return 0;
        }
        if (strcmp(opt, "--health-tcp") == 0) {
                pf->nhealth++;
                return port(opt, val, &pf->health_tcp);
        }
        if (strcmp(opt, "--readiness-tcp") == 0) {
                pf->nreadiness++;
                return port(opt, val, &pf->readiness_tcp);
        }
        if (strcmp(opt, "--health-http") == 0) {
                struct nc_err err = { { 0 } };

                if (nc_probe_url_check(val, &err) < 0) {
                        fprintf(stderr, "nucleus: --health-http: %s\n", err.msg);
                        return -EINVAL;
                }
                pf->health_http = val;
                pf->nhealth++;
                return 0;
        }
        if (strcmp(opt, "--health-retries") == 0) {
                char *end;
                long v = strtol(val, &end, 10);

                if (*end || end == val || v < 1 || v > NC_PROBE_RETRIES_MAX) {
                        fprintf(stderr, "nucleus: invalid --health-retries '%s': failures in a row before the sandbox "
                                "is unhealthy, from 1 to %u\n", val, NC_PROBE_RETRIES_MAX);
                        return -EINVAL;
                }
                pf->retries = (unsigned)v;
                return 0;
        }
        if (strcmp(opt, "--health-interval") == 0)
                return duration(opt, val, NC_PROBE_INTERVAL_MIN_MS, &pf->interval_ms);
        if (strcmp(opt, "--health-timeout") == 0)
                return duration(opt, val, NC_PROBE_TIMEOUT_MIN_MS, &pf->timeout_ms);
        if (strcmp(opt, "--health-start-period") == 0) {
                pf->start_period_given = true;
                return duration(opt, val, 0, &pf->start_period_ms);
        }
        if (strcmp(opt, "--restart") == 0) {
                struct nc_spec_restart r;
                struct nc_err err = { { 0 } };

                if (nc_restart_parse(val, &r, &err) < 0) {
                        fprintf(stderr, "nucleus: --restart: %s\n", err.msg);
                        return -EINVAL;
                }
                pf->restart = val;
                return 0;
        }
        if (strcmp(opt, "--readiness-interval") == 0)
                return duration(opt, val, NC_PROBE_INTERVAL_MIN_MS, &pf->readiness_interval_ms);
        return -ENOENT;
}

int cli_run_probe_flags_apply(const struct cli_probe_flags *pf, struct nc_spec *spec)
{
        if (pf->nhealth > 1) {
                fprintf(stderr, "nucleus: give one health check: --health-cmd, --health-tcp or --health-http, once\n");
                return -EINVAL;
        }
        if (pf->nreadiness + pf->readiness_sd_notify > 1) {
                /* As in the seed: the three are mutually exclusive. */
                fprintf(stderr, "nucleus: give one readiness probe: --readiness-exec, --readiness-tcp or "
                        "--readiness-sd-notify, once\n");
                return -EINVAL;
        }
        if (!pf->nhealth && (pf->interval_ms || pf->timeout_ms || pf->retries || pf->start_period_given)) {
                fprintf(stderr, "nucleus: --health-interval, --health-timeout, --health-retries and --health-start-period "
                        "need a health check (--health-cmd, --health-tcp or --health-http)\n");
                return -EINVAL;
        }
        if (pf->readiness_interval_ms && !pf->nreadiness) {
                fprintf(stderr, "nucleus: --readiness-interval needs --readiness-exec or --readiness-tcp (sd_notify is "
                        "not polled)\n");
                return -EINVAL;
        }
        if (pf->restart && nc_restart_parse(pf->restart, &spec->restart, NULL) < 0)
                return -EINVAL;
        spec->restart.on_unhealthy = pf->restart_on_unhealthy;
        if (pf->nhealth) {
                struct nc_spec_probe *h = &spec->health;

                nc_spec_probe_init(h, pf->health_cmd ? NC_PROBE_EXEC : pf->health_tcp ? NC_PROBE_TCP : NC_PROBE_HTTP, false);
                if ((pf->health_cmd && !(h->cmd = strdup(pf->health_cmd))) ||
                    (pf->health_http && !(h->url = strdup(pf->health_http))))
                        return -ENOMEM;
                h->port = pf->health_tcp;
                if (pf->interval_ms)
                        h->interval_ms = pf->interval_ms;
                if (pf->timeout_ms)
                        h->timeout_ms = pf->timeout_ms;
                if (pf->retries)
                        h->retries = pf->retries;
                if (pf->start_period_given)
                        h->start_period_ms = pf->start_period_ms;
        }
        if (pf->nreadiness || pf->readiness_sd_notify) {
                struct nc_spec_probe *r = &spec->readiness;

                nc_spec_probe_init(r, pf->readiness_sd_notify ? NC_PROBE_SD_NOTIFY
                                      : pf->readiness_cmd   ? NC_PROBE_EXEC
                                                            : NC_PROBE_TCP, true);
                if (pf->readiness_cmd && !(r->cmd = strdup(pf->readiness_cmd)))
                        return -ENOMEM;
                r->port = pf->readiness_tcp;
                if (pf->readiness_interval_ms)
                        r->interval_ms = pf->readiness_interval_ms;
        }
        return 0;
}
