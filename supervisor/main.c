/* SPDX-License-Identifier: Apache-2.0 */
/* nucleusd: binds the API socket, then becomes the zygote and forks the loop process.
 *
 * Order matters: the socket exists and listens before the loop runs, so clients that
 * connect early wait in the backlog, and a restarted loop process inherits the same
 * socket. The zygote never starts a thread; libuv lives only in the loop process. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "log.h"
#include "cgroup.h"
#include "seccomp_filter.h"
#include "sup.h"


static void usage(FILE *f)
{
        fprintf(f,
                "Usage: nucleusd [OPTIONS]\n"
                "\n"
                "The Nucleus supervisor. Runs in the foreground; `nucleus` starts one on demand.\n"
                "\n"
                "  --socket PATH         API socket (env NUCLEUS_SOCKET; default /run/nucleus/nucleus.sock)\n"
                "  --state-dir DIR       runtime state (env NUCLEUS_STATE_DIR; default /run/nucleus)\n"
                "  --cgroup-root DIR     cgroup2 directory for sandbox leaves (env NUCLEUS_CGROUP_ROOT;\n"
                "                        default <cgroup2 mount>/nucleus); one nucleusd per root, as\n"
                "                        per state dir: a second one with the same root is refused\n"
                "  --idle-timeout SECS   exit after SECS with no sandboxes and no clients; 0 = never\n"
                "                        (env NUCLEUS_IDLE_TIMEOUT; default 0)\n"
                "  --root-size SIZE      size cap of each sandbox's root tmpfs, K/M/G suffixes (default 1G)\n"
                "  --setup-timeout SECS  a sandbox not started SECS after its clone fails (stage setup);\n"
                "                        0 = no limit (default 300)\n"
                "  --max-sandboxes N     live sandboxes allowed at once (default 4096, at most 65000);\n"
                "                        each gets host ids BASE + k*65536 ... of its own\n"
                "  --uid-base BASE       the first host id of sandbox ranges (default 100000; at least\n"
                "                        65536, and BASE + max-sandboxes*65536 must stay below 2^32):\n"
                "                        keep it clear of /etc/subuid ranges other tools hand out\n"
                "  --max-sandboxes-per-uid N   live sandboxes of one non-root user (default 1024)\n"
                "  --cgroup-delegated    our own cgroup is delegated to us (systemd Delegate=yes; automatic\n"
                "                        for a systemd service): move into <own>/supervisor, put sandboxes\n"
                "                        under <own>/sandboxes\n"
                "  --socket-group GROUP  a group whose members may use the API socket (default: root only);\n"
                "                        each user sees and acts only on the sandboxes it created\n"
                "  --bridge NAME         the bridge of --network bridge sandboxes (default nucleus0; its nft\n"
                "                        table is 'nucleus', or 'nucleus-NAME' for another name)\n"
                "  --bridge-subnet CIDR  their IPv4 subnet (default 10.88.0.0/16; the bridge takes the first\n"
                "                        address, sandboxes the others; docs/network.md)\n"
                "  --pool-size MIN:MAX   the warm pool: sandboxes prepared ahead of their requests, per\n"
                "                        profile (default 2:16; 0:0 = none). Each profile keeps between MIN\n"
                "                        and MAX ready, following its peak creates per second of the last 10 s\n"
                "  --log PATH            log to PATH instead of stderr\n"
                "  --log-format FORMAT   text or json (default text)\n"
                "  --log-level LEVEL     error, warn, info or debug (default info)\n"
                "  --ready-fd FD         write \"R\\n\" to FD once the socket accepts connections\n"
                "  --version             print the version\n"
                "  -h, --help            this text\n");
}

static int listen_socket(const char *path, gid_t gid)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        int r;

        if ((r = nc_mkdir_p(path, 0755, true)) < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        memcpy(sa.sun_path, path, strnlen(path, sizeof(sa.sun_path) - 1));
        /* Only one nucleusd per state dir runs (the instance lock), so a socket file here
         * is a leftover of one that died. */
        (void)unlink(path);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -errno;
        if (chmod(path, 0660) < 0 || (gid != (gid_t)-1 && chown(path, 0, gid) < 0) || listen(fd, 4096) < 0)
                return -errno;
        return TAKE_FD(fd);
}

