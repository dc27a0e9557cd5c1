/* One Landlock-relevant action per argument group, for landlearn's
 * end-to-end mapping tests (learn/trace/mapping_e2e_test.go):
 *   fixture bind PORT | connect PORT | kill PID | selfsignal |
 *           childkill | exchange A B | tmpfile DIR | ioctl DEV
 * Each action prints nothing and exits non-zero on an unexpected failure. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int tcp(int port, int do_bind) {
	int s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0) return 1;
	if (do_bind) return bind(s, (struct sockaddr *)&a, sizeof a) != 0;
	connect(s, (struct sockaddr *)&a, sizeof a); /* refused is fine */
	return 0;
}

static void *thread(void *arg) {
	(void)arg;
	pause();
	return NULL;
}

int main(int argc, char **argv) {
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "bind")) {
			if (tcp(atoi(argv[++i]), 1)) { perror("bind"); return 2; }
		} else if (!strcmp(a, "connect")) {
			if (tcp(atoi(argv[++i]), 0)) return 2;
		} else if (!strcmp(a, "kill")) {
			if (kill(atoi(argv[++i]), 0)) { perror("kill"); return 2; }
		} else if (!strcmp(a, "selfsignal")) {
			/* Signals within the process, to itself and its threads. */
			pthread_t t;
			signal(SIGUSR1, SIG_IGN);
			pthread_create(&t, NULL, thread, NULL);
			if (pthread_kill(t, SIGUSR1) || kill(getpid(), SIGUSR1)) return 2;
		} else if (!strcmp(a, "childkill")) {
			/* A signal to a child: inside the tree. */
			pid_t c = fork();
			if (c == 0) { pause(); _exit(0); }
			if (kill(c, SIGKILL)) return 2;
			waitpid(c, NULL, 0);
		} else if (!strcmp(a, "exchange")) {
			const char *x = argv[++i], *y = argv[++i];
			if (renameat2(AT_FDCWD, x, AT_FDCWD, y, RENAME_EXCHANGE)) { perror("renameat2"); return 2; }
		} else if (!strcmp(a, "tmpfile")) {
			if (open(argv[++i], O_TMPFILE | O_RDWR, 0600) < 0) { perror("O_TMPFILE"); return 2; }
		} else if (!strcmp(a, "ioctl")) {
			struct termios t;
			int fd = open(argv[++i], O_RDWR | O_NOCTTY);
			if (fd < 0) return 2;
			tcgetattr(fd, &t);
		} else {
			fprintf(stderr, "fixture: unknown action %s\n", a);
			return 2;
		}
	}
	return 0;
}
