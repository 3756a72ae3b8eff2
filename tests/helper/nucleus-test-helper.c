/* nucleus-test-helper: runs as the workload inside a Nucleus sandbox and
 * reports what it sees as "key=value" lines, so the shell integration tests
 * can assert on it without depending on tools present in the rootfs (it is
 * linked statically for the same reason).
 *
 * Exit status: 0 success, 1 the operation failed ("errno=NAME (text)" on
 * stdout), 2 usage error (stderr). Probes (try-syscall, write, mknod) exit 0
 * either way: the caller asserts on the printed result. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/audit.h>
#include <stddef.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "helper.h"

extern char **environ;

/* ---- names ------------------------------------------------------------ */

struct name_num {
	const char *name;
	int num;
};

#define E(x) { #x, x }
/* ENOTSUP comes before anything aliasing it: tests assert on that spelling. */
static const struct name_num errno_names[] = {
	E(EPERM), E(ENOENT), E(EACCES), E(EINVAL), E(ENOSYS), E(EEXIST),
	E(EROFS), E(EBADF), E(ENOTDIR), E(EISDIR), E(ENOTSUP),
	E(EAFNOSUPPORT), E(EPROTONOSUPPORT), E(ESRCH), E(EBUSY), E(EFAULT),
	E(ENOMEM), E(EINTR), E(EAGAIN), E(ECHILD), E(ENODEV), E(ENXIO),
	E(ENOTTY), E(ELOOP), E(ENAMETOOLONG), E(ENOSPC), E(EMFILE), E(EXDEV),
	E(ENOTEMPTY), E(EPIPE), E(ENOKEY), E(ESOCKTNOSUPPORT), E(EPROTOTYPE),
	E(ETIMEDOUT), E(ECONNREFUSED), E(ENETUNREACH), E(EHOSTUNREACH),
};
#undef E

#define S(x) { #x, SIG##x }
static const struct name_num signal_names[] = {
	S(TERM), S(KILL), S(INT), S(HUP), S(QUIT), S(USR1), S(USR2), S(SEGV),
	S(ABRT), S(PIPE), S(ALRM), S(CHLD), S(CONT), S(STOP), S(SYS),
};
#undef S

/* Falls back to the number so an unexpected value is still assertable. */
static const char *name_of(const struct name_num *table, size_t n, int num)
{
	static char buf[16];

	for (size_t i = 0; i < n; i++)
		if (table[i].num == num)
			return table[i].name;
	snprintf(buf, sizeof(buf), "%d", num);
	return buf;
}

#define errno_name(e) name_of(errno_names, ARRAY_SIZE(errno_names), e)
#define signal_name(s) name_of(signal_names, ARRAY_SIZE(signal_names), s)

const char *helper_signal_name(int sig)
{
	return signal_name(sig);
}

/* ---- small helpers ---------------------------------------------------- */

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* errno goes to stdout for the test to assert on, the context to stderr for
 * the human reading a failed test log. */
static int fail(const char *what)
{
	int err = errno;

	fprintf(stderr, PROG ": %s: %s\n", what, strerror(err));
	printf("errno=%s (%s)\n", errno_name(err), strerror(err));
	return 1;
}

void print_result(int err)
{
	if (err == 0)
		puts("result=ok");
	else
		printf("result=errno errno=%s\n", errno_name(err));
}

static bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int parse_signal(const char *s)
{
	long n;

	if (parse_long(s, 1, SIGRTMAX, &n))
		return (int)n;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++)
		if (strcasecmp(signal_names[i].name, s) == 0)
			return signal_names[i].num;
	return -1;
}

/* Indexed by the S_IFMT bits: S_IFIFO is 1 << 12 ... S_IFSOCK is 12 << 12. */
static char file_type(mode_t m)
{
	return "?pc?d?b?f?l?s???"[(m & S_IFMT) >> 12];
}

/* Returns -1 with errno set; the result is always NUL-terminated. */
static ssize_t read_link(int dfd, const char *path, char *buf, size_t size)
{
	ssize_t n = readlinkat(dfd, path, buf, size - 1);

	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool full_write(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* Copies until EOF; returns 0 or the errno of whichever side failed. */
static int copy_fd(int in, int out)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return 0;
		if (!full_write(out, buf, (size_t)n))
			return errno;
	}
}

/* ---- identity --------------------------------------------------------- */

