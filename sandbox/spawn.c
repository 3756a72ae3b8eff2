/* SPDX-License-Identifier: Apache-2.0 */
/* Phase 1 of the two-phase spawn, zygote side: a cgroup leaf, a control socket and one
 * clone3 that creates init in all its namespaces, already inside its cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <poll.h>
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

/* init's control socket travels in descriptor 0 of a shared table.
 *
 * The zygote holds a few descriptors of every live sandbox (thousands with a thousand
 * live), and a plain clone copies the whole table only for init to close all of it at
 * once. So init is cloned with CLONE_FILES, sharing the zygote's table, and its first
 * act is close_range(1, ~0U, CLOSE_RANGE_UNSHARE): the kernel then copies descriptors
 * below 1 only, which is to say nothing but its control socket, placed in 0 just
 * before the clone. Until init says it has its own table, nothing in the zygote may
 * open or close a descriptor under it, so the zygote waits for that one byte.
 * Descriptor 0 is otherwise a /dev/null that nobody reads: nucleusd's stdin. */
#define SLOT_FD 0
static int slot_placeholder = -1;

int sbx_spawn_reserve_slot(void)
{
        /* A descriptor closed at exec would be reused by the next open: fill 0-2 first,
         * so that nothing of ours can land in the slot. */
        for (int fd = 0; fd < 3; fd++)
                if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
                        return -errno;
        slot_placeholder = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (slot_placeholder < 0)
                return -errno;
        if (dup3(slot_placeholder, SLOT_FD, 0) < 0)
                return -errno;
        return 0;
}

/* Zygote side: init has left the shared table (or died trying); the slot is ours again. */
static int wait_unshared(int ours, int pidfd)
{
        struct pollfd p[2] = { { .fd = ours, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
        char b;
        int r;

        while ((r = poll(p, 2, 10000)) < 0 && errno == EINTR)
                ;
        if (r < 0)
                return -errno;
        if (r == 0)
                return -ETIMEDOUT;
        if (!(p[0].revents & POLLIN))
                return -ECHILD;
        if (recv(ours, &b, 1, MSG_DONTWAIT) != 1 || b != 'u')
                return -EPROTO;
        return 0;
}

static pid_t clone3_sandbox(int cgroup_fd, bool time_ns, bool host_network, int *ret_pidfd)
{
        /* A time namespace made by clone3 is entered at once, so its clock offsets stay
         * zero: it isolates the namespace, not the clocks' values. */
        struct clone_args args = {
                .flags = CLONE_PIDFD | CLONE_FILES | (SBX_CLONE_NS & ~(host_network ? (uint64_t)CLONE_NEWNET : 0)) |
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
        _cleanup_close_ int cgfd = -1, ours = -1, pidfd = -1;
        int sv[2], r, bufsz = SBX_CTL_MAX_MSG + 4096;
        pid_t pid;

        r = sbx_cgroup_leaf_create(cfg, id, &cgfd);
        if (r < 0) {
                sbx_failure_set(fail, "cgroup", r, "Failed to create cgroup leaf %s/%s", cfg->cgroup_root, id);
                return r;
        }
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                r = -errno;
                sbx_failure_set(fail, "ctl", r, "Failed to create control socket");
                (void)sbx_cgroup_leaf_remove(cfg, id);
                return r;
        }
        ours = sv[0];
        /* A claim carries argv and env; SEQPACKET messages must fit the send buffer. */
        (void)setsockopt(ours, SOL_SOCKET, SO_SNDBUFFORCE, &bufsz, sizeof(bufsz));
        if (slot_placeholder < 0 || dup3(sv[1], SLOT_FD, O_CLOEXEC) < 0) {
                r = slot_placeholder < 0 ? -EBADF : -errno;
                close(sv[1]);
                sbx_failure_set(fail, "ctl", r, "No descriptor slot for init's control socket");
                (void)sbx_cgroup_leaf_remove(cfg, id);
                return r;
        }
        close(sv[1]);

        pid = clone3_sandbox(cgfd, profile->time_ns, profile->host_network, &pidfd);
        if (pid == 0) {
                if (syscall(SYS_close_range, 1u, ~0U, CLOSE_RANGE_UNSHARE) < 0 ||
                    send(SLOT_FD, "u", 1, MSG_NOSIGNAL) != 1)
                        _exit(125);
                sbx_init_main(cfg, SLOT_FD);
        }
        r = pid < 0 ? -errno : wait_unshared(ours, pidfd);
        /* Back to the placeholder: the zygote's reference to init's end goes with it. */
        (void)dup3(slot_placeholder, SLOT_FD, 0);
        if (pid < 0) {
                sbx_failure_set(fail, "clone", r, "clone3 of the sandbox's init failed");
                (void)sbx_cgroup_leaf_remove(cfg, id);
                return r;
        }
        if (r < 0) {
                sbx_failure_set(fail, "clone", r, "init did not leave the zygote's descriptor table");
                goto kill;
        }

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