static int start_loop(void *userdata, pid_t *ret_pid, int *ret_sock)
{
        struct sup_options *opt = userdata;
        int sv[2], big = 4 * 1024 * 1024;
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        (void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
        (void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
        pid = fork();
        if (pid < 0) {
                close(sv[0]);
                close(sv[1]);
                return -errno;
        }
        if (pid == 0) {
                close(sv[0]);
                sbx_zygote_forked();
                (void)prctl(PR_SET_NAME, "nucleusd-loop", 0, 0, 0);
                /* The loop cannot outlive the zygote: it could spawn and reap nothing. */
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
                _exit(sup_loop_main(opt, sv[1]) == 0 ? 0 : 1);
        }
        close(sv[1]);
        *ret_pid = pid;
        *ret_sock = sv[0];
        return 0;
}

extern char **environ;

/* The kernel lays argv and environ strings out back to back; /proc/PID/cmdline and
 * environ read that range. */
static void argv_area(int argc, char **argv, struct sbx_config *cfg)
{
        char *end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;

        for (char **e = environ; e && *e; e++)
                if (*e == end)
                        end += strlen(*e) + 1;
        cfg->argv_area = argv[0];
        cfg->argv_area_len = (size_t)(end - argv[0]);
}

int main(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "socket", required_argument, NULL, 's' },      { "state-dir", required_argument, NULL, 'S' },
                { "cgroup-root", required_argument, NULL, 'c' }, { "idle-timeout", required_argument, NULL, 'i' },
                { "root-size", required_argument, NULL, 'R' },   { "log", required_argument, NULL, 'l' },
                { "log-format", required_argument, NULL, 'f' },  { "log-level", required_argument, NULL, 'L' },
                { "ready-fd", required_argument, NULL, 'r' },    { "version", no_argument, NULL, 'V' },
                { "max-sandboxes", required_argument, NULL, 'm' }, { "max-sandboxes-per-uid", required_argument, NULL, 'u' },
                { "socket-group", required_argument, NULL, 'g' }, { "cgroup-delegated", no_argument, NULL, 'D' },
                { "uid-base", required_argument, NULL, 'b' },    { "setup-timeout", required_argument, NULL, 't' },
                { "bridge", required_argument, NULL, 'B' },      { "bridge-subnet", required_argument, NULL, 'N' },
                { "pool-size", required_argument, NULL, 'P' },
                { "help", no_argument, NULL, 'h' },              {},
        };
        static struct sup_options opt;
        struct nc_err err = { { 0 } };
        enum nc_log_level level = NC_LOG_INFO;
        const char *log_path = NULL, *e;
        bool json = false, delegated = false;
        int c, r, ready_fd = -1, log_fd = -1, inst_fd, cg_fd, li = 0;
        char lockpath[PATH_MAX + 16];
        char *end;

        if (sbx_spawn_reserve_slot() < 0) {
                fprintf(stderr, "nucleusd: cannot open /dev/null: %m\n");
                return 1;
        }
        if (nc_paths_default(&opt.paths, &err) < 0) {
                fprintf(stderr, "nucleusd: %s\n", err.msg);
                return 1;
        }
        opt.max_sandboxes = 4096;
        opt.max_sandboxes_per_uid = 1024;
        opt.setup_timeout_ms = 300 * 1000;
        opt.pool_min = SUP_POOL_MIN_DEFAULT;
        opt.pool_max = SUP_POOL_MAX_DEFAULT;
        opt.socket_gid = (gid_t)-1;
        snprintf(opt.bridge, sizeof(opt.bridge), "%s", NP_BRIDGE_DEFAULT);
        snprintf(opt.bridge_subnet, sizeof(opt.bridge_subnet), "%s", NP_SUBNET_DEFAULT);
        opt.cfg = (struct sbx_config){ .uid_base = SBX_UID_BASE, .uid_count = SBX_UID_COUNT,
                                       .root_tmpfs_size = SBX_ROOT_TMPFS_DEFAULT };
        argv_area(argc, argv, &opt.cfg);
        /* From the start, as the zygote and the loop do later: while it sets up, nucleusd
         * logs to stderr, and a reader of that pipe that went away ('nucleusd 2>&1 | head
         * -1') killed it with SIGPIPE at its second line. Workloads get the default back
         * (sandbox/exec.c). */
        signal(SIGPIPE, SIG_IGN);
        e = getenv("NUCLEUS_IDLE_TIMEOUT");
        if (e && *e) {
                double secs = strtod(e, &end);
                /* The flag's range: "nan", "inf" or 1e300 passed the old 'secs < 0' test and
                 * made an undefined conversion to milliseconds. */
                if (*end || end == e || !(secs >= 0 && secs <= 86400 * 365)) {
                        fprintf(stderr, "nucleusd: NUCLEUS_IDLE_TIMEOUT='%s' is not a number of seconds from 0 to "
                                        "31536000\n", e);
                        return 1;
                }
                opt.idle_timeout_ms = (uint64_t)(secs * 1000);
        }
        while ((c = getopt_long(argc, argv, "h", longopts, &li)) != -1) {
                switch (c) {
                case 's': r = nc_paths_set(opt.paths.socket, sizeof(opt.paths.socket), optarg); break;
                case 'S': r = nc_paths_set(opt.paths.state_dir, sizeof(opt.paths.state_dir), optarg); break;
                case 'c': r = nc_paths_set(opt.paths.cgroup_root, sizeof(opt.paths.cgroup_root), optarg); break;
                case 'i':
                case 't': {
                        double secs = strtod(optarg, &end);
                        r = *end || end == optarg || !(secs >= 0 && secs <= 86400 * 365) ? -EINVAL : 0;
                        *(c == 'i' ? &opt.idle_timeout_ms : &opt.setup_timeout_ms) = (uint64_t)(secs * 1000);
                        break;
                }
                case 'R':
                        r = nc_parse_size(optarg, &opt.cfg.root_tmpfs_size);
                        r = r < 0 || opt.cfg.root_tmpfs_size < (1u << 20) ? -EINVAL : 0;
                        break;
                case 'l': log_path = optarg; r = 0; break;
                case 'f':
                        r = strcmp(optarg, "json") == 0 || strcmp(optarg, "text") == 0 ? 0 : -EINVAL;
                        json = strcmp(optarg, "json") == 0;
                        break;
                case 'L': r = nc_log_level_parse(optarg, &level); break;
                case 'r':
                        ready_fd = (int)strtol(optarg, &end, 10);
                        r = *end || ready_fd < 3 ? -EINVAL : 0;
                        break;
                case 'm':
                case 'u': {
                        long v = strtol(optarg, &end, 10);
                        r = *end || end == optarg || v < 1 || v > (c == 'm' ? (long)SBX_UID_SLOTS_MAX : 1000000) ? -EINVAL : 0;
                        if (c == 'm')
                                opt.max_sandboxes = (unsigned)v;
                        else
                                opt.max_sandboxes_per_uid = (unsigned)v;
                        break;
                }
                case 'g': {
                        struct group *gr = getgrnam(optarg);
                        long v = strtol(optarg, &end, 10);
                        r = 0;
                        if (gr)
                                opt.socket_gid = gr->gr_gid;
                        else if (!*end && end != optarg && v >= 0)
                                opt.socket_gid = (gid_t)v;
                        else
                                r = -EINVAL;
                        break;
                }
                case 'D': delegated = true; r = 0; break;
                case 'b': {
                        unsigned long long v = strtoull(optarg, &end, 10);
                        r = *end || end == optarg || optarg[0] == '-' || v < 65536 || v >= UINT32_MAX ? -EINVAL : 0;
                        opt.cfg.uid_base = (uint32_t)v;
                        break;
                }
                case 'B': r = snprintf(opt.bridge, sizeof(opt.bridge), "%s", optarg) < (int)sizeof(opt.bridge) ? 0 : -EINVAL; break;
                case 'N': r = snprintf(opt.bridge_subnet, sizeof(opt.bridge_subnet), "%s", optarg) < (int)sizeof(opt.bridge_subnet) ? 0 : -EINVAL; break;
                case 'P': {
                        unsigned long lo, hi;
                        char *colon;

                        lo = strtoul(optarg, &colon, 10);
                        r = colon == optarg || *colon != ':' || optarg[0] == '-' ? -EINVAL : 0;
                        if (r == 0) {
                                hi = strtoul(colon + 1, &end, 10);
                                r = *end || end == colon + 1 || colon[1] == '-' || hi > SUP_POOL_MAX_LIMIT || lo > hi ? -EINVAL : 0;
                                opt.pool_min = (unsigned)lo;
                                opt.pool_max = (unsigned)hi;
                        }
                        break;
                }
                case 'V': printf("nucleusd %s\n", NUCLEUS_VERSION); return 0;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
                if (r < 0) {
                        fprintf(stderr, "nucleusd: invalid value '%s' for --%s%s\n", optarg, longopts[li].name,
                                c == 'm' ? " (1 to 65000: each live sandbox has 65536 host ids of its own)" :
                                c == 'u' ? " (1 to 1000000)" : c == 'b' ? " (a host id from 65536 up)" :
                                c == 't' || c == 'i' ? " (seconds, 0 or more)" :
                                c == 'P' ? " (MIN:MAX, 0 <= MIN <= MAX <= 256, e.g. 2:16; 0:0 turns the pool off)" : "");
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "nucleusd: unexpected argument '%s'\n", argv[optind]);
                return 2;
        }
        /* Pool members hold ranges too: SUP_POOL_PROFILES * MAX beyond the live sandboxes'. */
        if ((uint64_t)opt.cfg.uid_base + (uint64_t)sup_uid_slots(&opt) * opt.cfg.uid_count > UINT32_MAX ||
            sup_uid_slots(&opt) > SBX_UID_SLOTS_MAX) {
                fprintf(stderr, "nucleusd: --uid-base %u with --max-sandboxes %u and a pool of up to %u would reach host "
                        "id %llu; the ranges must end below 4294967295 (lower one of them)\n", opt.cfg.uid_base,
                        opt.max_sandboxes, SUP_POOL_PROFILES * opt.pool_max,
                        (unsigned long long)opt.cfg.uid_base + (unsigned long long)sup_uid_slots(&opt) * opt.cfg.uid_count);
                return 2;
        }
        {
                struct np_config nc;
                if (np_config_init(&nc, opt.bridge, opt.bridge_subnet, opt.paths.state_dir, &err) < 0) {
                        fprintf(stderr, "nucleusd: %s\n", err.msg);
                        return 2;
                }
        }
        if (log_path) {
                log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
                if (log_fd < 0) {
                        fprintf(stderr, "nucleusd: Failed to open log '%s': %s\n", log_path, strerror(errno));
                        return 1;
                }
        }
        nc_log_setup("nucleusd", log_fd, json, level);
        if (geteuid() != 0) {
                log_error("nucleusd must run as root in this version (a rootless supervisor is planned)");
                return 1;
        }
        if (nc_mkdir_p(opt.paths.state_dir, 0755, true) < 0 || (mkdir(opt.paths.state_dir, 0700) < 0 && errno != EEXIST))
                return log_error_errno(errno, "Failed to create state dir '%s'", opt.paths.state_dir), 1;

        /* One nucleusd per state dir, for its whole life. */
        snprintf(lockpath, sizeof(lockpath), "%s/nucleusd.lock", opt.paths.state_dir);
        inst_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (inst_fd < 0)
                return log_error_errno(errno, "Failed to open '%s'", lockpath), 1;
        if (flock(inst_fd, LOCK_EX | LOCK_NB) < 0) {
                log_error("Another nucleusd already uses state dir '%s'", opt.paths.state_dir);
                return 1;
        }
        /* Compiled here, once, before any sandbox exists; every workload loads it. */
        static struct sbx_seccomp_prog seccomp_default, seccomp_no_inet;
        if (sbx_seccomp_compile_default(0, &seccomp_default, &err) < 0 ||
            sbx_seccomp_compile_default(SBX_SECCOMP_NO_INET, &seccomp_no_inet, &err) < 0) {
                log_error("%s", err.msg);
                return 1;
        }
        opt.cfg.seccomp = &seccomp_default;
        opt.cfg.seccomp_no_inet = &seccomp_no_inet;
        /* A systemd service owns its cgroup (Delegate=yes in nucleus.service): divide it
         * rather than create cgroups elsewhere. */
        if (!opt.paths.cgroup_root[0] && getenv("INVOCATION_ID")) {
                const char *own = NULL;
                char line[PATH_MAX];
                FILE *f = fopen("/proc/self/cgroup", "re");
                while (f && fgets(line, sizeof(line), f))
                        if (strncmp(line, "0::", 3) == 0 && strstr(line, ".service\n"))
                                own = line;
                if (f)
                        fclose(f);
                delegated = delegated || own;
        }
        if (delegated)
                r = sbx_cgroup_delegated_root(opt.cfg.cgroup_root, sizeof(opt.cfg.cgroup_root), &err);
        else
                r = sbx_cgroup_detect_root(opt.paths.cgroup_root, opt.cfg.cgroup_root, sizeof(opt.cfg.cgroup_root), &err);
        if (r < 0) {
                log_error("%s", err.msg);
                return 1;
        }
        /* One nucleusd per cgroup root too: at startup a supervisor kills and removes every
         * leaf there that none of its own sandboxes owns, so a second one with another
         * socket and state dir but the same (default) root would take down the first
         * one's sandboxes. flock works on a cgroupfs directory; held for our whole life. */
        cg_fd = open(opt.cfg.cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cg_fd < 0)
                return log_error_errno(errno, "Failed to open cgroup root '%s'", opt.cfg.cgroup_root), 1;
        if (flock(cg_fd, LOCK_EX | LOCK_NB) < 0) {
                log_error("Another nucleusd already uses cgroup root '%s'; give this one its own with --cgroup-root "
                          "(or NUCLEUS_CGROUP_ROOT)", opt.cfg.cgroup_root);
                return 1;
        }
        /* Limits: v2 controllers, else the v1 hierarchies of a hybrid host. */
        if (sbx_cgroup_setup(&opt.cfg, &err) < 0)
                log_warn("%s: sandboxes will run without resource limits", err.msg);
        else
                log_info("Resource limits through cgroup %s", opt.cfg.cg->name);
        /* Socket activation (nucleus.socket): systemd passes the listening socket. The
         * zygote is the process systemd started (LISTEN_PID), and every loop process it
         * forks inherits the descriptor; unsetting LISTEN_* keeps them from sandboxes. */
        r = sd_listen_fds(1);
        if (r > 1)
                return log_error("systemd passed %d sockets; nucleus.socket has one", r), 1;
        if (r == 1) {
                if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <= 0)
                        return log_error("the socket systemd passed is not a listening Unix stream socket"), 1;
                opt.listen_fd = SD_LISTEN_FDS_START;
                (void)fcntl(opt.listen_fd, F_SETFD, FD_CLOEXEC);
                (void)fcntl(opt.listen_fd, F_SETFL, fcntl(opt.listen_fd, F_GETFL) | O_NONBLOCK);
                opt.socket_activated = true;
        } else
                opt.listen_fd = listen_socket(opt.paths.socket, opt.socket_gid);
        if (opt.listen_fd < 0)
                return log_error_errno(opt.listen_fd, "Failed to listen on '%s'", opt.paths.socket), 1;
        /* The unit's WatchdogSec, checked against our pid (the main PID); the loop process
         * sends the keep-alives. */
        if (sd_watchdog_enabled(1, &opt.watchdog_usec) <= 0)
                opt.watchdog_usec = 0;
        if (nc_paths_lock(&opt.paths, lockpath, sizeof(lockpath)) == 0)
                opt.lock_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        else
                opt.lock_fd = -1;
        log_info("nucleusd %s: state %s, cgroups %s, sandbox root maps to host uid %u+%u", NUCLEUS_VERSION,
                 opt.paths.state_dir, opt.cfg.cgroup_root, opt.cfg.uid_base, opt.cfg.uid_count);
        if (ready_fd >= 0) {
                (void)!write(ready_fd, "R\n", 2);
                close(ready_fd);
        }
        /* The socket is unlinked by the loop while it holds the autostart lock, never
         * here: a successor may already have bound the same path. */
        r = sbx_zygote_run(&opt.cfg, start_loop, &opt);
        if (r == 0)
                sbx_cgroup_release(&opt.cfg);   /* every sandbox is gone: a clean exit */
        return r == 0 ? 0 : 1;
}