static int cmd_uid(char **argv UNUSED)
{
	static gid_t groups[NGROUPS_MAX];
	int n = getgroups(NGROUPS_MAX, groups);

	if (n < 0)
		return fail("getgroups");
	printf("uid=%u\ngid=%u\neuid=%u\negid=%u\ngroups=",
	       getuid(), getgid(), geteuid(), getegid());
	for (int i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", groups[i]);
	putchar('\n');
	return 0;
}

static int cmd_caps(char **argv UNUSED)
{
	static const char *const keys[] = {
		"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb",
		"NoNewPrivs", "Seccomp",
	};
	FILE *f = fopen("/proc/self/status", "re");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return fail("/proc/self/status");
	/* Printed in file order, which the kernel keeps fixed. */
	while (getline(&line, &cap, f) > 0) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		*colon = '\0';
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
			if (strcmp(line, keys[i]) == 0)
				printf("%s=%s", line, colon + 1 + strspn(colon + 1, " \t"));
	}
	free(line);
	fclose(f);
	return 0;
}

static int cmd_ns(char **argv UNUSED)
{
	static const char *const names[] = {
		"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children",
		"time", "user", "uts",
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char path[64], target[256];

		snprintf(path, sizeof(path), "/proc/self/ns/%s", names[i]);
		if (read_link(AT_FDCWD, path, target, sizeof(target)) < 0)
			printf("%s=ERR:%s\n", names[i], errno_name(errno));
		else
			printf("%s=%s\n", names[i], target);
	}
	return 0;
}

static int cmd_pid(char **argv UNUSED)
{
	printf("pid=%d\nppid=%d\npgid=%d\nsid=%d\n",
	       getpid(), getppid(), getpgrp(), getsid(0));
	return 0;
}

static int cmd_hostname(char **argv UNUSED)
{
	struct utsname u;

	if (uname(&u) < 0)
		return fail("uname");
	printf("hostname=%s\ndomainname=%s\n", u.nodename, u.domainname);
	return 0;
}

/* ---- filesystem ------------------------------------------------------- */

static int not_dot(const struct dirent *de)
{
	return strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
}

static int cmd_ls(char **argv)
{
	int dfd = open(argv[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent **ents;
	int n;

	/* alphasort() is strcoll()-based, which is byte order here because
	 * setlocale() is never called. */
	if (dfd < 0 || (n = scandirat(dfd, ".", &ents, not_dot, alphasort)) < 0)
		return fail(argv[0]);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		struct stat st;
		char target[4096];

		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			printf("? ???? ?:? %s\n", name);
		} else {
			printf("%c %04o %u:%u %s", file_type(st.st_mode),
			       (unsigned)(st.st_mode & 07777), st.st_uid,
			       st.st_gid, name);
			if (S_ISLNK(st.st_mode) &&
			    read_link(dfd, name, target, sizeof(target)) >= 0)
				printf(" -> %s", target);
			putchar('\n');
		}
		free(ents[i]);
	}
	free(ents);
	close(dfd);
	return 0;
}

static int cmd_stat(char **argv)
{
	struct stat st;

	if (lstat(argv[0], &st) < 0)
		return fail(argv[0]);
	printf("type=%c\nmode=%04o\nuid=%u\ngid=%u\nrdev=%u:%u\nsize=%lld\n",
	       file_type(st.st_mode), (unsigned)(st.st_mode & 07777),
	       st.st_uid, st.st_gid, major(st.st_rdev), minor(st.st_rdev),
	       (long long)st.st_size);
	return 0;
}

static int cmd_write(char **argv)
{
	const char *data = argv[1] ? argv[1] : "x\n";
	int fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int err = 0;

	if (fd < 0) {
		print_result(errno);
		return 0;
	}
	if (!full_write(fd, data, strlen(data)))
		err = errno;
	/* close() can surface deferred write errors (NFS, full fuse fs). */
	if (close(fd) < 0 && err == 0)
		err = errno;
	print_result(err);
	return 0;
}

static int cmd_read(char **argv)
{
	int fd = open(argv[0], O_RDONLY | O_CLOEXEC);
	int err;

	if (fd < 0)
		return fail(argv[0]);
	err = copy_fd(fd, STDOUT_FILENO);
	close(fd);
	if (err) {
		errno = err;
		return fail(argv[0]);
	}
	return 0;
}

