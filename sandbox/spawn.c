/* SPDX-License-Identifier: Apache-2.0 */
/* Phase 1 of the two-phase spawn, zygote side: a cgroup leaf, a control socket and one
 * clone3 that creates init in all its namespaces, already inside its cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "ctl.h"
#include "macros.h"
#include "sandbox.h"

/* The cgroup namespace is not among these: init unshares it itself, after it is inside
 * its leaf, so that its cgroup root is the leaf (DESIGN.md). */
#define SBX_CLONE_NS (CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET)

static pid_t clone3_sandbox(int cgroup_fd, bool time_ns, bool host_network, int *ret_pidfd)
{
        /* A time namespace made by clone3 is entered at once, so its clock offsets stay
         * zero: it isolates the namespace, not the clocks' values. */
        struct clone_args args = {
                .flags = CLONE_PIDFD | (SBX_CLONE_NS & ~(host_network ? (uint64_t)CLONE_NEWNET : 0)) |
                         (time_ns ? CLONE_NEWTIME : 0) |
                         (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
                .pidfd = (uint64_t)(uintptr_t)ret_pidfd,
                .exit_signal = SIGCHLD,
                .cgroup = cgroup_fd >= 0 ? (uint64_t)cgroup_fd : 0,
        };

        return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

json_t *sbx_profile_to_json(const struct sbx_profile *p)
{
        return json_pack("{s:b, s:b, s:b, s:b, s:b, s:b}", "rootfs", p->rootfs, "hidepid", p->hidepid, "proc_rw",
                         p->proc_rw, "time_ns", p->time_ns, "no_cgroup_ns", p->no_cgroup_ns, "host_network",
                         p->host_network);
}

void sbx_profile_from_json(const json_t *j, struct sbx_profile *ret)
{
        ret->rootfs = json_is_true(json_object_get(j, "rootfs"));
        ret->hidepid = json_is_true(json_object_get(j, "hidepid"));
        ret->proc_rw = json_is_true(json_object_get(j, "proc_rw"));
        ret->time_ns = json_is_true(json_object_get(j, "time_ns"));
        ret->no_cgroup_ns = json_is_true(json_object_get(j, "no_cgroup_ns"));
        ret->host_network = json_is_true(json_object_get(j, "host_network"));
}

int sbx_spawn_prepare(const struct sbx_config *cfg, const char *id, uint32_t uid_base, const struct sbx_profile *profile,
                      struct sbx_spawned *ret, struct sbx_failure *fail)
{
        _cleanup_close_ int cgfd = -1, ours = -1, theirs = -1, pidfd = -1;
        int sv[2], r, bufsz = SBX_CTL_MAX_MSG + 4096;
        pid_t pid;

        r = sbx_cgroup_leaf_create(cfg, id, &cgfd);
        if (r < 0) {
                sbx_failure_set(fail, "cgroup", r, "Failed to create cgroup leaf %s/%s", cfg->cgroup_root, id);
                return r;
        }
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                sbx_failure_set(fail, "ctl", errno, "Failed to create control socket");
                return -errno;
        }
        ours = sv[0];
        theirs = sv[1];
        /* A claim carries argv and env; SEQPACKET messages must fit the send buffer. */
        (void)setsockopt(ours, SOL_SOCKET, SO_SNDBUFFORCE, &bufsz, sizeof(bufsz));

        pid = clone3_sandbox(cgfd, profile->time_ns, profile->host_network, &pidfd);
        if (pid < 0) {
                r = -errno;
                sbx_failure_set(fail, "clone", r, "clone3 of the sandbox's init failed");
                (void)sbx_cgroup_leaf_remove(cfg, id);
                return r;
        }
        if (pid == 0) {
                close(ours);
                sbx_init_main(cfg, theirs);
        }
        theirs = -1;    /* the child's now; our copy closes by cleanup */
        close(sv[1]);

        r = sbx_idmap_write(pid, uid_base, cfg->uid_count);
        if (r < 0) {
                sbx_failure_set(fail, "idmap", r, "Failed to write uid/gid map of pid %d", (int)pid);
                goto kill;
        }
        /* v1 hierarchies: join them while init still waits, so everything it forks is in. */
        if (cfg->cg && (r = cfg->cg->attach(cfg, id, pid)) < 0) {
                sbx_failure_set(fail, "cgroup", r, "Failed to attach pid %d to the %s cgroups", (int)pid, cfg->cg->name);
                goto kill;
        }
        /* The profile travels with "go": init builds its root from it. */
        r = sbx_ctl_send_json(ours, json_pack("{s:s, s:o}", "op", "go", "profile", sbx_profile_to_json(profile)), NULL, 0);
        if (r < 0) {
                sbx_failure_set(fail, "ctl", r, "Failed to start init");
                goto kill;
        }
        ret->pid = pid;
        ret->pidfd = TAKE_FD(pidfd);
        ret->ctl = TAKE_FD(ours);
        return 0;
kill:
        (void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
        (void)waitid(P_PIDFD, (id_t)pidfd, NULL, WEXITED);
        (void)sbx_cgroup_leaf_remove(cfg, id);
        return r;
}
