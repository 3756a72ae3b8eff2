/* SPDX-License-Identifier: Apache-2.0 */
/* What the lock-down adds to a sandbox's start: N rounds of fork -> [steps] -> execve
 * PROG -> wait, with the steps a sandbox child takes (sandbox/exec.c lock_down, plus the
 * Landlock domain init builds in sandbox/init.c), with none of them, and with each kind
 * alone, so the cost of every step is visible. It calls the sandbox library itself, so
 * it measures the code that runs, not a copy of it.
 *
 * Usage: nucleus-lockdown-bench [-n N] -- PROG [ARGS...]   (as root)
 * PROG must be executable under the default Landlock rules (/usr, /bin, /nix/store). */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "landlock.h"
#include "rlimits.h"
#include "seccomp_filter.h"

enum {
        STEP_LANDLOCK = 1 << 0,
        STEP_CAPS = 1 << 1,     /* bounding set, identity, every other set verified empty */
        STEP_RLIMITS = 1 << 2,
        STEP_NNP = 1 << 3,
        STEP_SECCOMP = 1 << 4,
};

static const struct variant {
        const char *name;
        unsigned steps;
} variants[] = {
        { "bare (no lock-down)", 0 },
        { "seccomp only", STEP_SECCOMP },
        { "landlock only", STEP_LANDLOCK },
        { "caps only", STEP_CAPS },
        { "rlimits + no_new_privs", STEP_RLIMITS | STEP_NNP },
        { "full lock-down", STEP_LANDLOCK | STEP_CAPS | STEP_RLIMITS | STEP_NNP | STEP_SECCOMP },
};
#define NVARIANTS (sizeof(variants) / sizeof(variants[0]))

static struct sbx_seccomp_prog filter;  /* compiled once, as the zygote does */
static cap_t prepared;                  /* allocated before fork, as init does */

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The child: the steps in the order of a sandbox (Landlock, which init applies before
 * it forks, then exec.c's lock_down), then execve. Exits 100 + step on a failure. */
static _Noreturn void child(unsigned steps, char **argv)
{
        struct sbx_landlock_report report;
        struct sbx_failure f = { 0 };

        if ((steps & STEP_LANDLOCK) && sbx_landlock_apply_default(NULL, 0, &report, &f) < 0)
                _exit(101);
        if (steps & STEP_CAPS) {
                if (sbx_caps_drop_bounding(NULL, &f) < 0)
                        _exit(102);
                if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                        _exit(103);
                if (sbx_caps_clear(prepared, NULL, &f) < 0)
                        _exit(104);
        }
        if ((steps & STEP_RLIMITS) && sbx_rlimits_apply(NULL, &f) < 0)
                _exit(105);
        if ((steps & STEP_NNP) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                _exit(106);
        /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: root has it. */
        if ((steps & STEP_SECCOMP) && sbx_seccomp_load(&filter, false) < 0)
                _exit(107);
        execv(argv[0], argv);
        _exit(127);
}

static int one(unsigned steps, char **argv, uint64_t *ret_ns)
{
        uint64_t t0 = now_ns();
        int status;
        pid_t pid = fork();

        if (pid < 0)
                return -errno;
        if (pid == 0)
                child(steps, argv);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        *ret_ns = now_ns() - t0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "nucleus-lockdown-bench: the child exited with status 0x%x (101-107: a step failed; 127: exec)\n",
                        status);
                return -EIO;
        }
        return 0;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static double pct_us(const uint64_t *v, size_t n, double p)
{
        size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);

        return (double)v[k ? k - 1 : 0] / 1000.0;
}

int main(int argc, char **argv)
{
        struct nc_err err = { { 0 } };
        long n = 2000;
        int opt;

        while ((opt = getopt(argc, argv, "n:")) != -1) {
                if (opt != 'n' || (n = strtol(optarg, NULL, 10)) < 1) {
                        fprintf(stderr, "usage: %s [-n N] -- PROG [ARGS...]\n", argv[0]);
                        return 2;
                }
        }
        if (optind >= argc) {
                fprintf(stderr, "usage: %s [-n N] -- PROG [ARGS...]\n", argv[0]);
                return 2;
        }
        if (geteuid() != 0) {
                fprintf(stderr, "%s: must run as root (the capability drop and Landlock need it)\n", argv[0]);
                return 1;
        }
        if (sbx_seccomp_compile_default(0, &filter, &err) < 0) {
                fprintf(stderr, "%s: %s\n", argv[0], err.msg);
                return 1;
        }
        if (sbx_caps_prepare(NULL, &prepared) < 0) {
                perror("sbx_caps_prepare");
                return 1;
        }

        uint64_t *samples[NVARIANTS];
        for (size_t v = 0; v < NVARIANTS; v++)
                if (!(samples[v] = calloc((size_t)n, sizeof(uint64_t))))
                        return perror("calloc"), 1;
        /* Round robin, so that a noisy moment on a shared machine hits every variant
         * alike instead of one; a few untimed rounds first warm the caches. */
        for (long i = -20; i < n; i++)
                for (size_t v = 0; v < NVARIANTS; v++) {
                        uint64_t ns = 0;

                        if (one(variants[v].steps, argv + optind, &ns) < 0)
                                return 1;
                        if (i >= 0)
                                samples[v][i] = ns;
                }

        double base = 0;
        printf("fork -> steps -> execve %s -> wait; %ld rounds per variant, interleaved; Landlock ABI %d\n\n",
               argv[optind], n, sbx_landlock_abi());
        printf("| variant | median (µs) | p99 (µs) | added median (µs) |\n|---|---:|---:|---:|\n");
        for (size_t v = 0; v < NVARIANTS; v++) {
                qsort(samples[v], (size_t)n, sizeof(uint64_t), cmp_u64);
                double med = pct_us(samples[v], (size_t)n, 50), p99 = pct_us(samples[v], (size_t)n, 99);

                if (v == 0)
                        base = med;
                printf("| %s | %.1f | %.1f | %+.1f |\n", variants[v].name, med, p99, med - base);
                free(samples[v]);
        }
        cap_free(prepared);
        free(filter.insns);
        return 0;
}
