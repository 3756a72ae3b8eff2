/* SPDX-License-Identifier: Apache-2.0 */
/* Health and readiness probes of running sandboxes, all on the loop (docs/probes.md).
 *
 * probe.c         scheduling, the exec and tcp probes, results, states, events
 * probe_http.c    the http probe: libcurl's multi interface driven by the loop
 * probe_state.c   the health state machine (no loop; unit-tested)
 * notify_socket.c READY=1 from the workload (--readiness-sd-notify) */
#pragma once

#include "probe_state.h"
#include "sup.h"

#define SUP_PROBE_RESULTS_KEPT 5
#define SUP_PROBE_OUTPUT_MAX 1024       /* of an exec probe's output, kept per result */

struct sup_probe_result {
        uint64_t start_ns, end_ns;      /* wall clock */
        int exit_code;                  /* exec: the command's (124: timed out); tcp, http: 0 passed, 1 failed */
        bool passed;
        char output[SUP_PROBE_OUTPUT_MAX + 1];  /* exec: the first bytes it wrote; tcp, http: what happened */
};

struct sup_probe_http;
struct sup_probe_tcp;

/* One probe (health or readiness) of one sandbox. */
struct sup_probe {
        struct sup_probes *owner;
        const struct nc_spec_probe *spec;       /* the sandbox's spec holds it */
        bool readiness;
        uv_timer_t timer;               /* the next run, then the running one's timeout */
        bool timer_init, running, timed_out;
        bool stale;                     /* exec: started for a run of the workload that has ended */
        uint64_t run_start_ns;
        struct sup_exec *exec;          /* exec: in flight */
        int out_fd;                     /* exec: a memfd that is its stdout and stderr */
        struct sup_probe_tcp *tcp;      /* tcp: the connect in flight */
        struct sup_probe_http *http;    /* http: libcurl's state */
        struct sup_probe_result results[SUP_PROBE_RESULTS_KEPT];
        size_t nresults, next_result;
        uint64_t runs, failures;
};

/* --restart (restart.c): the workload started again inside the same sandbox. */
struct sup_restart {
        uv_timer_t timer;               /* the backoff; then the grace of an unhealthy workload's SIGTERM */
        bool timer_init, waiting, killing;
        unsigned count;                 /* restarts so far */
        unsigned step;                  /* the next backoff is 100 ms << step, at most 60 s */
        uint64_t run_started_ns;        /* monotonic: the current run's start */
        int last_status;                /* of the last run that ended (have_last) */
        bool have_last;
        uint64_t last_exit_ns;
        uint64_t next_ms;               /* waiting: the backoff chosen */
};

struct sup_probes {
        struct sup_sandbox *sb;
        struct sup_probe health, readiness;
        struct sup_health_state hs;
        struct sup_restart restart;
        bool started, stopped, suspended, ready;
        uint64_t ready_ns;
        /* --readiness-sd-notify: the socket init bound at NC_NOTIFY_SOCKET_PATH */
        int notify_fd;
        uv_poll_t notify_poll;
        bool notify_polling;
        char notify_status[256];        /* the last STATUS= the workload sent */
};

/* The workload started (or a restarted loop process took the sandbox over): probing
 * begins. A sandbox without probes allocates nothing. */
void sup_probes_start(struct sup_sandbox *sb);
/* It ended: no more runs; a probe in flight is abandoned. */
void sup_probes_stop(struct sup_sandbox *sb);
/* Removal: uv_close on every handle with cb (counted in sb->open_handles). */
void sup_probes_close(struct sup_sandbox *sb, uv_close_cb cb);
void sup_probes_free(struct sup_probes *p);
/* Ready: the readiness probe passed, or there is none and the workload runs. */
bool sup_sandbox_ready(const struct sup_sandbox *sb);
/* What a restarted loop process must know, in the state file (restore.c): readiness
 * (READY=1 comes once) and a restart in progress; health starts afresh. */
void sup_probes_save(const struct sup_sandbox *sb, json_t *j);
void sup_probes_load(struct sup_sandbox *sb, const json_t *j);
/* For list (health, ready) and inspect (health, readiness in detail). */
void sup_probes_summary(const struct sup_sandbox *sb, json_t *j);
void sup_probes_inspect(const struct sup_sandbox *sb, json_t *j);

/* For the probe kinds' files. */
struct sup_probes *sup_probes_get(struct sup_sandbox *sb);
/* A socket made in the sandbox's network namespace (nucleusd's own stays the loop's). */
int sup_probe_socket(struct sup_sandbox *sb, int family, int type, int protocol);
/* A run's outcome: recorded, states updated, the next run scheduled. */
void sup_probe_finish(struct sup_probe *p, bool passed, int exit_code, const char *output, size_t len);
/* The readiness condition is met (a probe passed, or READY=1). */
void sup_probes_set_ready(struct sup_probes *ps, const char *how);

/* probe_http.c */
int sup_probe_http_start(struct sup_probe *p);
void sup_probe_http_cancel(struct sup_probe *p);
void sup_probe_http_free(struct sup_probe *p);

/* Between a restarted workload's runs: probes wait, then start afresh (starting; not
 * ready again until the readiness probe passes). */
void sup_probes_suspend(struct sup_sandbox *sb);
void sup_probes_restarted(struct sup_sandbox *sb);

/* restart.c. on_message: init's "exit" with restartable, or "restarted"; true when
 * taken (the exit is not the sandbox's end). unhealthy: --restart-on-unhealthy. */
bool sup_restart_on_message(struct sup_sandbox *sb, const char *op, const json_t *msg);
void sup_restart_unhealthy(struct sup_sandbox *sb);
void sup_restart_inspect(const struct sup_sandbox *sb, json_t *j);
/* A restarted loop process: a backoff that was under way goes on. */
void sup_restart_resume(struct sup_sandbox *sb);

/* notify_socket.c: init bound the socket and sent it over ctl (fd taken). */
void sup_notify_socket_attach(struct sup_sandbox *sb, int fd);
void sup_notify_socket_stop(struct sup_probes *ps);
