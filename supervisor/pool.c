/* SPDX-License-Identifier: Apache-2.0 */
/* The warm pool: sandboxes prepared ahead of their requests (DESIGN.md, two-phase
 * spawn). A member is phase 1 done in advance: the zygote's clone3 into every
 * namespace (its own network namespace included), its cgroup leaf and, on a v1 host,
 * its v1 hierarchies (the attach that waits for an RCU grace period), its id maps, and
 * init's root: tmpfs, /usr, /proc, /dev, pivot_root. Then init parks on its control
 * socket, having said "ready". A create whose profile (sbx_profile: what phase 1
 * depends on) matches takes a member over: its id, host id range, pid and sockets
 * become the sandbox's, and the claim goes out at once. Everything else a request
 * carries (argv, env, limits, volumes, secrets, network, policies) is bound by the
 * claim, exactly as for a sandbox cloned on demand, so the two cannot be told apart
 * from inside (a test runs the lock-down suite against both).
 *
 * Members live only here, never in the sandbox list: ps, inspect, events and the
 * admission limits never see them. They hold host id slots of their own (sup_uid_slots
 * counts SUP_POOL_PROFILES * pool_max beyond --max-sandboxes).
 *
 * Sizing: each of at most SUP_POOL_PROFILES profiles has a target between
 * --pool-size's MIN and MAX: the most creates it saw in one second over the last
 * DEMAND_SECONDS seconds. The default profile (no options that change phase 1) is
 * warmed at start and always kept; another profile is tracked from its first create
 * (a miss) and dropped (members released) once it was not asked for in IDLE_SECONDS.
 * Members prepare at nice 19 and are set back to 0 when claimed. Refills go to
 * the zygote REFILL_INFLIGHT at a time, so a cold create's prepare never queues behind
 * more than that. A member released is killed; its leaf goes when the zygote reaps it. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "sup.h"

#define DEMAND_SECONDS 10
#define IDLE_SECONDS 60
#define REFILL_INFLIGHT 2
#define FAIL_BACKOFF_MS 2000
#define REMOVE_MAX_TRIES 100

enum member_state {
        MEMBER_PREPARING,       /* prepare sent; the zygote has not answered */
        MEMBER_SETUP,           /* cloned; init builds its root */
        MEMBER_PARKED,          /* init said "ready": can be claimed */
        MEMBER_RELEASED,        /* its control socket is closed; waits for the reap */
};

struct member {
        struct member *next;
        struct sup_pool *pool;
        int profile;                    /* index into pool->profiles */
        enum member_state state;
        char id[NC_ID_LEN + 1];
        int uid_slot;
        uint32_t uid_base;
        pid_t pid;
        int pidfd, ctl;
        uint64_t init_start, t_prepare, t_cloned, t_ready;
        /* Its cgroup's CPU time and block I/O once parked: what preparing it cost,
         * which is not the workload's. Read here, off the claim's path. */
        uint64_t cpu_base_usec, io_read_base, io_write_base;
        uv_poll_t poll;
        bool polling, reaped;
        int remove_tries;
};

struct profile {
        bool used;
        struct sbx_profile p;
        unsigned demand[DEMAND_SECONDS];        /* creates per second, a ring */
        unsigned target;
        uint64_t last_use_ns;
        uint64_t hits, misses;
};

struct sup_pool {
        struct sup *sup;
        unsigned min, max;
        struct profile profiles[SUP_POOL_PROFILES];
        struct member *members;
        unsigned inflight;
        size_t second;                  /* the ring's current slot */
        uv_timer_t refill;              /* soon after a change, off the request path */
        uv_timer_t tick;                /* each second: demand and decay */
        uv_timer_t reap_retry;          /* leaves that were still busy when reaped */
        uint64_t fail_until_ns;         /* after a failed prepare: no refills until then */
        bool draining;
        unsigned open_timers;
};

void sup_profile_of(const struct nc_spec *spec, bool rootfs, struct sbx_profile *ret)
{
        *ret = (struct sbx_profile){
                .rootfs = rootfs,
                .hidepid = spec->service_mode == NC_MODE_PRODUCTION,
                .proc_rw = spec->proc_rw,
                .time_ns = spec->time_namespace,
                .no_cgroup_ns = spec->no_cgroup_namespace,
                .host_network = spec->network.mode == NC_NET_HOST,
        };
}

