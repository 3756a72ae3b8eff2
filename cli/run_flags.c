/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus run: the flags. The host paths they name are opened as the caller by
 * run_paths.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "macros.h"
#include "run.h"
#include "spec.h"
#include "util.h"

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: nucleus run [OPTIONS] [--] COMMAND [ARG...]\n"
                "\n"
                "Run COMMAND in a new sandbox in the foreground and exit with its status: its exit\n"
                "code, or 128+signal; 125 if nucleus failed, 126 if COMMAND cannot be executed, 127\n"
                "if it is not found. COMMAND is looked up on the sandbox's PATH.\n"
                "\n"
                "  --name NAME          a unique name ([A-Za-z0-9._-], 1-128 characters)\n"
                "  --hostname NAME      the sandbox's host name (default: the name, else the short id)\n"
                "  -e, --env K=V        set an environment variable; -e K copies K from this environment\n"
                "  -w, --workdir DIR    working directory inside the sandbox (default /)\n"
                "  -d, --detach         run in the background: print the id and return; output goes to\n"
                "                       nucleusd's log store (nucleus logs ID)\n"
                "  -t, --tty            give COMMAND a terminal: a pty of the sandbox's own /dev/pts, with this\n"
                "                       terminal's size (kept in step); --terminal is the seed's spelling. With\n"
                "                       -d, nucleusd keeps it for `nucleus attach ID` (no logs are kept then)\n"
                "  -i, --interactive    with -t, pass our input to it (this terminal goes raw meanwhile);\n"
                "                       without -t, stdin is passed anyway\n"
                "  --timeout SECONDS    kill the sandbox when its time is up (final reason: timeout)\n"
                "  --sd-notify          as a Type=notify service's ExecStart: READY=1 to $NOTIFY_SOCKET once the\n"
                "                       sandbox is ready (its readiness probe passed; started, without one),\n"
                "                       STOPPING=1 when asked to stop; the exit status is the sandbox's\n"
                "  -v, --volume SRC:DEST[:ro|rw]  mount a host directory or file (default rw; never executable)\n"
                "  --tmpfs DEST[:SIZE][:ro|rw]    a private tmpfs (default 64M, mode 0700, the workload's owner)\n"
                "  --secret SRC:DEST              a file copied into the sandbox's /run/secrets tmpfs (0400);\n"
                "                                 DEST elsewhere gets a read-only bind of it\n"
                "  --systemd-credential NAME:DEST the same, from $CREDENTIALS_DIRECTORY/NAME\n"
                "  --context DIR        the project the workload sees at /context, read-only\n"
                "  --context-mode copy|bind  copy (default): a snapshot in a tmpfs, leaving out .git,\n"
                "                       node_modules, target, .env*, .ssh, .aws, .kube, keys and certificates,\n"
                "                       *secret*/*credential*/*private_key*/*kubeconfig* and symlinks (inspect\n"
                "                       lists them); bind: the live directory, read-only, nothing left out\n"
                "  --verify-context-integrity  hash the source tree, and refuse to start unless /context\n"
                "                       matches it after the copy\n"
                "  -u, --user U         the workload's uid inside (a number, root or nobody; numeric needs --group)\n"
                "  --group G            its gid (a number, root or nogroup); --additional-group G adds one\n"
                "  --rm                 remove the sandbox when it exits\n"
                "  --require-kernel-lockdown integrity|confidentiality  refuse to start unless the host's\n"
                "                       kernel lockdown (/sys/kernel/security/lockdown) is at least that\n"
                "  --allow-degraded-security  run without Landlock on a kernel that has none (warned, marked in inspect;\n"
                "                       agent mode only)\n"
                "  --service-mode agent|strict-agent|production  agent (default); strict-agent: every lock-down\n"
                "                       step is fatal; production: also needs --rootfs with attestation, --memory,\n"
                "                       --cpus and pinned policies, hides other processes in /proc and audits the\n"
                "                       mounts (docs/modes.md); --strict-agent is --service-mode strict-agent\n"
                "  --trust-level untrusted|trusted  what you vouch for in the workload (default untrusted)\n"
                "  --time-namespace     a time namespace of its own (clock offsets stay zero)\n"
                "  --disable-cgroup-namespace  see the host's cgroup tree (refused in production)\n"
                "  --proc-rw            /proc writable, masked files still read-only (refused in production)\n"
                "  --seccomp-log-denied the kernel logs every call the filter does not allow\n"
                "  --network none|host|bridge  none (default): only lo; bridge: an address on nucleusd's bridge\n"
                "                       with NAT; host: the host's network (needs --allow-host-network and\n"
                "                       --trust-level trusted; never in strict-agent or production; docs/network.md)\n"
                "  --allow-host-network accept --network host\n"
                "  --dns IP             a resolver for /etc/resolv.conf with --network bridge; repeatable (up to 3;\n"
                "                       default in agent mode: the host's non-loopback resolvers; production: required)\n"
                "  -p, --publish [IP:]HOST:CONTAINER[/tcp|udp]  publish a port of a bridge sandbox on the host\n"
                "                       (every local address, or IP; 127.0.0.1 works too); repeatable\n"
                "  --nat-backend auto|kernel|userspace  with --network bridge: kernel: nucleusd's bridge, veth\n"
                "                       and nft NAT; userspace: pasta forwards the sandbox's traffic and -p ports\n"
                "                       from nucleusd's sockets, with no kernel configuration on the host and no\n"
                "                       egress policy; auto (default): kernel when nucleusd runs as root, which it\n"
                "                       does today, else userspace (docs/network.md)\n"
                "  --egress-allow CIDR  with --network bridge, allow traffic out to CIDR (A.B.C.D/N, or A.B.C.D);\n"
                "                       repeatable; \"\" alone: deny all but DNS to the --dns servers. Anything\n"
                "                       else is dropped, counted and logged by nucleusd (default: open; in\n"
                "                       production: deny all, DNS included; docs/network.md)\n"
                "  --egress-tcp-port N, --egress-udp-port N  only these ports to the --egress-allow CIDRs\n"
                "                       (repeatable; without any, every port and protocol)\n"
                "  --egress-domain NAME allow the addresses nucleusd's DNS gate answers for NAME (*.NAME: its\n"
                "                       subdomains), for their TTL; the gate becomes the only resolver; repeatable\n"
                "  --rootfs DIR         a prebuilt root: its usr, bin, sbin, lib*, etc and nix replace the host's\n"
                "  --verify-rootfs-attestation  refuse to start unless every file of the rootfs matches its\n"
                "                       .nucleus-rootfs-sha256 manifest (missing, changed and extra files named)\n"
                "  --memory SIZE        memory limit (512M, 2G); the sandbox is killed as a whole when it runs out\n"
                "  --swap               with --memory: allow swap (none by default when --memory is set)\n"
                "  --cpus N             CPU limit in CPUs (0.5, 2)\n"
                "  --cpu-weight N       CPU share, 1-10000 (default 100)\n"
                "  --pids N             process limit (default 512; 0 = unlimited)\n"
                "  --io-limit \"MAJ:MIN riops=N wiops=N rbps=N wbps=N\"   block I/O limit of a device; repeatable\n"
                "  --seccomp-allow NAME allow a system call from the opt-in list (docs/security.md); repeatable\n"
                "  --memlock SIZE       RLIMIT_MEMLOCK (default 64K; K, M, G suffixes)\n"
                "  --seccomp-profile FILE         an OCI seccomp profile instead of the default filter\n"
                "  --caps-policy FILE             capabilities to keep (TOML: [bounding] keep = [...])\n"
                "  --landlock-policy FILE         Landlock rules replacing the default (TOML: min_abi, [[rules]])\n"
                "  --seccomp-profile-sha256 HEX, --caps-policy-sha256 HEX, --landlock-policy-sha256 HEX\n"
                "                                 refuse the file unless its SHA-256 is HEX\n"
                "  --seccomp-mode enforce|trace   enforce (default): the seccomp filter; trace: no filter, every\n"
                "                       system call is recorded (slow; for `nucleus seccomp generate`)\n"
                "  --seccomp-log FILE   where trace mode writes the calls (NDJSON); required with trace\n");
        cli_run_probe_usage(f);
        fprintf(f,
                "  -h, --help           this text\n"
                "\n"
                "The environment inside is PATH, HOME, TERM (when stdout is a terminal) and -e values.\n");
}