static int cmd_mounts(char **argv UNUSED)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return fail("/proc/self/mountinfo");
	while (getline(&line, &cap, f) > 0) {
		/* id parent maj:min root mountpoint opts [optional...] - fstype
		 * source superopts; the optional fields vary in number, hence
		 * searching for the "-" separator. */
		char *tok[64], *save = NULL;
		int n = 0, sep = -1;

		line[strcspn(line, "\n")] = '\0';
		for (char *t = strtok_r(line, " ", &save); t && n < 64;
		     t = strtok_r(NULL, " ", &save)) {
			if (sep < 0 && n >= 6 && strcmp(t, "-") == 0)
				sep = n;
			tok[n++] = t;
		}
		if (sep < 0 || n < sep + 4)
			continue;
		printf("%s %s %s,%s\n", tok[4], tok[sep + 1], tok[5], tok[sep + 3]);
	}
	free(line);
	fclose(f);
	return 0;
}

static int cmd_mknod(char **argv)
{
	print_result(mknod(argv[0], S_IFCHR | 0666, makedev(1, 3)) < 0 ? errno : 0);
	return 0;
}

static int cmd_cwd(char **argv UNUSED)
{
	char cwd[PATH_MAX];

	if (!getcwd(cwd, sizeof(cwd)))
		return fail("getcwd");
	printf("cwd=%s\n", cwd);
	return 0;
}

/* ---- process state ---------------------------------------------------- */

static int cmd_fds(char **argv UNUSED)
{
	struct dirent **ents;
	int n = scandir("/proc/self/fd", &ents, not_dot, versionsort);

	if (n < 0)
		return fail("/proc/self/fd");
	for (int i = 0; i < n; i++) {
		char path[sizeof("/proc/self/fd/") + sizeof(ents[i]->d_name)];
		char target[4096];

		/* scandir() has closed its own directory fd by now, so that is
		 * the one entry whose link is gone. */
		snprintf(path, sizeof(path), "/proc/self/fd/%s", ents[i]->d_name);
		if (read_link(AT_FDCWD, path, target, sizeof(target)) >= 0)
			printf("fd=%s -> %s\n", ents[i]->d_name, target);
		else if (errno != ENOENT)
			printf("fd=%s -> ERR:%s\n", ents[i]->d_name, errno_name(errno));
		free(ents[i]);
	}
	free(ents);
	return 0;
}

static int cmd_env(char **argv UNUSED)
{
	size_t n = 0;

	/* Sorting environ in place is fine: nothing reads it afterwards. */
	while (environ[n])
		n++;
	qsort(environ, n, sizeof(*environ), cmp_str);
	for (size_t i = 0; i < n; i++)
		puts(environ[i]);
	return 0;
}

static int cmd_isatty(char **argv UNUSED)
{
	printf("stdin=%d\nstdout=%d\nstderr=%d\n",
	       isatty(STDIN_FILENO), isatty(STDOUT_FILENO), isatty(STDERR_FILENO));
	return 0;
}

/* The terminal on stdin: its name, whether it is our controlling terminal, its size. */
static int cmd_tty(char **argv UNUSED)
{
	struct winsize ws = { 0 };
	const char *name = ttyname(STDIN_FILENO);

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
		return fail("TIOCGWINSZ");
	printf("name=%s\nctty=%d\nrows=%u\ncols=%u\n", name ? name : "?",
	       tcgetsid(STDIN_FILENO) == getsid(0), ws.ws_row, ws.ws_col);
	return 0;
}

static int cmd_winsize(char **argv UNUSED)
{
	struct winsize ws = { 0 };

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
		return fail("TIOCGWINSZ");
	printf("%u %u\n", ws.ws_row, ws.ws_col);
	return 0;
}

/* Prints the size, waits for SIGWINCH (at most 10 s), prints it again. */
static int cmd_winch(char **argv UNUSED)
{
	struct winsize ws = { 0 };
	struct timespec ts = { 10, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
		return fail("TIOCGWINSZ");
	printf("ready %u %u\n", ws.ws_row, ws.ws_col);
	fflush(stdout);
	if (sigtimedwait(&set, NULL, &ts) < 0)
		return fail("no SIGWINCH");
	(void)ioctl(STDIN_FILENO, TIOCGWINSZ, &ws);
	printf("winch %u %u\n", ws.ws_row, ws.ws_col);
	return 0;
}

static int cmd_dumpable(char **argv UNUSED)
{
	int r = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);

	if (r < 0)
		return fail("prctl(PR_GET_DUMPABLE)");
	printf("dumpable=%d\n", r);
	return 0;
}

