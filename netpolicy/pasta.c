/* SPDX-License-Identifier: Apache-2.0 */
/* The userspace NAT backend: pasta (Debian package passt) attached to a sandbox's
 * network namespace (docs/network.md). This file builds pasta's argv from validated
 * values, starts it without a shell, and keeps the record the next nucleusd uses to
 * find a pasta whose nucleusd crashed. The loop side (supervision) is supervisor/pasta.c. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macros.h"
#include "netpolicy.h"
#include "util.h"

/* Linux 6.11: a namespace of a pidfd's process, with no /proc path a reused pid could
 * redirect. */
#ifndef PIDFD_GET_NET_NAMESPACE
#define PIDFD_GET_NET_NAMESPACE _IO(0xFF, 4)
#endif

/* Where pasta finds its netns: the descriptor is dup'ed to this number in the child. */
#define NETNS_FD 3

int np_pasta_paths(const char *state_dir, const char *id, struct np_pasta_paths *ret)
{
        if (!nc_id_valid(id))
                return -EINVAL;
        if ((size_t)snprintf(ret->dir, sizeof(ret->dir), "%s/network/pasta", state_dir) >= sizeof(ret->dir) ||
            (size_t)snprintf(ret->record, sizeof(ret->record), "%s/%s", ret->dir, id) >= sizeof(ret->record) ||
            (size_t)snprintf(ret->pid_file, sizeof(ret->pid_file), "%s/%s.pid", ret->dir, id) >= sizeof(ret->pid_file) ||
            (size_t)snprintf(ret->log_file, sizeof(ret->log_file), "%s/%s.log", ret->dir, id) >= sizeof(ret->log_file))
                return -ENAMETOOLONG;
        return 0;
}

static int push(char **argv, size_t *n, size_t cap, const char *s)
{
        if (*n + 1 >= cap || !(argv[*n] = strdup(s)))
                return -ENOMEM;
        (*n)++;
        return 0;
}

void np_pasta_argv_free(char **argv)
{
        for (size_t i = 0; argv && argv[i]; i++)
                free(argv[i]);
        free(argv);
}

/* -t/-u take "[ADDR/]HOST:CONTAINER". */
static int push_ports(char **argv, size_t *n, size_t cap, const struct nc_spec_network *net, int proto)
{
        const char *opt = proto == IPPROTO_UDP ? "-u" : "-t";
        char spec[64], ip[INET_ADDRSTRLEN];
        bool any = false;
        int r;

        for (size_t i = 0; i < net->npublish; i++) {
                const struct nc_spec_port *p = &net->publish[i];
                if (p->proto != proto)
                        continue;
                if (p->host_ip)
                        snprintf(spec, sizeof(spec), "%s/%u:%u", inet_ntop(AF_INET, &p->host_ip, ip, sizeof(ip)),
                                 p->host_port, p->port);
                else
                        snprintf(spec, sizeof(spec), "%u:%u", p->host_port, p->port);
                if ((r = push(argv, n, cap, opt)) < 0 || (r = push(argv, n, cap, spec)) < 0)
                        return r;
                any = true;
        }
        /* pasta's default is "auto": every port bound in the namespace, found by
         * scanning it. Only what was published is forwarded. */
        if (!any && ((r = push(argv, n, cap, opt)) < 0 || (r = push(argv, n, cap, "none")) < 0))
                return r;
        return 0;
}

int np_pasta_argv(const char *exe, const struct nc_spec_network *net, const struct np_pasta_paths *paths, gid_t gid,
                  char ***ret)
{
        /* Fixed options, each there for a reason:
         * --runas 0:GID  this pasta (2023-03) drops to nobody before it opens the netns
         *                path, and nobody can neither open nor enter the namespace of a
         *                sandbox owned by root; as uid 0 it still ends up with only
         *                CAP_SYS_ADMIN and CAP_NET_BIND_SERVICE, no_new_privs, its
         *                seccomp filter and an empty mount namespace of its own. The
         *                group is the sandbox's own host gid, which nothing else on the
         *                host uses: the sockets pasta opens for the sandbox carry it,
         *                and nft tells them from the host's by it (np_nft_setup)
         * -f             stay our child, so its pid is the one we spawned and watch
         * -q             errors only, in the log file
         * -4             the sandbox's network is IPv4, as with the kernel backend
         * --config-net   pasta sets eth0's address and default route, not DHCP
         * --no-dhcp      ... so nothing in the sandbox needs to ask
         * --no-map-gw    otherwise the gateway address is the host's loopback: the
         *                sandbox would reach every service bound to 127.0.0.1
         * -T/-U none     otherwise ports bound on the host are forwarded to the
         *                sandbox's own loopback (the host's loopback again)
         * --no-netns-quit the netns is a descriptor, not a file pasta can watch; we
         *                kill pasta when the sandbox ends */
        static const char *const fixed[] = { "-f", "-q", "-4", "--config-net", "-I", NP_PASTA_IFNAME,
                                             "-a", NP_PASTA_ADDR, "-n", NP_PASTA_PREFIX, "-g", NP_PASTA_GATEWAY,
                                             "--no-dhcp", "--no-map-gw", "-T", "none", "-U", "none", "--no-netns-quit" };
        size_t cap = 3 + ARRAY_SIZE(fixed) + 2 * (NC_SPEC_PUBLISH_MAX + 2) + 6 + 1, n = 0;
        char **argv = calloc(cap, sizeof(char *));
        char ns[32], runas[32];
        int r;

        if (!argv)
                return -ENOMEM;
        /* argv[0] picks pasta's mode (passt and pasta are one binary). */
        r = push(argv, &n, cap, strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe);
        snprintf(runas, sizeof(runas), "0:%u", (unsigned)gid);
        if (r == 0)
                r = push(argv, &n, cap, "--runas");
        if (r == 0)
                r = push(argv, &n, cap, runas);
        for (size_t i = 0; r == 0 && i < ARRAY_SIZE(fixed); i++)
                r = push(argv, &n, cap, fixed[i]);
        if (r == 0)
                r = push_ports(argv, &n, cap, net, IPPROTO_TCP);
        if (r == 0)
                r = push_ports(argv, &n, cap, net, IPPROTO_UDP);
        snprintf(ns, sizeof(ns), "/proc/self/fd/%d", NETNS_FD);
        /* pasta writes its pid file once the namespace is configured: the readiness
         * signal. The log file has its errors (syslog otherwise). */
        const char *const tail[] = { "-P", paths->pid_file, "-l", paths->log_file, "--netns", ns };
        for (size_t i = 0; r == 0 && i < ARRAY_SIZE(tail); i++)
                r = push(argv, &n, cap, tail[i]);
        if (r < 0) {
                np_pasta_argv_free(argv);
                return r;
        }
        *ret = argv;
        return 0;
}

