package trace

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// kcmpFile is KCMP_FILE: do two fds refer to the same open file
// description?
const kcmpFile = 0

// heldByTracer reports whether the caller's fd is an open file
// description the tracer holds too. The learner passes its own stdin,
// stdout and stderr to the target, and `landlearn run` does the same
// under enforcement: such fds are opened before the sandbox exists, and
// Landlock decides truncate and ioctl_dev at open time, so using them
// needs no right. kcmp(2) compares the descriptions themselves, so a
// later reopen of the same tty is not mistaken for the inherited one.
// The tracer's standard streams are compared first: they are what the
// tree inherits from landlearn, and a match spares listing /proc/self/fd
// (five system calls, on every isatty of every process of a build).
func heldByTracer(pid, fd int) bool {
	self := os.Getpid()
	if pid == self {
		return false // a process tracing itself (tests): no inherited fds to tell apart
	}
	same := func(mine int) bool {
		r, _, errno := unix.Syscall6(unix.SYS_KCMP, uintptr(pid), uintptr(self), kcmpFile, uintptr(fd), uintptr(mine), 0)
		return errno == 0 && r == 0
	}
	for mine := range 3 {
		if same(mine) {
			return true
		}
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return false
	}
	for _, e := range ents {
		if mine, err := strconv.Atoi(e.Name()); err == nil && mine > 2 && same(mine) {
			return true
		}
	}
	return false
}