static int cmd_net(char **argv UNUSED)
{
	struct if_nameindex *ifs = if_nameindex();
	/* Any socket reaches the netdev ioctls; fall back to AF_UNIX in case
	 * AF_INET is what the sandbox forbids. */
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (sock < 0)
		sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!ifs || sock < 0)
		return fail(ifs ? "socket" : "if_nameindex");
	for (struct if_nameindex *i = ifs; i->if_index != 0; i++) {
		struct ifreq ifr;

		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->if_name);
		if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
			printf("%s ERR:%s\n", i->if_name, errno_name(errno));
		else
			printf("%s %s\n", i->if_name,
			       (ifr.ifr_flags & IFF_UP) ? "up" : "down");
	}
	close(sock);
	if_freenameindex(ifs);
	return 0;
}

/* ---- lifecycle and signals -------------------------------------------- */

static int cmd_exit(char **argv)
{
	long n;

	if (!parse_long(argv[0], 0, 255, &n))
		return usage_error("exit: bad status '%s' (0-255)", argv[0]);
	fflush(stdout);
	exit((int)n);
}

static int cmd_kill_self(char **argv)
{
	int sig = parse_signal(argv[0]);
	sigset_t set;

	if (sig < 0)
		return usage_error("kill-self: bad signal '%s'", argv[0]);
	/* The runtime may have left the signal ignored or blocked; undo both
	 * so only the kernel's own rules (e.g. pid-namespace init being immune
	 * to SIG_DFL signals) decide whether we die. */
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	fflush(stdout);
	raise(sig);
	return 3;
}

static bool parse_seconds(const char *s, struct timespec *ts)
{
	char *end;
	double secs;

	errno = 0;
	secs = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(secs) ||
	    secs < 0 || secs > 1e9)
		return false;
	ts->tv_sec = (time_t)secs;
	ts->tv_nsec = (long)((secs - (double)ts->tv_sec) * 1e9);
	return true;
}

/* Restarts after EINTR so a caught-and-ignored signal does not cut it short. */
static void sleep_for(struct timespec ts)
{
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int do_sleep(const char *arg, bool ignore_term)
{
	struct timespec ts;

	if (!parse_seconds(arg, &ts))
		return usage_error("%s: bad duration '%s'",
				   ignore_term ? "sleep-ignore-term" : "sleep", arg);
	if (ignore_term) {
		signal(SIGTERM, SIG_IGN);
		/* Lets the test send TERM only once it is known to be ignored. */
		puts("ready");
		fflush(stdout);
	}
	sleep_for(ts);
	return 0;
}

/* tcp|udp HOST PORT: "answer <first line>" when the peer answers within 1.5 s (a TCP
 * connect and read; a UDP datagram "q" and its reply), else "ERR <errno name>". For
 * network checks in roots without python (production's). */
static int cmd_connect(char **argv)
{
	bool tcp = strcmp(argv[0], "tcp") == 0;
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 1, .tv_usec = 500000 };
	char buf[200];
	long port;
	ssize_t n;
	int fd;

	if ((!tcp && strcmp(argv[0], "udp") != 0) || inet_pton(AF_INET, argv[1], &a.sin_addr) != 1 ||
	    !parse_long(argv[2], 1, 65535, &port))
		return 2;
	a.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		printf("ERR %s\n", errno_name(errno));
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || (!tcp && send(fd, "q", 1, 0) < 0) ||
	    (n = recv(fd, buf, sizeof(buf) - 1, 0)) < 0) {
		/* A connect that SO_SNDTIMEO cut short says EINPROGRESS, a recv that
		 * SO_RCVTIMEO did EAGAIN: both timed out. */
		printf("ERR %s\n", errno_name(errno == EINPROGRESS || errno == EAGAIN ? ETIMEDOUT : errno));
		close(fd);
		return 1;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	printf("answer %s\n", buf);
	close(fd);
	return 0;
}

static int cmd_sleep(char **argv) { return do_sleep(argv[0], false); }
static int cmd_sleep_ignore_term(char **argv) { return do_sleep(argv[0], true); }

/* The kernel accounts pipe buffers per host uid (pipe-user-pages-soft); past the soft
 * limit a new pipe of that uid gets 2 pages instead of 16. pipe-hog grows N pipes to
 * BYTES each (the host's pipe-max-size; growth stops being allowed once the uid is over
 * the soft limit) and holds them; pipe-size shows what a new pipe gets. */
