/* SPDX-License-Identifier: Apache-2.0 */
/* The spec's "health" and "readiness" members (--health-*, --readiness-*), and the
 * duration syntax their flags take. Decoding fills the defaults in, so what a sandbox
 * runs with is what inspect shows. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "spec.h"

static const char *const kind_names[] = { "none", "exec", "tcp", "http", "sd_notify" };

const char *nc_probe_kind_name(int kind)
{
        return nc_name_at(kind_names, ARRAY_SIZE(kind_names), kind);
}

int nc_duration_parse(const char *s, uint64_t *ret_ms)
{
        static const struct {
                const char *unit;
                uint64_t ms;
        } units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "", 1000 } };
        unsigned long long v;
        char *end;

        if (!s || !isdigit((unsigned char)*s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno)
                return -EINVAL;
        for (size_t i = 0; i < ARRAY_SIZE(units); i++)
                if (strcmp(end, units[i].unit) == 0) {
                        if (v > UINT64_MAX / units[i].ms)
                                return -EINVAL;
                        *ret_ms = v * units[i].ms;
                        return 0;
                }
        return -EINVAL;
}

void nc_duration_format(uint64_t ms, char *buf, size_t cap)
{
        if (ms && ms % 3600000 == 0)
                snprintf(buf, cap, "%lluh", (unsigned long long)(ms / 3600000));
        else if (ms && ms % 60000 == 0)
                snprintf(buf, cap, "%llum", (unsigned long long)(ms / 60000));
        else if (ms % 1000 == 0)
                snprintf(buf, cap, "%llus", (unsigned long long)(ms / 1000));
        else
                snprintf(buf, cap, "%llums", (unsigned long long)ms);
}

int nc_probe_url_check(const char *url, struct nc_err *err)
{
        const char *p, *host, *host_end;
        char hbuf[64];
        size_t n;

        if (!url || strlen(url) >= NC_PROBE_URL_MAX)
                return nc_err_set(err, "invalid health URL: empty or longer than %d bytes", NC_PROBE_URL_MAX - 1);
        for (p = url; *p; p++)
                if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
                        return nc_err_set(err, "invalid health URL '%.200s': spaces, control and non-ASCII characters "
                                          "must be percent-encoded", url);
        if (strncmp(url, "http://", 7) == 0)
                host = url + 7;
        else if (strncmp(url, "https://", 8) == 0)
                host = url + 8;
        else
                return nc_err_set(err, "invalid health URL '%.200s': use http://HOST[:PORT][/PATH] or https://",
                                  url);
        if (*host == '[') {
                host_end = strchr(host, ']');
                if (!host_end)
                        return nc_err_set(err, "invalid health URL '%.200s': an IPv6 address needs its closing ']'", url);
                n = (size_t)(host_end - host - 1);
                if (n >= sizeof(hbuf))
                        return nc_err_set(err, "invalid health URL '%.200s': the IPv6 address is too long", url);
                memcpy(hbuf, host + 1, n);
                hbuf[n] = 0;
                struct in6_addr a6;
                if (inet_pton(AF_INET6, hbuf, &a6) != 1)
                        return nc_err_set(err, "invalid health URL '%.200s': '%s' is not an IPv6 address", url, hbuf);
                host_end++;
        } else {
                host_end = host + strcspn(host, ":/?#");
                n = (size_t)(host_end - host);
                if (n == 0 || n >= sizeof(hbuf) || memchr(host, '@', n))
                        return nc_err_set(err, "invalid health URL '%.200s': name the host as an IP address or localhost", url);
                memcpy(hbuf, host, n);
                hbuf[n] = 0;
                struct in_addr a4;
                if (strcmp(hbuf, "localhost") != 0 && inet_pton(AF_INET, hbuf, &a4) != 1)
                        return nc_err_set(err, "invalid health URL '%.200s': the host '%s' must be an IP address or localhost "
                                          "(a probe never resolves names: they would resolve in nucleusd's network, not the "
                                          "sandbox's)", url, hbuf);
        }
        if (*host_end == ':') {
                char *end;
                unsigned long port = strtoul(host_end + 1, &end, 10);

                if (end == host_end + 1 || port == 0 || port > 65535 || (*end && *end != '/' && *end != '?'))
                        return nc_err_set(err, "invalid health URL '%.200s': the port must be a number from 1 to 65535", url);
        } else if (*host_end && *host_end != '/' && *host_end != '?')
                return nc_err_set(err, "invalid health URL '%.200s': unexpected '%c' after the host", url, *host_end);
        return 0;
}

void nc_spec_probe_init(struct nc_spec_probe *p, int kind, bool readiness)
{
        nc_spec_probe_done(p);
        *p = (struct nc_spec_probe){
                .kind = kind,
                .interval_ms = readiness ? NC_READINESS_INTERVAL_MS : NC_HEALTH_INTERVAL_MS,
                .timeout_ms = NC_HEALTH_TIMEOUT_MS,
                .start_period_ms = readiness ? 0 : NC_HEALTH_START_PERIOD_MS,
                .retries = readiness ? 0 : NC_HEALTH_RETRIES,
        };
}

void nc_spec_probe_done(struct nc_spec_probe *p)
{
        free(p->cmd);
        free(p->url);
        p->cmd = p->url = NULL;
        p->kind = NC_PROBE_NONE;
}

static int duration_field(const json_t *obj, const char *what, const char *key, uint64_t min, uint64_t max,
                          uint32_t *ret, struct nc_err *err)
{
        const json_t *v = json_object_get(obj, key);

        if (!v)
                return 0;
        if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)min || json_integer_value(v) > (json_int_t)max)
                return nc_err_set(err, "%s.%s must be an integer number of milliseconds from %llu to %llu", what, key,
                                  (unsigned long long)min, (unsigned long long)max);
        *ret = (uint32_t)json_integer_value(v);
        return 0;
}

static int probe_from_json(const json_t *v, bool readiness, struct nc_spec_probe *p, struct nc_err *err)
{
        const char *what = readiness ? "readiness" : "health";
        /* Readiness has no retries or start period: it is probed until it passes once. */
        static const char *const health_keys[] = { "cmd", "tcp", "http", "interval_ms", "timeout_ms", "retries",
                                                     "start_period_ms" };
        static const char *const ready_keys[] = { "cmd", "tcp", "sd_notify", "interval_ms", "timeout_ms" };
        const char *const *keys = readiness ? ready_keys : health_keys;
        const size_t nkeys = readiness ? ARRAY_SIZE(ready_keys) : ARRAY_SIZE(health_keys);
        const json_t *cmd = json_object_get(v, "cmd"), *tcp = json_object_get(v, "tcp"),
                     *http = json_object_get(v, "http"), *notify = json_object_get(v, "sd_notify");
        json_t *val;
        int r;

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return nc_err_set(err, "'%s' must be an object like {\"cmd\": \"pg_isready\", \"interval_ms\": 30000}", what);
        if ((r = nc_spec_fields_only(v, what, keys, nkeys, err)) < 0)
                return r;
        if (!!cmd + !!tcp + !!http + !!notify != 1)
                return nc_err_set(err, "'%s' needs exactly one of %s", what,
                                  readiness ? "cmd, tcp and sd_notify" : "cmd, tcp and http");
        if (cmd) {
                nc_spec_probe_init(p, NC_PROBE_EXEC, readiness);
                if ((r = nc_json_bytes_get(cmd, &p->cmd, err, readiness ? "readiness.cmd" : "health.cmd")) < 0)
                        return r;
        } else if (tcp) {
                nc_spec_probe_init(p, NC_PROBE_TCP, readiness);
                if (!json_is_integer(tcp) || json_integer_value(tcp) < 1 || json_integer_value(tcp) > 65535)
                        return nc_err_set(err, "%s.tcp must be a port number from 1 to 65535", what);
                p->port = (uint16_t)json_integer_value(tcp);
        } else if (http) {
                nc_spec_probe_init(p, NC_PROBE_HTTP, readiness);
                if (!json_is_string(http))
                        return nc_err_set(err, "health.http must be a URL string (http://127.0.0.1:8080/health)");
                if (!(p->url = strdup(json_string_value(http))))
                        return -ENOMEM;
        } else {
                if (!json_is_true(notify))
                        return nc_err_set(err, "readiness.sd_notify must be true (leave it out for no readiness probe)");
                nc_spec_probe_init(p, NC_PROBE_SD_NOTIFY, readiness);
        }
        if ((r = duration_field(v, what, "interval_ms", NC_PROBE_INTERVAL_MIN_MS, NC_PROBE_DURATION_MAX_MS,
                                &p->interval_ms, err)) < 0 ||
            (r = duration_field(v, what, "timeout_ms", NC_PROBE_TIMEOUT_MIN_MS, NC_PROBE_DURATION_MAX_MS, &p->timeout_ms,
                                err)) < 0 ||
            (r = duration_field(v, what, "start_period_ms", 0, NC_PROBE_DURATION_MAX_MS, &p->start_period_ms, err)) < 0)
                return r;
        val = json_object_get(v, "retries");
        if (val) {
                if (!json_is_integer(val) || json_integer_value(val) < 1 || json_integer_value(val) > NC_PROBE_RETRIES_MAX)
                        return nc_err_set(err, "health.retries must be an integer from 1 to %u", NC_PROBE_RETRIES_MAX);
                p->retries = (unsigned)json_integer_value(val);
        }
        return 0;
}

