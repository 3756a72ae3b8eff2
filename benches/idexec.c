/* SPDX-License-Identifier: Apache-2.0 */
/* idexec PROGRAM ARGS...: execs PROGRAM with every argument "@ID@" replaced by an id
 * unique to this run (the pid and a nanosecond clock), so that hyperfine can start OCI
 * runtimes, which need a new container id each time, without a shell in between. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        struct timespec ts;
        char id[64];

        if (argc < 2) {
                fputs("usage: idexec PROGRAM [ARGS...] (each @ID@ becomes a unique id)\n", stderr);
                return 2;
        }
        clock_gettime(CLOCK_MONOTONIC, &ts);
        snprintf(id, sizeof(id), "bench-%d-%lld%09ld", (int)getpid(), (long long)ts.tv_sec, ts.tv_nsec);
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "@ID@") == 0)
                        argv[i] = id;
        execv(argv[1], argv + 1);
        perror(argv[1]);
        return 127;
}