static int cmd_pipe_hog(char **argv)
{
	long n, bytes, pages = 0;

	if (!parse_long(argv[0], 1, 4096, &n) || !parse_long(argv[1], 4096, 1L << 30, &bytes))
		return 2;
	/* init's exec-status pipe is charged to our user too, and init closes it only
	 * once our execve succeeded: if that happens midway through the loop below, the
	 * count depends on when. Let it go first. */
	sleep_for((struct timespec){ .tv_nsec = 200 * 1000 * 1000 });
	for (long i = 0; i < n; i++) {
		int p[2];
		int sz;

		if (pipe(p) < 0) {
			fprintf(stderr, "pipe-hog: pipe #%ld: %s\n", i, strerror(errno));
			break;
		}
		sz = fcntl(p[1], F_SETPIPE_SZ, (int)bytes);
		pages += (sz > 0 ? sz : fcntl(p[1], F_GETPIPE_SZ)) / 4096;
	}
	printf("held=%ld\n", pages);
	fflush(stdout);
	for (;;)
		pause();
}

static int cmd_pipe_size(char **argv UNUSED)
{
	int p[2];

	if (pipe(p) < 0)
		return 1;
	printf("%d\n", fcntl(p[0], F_GETPIPE_SZ));
	return 0;
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static int cmd_signal_wait(char **argv UNUSED)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 };
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, wait_mask;

	/* Real handlers, not sigwait(): as pid-namespace init the kernel drops
	 * signals whose disposition is SIG_DFL, even blocked ones. Blocking
	 * until sigsuspend closes the window between "ready" and waiting. */
	sigemptyset(&block);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(&block, sigs[i]);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		sigdelset(&wait_mask, sigs[i]);
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return fail("sigaction");
	}
	puts("ready");
	fflush(stdout);
	while (!got_signal)
		sigsuspend(&wait_mask);
	printf("got=%s\n", signal_name(got_signal));
	return 0;
}

static int cmd_spawn_zombies(char **argv)
{
	long n;

	if (!parse_long(argv[0], 0, 100000, &n))
		return usage_error("spawn-zombies: bad count '%s'", argv[0]);
	/* An inherited SIG_IGN for SIGCHLD would make the kernel auto-reap and
	 * defeat the point: the zombies must be left for init to collect. */
	signal(SIGCHLD, SIG_DFL);
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return fail("fork");
		if (pid == 0)
			_exit(0);
	}
	printf("spawned=%ld\n", n);
	fflush(stdout);
	sleep_for((struct timespec){ .tv_nsec = 200000000 });
	return 0;
}

static int cmd_echo_stdin(char **argv UNUSED)
{
	int err = copy_fd(STDIN_FILENO, STDOUT_FILENO);

	if (err) {
		errno = err;
		return fail("echo-stdin");
	}
	return 0;
}

/* ---- exec-without-landlock -------------------------------------------- */

/* Runs a program as on a kernel without Landlock: a seccomp filter makes
 * landlock_create_ruleset fail with ENOSYS, for the program and everything it spawns
 * (a nucleusd and its sandboxes). Tests of degraded mode use it. */
static int cmd_exec_without_landlock(char **argv)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_landlock_create_ruleset, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(filter), .filter = filter };

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return fail("seccomp");
	execv(argv[0], argv);
	return fail(argv[0]);
}

/* ---- dispatch --------------------------------------------------------- */

static int cmd_help(char **argv);

