// bench/floor.c: the cheapest possible seccomp user-notification tracer,
// to measure what stopping calls costs on a machine before landlearn does
// any work. It installs the filter landlearn installs on x86_64 (the same
// syscalls, the same always-allowed ioctl commands, fcntl stopped only for
// F_SETOWN and F_SETOWN_EX; TestFloorFilterMatches keeps the lists equal)
// and answers every stopped call with SECCOMP_USER_NOTIF_FLAG_CONTINUE,
// reading nothing.
//
// usage: floor [-r RECEIVERS] [-s] [-p] [-c] CMD [ARG...]
//   -r N  receiver threads (default 1), all blocked in NOTIF_RECV
//   -s    SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP on the listener
//   -p    receiver i is pinned to the i-th CPU the process may use
//   -c    print the number of calls stopped to stderr at the end
// The exit status is CMD's (128+N for signal N). Built by bench/floor.sh.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif

// learn/trace filterSyscalls(abiX86_64) and alwaysAllowedIoctls.
static const unsigned stopped[] = {2, 16, 42, 49, 59, 62, 72, 76, 77, 82, 83, 84, 85, 86, 87, 88, 101, 105, 106, 113, 114, 116, 117, 119, 122, 123, 129, 133, 155, 165, 166, 200, 234, 257, 258, 259, 263, 264, 265, 266, 297, 304, 310, 311, 316, 322, 424, 425, 429, 437, 438};
static const unsigned allowed_ioctls[] = {0x5451, 0x5450, 0x5421, 0x5452, 0x5460, 0xc0045877, 0xc0045878, 0xc020660b, 0x2, 0x40049409, 0x4020940d, 0xc0189436, 0x80111500, 0x80811501};
enum { nr_ioctl = 16, nr_fcntl = 72, f_setown = 8, f_setown_ex = 15 };

// A tiny assembler: jumps name a target, resolved at the end.
enum target { next, to_allow, to_stop, to_ioctl, to_fcntl, ntargets };
static struct sock_filter prog[256];
static enum target jt[256], jf[256];
static int len, at[ntargets];

static void emit(unsigned short code, unsigned k, enum target t, enum target f)
{
	prog[len] = (struct sock_filter)BPF_STMT(code, k);
	jt[len] = t;
	jf[len] = f;
	len++;
}

static void build(void)
{
	const unsigned n = sizeof stopped / sizeof stopped[0];
	const unsigned ni = sizeof allowed_ioctls / sizeof allowed_ioctls[0];
	// Every jump goes forward, as classic BPF wants: the ioctl and fcntl
	// blocks, then the two returns, come after the dispatch on nr.
	emit(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), next, next);
	emit(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, next, to_allow);
	emit(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), next, next);
	emit(BPF_JMP | BPF_JEQ | BPF_K, nr_ioctl, to_ioctl, next);
	emit(BPF_JMP | BPF_JEQ | BPF_K, nr_fcntl, to_fcntl, next);
	for (unsigned i = 0; i < n; i++)
		if (stopped[i] != nr_ioctl && stopped[i] != nr_fcntl)
			emit(BPF_JMP | BPF_JEQ | BPF_K, stopped[i], to_stop, next);
	emit(BPF_RET | BPF_K, SECCOMP_RET_ALLOW, next, next);
	at[to_ioctl] = len;
	emit(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1]), next, next);
	for (unsigned i = 0; i < ni; i++)
		emit(BPF_JMP | BPF_JEQ | BPF_K, allowed_ioctls[i], to_allow, next);
	emit(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF, next, next);
	at[to_fcntl] = len;
	emit(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1]), next, next);
	emit(BPF_JMP | BPF_JEQ | BPF_K, f_setown, to_stop, next);
	emit(BPF_JMP | BPF_JEQ | BPF_K, f_setown_ex, to_stop, to_allow);
	at[to_allow] = len;
	emit(BPF_RET | BPF_K, SECCOMP_RET_ALLOW, next, next);
	at[to_stop] = len;
	emit(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF, next, next);
	for (int i = 0; i < len; i++) {
		if (BPF_CLASS(prog[i].code) != BPF_JMP)
			continue;
		prog[i].jt = jt[i] == next ? 0 : at[jt[i]] - i - 1;
		prog[i].jf = jf[i] == next ? 0 : at[jf[i]] - i - 1;
	}
}

static int listener, pin;
static atomic_ulong calls;
static cpu_set_t usable;

static void *receive(void *arg)
{
	if (pin) {
		// The i-th CPU this process may run on.
		int want = (int)(long)arg % CPU_COUNT(&usable), seen = 0;
		for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
			if (!CPU_ISSET(cpu, &usable) || seen++ != want)
				continue;
			cpu_set_t one;
			CPU_ZERO(&one);
			CPU_SET(cpu, &one);
			if (sched_setaffinity(0, sizeof one, &one) != 0)
				perror("floor: sched_setaffinity");
			break;
		}
	}
	for (;;) {
		struct seccomp_notif req;
		struct seccomp_notif_resp resp;
		memset(&req, 0, sizeof req);
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			return NULL; // the listener has no users left
		}
		atomic_fetch_add(&calls, 1);
		memset(&resp, 0, sizeof resp);
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}

int main(int argc, char **argv)
{
	int receivers = 1, sync = 0, count = 0, opt;
	while ((opt = getopt(argc, argv, "+r:spc")) != -1) {
		switch (opt) {
		case 'r': receivers = atoi(optarg); break;
		case 's': sync = 1; break;
		case 'p': pin = 1; break;
		case 'c': count = 1; break;
		default: return 2;
		}
	}
	if (optind >= argc || receivers < 1) {
		fprintf(stderr, "usage: floor [-r RECEIVERS] [-s] [-p] [-c] CMD [ARG...]\n");
		return 2;
	}
	build();
	sched_getaffinity(0, sizeof usable, &usable);
	// The child installs the filter and waits; the parent takes the
	// listener with pidfd_getfd, then lets the child exec.
	int fdpipe[2], gopipe[2];
	if (pipe(fdpipe) != 0 || pipe(gopipe) != 0) {
		perror("floor: pipe");
		return 1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		struct sock_fprog fprog = {.len = (unsigned short)len, .filter = prog};
		char c;
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		int fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
		if (fd < 0) {
			perror("floor: seccomp");
			_exit(126);
		}
		if (write(fdpipe[1], &fd, sizeof fd) != sizeof fd || read(gopipe[0], &c, 1) != 1)
			_exit(126);
		close(fd);
		execvp(argv[optind], argv + optind);
		perror("floor: exec");
		_exit(127);
	}
	int childfd;
	if (read(fdpipe[0], &childfd, sizeof childfd) != sizeof childfd)
		return 1;
	int pidfd = syscall(SYS_pidfd_open, pid, 0);
	listener = syscall(SYS_pidfd_getfd, pidfd, childfd, 0);
	if (listener < 0) {
		perror("floor: pidfd_getfd");
		return 1;
	}
	if (sync && ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) != 0)
		perror("floor: SECCOMP_IOCTL_NOTIF_SET_FLAGS");
	for (long i = 0; i < receivers; i++) {
		pthread_t t;
		pthread_create(&t, NULL, receive, (void *)i);
	}
	if (write(gopipe[1], "x", 1) != 1)
		return 1;
	int status;
	waitpid(pid, &status, 0);
	if (count)
		fprintf(stderr, "floor: %lu calls stopped\n", (unsigned long)atomic_load(&calls));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
