/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus-apibench: sandbox lifecycles through the JSON-RPC API, as an agent platform
 * drives them.
 *
 *   nucleus-apibench --socket PATH --count N --concurrency C [--network MODE] [--dns IP] -- CMD [ARG...]
 *
 * C connections each run sandbox.create {wait: true, auto_remove: true, stdio: "null"}
 * back to back until N creates have been answered. Per create it records the time from
 * the request's send to the sandbox.started notification (the workload has been
 * exec'd) and to the final result (the workload has exited and its record is final).
 * Prints one JSON object: throughput and the percentiles of both, in microseconds.
 * Every create must succeed with exit code 0; any failure ends the run with its error.
 * --network: none (the default: a namespace of its own with lo), bridge (a veth on
 * nucleusd's bridge; --dns for its resolv.conf when the host has no usable resolver),
 * or host (no network namespace: trust level trusted with allow_host, as the CLI's
 * --allow-host-network --trust-level trusted). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "rpc.h"

#define CONC_MAX 1024

struct conn {
        int fd;
        struct nc_framer in;
        long long id;           /* of the create in flight; 0: none */
        double sent_us;
};

static double now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double q)
{
        double pos = (double)(n - 1) * q;
        size_t lo = (size_t)pos, hi = lo + 1 < n ? lo + 1 : lo;

        return v[lo] + (v[hi] - v[lo]) * (pos - (double)lo);
}

static json_t *summary(double *v, size_t n)
{
        if (n == 0)
                return json_null();
        qsort(v, n, sizeof(*v), cmp_double);
        return json_pack("{s:f, s:f, s:f, s:f, s:f}", "p50_us", pct(v, n, 0.5), "p90_us", pct(v, n, 0.9), "p99_us",
                         pct(v, n, 0.99), "min_us", v[0], "max_us", v[n - 1]);
}

