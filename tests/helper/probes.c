/* nucleus-test-helper's `try-syscall NAME`: one system call the lock-down decides on,
 * made the way a workload would make it; the caller asserts on the printed result
 * (or on the helper's death by SIGSYS). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "helper.h"

/* ---- syscall probes ----------------------------------------------------
 * Arguments are chosen so that an unfiltered call either succeeds without
 * side effects or fails with an errno other than EPERM (EBADF, ENOENT, ...),
 * letting tests tell "blocked by seccomp/caps" from "reached the kernel".
 * A probe returns 0, or -1 with errno set. */

/* Under /proc/self so it cannot exist by accident and never gets mounted. */
#define NO_SUCH_PATH "/proc/self/nucleus-test-helper-nonexistent"

static long closed(long fd)
{
	if (fd < 0)
		return -1;
	close((int)fd);
	return 0;
}

/* A child killed by a signal (seccomp SIGSYS) must look as if the helper
 * itself was killed, as it would be for the in-process probes. Otherwise
 * the child's exit status carries its errno. */
static long wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		signal(sig, SIG_DFL);
		raise(sig);
		/* Still here: we are a pid-namespace init, which ignores it. */
		printf("result=killed signal=%s\n", helper_signal_name(sig));
		exit(0);
	}
	errno = WEXITSTATUS(status);
	return errno ? -1 : 0;
}

static long probe_ptrace(void)
{
	/* TRACEME in a throwaway child so the tracer is this process, not the
	 * runtime or shell that launched us, which ptrace-stops would confuse. */
	pid_t pid = fork();

	if (pid == 0)
		_exit(ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 ? errno : 0);
	return pid < 0 ? -1 : wait_child(pid);
}

static long probe_clone3(void)
{
	/* Own copy of the VER0 layout: <linux/sched.h> clashes with <sched.h>. */
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal,
			 stack, stack_size, tls;
	} args = { .exit_signal = SIGCHLD };
	long pid = syscall(SYS_clone3, &args, sizeof(args));

	if (pid == 0)
		_exit(0);
	return pid < 0 ? -1 : wait_child((pid_t)pid);
}

static long probe_bpf(void)
{
	union bpf_attr attr;

	/* An all-zero map type is invalid: EINVAL when bpf() is usable. */
	memset(&attr, 0, sizeof(attr));
	return closed(syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr)));
}

static long probe_perf_event_open(void)
{
	struct perf_event_attr attr;

	/* Disabled, user-only software counter: allowed at paranoid <= 2. */
	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_SOFTWARE;
	attr.size = sizeof(attr);
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	attr.disabled = attr.exclude_kernel = attr.exclude_hv = 1;
	return closed(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
}

static long probe_io_uring_setup(void)
{
	struct io_uring_params params;

	memset(&params, 0, sizeof(params));
	return closed(syscall(SYS_io_uring_setup, 1, &params));
}

static long probe_keyctl(void)
{
	long r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
			 KEY_SPEC_SESSION_KEYRING, 0);

	return r < 0 ? -1 : 0;
}

/* clone with a namespace flag: EPERM from the filter (root of the sandbox's user
 * namespace would otherwise get a child in a new user namespace). */
static long probe_clone_newuser(void)
{
	long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);

	if (pid == 0)
		_exit(0);
	return pid < 0 ? -1 : wait_child((pid_t)pid);
}

/* Another process's limits: a child of ours with our credentials, which the kernel
 * would let us change; the filter lets a process set only its own. */
static long prlimit_child(int set)
{
	struct rlimit core = { 0, 0 };
	pid_t pid = fork();
	long r;
	int err;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		pause();
		_exit(0);
	}
	r = syscall(SYS_prlimit64, pid, RLIMIT_CORE, set ? &core : NULL, set ? NULL : &core);
	err = errno;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	errno = err;
	return r;
}

static long probe_prlimit_self(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) < 0)
		return -1;
	r.rlim_cur = r.rlim_cur > 64 ? r.rlim_cur - 1 : r.rlim_cur;
	return syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &r, NULL);
}

static long probe_mprotect_wx(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long r;
	int err;

	if (p == MAP_FAILED)
		return -1;
	r = mprotect(p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
	err = errno;
	munmap(p, 4096);
	errno = err;
	return r;
}

/* ioctls on a pipe: FIONREAD is listed; FIOQSIZE is not (the kernel would answer it
 * with ENOTTY or EINVAL, the filter with EPERM). */
static long pipe_ioctl(unsigned long req)
{
	int fds[2], n = 0, err;
	long r;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	r = ioctl(fds[0], req, &n);
	err = errno;
	close(fds[0]);
	close(fds[1]);
	errno = err;
	return r;
}

#define PROBE(fn, call) static long fn(void) { return call; }
PROBE(probe_unshare, unshare(0))
PROBE(probe_setns, setns(-1, 0))
PROBE(probe_mount, mount("none", NO_SUCH_PATH, "tmpfs", 0, NULL))
PROBE(probe_pivot_root, syscall(SYS_pivot_root, NO_SUCH_PATH, NO_SUCH_PATH))
PROBE(probe_userfaultfd, closed(syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK)))
PROBE(probe_socket_raw, closed(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)))
PROBE(probe_socket_packet, closed(socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL))))
PROBE(probe_socket_inet, closed(socket(AF_INET, SOCK_STREAM, 0)))
PROBE(probe_socket_unix, closed(socket(AF_UNIX, SOCK_STREAM, 0)))
PROBE(probe_socket_netlink, closed(socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)))
/* Pushes a byte into stdin's terminal input queue (needs stdin to be a terminal). */
PROBE(probe_socket_inet6, closed(socket(AF_INET6, SOCK_DGRAM, 0)))
PROBE(probe_socket_netlink_diag, closed(socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG)))
PROBE(probe_prctl_keepcaps, prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0))
PROBE(probe_prctl_dumpable, prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) < 0 ? -1 : 0)
PROBE(probe_prlimit_other, prlimit_child(1))
PROBE(probe_prlimit_other_read, prlimit_child(0))
PROBE(probe_ioctl_listed, pipe_ioctl(FIONREAD))
PROBE(probe_ioctl_unlisted, pipe_ioctl(FIOQSIZE))
PROBE(probe_tiocsti, ioctl(STDIN_FILENO, TIOCSTI, ""))
/* The setuid/setgid bit through every call that sets a mode: ENOENT if the call reached
 * the kernel, EPERM if the filter refused it. */