int cli_parse_ident(const char *opt, const char *val, bool user, unsigned *ret)
{
        /* The sandbox's /etc/passwd knows root and nobody; anything else is a number. */
        const char *nobody = user ? "nobody" : "nogroup";
        char *end = NULL;
        long v = strcmp(val, "root") == 0 ? 0 : strcmp(val, nobody) == 0 ? 65534 : strtol(val, &end, 10);

        if (end && (*end || end == val)) {
                fprintf(stderr, "nucleus: invalid %s '%s': a number from 0 to %d, or %s\n", opt, val, NC_ID_MAX,
                        user ? "root or nobody" : "root or nogroup");
                return -EINVAL;
        }
        if (v < 0 || v > NC_ID_MAX) {
                fprintf(stderr, "nucleus: invalid %s '%s': ids inside a sandbox go from 0 to %d\n", opt, val, NC_ID_MAX);
                return -EINVAL;
        }
        *ret = (unsigned)v;
        return 0;
}

int cli_run_parse(int argc, char **argv, struct nc_spec *spec, struct run_opts *ro)
{
        struct nc_err err = { { 0 } };
        bool egress_deny_all = false, nat_backend_given = false;
        int i;

        for (i = 1; i < argc; i++) {
                const char *a = argv[i], *val = NULL;
                size_t n;

                if (strcmp(a, "--") == 0) {
                        i++;
                        break;
                }
                if (a[0] != '-' || a[1] == 0)
                        break;
                if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        usage(stdout);
                        exit(0);
                }
                if (strcmp(a, "--rm") == 0) {
                        ro->rm = true;
                        continue;
                }
                if (strcmp(a, "-d") == 0 || strcmp(a, "--detach") == 0) {
                        ro->detach = true;
                        continue;
                }
                if (strcmp(a, "--sd-notify") == 0) {
                        ro->sd_notify = true;
                        continue;
                }
                if (strcmp(a, "--swap") == 0) {
                        spec->limits.swap = true;
                        continue;
                }
                if (strcmp(a, "--allow-degraded-security") == 0) {
                        spec->allow_degraded_security = true;
                        continue;
                }
                /* The seed's namespace and /proc knobs. */
                static const struct {
                        const char *flag;
                        size_t off;
                } knobs[] = {
                        { "--time-namespace", offsetof(struct nc_spec, time_namespace) },
                        { "--disable-cgroup-namespace", offsetof(struct nc_spec, no_cgroup_namespace) },
                        { "--proc-rw", offsetof(struct nc_spec, proc_rw) },
                        { "--seccomp-log-denied", offsetof(struct nc_spec, seccomp_log_denied) },
                };
                bool knob = false;
                for (size_t k = 0; k < ARRAY_SIZE(knobs) && !knob; k++)
                        if (strcmp(a, knobs[k].flag) == 0) {
                                *(bool *)((char *)spec + knobs[k].off) = true;
                                knob = true;
                        }
                if (knob)
                        continue;
                if (strcmp(a, "--allow-host-network") == 0) {
                        spec->network.allow_host = true;
                        continue;
                }
                if (strcmp(a, "--strict-agent") == 0) {
                        spec->service_mode = NC_MODE_STRICT_AGENT;
                        continue;
                }
                if (strcmp(a, "--verify-rootfs-attestation") == 0) {
                        ro->rootfs_attestation = true;
                        continue;
                }
                if (strcmp(a, "--verify-context-integrity") == 0) {
                        ro->context_integrity = true;
                        continue;
                }
                if (strcmp(a, "-t") == 0 || strcmp(a, "--tty") == 0 || strcmp(a, "--terminal") == 0) {
                        ro->tty = true;
                        continue;
                }
                if (strcmp(a, "-i") == 0 || strcmp(a, "--interactive") == 0) {
                        ro->interactive = true;
                        continue;
                }
                if (strcmp(a, "-it") == 0 || strcmp(a, "-ti") == 0) {
                        ro->tty = ro->interactive = true;
                        continue;
                }
                if (strcmp(a, "--readiness-sd-notify") == 0) {
                        ro->probes.readiness_sd_notify = true;
                        continue;
                }
                if (strcmp(a, "--restart-on-unhealthy") == 0) {
                        ro->probes.restart_on_unhealthy = true;
                        continue;
                }
                if (cli_refuse_planned_flag(a))
                        return -EINVAL;
                static const char *const with_value[] = { "--name", "--hostname", "--env", "-e", "--workdir", "-w",
                                                          "--seccomp-allow", "--memlock", "--seccomp-profile-sha256",
                                                          "--seccomp-profile", "--caps-policy-sha256", "--caps-policy",
                                                          "--landlock-policy-sha256", "--landlock-policy",
                                                          "--memory", "--cpus", "--cpu-weight", "--pids", "--io-limit",
                                                          "--timeout", "--volume", "-v", "--user", "-u", "--group",
                                                          "--additional-group", "--tmpfs", "--secret",
                                                          "--systemd-credential", "--context-mode", "--context",
                                                          "--require-kernel-lockdown", "--service-mode", "--trust-level",
                                                          "--rootfs", "--seccomp-mode", "--seccomp-log",
                                                          "--network", "--dns", "--publish", "-p", "--egress-allow",
                                                          "--egress-tcp-port", "--egress-udp-port", "--egress-domain",
                                                          /* run_probes.c's */
                                                          "--health-cmd", "--health-tcp", "--health-http",
                                                          "--health-interval", "--health-timeout", "--health-retries",
                                                          "--health-start-period", "--readiness-exec", "--readiness-tcp",
                                                          "--readiness-interval", "--restart", "--nat-backend" };
                const char *opt = NULL;
                for (size_t k = 0; k < ARRAY_SIZE(with_value) && !opt; k++) {
                        n = strlen(with_value[k]);
                        if (strncmp(a, with_value[k], n) != 0)
                                continue;
                        if (a[n] == '=')
                                val = a + n + 1;
                        else if (a[n] == 0 && i + 1 < argc)
                                val = argv[++i];
                        else if (a[n] == 0) {
                                fprintf(stderr, "nucleus: %s needs a value\n", a);
                                return -EINVAL;
                        } else if (a[1] != '-') {
                                val = a + n;    /* -eK=V, -w/dir */
                        } else
                                continue;
                        opt = with_value[k];
                }
                if (!opt) {
                        fprintf(stderr, "nucleus: unknown option '%s' for run (see nucleus run --help)\n", a);
                        return -EINVAL;
                }
                int pr = cli_run_probe_flag(&ro->probes, opt, val);
                if (pr != -ENOENT) {
                        if (pr < 0)
                                return -EINVAL;
                        continue;
                }
                char **slot = NULL;
                if (strcmp(opt, "--name") == 0)
                        slot = &spec->name;
                else if (strcmp(opt, "--hostname") == 0)
                        slot = &spec->hostname;
                else if (strcmp(opt, "--workdir") == 0 || strcmp(opt, "-w") == 0)
                        slot = &spec->cwd;
                if (slot) {
                        free(*slot);
                        *slot = strdup(val);
                        continue;
                }
                if (strcmp(opt, "--seccomp-allow") == 0) {
                        char **nv = realloc(spec->seccomp_allow, (spec->nseccomp_allow + 2) * sizeof(char *));
                        if (!nv)
                                return -ENOMEM;
                        spec->seccomp_allow = nv;
                        nv[spec->nseccomp_allow++] = strdup(val);
                        nv[spec->nseccomp_allow] = NULL;
                        continue;
                }
                bool matched = false;
                for (int k = 0; k < POLICY_MAX && !matched; k++) {
                        struct cli_policy *p = &ro->policy[k];
                        char pin[48];

                        snprintf(pin, sizeof(pin), "%s-sha256", p->flag);
                        if (strcmp(opt, p->flag) == 0) {
                                if (cli_policy_open(p, val) < 0)
                                        return -EINVAL;
                                matched = true;
                        } else if (strcmp(opt, pin) == 0) {
                                if (cli_policy_pin(p, pin, val) < 0)
                                        return -EINVAL;
                                matched = true;
                        }
                }
                if (matched)
                        continue;
                if (strcmp(opt, "--memory") == 0) {
                        uint64_t bytes;
                        if (nc_parse_size(val, &bytes) < 0 || bytes > (uint64_t)INT64_MAX || bytes < 4 * 1024 * 1024) {
                                fprintf(stderr, "nucleus: invalid --memory '%s': use bytes or a K, M or G suffix, at least 4M (512M, 2G)\n", val);
                                return -EINVAL;
                        }
                        spec->limits.memory = (long long)bytes;
                        continue;
                }
                if (strcmp(opt, "--user") == 0 || strcmp(opt, "-u") == 0 || strcmp(opt, "--group") == 0 ||
                    strcmp(opt, "--additional-group") == 0) {
                        bool user = opt[2] == 'u' || opt[1] == 'u';
                        unsigned v;
                        if (cli_parse_ident(opt, val, user, &v) < 0)
                                return -EINVAL;
                        if (strcmp(opt, "--additional-group") == 0) {
                                if (spec->ngroups >= NC_SPEC_GROUPS_MAX) {
                                        fprintf(stderr, "nucleus: at most %d --additional-group\n", NC_SPEC_GROUPS_MAX);
                                        return -EINVAL;
                                }
                                spec->groups[spec->ngroups++] = v;
                        } else if (user) {
                                spec->uid = v;
                                ro->user_numeric = strcmp(val, "root") && strcmp(val, "nobody");
                                if (!ro->group_given)
                                        spec->gid = v;
                        } else {
                                spec->gid = v;
                                ro->group_given = true;
                        }
                        continue;
                }
                if (strcmp(opt, "--seccomp-mode") == 0) {
                        int mode = nc_seccomp_mode_parse(val);
                        if (mode < 0) {
                                fprintf(stderr, "nucleus: invalid --seccomp-mode '%s': enforce (the default) or trace\n", val);
                                return -EINVAL;
                        }
                        spec->seccomp_mode = mode;
                        continue;
                }
                if (strcmp(opt, "--seccomp-log") == 0) {
                        if (!*val) {
                                fprintf(stderr, "nucleus: --seccomp-log needs a file name\n");
                                return -EINVAL;
                        }
                        free(spec->seccomp_log);
                        spec->seccomp_log = strdup(val);    /* opened once everything else is valid */
                        continue;
                }
                if (strcmp(opt, "--require-kernel-lockdown") == 0) {
                        int level = nc_lockdown_parse(val);
                        if (level <= NC_LOCKDOWN_NONE) {
                                fprintf(stderr, "nucleus: invalid --require-kernel-lockdown '%s': integrity or confidentiality\n", val);
                                return -EINVAL;
                        }
                        spec->require_lockdown = level;
                        continue;
                }
                if (strcmp(opt, "--service-mode") == 0 || strcmp(opt, "--trust-level") == 0) {
                        bool mode = strcmp(opt, "--service-mode") == 0;
                        int v = mode ? nc_service_mode_parse(val) : nc_trust_level_parse(val);
                        if (v < 0) {
                                fprintf(stderr, "nucleus: invalid %s '%s': %s\n", opt, val,
                                        mode ? "agent, strict-agent (alias mitos-agent) or production" : "untrusted or trusted");
                                return -EINVAL;
                        }
                        *(mode ? &spec->service_mode : &spec->trust_level) = v;
                        continue;
                }
                if (strcmp(opt, "--rootfs") == 0) {
                        /* Opened as the caller (read permission needed, not just search):
                         * nucleusd mounts and attests only what this descriptor reaches. */
                        if (ro->rootfs_fd >= 0) {
                                fprintf(stderr, "nucleus: --rootfs is given once\n");
                                return -EINVAL;
                        }
                        ro->rootfs_fd = open(val, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (ro->rootfs_fd < 0) {
                                fprintf(stderr, "nucleus: --rootfs '%s': %s\n", val, strerror(errno));
                                return -EINVAL;
                        }
                        continue;
                }
                if (strcmp(opt, "--context") == 0) {
                        if (ro->context_dir) {
                                fprintf(stderr, "nucleus: --context is given once\n");
                                return -EINVAL;
                        }
                        ro->context_dir = val;
                        continue;
                }
                if (strcmp(opt, "--context-mode") == 0) {
                        if (strcmp(val, "copy") != 0 && strcmp(val, "bind") != 0) {
                                fprintf(stderr, "nucleus: invalid --context-mode '%s': copy or bind\n", val);
                                return -EINVAL;
                        }
                        ro->context_mode = val;
                        continue;
                }
                if (strcmp(opt, "--secret") == 0 || strcmp(opt, "--systemd-credential") == 0) {
                        if (cli_run_add_secret(ro, val, strcmp(opt, "--systemd-credential") == 0) < 0)
                                return -EINVAL;
                        continue;
                }
                if (strcmp(opt, "--network") == 0) {
                        int m = nc_network_mode_parse(val);
                        if (m < 0) {
                                fprintf(stderr, "nucleus: invalid --network '%s': none, host or bridge\n", val);
                                return -EINVAL;
                        }
                        spec->network.mode = m;
                        continue;
                }
                if (strcmp(opt, "--nat-backend") == 0) {
                        int b = nc_nat_backend_parse(val);
                        if (b < 0) {
                                fprintf(stderr, "nucleus: invalid --nat-backend '%s': auto, kernel or userspace\n", val);
                                return -EINVAL;
                        }
                        spec->network.nat_backend = b;
                        nat_backend_given = true;
                        continue;
                }
                if (strcmp(opt, "--dns") == 0) {
                        if (spec->network.ndns >= NC_SPEC_DNS_MAX) {
                                fprintf(stderr, "nucleus: at most %d --dns\n", NC_SPEC_DNS_MAX);
                                return -EINVAL;
                        }
                        if (nc_spec_dns_parse(val, &spec->network.dns[spec->network.ndns], &err) < 0)
                                goto bad;
                        spec->network.ndns++;
                        continue;
                }
                if (strcmp(opt, "--publish") == 0 || strcmp(opt, "-p") == 0) {
                        if (spec->network.npublish >= NC_SPEC_PUBLISH_MAX) {
                                fprintf(stderr, "nucleus: at most %d -p/--publish\n", NC_SPEC_PUBLISH_MAX);
                                return -EINVAL;
                        }
                        if (nc_spec_port_parse(val, &spec->network.publish[spec->network.npublish], &err) < 0)
                                goto bad;
                        spec->network.npublish++;
                        continue;
                }
                if (strcmp(opt, "--egress-allow") == 0) {
                        struct nc_spec_egress *eg = &spec->network.egress;
                        eg->set = eg->dns = true;
                        if (!*val) {            /* "": deny all (but DNS to the --dns servers) */
                                egress_deny_all = true;
                                continue;
                        }
                        if (eg->nallow >= NC_SPEC_EGRESS_MAX) {
                                fprintf(stderr, "nucleus: at most %d --egress-allow\n", NC_SPEC_EGRESS_MAX);
                                return -EINVAL;
                        }
                        if (nc_spec_cidr_parse(val, &eg->allow[eg->nallow], &err) < 0)
                                goto bad;
                        eg->nallow++;
                        continue;
                }
                if (strcmp(opt, "--egress-domain") == 0) {
                        struct nc_spec_egress *eg = &spec->network.egress;
                        eg->set = eg->dns = true;
                        if (eg->ndomains >= NC_SPEC_DOMAINS_MAX) {
                                fprintf(stderr, "nucleus: at most %d --egress-domain\n", NC_SPEC_DOMAINS_MAX);
                                return -EINVAL;
                        }
                        if (nc_spec_domain_parse(val, eg->domains[eg->ndomains], &err) < 0)
                                goto bad;
                        eg->ndomains++;
                        continue;
                }
                if (strcmp(opt, "--egress-tcp-port") == 0 || strcmp(opt, "--egress-udp-port") == 0) {
                        struct nc_spec_egress *eg = &spec->network.egress;
                        bool tcp = strcmp(opt, "--egress-tcp-port") == 0;
                        size_t *np = tcp ? &eg->ntcp : &eg->nudp;
                        eg->set = eg->dns = true;
                        if (*np >= NC_SPEC_EGRESS_MAX) {
                                fprintf(stderr, "nucleus: at most %d %s\n", NC_SPEC_EGRESS_MAX, opt);
                                return -EINVAL;
                        }
                        if (nc_spec_egress_port_parse(val, opt, tcp ? &eg->tcp_ports[*np] : &eg->udp_ports[*np], &err) < 0)
                                goto bad;
                        (*np)++;
                        continue;
                }
                if (strcmp(opt, "--tmpfs") == 0) {
                        if (spec->ntmpfs >= NC_SPEC_TMPFS_MAX) {
                                fprintf(stderr, "nucleus: at most %d --tmpfs\n", NC_SPEC_TMPFS_MAX);
                                return -EINVAL;
                        }
                        if (nc_spec_tmpfs_parse(val, &spec->tmpfs[spec->ntmpfs], &err) < 0)
                                goto bad;
                        spec->ntmpfs++;
                        continue;
                }
                if (strcmp(opt, "--volume") == 0 || strcmp(opt, "-v") == 0) {
                        if (cli_run_add_volume(ro, val) < 0)
                                return -EINVAL;
                        continue;
                }
                if (strcmp(opt, "--timeout") == 0) {
                        char *end;
                        long long t = strtoll(val, &end, 10);
                        if (*end || end == val || t <= 0 || t > 365LL * 24 * 3600) {
                                fprintf(stderr, "nucleus: invalid --timeout '%s': seconds from 1 to 31536000 (365 days)\n", val);
                                return -EINVAL;
                        }
                        ro->timeout_s = t;
                        continue;
                }
                if (strcmp(opt, "--io-limit") == 0) {
                        if (spec->limits.nio >= NC_IO_MAX_DEVICES) {
                                fprintf(stderr, "nucleus: at most %d --io-limit devices\n", NC_IO_MAX_DEVICES);
                                return -EINVAL;
                        }
                        if (nc_spec_io_parse(val, &spec->limits.io[spec->limits.nio], &err) < 0)
                                goto bad;
                        spec->limits.nio++;
                        continue;
                }
                if (strcmp(opt, "--cpus") == 0) {
                        char *end;
                        double cpus = strtod(val, &end);
                        if (*end || end == val || !(cpus >= 0.01 && cpus <= 1000)) {
                                fprintf(stderr, "nucleus: invalid --cpus '%s': a number of CPUs from 0.01 to 1000 (0.5, 2)\n", val);
                                return -EINVAL;
                        }
                        spec->limits.cpu_millis = (long long)(cpus * 1000 + 0.5);
                        continue;
                }
                if (strcmp(opt, "--cpu-weight") == 0 || strcmp(opt, "--pids") == 0) {
                        char *end;
                        long long v = strtoll(val, &end, 10);
                        bool weight = strcmp(opt, "--cpu-weight") == 0;
                        if (*end || end == val || v < (weight ? 1 : 0) || v > (weight ? 10000 : 4194304)) {
                                fprintf(stderr, "nucleus: invalid %s '%s': %s\n", opt, val,
                                        weight ? "an integer from 1 to 10000 (100 is the default share)"
                                               : "an integer from 0 (unlimited) to 4194304");
                                return -EINVAL;
                        }
                        if (weight)
                                spec->limits.cpu_weight = v;
                        else
                                spec->limits.pids = v;
                        continue;
                }
                if (strcmp(opt, "--memlock") == 0) {
                        uint64_t bytes;
                        if (nc_parse_size(val, &bytes) < 0 || bytes > (uint64_t)INT64_MAX) {
                                fprintf(stderr, "nucleus: invalid --memlock '%s': use bytes or a K, M or G suffix (64K, 8M)\n", val);
                                return -EINVAL;
                        }
                        spec->rlimits.memlock = (long long)bytes;
                        continue;
                }
                /* -e K: take K from our own environment, as docker does. */
                if (!strchr(val, '=')) {
                        const char *v = getenv(val);
                        _cleanup_free_ char *kv = NULL;
                        if (!v) {
                                fprintf(stderr, "nucleus: -e %s: %s is not set in this environment (use -e %s=VALUE)\n", val, val, val);
                                return -EINVAL;
                        }
                        if (asprintf(&kv, "%s=%s", val, v) < 0 || nc_spec_setenv(spec, kv, &err) < 0)
                                goto bad;
                } else if (nc_spec_setenv(spec, val, &err) < 0)
                        goto bad;
        }
        if (i >= argc) {
                fprintf(stderr, "nucleus: no command given (usage: nucleus run [OPTIONS] [--] COMMAND [ARG...])\n");
                return -EINVAL;
        }
        char **nv = calloc((size_t)(argc - i) + 1, sizeof(char *));
        if (!nv)
                return -ENOMEM;
        for (int k = i; k < argc; k++)
                nv[k - i] = strdup(argv[k]);
        free(spec->argv);
        spec->argv = nv;
        spec->argc = (size_t)(argc - i);
        if ((ro->tty || isatty(1)) && !nc_spec_getenv(spec, "TERM")) {
                const char *term = getenv("TERM");
                _cleanup_free_ char *kv = NULL;
                if (asprintf(&kv, "TERM=%s", term && *term ? term : "xterm") >= 0)
                        (void)nc_spec_setenv(spec, kv, NULL);
        }
        if ((ro->context_mode || ro->context_integrity) && !ro->context_dir) {
                fprintf(stderr, "nucleus: %s needs --context DIR\n", ro->context_mode ? "--context-mode" : "--verify-context-integrity");
                return -EINVAL;
        }
        if (ro->context_integrity && ro->context_mode && strcmp(ro->context_mode, "bind") == 0) {
                fprintf(stderr, "nucleus: --verify-context-integrity needs --context-mode copy: a bind mount is the live "
                                "directory, with no copy to verify\n");
                return -EINVAL;
        }
        if (ro->context_dir && ro->context_mode && strcmp(ro->context_mode, "bind") == 0 &&
            cli_run_push_volume(ro, ro->context_dir, "/context", true, "--context") < 0)
                return -EINVAL;
        if (ro->rootfs_attestation && ro->rootfs_fd < 0) {
                fprintf(stderr, "nucleus: --verify-rootfs-attestation needs --rootfs DIR\n");
                return -EINVAL;
        }
        if (ro->user_numeric && !ro->group_given) {
                fprintf(stderr, "nucleus: a numeric --user needs --group (as in the seed)\n");
                return -EINVAL;
        }
        if (ro->sd_notify && ro->detach) {
                fprintf(stderr, "nucleus: --sd-notify cannot be combined with -d: a service's main process must be the "
                                "run that waits for its sandbox (its exit status is the service's)\n");
                return -EINVAL;
        }
        if (ro->detach && ro->interactive && !ro->tty) {
                fprintf(stderr, "nucleus: -d -i needs -t: a detached sandbox's input comes through its terminal "
                                "(nucleus attach ID)\n");
                return -EINVAL;
        }
        for (int k = 0; k < POLICY_MAX; k++)
                if (ro->policy[k].sha256 && ro->policy[k].fd < 0) {
                        fprintf(stderr, "nucleus: %s-sha256 needs %s\n", ro->policy[k].flag, ro->policy[k].flag);
                        return -EINVAL;
                }
        if (spec->seccomp_mode == NC_SECCOMP_TRACE && ro->policy[POLICY_SECCOMP].fd >= 0) {
                fprintf(stderr, "nucleus: --seccomp-profile cannot be combined with --seccomp-mode trace: a traced "
                                "workload runs without a filter (generate a profile from the trace instead)\n");
                return -EINVAL;
        }
        if (egress_deny_all && spec->network.egress.nallow) {
                fprintf(stderr, "nucleus: --egress-allow \"\" denies all egress and cannot be combined with "
                                "--egress-allow CIDR (give either)\n");
                return -EINVAL;
        }
        if (cli_run_probe_flags_apply(&ro->probes, spec) < 0)
                return -EINVAL;
        /* Accepted and ignored otherwise: swap is only limited along with memory. */
        if (spec->limits.swap && !spec->limits.memory) {
                fprintf(stderr, "nucleus: --swap only goes with --memory SIZE: without a memory limit there is no swap "
                                "limit to lift\n");
                return -EINVAL;
        }
        /* "auto" is the default and would pass unnoticed with none or host. */
        if (nat_backend_given && spec->network.mode != NC_NET_BRIDGE) {
                fprintf(stderr, "nucleus: --nat-backend is only accepted with --network bridge (%s has no NAT)\n",
                        nc_network_mode_name(spec->network.mode));
                return -EINVAL;
        }
        if (nc_spec_validate(spec, &err) < 0)
                goto bad;
        if (spec->seccomp_log && cli_run_open_seccomp_log(spec, ro) < 0)
                return -EINVAL;
        return 0;
bad:
        fprintf(stderr, "nucleus: %s\n", err.msg);
        return -EINVAL;
}
