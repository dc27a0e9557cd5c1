/* llexec: exec a program under a Landlock domain given on the command
 * line, for landlearn's exec mapping tests (learn/trace/mapping_kernel_test.go):
 *   llexec [MASK:PATH]... -- PROG [ARG]...
 * The domain handles every filesystem right of ABI 7 (bits 0-15) and
 * grants MASK (kernel bits, decimal) beneath each PATH. Exits 100+errno
 * when execve fails, 99 when the domain cannot be built. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
	struct landlock_ruleset_attr attr = {.handled_access_fs = (1ULL << 16) - 1};
	int rs = syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	int i;
	if (rs < 0) { perror("landlock_create_ruleset"); return 99; }
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		char *colon = strchr(argv[i], ':');
		struct landlock_path_beneath_attr pb = {0};
		if (!colon) return 99;
		*colon = 0;
		pb.allowed_access = strtoull(argv[i], NULL, 10);
		pb.parent_fd = open(colon + 1, O_PATH | O_CLOEXEC);
		if (pb.parent_fd < 0 || syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0)) {
			perror(colon + 1);
			return 99;
		}
		close(pb.parent_fd);
	}
	if (i + 1 >= argc) return 99;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_landlock_restrict_self, rs, 0)) {
		perror("restrict");
		return 99;
	}
	execv(argv[i + 1], argv + i + 1);
	return 100 + errno;
}