int np_netns_fd(pid_t pid, int pidfd)
{
        char path[64];
        int fd = ioctl(pidfd, PIDFD_GET_NET_NAMESPACE, 0);

        if (fd >= 0) {
                (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
                return fd;
        }
        /* Before 6.11: the /proc path, then proof that pid was still the pidfd's process
         * after the open (a pid is not reused while its process lives). */
        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
        if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
                return -errno;
        if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

int np_pasta_spawn(const char *exe, char **argv, int netns_fd, pid_t *ret_pid)
{
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none, all;
        static char *const envp[] = { NULL };
        pid_t pid;
        int r;

        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_init(&attr);
        sigemptyset(&none);
        sigfillset(&all);
        /* The loop's signal mask and handlers are not pasta's business; its own session,
         * so a terminal's signals meant for nucleusd do not reach it. */
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
        posix_spawn_file_actions_adddup2(&fa, 0, 1);
        posix_spawn_file_actions_adddup2(&fa, 0, 2);
        /* dup2 clears close-on-exec on the copy; nothing else of ours is inherited. */
        posix_spawn_file_actions_adddup2(&fa, netns_fd, NETNS_FD);
        posix_spawn_file_actions_addclosefrom_np(&fa, NETNS_FD + 1);
        r = -posix_spawn(&pid, exe, &fa, &attr, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (r == 0)
                *ret_pid = pid;
        return r;
}

int np_pasta_record_write(const struct np_pasta_paths *paths, pid_t pid, uint64_t start)
{
        char tmp[PATH_MAX + 8], buf[64];
        int fd, len, r = 0;

        if (snprintf(tmp, sizeof(tmp), "%s.tmp", paths->record) >= (int)sizeof(tmp))
                return -ENAMETOOLONG;
        len = snprintf(buf, sizeof(buf), "%d %llu\n", (int)pid, (unsigned long long)start);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        /* No fsync: the record matters after a crash of nucleusd, not of the host (and
         * the state dir is usually a tmpfs, /run). */
        if (write(fd, buf, (size_t)len) != len)
                r = errno ? -errno : -EIO;
        close(fd);
        if (r == 0 && rename(tmp, paths->record) < 0)
                r = -errno;
        if (r < 0)
                (void)unlink(tmp);
        return r;
}

void np_pasta_files_remove(const struct np_pasta_paths *paths)
{
        (void)unlink(paths->record);
        (void)unlink(paths->pid_file);
        (void)unlink(paths->log_file);
}

bool np_pasta_is_ours(pid_t pid, uint64_t start)
{
        char path[64], comm[32] = "";
        uint64_t now;
        _cleanup_(nc_fclosep) FILE *f = NULL;

        if (nc_proc_start_time(pid, &now) < 0 || now != start)
                return false;
        snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
        if (!(f = fopen(path, "re")) || !fgets(comm, sizeof(comm), f))
                return false;
        /* passt.avx2 on an AVX2 machine: pasta re-executes itself as that */
        return strncmp(comm, "pasta", 5) == 0 || strncmp(comm, "passt", 5) == 0;
}

int np_pasta_sweep(const char *state_dir, np_pasta_found_fn found, void *userdata)
{
        char dir[PATH_MAX];
        struct dirent *de;
        DIR *d;
        int n = 0;

        snprintf(dir, sizeof(dir), "%s/network/pasta", state_dir);
        if (!(d = opendir(dir)))
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                struct np_pasta_paths paths;
                _cleanup_(nc_fclosep) FILE *f = NULL;
                unsigned long long start = 0;
                int pid = 0;

                if (np_pasta_paths(state_dir, de->d_name, &paths) < 0)
                        continue;       /* not a record: "<id>.pid", "<id>.log", "." */
                if ((f = fopen(paths.record, "re")) && fscanf(f, "%d %llu", &pid, &start) == 2 && pid > 0 &&
                    found(de->d_name, pid, start, &paths, userdata))
                        n++;
        }
        closedir(d);
        return n;
}

char *np_pasta_log_tail(const struct np_pasta_paths *paths)
{
        _cleanup_(nc_fclosep) FILE *f = fopen(paths->log_file, "re");
        char line[512], last[512] = "";

        /* The last line is pasta's reason ("0.3600: ERROR: ..."); the header line, "pasta
         * <version>: <binary> (<pid>)", is no reason. */
        while (f && fgets(line, sizeof(line), f))
                if (line[0] && line[0] != '\n' && strncmp(line, "pasta ", 6) != 0 && strncmp(line, "passt ", 6) != 0)
                        snprintf(last, sizeof(last), "%s", line);
        last[strcspn(last, "\n")] = 0;
        return last[0] ? strdup(last) : NULL;
}