static const struct command {
	const char *name;
	int (*fn)(char **argv);
	int min_args, max_args;
	const char *usage;
} commands[] = {
	{ "uid", cmd_uid, 0, 0, "uid/gid/euid/egid/groups" },
	{ "caps", cmd_caps, 0, 0, "capability sets, NoNewPrivs, Seccomp" },
	{ "ns", cmd_ns, 0, 0, "namespace ids from /proc/self/ns" },
	{ "pid", cmd_pid, 0, 0, "pid/ppid/pgid/sid" },
	{ "hostname", cmd_hostname, 0, 0, "uname nodename and domainname" },
	{ "try-syscall", cmd_try_syscall, 1, 1,
	  "NAME  probe a syscall: ptrace bpf unshare setns mount pivot_root keyctl\n"
	  "        perf_event_open userfaultfd io_uring_setup clone3 socket-raw\n"
	  "        socket-packet socket-inet socket-inet6 socket-unix socket-netlink\n"
	  "        socket-netlink-diag clone-newuser prctl-keepcaps prctl-dumpable\n"
	  "        prlimit-self prlimit-other prlimit-other-read mprotect-wx\n"
	  "        ioctl-listed ioctl-unlisted tiocsti chmod-suid chmod-sgid chmod-plain\n"
	  "        fchmodat2-suid open-creat-suid creat-sgid open-nocreat-mode x32-getpid\n"
	  "        int80-getpid (probes.c)" },
	{ "ls", cmd_ls, 1, 1, "DIR  entries as '<type> <mode> <uid>:<gid> <name>'" },
	{ "stat", cmd_stat, 1, 1, "PATH  lstat type/mode/uid/gid/rdev/size" },
	{ "write", cmd_write, 1, 2, "PATH [DATA]  create/truncate and write DATA" },
	{ "read", cmd_read, 1, 1, "PATH  print file content raw" },
	{ "mounts", cmd_mounts, 0, 0, "'<mountpoint> <fstype> <options>' per mount" },
	{ "fds", cmd_fds, 0, 0, "open file descriptors" },
	{ "env", cmd_env, 0, 0, "environment, sorted" },
	{ "cwd", cmd_cwd, 0, 0, "current directory" },
	{ "exit", cmd_exit, 1, 1, "N  exit with status N" },
	{ "kill-self", cmd_kill_self, 1, 1, "SIG  raise SIG, default action; exit 3 if alive" },
	{ "sleep", cmd_sleep, 1, 1, "SECONDS  sleep (fractions allowed)" },
	{ "sleep-ignore-term", cmd_sleep_ignore_term, 1, 1,
	  "SECONDS  ignore SIGTERM, print 'ready', sleep" },
	{ "signal-wait", cmd_signal_wait, 0, 0,
	  "print 'ready', wait for TERM/INT/HUP/USR1/USR2, print got=NAME" },
	{ "spawn-zombies", cmd_spawn_zombies, 1, 1, "N  leave N unreaped children for init" },
	{ "pipe-hog", cmd_pipe_hog, 2, 2, "N BYTES  hold N pipes grown to BYTES, print held=PAGES, wait" },
	{ "pipe-size", cmd_pipe_size, 0, 0, "the size a new pipe gets (F_GETPIPE_SZ)" },
	{ "echo-stdin", cmd_echo_stdin, 0, 0, "copy stdin to stdout" },
	{ "isatty", cmd_isatty, 0, 0, "whether fds 0-2 are terminals" },
	{ "tty", cmd_tty, 0, 0, "stdin's terminal: name, whether it is the controlling one, size" },
	{ "winsize", cmd_winsize, 0, 0, "'ROWS COLS' of stdin's terminal (TIOCGWINSZ)" },
	{ "winch", cmd_winch, 0, 0, "print 'ready ROWS COLS', wait for SIGWINCH, print 'winch ROWS COLS'" },
	{ "dumpable", cmd_dumpable, 0, 0, "prctl(PR_GET_DUMPABLE)" },
	{ "net", cmd_net, 0, 0, "'<ifname> up|down' per interface" },
	{ "connect", cmd_connect, 3, 3, "tcp|udp HOST PORT  'answer LINE' or 'ERR ERRNO' (1.5 s)" },
	{ "mknod", cmd_mknod, 1, 1, "PATH  try mknod of char device 1:3" },
	{ "exec-without-landlock", cmd_exec_without_landlock, 1, 64,
	  "PROGRAM [ARGS...]  run it as if the kernel had no Landlock" },
	{ "help", cmd_help, 0, 0, "this text" },
};

static void print_usage(FILE *out)
{
	fputs("usage: " PROG " COMMAND [ARGS]\n", out);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %s %s\n", commands[i].name, commands[i].usage);
}

static int cmd_help(char **argv UNUSED)
{
	print_usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	int nargs, ret;

	if (argc < 2) {
		print_usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, argv[1]) == 0)
			cmd = &commands[i];
	if (!cmd)
		return usage_error("unknown command '%s' (try 'help')", argv[1]);

	nargs = argc - 2;
	if (nargs < cmd->min_args)
		return usage_error("%s: missing argument (usage: %s %s)",
				   cmd->name, cmd->name, cmd->usage);
	if (nargs > cmd->max_args)
		return usage_error("%s: unexpected argument '%s'",
				   cmd->name, argv[2 + cmd->max_args]);

	ret = cmd->fn(argv + 2);
	/* A lost line of output would make a test assert on nothing. */
	if (fflush(stdout) != 0 && ret == 0)
		ret = 1;
	return ret;
}