static bool profile_eq(const struct sbx_profile *a, const struct sbx_profile *b)
{
        return a->rootfs == b->rootfs && a->hidepid == b->hidepid && a->proc_rw == b->proc_rw &&
               a->time_ns == b->time_ns && a->no_cgroup_ns == b->no_cgroup_ns && a->host_network == b->host_network;
}

static bool profile_is_default(const struct sbx_profile *p)
{
        static const struct sbx_profile none;
        return profile_eq(p, &none);
}

static unsigned count(const struct sup_pool *pool, int profile, bool parked_only)
{
        unsigned n = 0;

        for (const struct member *m = pool->members; m; m = m->next)
                if (m->profile == profile && m->state != MEMBER_RELEASED && (!parked_only || m->state == MEMBER_PARKED))
                        n++;
        return n;
}

static struct member *find(struct sup_pool *pool, const char *id)
{
        for (struct member *m = pool->members; m; m = m->next)
                if (strcmp(m->id, id) == 0)
                        return m;
        return NULL;
}

static void unlink_member(struct member *m)
{
        for (struct member **pp = &m->pool->members; *pp; pp = &(*pp)->next)
                if (*pp == m) {
                        *pp = m->next;
                        return;
                }
}

static void on_member_closed(uv_handle_t *h)
{
        free(h->data);
}

/* Frees m once its poll handle is closed (or at once without one). */
static void member_free(struct member *m)
{
        unlink_member(m);
        sup_uid_slot_free(m->pool->sup, &m->uid_slot);
        /* The handle before the descriptor (see log_close in sandbox.c): libuv
         * unregisters the number when the handle closes. */
        if (m->polling) {
                m->poll.data = m;
                uv_close((uv_handle_t *)&m->poll, on_member_closed);
        }
        if (m->pidfd >= 0)
                close(m->pidfd);
        if (m->ctl >= 0)
                close(m->ctl);
        if (!m->polling)
                free(m);
}

static void stop_polling(struct member *m)
{
        if (m->polling)
                uv_poll_stop(&m->poll);
}

/* A member has nothing to wind down: its init is killed (closing our control socket
 * would not do: the zygote holds a copy for a loop process that takes over), the
 * zygote reports the reap, and the leaf goes then. A member still being cloned is
 * killed when its "cloned" arrives. */
static void release(struct member *m)
{
        m->state = MEMBER_RELEASED;
        stop_polling(m);
        if (m->pidfd >= 0)
                (void)syscall(SYS_pidfd_send_signal, m->pidfd, SIGKILL, NULL, 0);
}

static void kick(struct sup_pool *pool);

static void on_member_ctl(uv_poll_t *p, int status, int events)
{
        struct member *m = p->data;

        (void)events;
        for (;;) {
                json_t *msg = NULL;
                int fd = -1;
                size_t nfds = 1;
                int r = status < 0 ? status : sbx_ctl_recv_json(m->ctl, &msg, &fd, &nfds);

                if (r == -EAGAIN)
                        return;
                if (nfds && fd >= 0)
                        close(fd);
                if (r <= 0) {
                        /* init died before it was claimed: the reap follows */
                        release(m);
                        return;
                }
                const char *op = json_string_value(json_object_get(msg, "op"));
                if (op && strcmp(op, "ready") == 0 && m->state == MEMBER_SETUP) {
                        struct sup *sup = m->pool->sup;
                        struct sbx_cgroup_stats st;

                        m->state = MEMBER_PARKED;
                        m->t_ready = nc_monotonic_ns();
                        if (sup->cfg->cg && sup->cfg->cg->stats(sup->cfg, m->id, &st) >= 0) {
                                m->cpu_base_usec = st.cpu_usec;
                                m->io_read_base = st.io_read_bytes;
                                m->io_write_base = st.io_write_bytes;
                        }
                } else if (op && strcmp(op, "failed") == 0) {
                        /* A member fails only for a reason every cold sandbox would hit
                         * too; say so once per backoff, and stop refilling meanwhile. */
                        log_warn("A pool sandbox failed its setup (stage %s: %s); refilling pauses for %d ms",
                                 json_string_value(json_object_get(msg, "stage")) ?: "?",
                                 json_string_value(json_object_get(msg, "message")) ?: "?", FAIL_BACKOFF_MS);
                        m->pool->fail_until_ns = nc_monotonic_ns() + FAIL_BACKOFF_MS * 1000000ull;
                        release(m);
                }
                json_decref(msg);
                if (m->state == MEMBER_RELEASED)
                        return;
        }
}

