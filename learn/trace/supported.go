package trace

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Supported reports whether this machine can run the tracer, and why not.
// The tracer reads the stopped callers through /proc, needs seccomp, and
// needs Linux 6.6: from then on a seccomp listener reports the end of the
// traced tree to receivers blocked in SECCOMP_IOCTL_NOTIF_RECV, which is
// how Run knows every traced process is gone.
func Supported() error {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		return fmt.Errorf("the tracer reads the traced processes through /proc, which is missing: %w", err)
	}
	if err := unix.Prctl(unix.PR_GET_SECCOMP, 0, 0, 0, 0); errors.Is(err, unix.EINVAL) {
		return errors.New("the kernel has no seccomp, which the tracer needs")
	}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return fmt.Errorf("uname: %w", err)
	}
	release := unix.ByteSliceToString(uts.Release[:])
	var major, minor int
	fmt.Sscanf(release, "%d.%d", &major, &minor)
	if major < 6 || major == 6 && minor < 6 {
		return fmt.Errorf("kernel %s: the tracer needs Linux 6.6 (seccomp listener wake-up when the traced tree exits)", release)
	}
	return nil
}