static const char *const restart_names[] = { "no", "on-failure", "always" };

const char *nc_restart_policy_name(int policy)
{
        return nc_name_at(restart_names, ARRAY_SIZE(restart_names), policy);
}

int nc_restart_parse(const char *str, struct nc_spec_restart *ret, struct nc_err *err)
{
        const char *colon = str ? strchr(str, ':') : NULL;
        size_t n = colon ? (size_t)(colon - str) : str ? strlen(str) : 0;

        for (size_t i = 0; str && i < ARRAY_SIZE(restart_names); i++) {
                if (strlen(restart_names[i]) != n || strncmp(str, restart_names[i], n) != 0)
                        continue;
                ret->policy = (int)i;
                ret->max = 0;
                if (!colon)
                        return 0;
                char *end;
                unsigned long v = strtoul(colon + 1, &end, 10);
                if (i != NC_RESTART_ON_FAILURE || !isdigit((unsigned char)colon[1]) || *end || v < 1 ||
                    v > NC_RESTART_MAX_MAX)
                        break;
                ret->max = (unsigned)v;
                return 0;
        }
        return nc_err_set(err, "invalid restart policy '%.64s': no, on-failure, on-failure:MAX (MAX from 1 to %u) or "
                          "always", str ? str : "", NC_RESTART_MAX_MAX);
}