static int profile_index(struct sup_pool *pool, const struct sbx_profile *p, bool create)
{
        int free_i = -1, oldest = -1;

        for (int i = 0; i < SUP_POOL_PROFILES; i++) {
                struct profile *pr = &pool->profiles[i];

                if (pr->used && profile_eq(&pr->p, p))
                        return i;
                if (!pr->used && free_i < 0)
                        free_i = i;
                if (pr->used && !profile_is_default(&pr->p) &&
                    (oldest < 0 || pr->last_use_ns < pool->profiles[oldest].last_use_ns))
                        oldest = i;
        }
        if (!create)
                return -1;
        if (free_i < 0) {
                /* All in use: the one asked for least recently makes room. */
                free_i = oldest;
                for (struct member *m = pool->members; m; m = m->next)
                        if (m->profile == free_i)
                                release(m);
        }
        pool->profiles[free_i] = (struct profile){ .used = true, .p = *p };
        return free_i;
}

static unsigned target_of(const struct sup_pool *pool, const struct profile *pr)
{
        unsigned peak = 0;

        for (size_t i = 0; i < DEMAND_SECONDS; i++)
                peak = pr->demand[i] > peak ? pr->demand[i] : peak;
        peak = peak < pool->min ? pool->min : peak;
        return peak > pool->max ? pool->max : peak;
}