static int connect_to(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
                return -1;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

static int send_create(struct conn *c, long long id, const json_t *spec)
{
        json_t *req = nc_rpc_make_request("sandbox.create",
                                          json_pack("{s:O, s:b, s:b, s:s}", "spec", spec, "wait", 1, "auto_remove", 1,
                                                    "stdio", "null"), id);
        char *line = json_dumps(req, JSON_COMPACT);
        size_t len, off = 0;

        json_decref(req);
        if (!line)
                return -ENOMEM;
        len = strlen(line);
        line[len++] = '\n';
        c->sent_us = now_us();
        while (off < len) {
                ssize_t n = write(c->fd, line + off, len - off);
                if (n < 0) {
                        free(line);
                        return -errno;
                }
                off += (size_t)n;
        }
        free(line);
        c->id = id;
        return 0;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "socket", required_argument, NULL, 's' }, { "count", required_argument, NULL, 'n' },
                { "concurrency", required_argument, NULL, 'c' }, { "network", required_argument, NULL, 'N' },
                { "dns", required_argument, NULL, 'd' },          { "help", no_argument, NULL, 'h' }, {},
        };
        const char *sock = getenv("NUCLEUS_SOCKET"), *network = "none", *dns = NULL;
        long count = 1000, conc = 1;
        int o;

        while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                char *end = NULL;
                switch (o) {
                case 's': sock = optarg; break;
                case 'n': count = strtol(optarg, &end, 10); break;
                case 'c': conc = strtol(optarg, &end, 10); break;
                case 'N':
                        network = optarg;
                        if (strcmp(network, "none") != 0 && strcmp(network, "bridge") != 0 && strcmp(network, "host") != 0) {
                                fprintf(stderr, "nucleus-apibench: --network takes none, bridge or host, not '%s'\n", network);
                                return 2;
                        }
                        break;
                case 'd': dns = optarg; break;
                case 'h':
                        puts("usage: nucleus-apibench --socket PATH --count N --concurrency C [--network none|bridge|host] "
                             "[--dns IP] -- CMD [ARG...]");
                        return 0;
                default: return 2;
                }
                if (end && (*end || count < 1 || conc < 1 || conc > CONC_MAX)) {
                        fprintf(stderr, "nucleus-apibench: --count takes 1 or more, --concurrency 1 to %d\n", CONC_MAX);
                        return 2;
                }
        }
        if (!sock || optind >= argc) {
                fputs("nucleus-apibench: need --socket (or NUCLEUS_SOCKET) and a command after --\n", stderr);
                return 2;
        }
        json_t *args = json_array();
        for (int i = optind; i < argc; i++)
                json_array_append_new(args, json_string(argv[i]));
        json_t *spec = json_pack("{s:o, s:{s:s}}", "args", args, "network", "mode", network);
        if (strcmp(network, "host") == 0) {
                json_object_set_new(json_object_get(spec, "network"), "allow_host", json_true());
                json_object_set_new(spec, "trust_level", json_string("trusted"));
        }
        if (dns)
                json_object_set_new(json_object_get(spec, "network"), "dns", json_pack("[s]", dns));

        static struct conn conns[CONC_MAX];
        struct pollfd pfd[CONC_MAX];
        double *started = calloc((size_t)count, sizeof(double)), *ended = calloc((size_t)count, sizeof(double));
        long next_id = 1, done = 0, nstarted = 0;
        double t0;

        if (!started || !ended)
                return 1;
        if (conc > count)
                conc = count;
        for (long i = 0; i < conc; i++) {
                conns[i].fd = connect_to(sock);
                if (conns[i].fd < 0) {
                        fprintf(stderr, "nucleus-apibench: cannot connect to %s: %s\n", sock, strerror(errno));
                        return 1;
                }
                nc_framer_init(&conns[i].in, 1 << 20);
        }
        t0 = now_us();
        for (long i = 0; i < conc; i++)
                if (send_create(&conns[i], next_id++, spec) < 0)
                        return 1;
        while (done < count) {
                for (long i = 0; i < conc; i++)
                        pfd[i] = (struct pollfd){ .fd = conns[i].id ? conns[i].fd : -1, .events = POLLIN };
                if (poll(pfd, (nfds_t)conc, 60000) <= 0) {
                        fprintf(stderr, "nucleus-apibench: no answer for 60 s (%ld of %ld done)\n", done, count);
                        return 1;
                }
                for (long i = 0; i < conc; i++) {
                        struct conn *c = &conns[i];
                        char *buf, *line;
                        size_t avail, len;
                        ssize_t n;

                        if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        if (nc_framer_reserve(&c->in, 65536, &buf, &avail) < 0)
                                return 1;
                        n = read(c->fd, buf, avail);
                        if (n <= 0) {
                                fprintf(stderr, "nucleus-apibench: the supervisor closed the connection\n");
                                return 1;
                        }
                        nc_framer_commit(&c->in, (size_t)n);
                        while (nc_framer_next(&c->in, &line, &len) > 0) {
                                double t = now_us();
                                json_t *m = json_loadb(line, len, 0, NULL);
                                const char *method = json_string_value(json_object_get(m, "method"));

                                if (method && strcmp(method, "sandbox.started") == 0) {
                                        started[nstarted++ % count] = t - c->sent_us;
                                } else if (json_object_get(m, "error") ||
                                           json_integer_value(json_object_get(json_object_get(m, "result"), "exit_code")) != 0) {
                                        char *s = json_dumps(m, JSON_COMPACT);
                                        fprintf(stderr, "nucleus-apibench: a create failed: %s\n", s ? s : "?");
                                        return 1;
                                } else if (json_object_get(m, "result")) {
                                        ended[done++] = t - c->sent_us;
                                        c->id = 0;
                                        if (next_id <= count && send_create(c, next_id++, spec) < 0)
                                                return 1;
                                }
                                json_decref(m);
                        }
                }
        }
        double secs = (now_us() - t0) / 1e6;
        json_t *out = json_pack("{s:i, s:i, s:f, s:f, s:o, s:o}", "count", (int)count, "concurrency", (int)conc,
                                "seconds", secs, "sandboxes_per_second", (double)count / secs, "to_started",
                                summary(started, (size_t)(nstarted < count ? nstarted : count)), "to_result",
                                summary(ended, (size_t)count));
        json_dumpf(out, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(out);
        json_decref(spec);
        return 0;
}
