/* SPDX-License-Identifier: Apache-2.0 */
/* Where every create's time went, per sandbox (inspect's timings_us) and in aggregate:
 * a histogram of request → workload started for pool hits and for misses (info's
 * create_latency), so p50 and p99 are there without keeping every sample. Buckets are
 * log-linear (HdrHistogram's idea, in small): exact below 16 µs, then 8 per power of
 * two, so a percentile is within 12.5 % of the true value at any scale. */
#include <stdlib.h>

#include "sup.h"

#define SUB_BITS 3
#define LINEAR (1u << (SUB_BITS + 1))           /* 16: values below are their own bucket */
#define MAX_EXP 40                              /* 2^40 µs: 12 days */
#define NBUCKETS (LINEAR + (MAX_EXP - SUB_BITS - 1) * (1u << SUB_BITS))

struct hist {
        uint64_t n, sum, max;
        uint32_t b[NBUCKETS];
};

struct sup_timings {
        struct hist hit, miss;
};

static unsigned bucket_of(uint64_t v)
{
        if (v < LINEAR)
                return (unsigned)v;
        unsigned e = 63 - (unsigned)__builtin_clzll(v);
        if (e >= MAX_EXP)
                return NBUCKETS - 1;
        return LINEAR + (e - SUB_BITS - 1) * (1u << SUB_BITS) + (unsigned)((v >> (e - SUB_BITS)) & ((1u << SUB_BITS) - 1));
}

/* The middle of bucket i. */
static uint64_t value_of(unsigned i)
{
        if (i < LINEAR)
                return i;
        unsigned e = (i - LINEAR) / (1u << SUB_BITS) + SUB_BITS + 1, sub = (i - LINEAR) % (1u << SUB_BITS);
        uint64_t lo = (1ull << e) + ((uint64_t)sub << (e - SUB_BITS));
        return lo + (1ull << (e - SUB_BITS)) / 2;
}

static uint64_t percentile(const struct hist *h, double q)
{
        uint64_t want = (uint64_t)(q * (double)h->n + 0.5), seen = 0;

        if (want == 0)
                want = 1;
        for (unsigned i = 0; i < NBUCKETS; i++) {
                seen += h->b[i];
                if (seen >= want)
                        return value_of(i) < h->max ? value_of(i) : h->max;
        }
        return h->max;
}

void sup_timings_record(struct sup_sandbox *sb)
{
        struct sup *s = sb->sup;

        if (!sb->t_request || !sb->t_started)
                return;         /* adopted from an earlier loop process: not measured here */
        if (!s->timings && !(s->timings = calloc(1, sizeof(*s->timings))))
                return;
        struct hist *h = sb->pool_hit ? &s->timings->hit : &s->timings->miss;
        uint64_t us = (sb->t_started - sb->t_request) / 1000;

        h->n++;
        h->sum += us;
        h->max = us > h->max ? us : h->max;
        h->b[bucket_of(us)]++;
}

static json_t *hist_json(const struct hist *h)
{
        if (!h->n)
                return json_pack("{s:i}", "count", 0);
        return json_pack("{s:I, s:I, s:I, s:I, s:I}", "count", (json_int_t)h->n, "p50_us", (json_int_t)percentile(h, 0.50),
                         "p99_us", (json_int_t)percentile(h, 0.99), "mean_us", (json_int_t)(h->sum / h->n), "max_us",
                         (json_int_t)h->max);
}

json_t *sup_timings_info(const struct sup *s)
{
        static const struct hist none;

        return json_pack("{s:o, s:o}", "pool_hit", hist_json(s->timings ? &s->timings->hit : &none), "pool_miss",
                         hist_json(s->timings ? &s->timings->miss : &none));
}

void sup_timings_free(struct sup *s)
{
        free(s->timings);
        s->timings = NULL;
}

json_t *sup_timings_of(const struct sup_sandbox *sb)
{
        if (!sb->t_started || !sb->t_request)
                return json_null();
        /* queue: admission (and a rootfs attestation); clone and setup (a miss only):
         * the zygote's clone3, id maps and cgroup attach, then init building the root;
         * claim: limits, volumes, network, the claim message; exec: init's lock-down,
         * fork and execve, until init reports the workload started. */
        uint64_t ready = sb->pool_hit ? sb->t_start : sb->t_ready;
        json_t *j = json_pack("{s:s, s:I}", "pool", sb->pool_hit ? "hit" : "miss", "queue",
                              (json_int_t)((sb->t_start - sb->t_request) / 1000));

        if (!sb->pool_hit) {
                json_object_set_new(j, "clone", json_integer((json_int_t)((sb->t_cloned - sb->t_start) / 1000)));
                json_object_set_new(j, "setup", json_integer((json_int_t)((sb->t_ready - sb->t_cloned) / 1000)));
        }
        json_object_set_new(j, "claim", json_integer((json_int_t)((sb->t_claim - ready) / 1000)));
        json_object_set_new(j, "exec", json_integer((json_int_t)((sb->t_started - sb->t_claim) / 1000)));
        if (sb->t_init[0] >= sb->t_claim && sb->t_init[3] >= sb->t_init[0] && sb->t_started >= sb->t_init[3]) {
                /* exec's parts, from init's marks: the claim on its way to init; the file
                 * system (hostname, /etc, volumes, secrets, context, tmpfs); Landlock and
                 * the capability and seccomp preparation; fork until execve; and the
                 * "started" message on its way back. */
                json_object_set_new(j, "exec_parts", json_pack("{s:I, s:I, s:I, s:I, s:I}",
                        "deliver", (json_int_t)((sb->t_init[0] - sb->t_claim) / 1000),
                        "filesystem", (json_int_t)((sb->t_init[1] - sb->t_init[0]) / 1000),
                        "lockdown", (json_int_t)((sb->t_init[2] - sb->t_init[1]) / 1000),
                        "spawn", (json_int_t)((sb->t_init[3] - sb->t_init[2]) / 1000),
                        "report", (json_int_t)((sb->t_started - sb->t_init[3]) / 1000)));
        }
        json_object_set_new(j, "total", json_integer((json_int_t)((sb->t_started - sb->t_request) / 1000)));
        if (sb->t_exit && sb->t_reaped >= sb->t_exit && sb->t_finished >= sb->t_exit)
                /* After the workload, both from init's report of its status: finalize
                 * (usage read, state recorded, the result sent) and teardown (init's exit,
                 * which takes the namespaces down, until the zygote reaps it), which runs
                 * after the reply. */
                json_object_set_new(j, "end", json_pack("{s:I, s:I}", "finalize",
                                                        (json_int_t)((sb->t_finished - sb->t_exit) / 1000), "teardown",
                                                        (json_int_t)((sb->t_reaped - sb->t_exit) / 1000)));
        return j;
}