static int prepare_one(struct sup_pool *pool, int profile)
{
        struct sup *s = pool->sup;
        struct member *m = calloc(1, sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        *m = (struct member){ .pool = pool, .profile = profile, .uid_slot = -1, .pidfd = -1, .ctl = -1, .pid = -1 };
        if ((r = nc_id_new(m->id)) < 0 || (r = sup_uid_slot_alloc(s, &m->uid_slot, &m->uid_base)) < 0) {
                free(m);
                return r;
        }
        m->t_prepare = nc_monotonic_ns();
        m->next = pool->members;
        pool->members = m;
        r = sup_zygote_send(s, json_pack("{s:s, s:s, s:I, s:o}", "op", "prepare", "id", m->id, "uid_base",
                                         (json_int_t)m->uid_base, "profile", sbx_profile_to_json(&pool->profiles[profile].p)));
        if (r < 0) {
                member_free(m);
                return r;
        }
        pool->inflight++;
        return 0;
}

static void refill(struct sup_pool *pool)
{
        if (pool->draining || pool->sup->shutting_down || nc_monotonic_ns() < pool->fail_until_ns)
                return;
        for (int i = 0; i < SUP_POOL_PROFILES; i++) {
                struct profile *pr = &pool->profiles[i];

                if (!pr->used)
                        continue;
                pr->target = target_of(pool, pr);
                unsigned have = count(pool, i, false);
                /* Too many (demand fell): parked ones go first, the newest last. */
                for (struct member *m = pool->members; m && have > pr->target; m = m->next)
                        if (m->profile == i && m->state == MEMBER_PARKED) {
                                release(m);
                                have--;
                        }
                while (have < pr->target && pool->inflight < REFILL_INFLIGHT && prepare_one(pool, i) == 0)
                        have++;
        }
}

static void on_refill(uv_timer_t *t)
{
        refill(t->data);
}

static void kick(struct sup_pool *pool)
{
        if (!uv_is_active((uv_handle_t *)&pool->refill))
                uv_timer_start(&pool->refill, on_refill, 0, 0);
}

static void on_tick(uv_timer_t *t)
{
        struct sup_pool *pool = t->data;
        uint64_t now = nc_monotonic_ns();

        pool->second = (pool->second + 1) % DEMAND_SECONDS;
        for (int i = 0; i < SUP_POOL_PROFILES; i++) {
                struct profile *pr = &pool->profiles[i];

                if (!pr->used)
                        continue;
                pr->demand[pool->second] = 0;
                if (!profile_is_default(&pr->p) && now - pr->last_use_ns > IDLE_SECONDS * 1000000000ull) {
                        for (struct member *m = pool->members; m; m = m->next)
                                if (m->profile == i)
                                        release(m);
                        pr->used = false;
                }
        }
        refill(pool);
}

static void try_remove_reaped(struct sup_pool *pool);

static void on_reap_retry(uv_timer_t *t)
{
        try_remove_reaped(t->data);
}

/* A reaped member's leaf may be busy for a moment while the kernel tears its tasks
 * down; it is retried, and the zygote forgets the member only once it is gone. */
static void try_remove_reaped(struct sup_pool *pool)
{
        struct sup *s = pool->sup;
        bool again = false;

        for (struct member *m = pool->members, *next; m; m = next) {
                next = m->next;
                if (!m->reaped)
                        continue;
                if (sbx_cgroup_leaf_remove(s->cfg, m->id) == -EBUSY && ++m->remove_tries < REMOVE_MAX_TRIES) {
                        again = true;
                        continue;
                }
                (void)sup_zygote_send(s, json_pack("{s:s, s:s}", "op", "forget", "id", m->id));
                member_free(m);
        }
        if (again)
                uv_timer_start(&pool->reap_retry, on_reap_retry, 10, 0);
        else
                sup_idle_check(s);
}

bool sup_pool_on_zygote(struct sup *s, const char *op, const char *id, const json_t *msg, int fds[2], size_t *nfds)
{
        struct sup_pool *pool = s->pool;
        struct member *m = pool ? find(pool, id) : NULL;

        if (!m)
                return false;
        if (strcmp(op, "cloned") == 0 && *nfds == 2 && m->pidfd < 0) {
                pool->inflight--;
                m->pidfd = fds[0];
                m->ctl = fds[1];
                m->pid = (pid_t)json_integer_value(json_object_get(msg, "pid"));
                *nfds = 0;
                m->t_cloned = nc_monotonic_ns();
                (void)nc_proc_start_time(m->pid, &m->init_start);
                (void)fcntl(m->ctl, F_SETFL, fcntl(m->ctl, F_GETFL) | O_NONBLOCK);
                if (m->state == MEMBER_RELEASED || pool->draining || uv_poll_init(&s->loop, &m->poll, m->ctl) < 0) {
                        release(m);
                        return true;
                }
                m->state = MEMBER_SETUP;
                /* Building the member's root must not compete with the requests being
                 * served: it runs at the lowest priority until it is claimed. (Not
                 * SCHED_IDLE: init takes kernel locks, mount's among them, that a
                 * request's sandbox may wait for.) */
                (void)setpriority(PRIO_PROCESS, (id_t)m->pid, 19);
                m->poll.data = m;
                m->polling = true;
                uv_poll_start(&m->poll, UV_READABLE, on_member_ctl);
                kick(pool);
        } else if (strcmp(op, "failed") == 0 && m->pidfd < 0) {
                pool->inflight--;
                log_warn("The zygote could not prepare a pool sandbox (stage %s: %s); refilling pauses for %d ms",
                         json_string_value(json_object_get(msg, "stage")) ?: "?",
                         json_string_value(json_object_get(msg, "message")) ?: "?", FAIL_BACKOFF_MS);
                pool->fail_until_ns = nc_monotonic_ns() + FAIL_BACKOFF_MS * 1000000ull;
                member_free(m);
                sup_idle_check(s);
        } else if (strcmp(op, "reaped") == 0) {
                release(m);
                m->reaped = true;
                try_remove_reaped(pool);
                kick(pool);
        }
        return true;
}

int sup_pool_claim(struct sup *s, const struct sbx_profile *p, struct sup_sandbox *sb)
{
        struct sup_pool *pool = s->pool;
        struct member *best = NULL;
        int i;

        if (!pool || pool->max == 0 || (i = profile_index(pool, p, true)) < 0)
                return -ENOENT;
        struct profile *pr = &pool->profiles[i];
        pr->demand[pool->second]++;
        pr->last_use_ns = nc_monotonic_ns();
        /* The oldest parked member: the one whose refill is longest past. */
        for (struct member *m = pool->members; m; m = m->next)
                if (m->profile == i && m->state == MEMBER_PARKED && (!best || m->t_ready < best->t_ready))
                        best = m;
        kick(pool);
        if (!best) {
                pr->misses++;
                return -ENOENT;
        }
        pr->hits++;
        stop_polling(best);
        /* Back to the priority the workload (it inherits it) and its init must have. */
        if (setpriority(PRIO_PROCESS, (id_t)best->pid, 0) < 0)
                log_warn("Failed to restore the priority of pool sandbox %s: %m", best->id);
        memcpy(sb->id, best->id, sizeof(sb->id));
        sb->uid_slot = best->uid_slot;
        sb->uid_base = best->uid_base;
        best->uid_slot = -1;
        sb->pid = best->pid;
        sb->pidfd = best->pidfd;
        sb->ctl = best->ctl;
        best->pidfd = best->ctl = -1;
        sb->init_start = best->init_start;
        sb->t_prepare = best->t_prepare;
        sb->t_cloned = best->t_cloned;
        sb->t_ready = best->t_ready;
        sb->pool_hit = true;
        sb->cpu_base_usec = best->cpu_base_usec;
        sb->io_read_base = best->io_read_base;
        sb->io_write_base = best->io_write_base;
        member_free(best);
        return 0;
}

int sup_pool_init(struct sup *s)
{
        struct sup_pool *pool = calloc(1, sizeof(*pool));
        static const struct sbx_profile none;

        if (!pool)
                return -ENOMEM;
        pool->sup = s;
        pool->min = s->opt->pool_min;
        pool->max = s->opt->pool_max;
        s->pool = pool;
        if (pool->max == 0)
                return 0;
        uv_timer_init(&s->loop, &pool->refill);
        uv_timer_init(&s->loop, &pool->tick);
        uv_timer_init(&s->loop, &pool->reap_retry);
        pool->refill.data = pool->tick.data = pool->reap_retry.data = pool;
        pool->open_timers = 3;
        /* The tick must not keep an idle loop busy on its own: it is unref'd, and the
         * loop runs until uv_stop anyway. */
        uv_timer_start(&pool->tick, on_tick, 1000, 1000);
        uv_unref((uv_handle_t *)&pool->tick);
        (void)profile_index(pool, &none, true);
        kick(pool);
        return 0;
}

void sup_pool_drain(struct sup *s)
{
        struct sup_pool *pool = s->pool;

        if (!pool || pool->draining)
                return;
        pool->draining = true;
        if (pool->max) {
                uv_timer_stop(&pool->refill);
                uv_timer_stop(&pool->tick);
        }
        for (struct member *m = pool->members; m; m = m->next)
                release(m);
        sup_idle_check(s);
}

bool sup_pool_empty(const struct sup *s)
{
        return !s->pool || !s->pool->members;
}

static void on_timer_closed(uv_handle_t *h)
{
        struct sup_pool *pool = h->data;

        if (--pool->open_timers == 0)
                free(pool);
}

void sup_pool_free(struct sup *s)
{
        struct sup_pool *pool = s->pool;

        if (!pool)
                return;
        s->pool = NULL;
        while (pool->members)
                member_free(pool->members);
        if (pool->open_timers == 0) {
                free(pool);
                return;
        }
        uv_close((uv_handle_t *)&pool->refill, on_timer_closed);
        uv_close((uv_handle_t *)&pool->tick, on_timer_closed);
        uv_close((uv_handle_t *)&pool->reap_retry, on_timer_closed);
}

json_t *sup_pool_info(const struct sup *s)
{
        const struct sup_pool *pool = s->pool;
        json_t *profiles = json_array();

        if (!pool)
                return json_null();
        for (int i = 0; i < SUP_POOL_PROFILES; i++) {
                const struct profile *pr = &pool->profiles[i];

                if (!pr->used)
                        continue;
                json_array_append_new(profiles, json_pack("{s:o, s:i, s:i, s:i, s:I, s:I}", "profile",
                                                          sbx_profile_to_json(&pr->p), "target", (int)pr->target, "ready",
                                                          (int)count(pool, i, true), "preparing",
                                                          (int)(count(pool, i, false) - count(pool, i, true)), "hits",
                                                          (json_int_t)pr->hits, "misses", (json_int_t)pr->misses));
        }
        return json_pack("{s:i, s:i, s:o}", "min", (int)pool->min, "max", (int)pool->max, "profiles", profiles);
}