static int restart_from_json(const json_t *v, struct nc_spec_restart *ret, struct nc_err *err)
{
        json_t *val;
        int r;

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return nc_err_set(err, "'restart' must be an object like {\"policy\": \"on-failure\", \"max\": 5}");
        static const char *const known[] = { "policy", "max", "on_unhealthy" };

        if ((r = nc_spec_fields_only(v, "restart", known, ARRAY_SIZE(known), err)) < 0)
                return r;
        val = json_object_get(v, "policy");
        if (!json_is_string(val) || strchr(json_string_value(val), ':'))
                return nc_err_set(err, "restart.policy must be \"no\", \"on-failure\" or \"always\"");
        if ((r = nc_restart_parse(json_string_value(val), ret, err)) < 0)
                return r;
        val = json_object_get(v, "max");
        if (val) {
                if (!json_is_integer(val) || json_integer_value(val) < 0 || json_integer_value(val) > NC_RESTART_MAX_MAX)
                        return nc_err_set(err, "restart.max must be an integer from 0 (no limit) to %u", NC_RESTART_MAX_MAX);
                ret->max = (unsigned)json_integer_value(val);
        }
        val = json_object_get(v, "on_unhealthy");
        if (val && !json_is_boolean(val))
                return nc_err_set(err, "restart.on_unhealthy must be true or false");
        ret->on_unhealthy = json_is_true(val);
        return 0;
}

int nc_spec_probes_from_json(const json_t *j, struct nc_spec *s, struct nc_err *err)
{
        int r = probe_from_json(json_object_get(j, "health"), false, &s->health, err);

        if (r >= 0)
                r = probe_from_json(json_object_get(j, "readiness"), true, &s->readiness, err);
        return r < 0 ? r : restart_from_json(json_object_get(j, "restart"), &s->restart, err);
}

static json_t *probe_to_json(const struct nc_spec_probe *p, bool readiness)
{
        json_t *j;

        switch (p->kind) {
        case NC_PROBE_EXEC: j = json_pack("{s:o}", "cmd", nc_json_bytes(p->cmd)); break;
        case NC_PROBE_TCP: j = json_pack("{s:i}", "tcp", (int)p->port); break;
        case NC_PROBE_HTTP: j = json_pack("{s:s}", "http", p->url); break;
        case NC_PROBE_SD_NOTIFY: return json_pack("{s:b}", "sd_notify", true);      /* nothing is polled */
        default: return NULL;
        }
        json_object_set_new(j, "interval_ms", json_integer(p->interval_ms));
        json_object_set_new(j, "timeout_ms", json_integer(p->timeout_ms));
        if (!readiness) {
                json_object_set_new(j, "retries", json_integer(p->retries));
                json_object_set_new(j, "start_period_ms", json_integer(p->start_period_ms));
        }
        return j;
}