PROBE(probe_chmod_suid, chmod(NO_SUCH_PATH, 04755))
PROBE(probe_chmod_sgid, syscall(SYS_fchmodat, AT_FDCWD, NO_SUCH_PATH, 02755, 0))
PROBE(probe_chmod_plain, chmod(NO_SUCH_PATH, 0755))
PROBE(probe_fchmodat2_suid, syscall(452 /* fchmodat2 */, AT_FDCWD, NO_SUCH_PATH, 04755, 0))
PROBE(probe_open_creat_suid, closed(syscall(SYS_openat, AT_FDCWD, NO_SUCH_PATH, O_CREAT | O_WRONLY, 04755)))
PROBE(probe_creat_sgid, closed(syscall(SYS_creat, NO_SUCH_PATH, 02755)))
/* open without O_CREAT ignores the mode, so the filter must too: ENOENT */
PROBE(probe_open_nocreat_mode, closed(syscall(SYS_openat, AT_FDCWD, NO_SUCH_PATH, O_RDONLY, 04755)))

/* getpid through the other ABIs of an x86_64 kernel: x32 numbers (bit 30) and the i386
 * table (int 0x80). An allowlist written for x86_64 must not apply to them: seccomp
 * kills the process (bad architecture) instead of running the call. */
static long probe_x32_getpid(void)
{
#if defined(__x86_64__)
	return syscall(0x40000000L | SYS_getpid) < 0 ? -1 : 0;
#else
	errno = ENOSYS;
	return -1;
#endif
}

static long probe_int80_getpid(void)
{
#if defined(__x86_64__)
	long ret = 20;   /* __NR_getpid in the i386 table */

	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return 0;
#else
	errno = ENOSYS;
	return -1;
#endif
}
#undef PROBE

static const struct {
	const char *name;
	long (*fn)(void);
} probes[] = {
	{ "ptrace", probe_ptrace },
	{ "bpf", probe_bpf },
	{ "unshare", probe_unshare },
	{ "setns", probe_setns },
	{ "mount", probe_mount },
	{ "pivot_root", probe_pivot_root },
	{ "keyctl", probe_keyctl },
	{ "perf_event_open", probe_perf_event_open },
	{ "userfaultfd", probe_userfaultfd },
	{ "io_uring_setup", probe_io_uring_setup },
	{ "clone3", probe_clone3 },
	{ "socket-raw", probe_socket_raw },
	{ "socket-packet", probe_socket_packet },
	{ "socket-inet", probe_socket_inet },
	{ "socket-unix", probe_socket_unix },
	{ "socket-netlink", probe_socket_netlink },
	{ "socket-inet6", probe_socket_inet6 },
	{ "socket-netlink-diag", probe_socket_netlink_diag },
	{ "clone-newuser", probe_clone_newuser },
	{ "prctl-keepcaps", probe_prctl_keepcaps },
	{ "prctl-dumpable", probe_prctl_dumpable },
	{ "prlimit-self", probe_prlimit_self },
	{ "prlimit-other", probe_prlimit_other },
	{ "prlimit-other-read", probe_prlimit_other_read },
	{ "mprotect-wx", probe_mprotect_wx },
	{ "ioctl-listed", probe_ioctl_listed },
	{ "ioctl-unlisted", probe_ioctl_unlisted },
	{ "tiocsti", probe_tiocsti },
	{ "chmod-suid", probe_chmod_suid },
	{ "chmod-sgid", probe_chmod_sgid },
	{ "chmod-plain", probe_chmod_plain },
	{ "fchmodat2-suid", probe_fchmodat2_suid },
	{ "open-creat-suid", probe_open_creat_suid },
	{ "creat-sgid", probe_creat_sgid },
	{ "open-nocreat-mode", probe_open_nocreat_mode },
	{ "x32-getpid", probe_x32_getpid },
	{ "int80-getpid", probe_int80_getpid },
};

int cmd_try_syscall(char **argv)
{
	/* nr:N: the call numbered N with every argument zero, for the tests that walk a
	 * whole list (every call that must kill); run only inside a sandbox. */
	if (strncmp(argv[0], "nr:", 3) == 0) {
		char *end;
		long nr = strtol(argv[0] + 3, &end, 10);

		if (end == argv[0] + 3 || *end || nr < 0 || nr > 1023)
			return usage_error("try-syscall: bad number '%s'", argv[0] + 3);
		print_result(syscall(nr, 0, 0, 0, 0, 0, 0) < 0 ? errno : 0);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		if (strcmp(probes[i].name, argv[0]) == 0) {
			print_result(probes[i].fn() < 0 ? errno : 0);
			return 0;
		}
	}
	return usage_error("try-syscall: unknown syscall '%s'", argv[0]);
}