void nc_spec_probes_to_json(const struct nc_spec *s, json_t *j)
{
        if (s->health.kind != NC_PROBE_NONE)
                json_object_set_new(j, "health", probe_to_json(&s->health, false));
        if (s->readiness.kind != NC_PROBE_NONE)
                json_object_set_new(j, "readiness", probe_to_json(&s->readiness, true));
        if (s->restart.policy != NC_RESTART_NO || s->restart.on_unhealthy)
                json_object_set_new(j, "restart", json_pack("{s:s, s:i, s:b}", "policy",
                                                            nc_restart_policy_name(s->restart.policy), "max",
                                                            (int)s->restart.max, "on_unhealthy", s->restart.on_unhealthy));
}

static int probe_validate(const struct nc_spec_probe *p, bool readiness, struct nc_err *err)
{
        const char *what = readiness ? "readiness" : "health";

        switch (p->kind) {
        case NC_PROBE_NONE:
                return 0;
        case NC_PROBE_EXEC:
                if (!p->cmd || !p->cmd[0] || strlen(p->cmd) >= NC_PROBE_CMD_MAX)
                        return nc_err_set(err, "%s.cmd must be a non-empty command shorter than %d bytes", what,
                                          NC_PROBE_CMD_MAX);
                break;
        case NC_PROBE_TCP:
                if (p->port == 0)
                        return nc_err_set(err, "%s.tcp must be a port number from 1 to 65535", what);
                break;
        case NC_PROBE_HTTP: {
                int r;
                if (readiness)
                        return nc_err_set(err, "readiness takes cmd, tcp or sd_notify, not http");
                if ((r = nc_probe_url_check(p->url, err)) < 0)
                        return r;
                break;
        }
        case NC_PROBE_SD_NOTIFY:
                if (!readiness)
                        return nc_err_set(err, "sd_notify is a readiness probe, not a health check");
                return 0;
        default:
                return nc_err_set(err, "invalid %s probe kind %d", what, p->kind);
        }
        if (p->interval_ms < NC_PROBE_INTERVAL_MIN_MS || p->interval_ms > NC_PROBE_DURATION_MAX_MS ||
            p->timeout_ms < NC_PROBE_TIMEOUT_MIN_MS || p->timeout_ms > NC_PROBE_DURATION_MAX_MS ||
            p->start_period_ms > NC_PROBE_DURATION_MAX_MS)
                return nc_err_set(err, "%s: the interval must be from %ums to 24h, the timeout from %ums to 24h and the "
                                  "start period at most 24h", what, NC_PROBE_INTERVAL_MIN_MS, NC_PROBE_TIMEOUT_MIN_MS);
        if (!readiness && (p->retries < 1 || p->retries > NC_PROBE_RETRIES_MAX))
                return nc_err_set(err, "health.retries must be from 1 to %u", NC_PROBE_RETRIES_MAX);
        return 0;
}

int nc_spec_probes_validate(const struct nc_spec *s, struct nc_err *err)
{
        int r = probe_validate(&s->health, false, err);

        if (r < 0 || (r = probe_validate(&s->readiness, true, err)) < 0)
                return r;
        if (s->restart.policy < NC_RESTART_NO || s->restart.policy > NC_RESTART_ALWAYS)
                return nc_err_set(err, "invalid restart policy %d", s->restart.policy);
        if (s->restart.max && s->restart.policy != NC_RESTART_ON_FAILURE)
                return nc_err_set(err, "restart.max (on-failure:MAX) only goes with the on-failure policy");
        if (s->restart.max > NC_RESTART_MAX_MAX)
                return nc_err_set(err, "restart.max must be at most %u", NC_RESTART_MAX_MAX);
        if (s->restart.policy != NC_RESTART_NO && s->seccomp_mode == NC_SECCOMP_TRACE)
                return nc_err_set(err, "--restart cannot be combined with --seccomp-mode trace: a trace records one run "
                                  "of the workload");
        if (s->restart.on_unhealthy && s->health.kind == NC_PROBE_NONE)
                return nc_err_set(err, "restart on unhealthy (--restart-on-unhealthy) needs a health check "
                                  "(--health-cmd, --health-tcp or --health-http)");
        if (s->restart.on_unhealthy && s->restart.policy == NC_RESTART_NO)
                return nc_err_set(err, "restart on unhealthy (--restart-on-unhealthy) needs a restart policy "
                                  "(--restart on-failure or always)");
        return 0;
}
