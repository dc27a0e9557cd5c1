package trace

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Terminal ioctls the mapping can predict: on a device that is no
// terminal they fail with ENOTTY, so isatty() on /dev/null needs nothing.
const (
	tcgets     = 0x5401
	tiocgwinsz = 0x5413
)

// prepIoctl maps ioctl(2): ioctl_dev on a character or block device for
// any command but the always-allowed ones (AlwaysAllowedIoctls).
// Landlock decides it when the device is opened, so a device fd the
// learner itself handed to the target (its terminal on stdin) needs
// nothing; files, pipes and sockets are never restricted.
func prepIoctl(m *mapper) *outcome {
	fd := m.intArg(arg0)
	cmd := uint32(m.arg(arg1))
	if alwaysAllowedIoctl(cmd) {
		return nil
	}
	n := m.fdNode(fd)
	if n.err != 0 || n.noPath {
		return nil
	}
	mode := n.mode()
	if mode != unix.S_IFCHR && mode != unix.S_IFBLK {
		return nil
	}
	if (cmd == tcgets || cmd == tiocgwinsz) && (mode != unix.S_IFCHR || !isTTY(n.st.Rdev)) {
		return nil // ENOTTY
	}
	if heldByTracer(m.c.PID, fd) {
		return nil
	}
	return m.succeed(m.fsObs(n.path, typeName(n.st.Mode), rIoctlDev))
}

// isTTY reports whether a character device number is a terminal:
// the tty majors of Documentation/admin-guide/devices.txt (4 virtual
// consoles and serial ports, 5 /dev/tty, /dev/console and /dev/ptmx,
// 136-143 Unix98 pty slaves) and the dynamic majors the kernel gives to
// other tty drivers, which the tracer cannot tell apart: any major of a
// "tty" driver listed in /proc/tty/drivers counts.
func isTTY(rdev uint64) bool {
	maj := unix.Major(rdev)
	switch {
	case maj == 4 || maj == 5 || (maj >= 136 && maj <= 143):
		return true
	}
	return ttyMajors()[maj]
}

// ttyMajors lists the majors in /proc/tty/drivers.
func ttyMajors() map[uint32]bool {
	b, err := os.ReadFile("/proc/tty/drivers")
	out := map[uint32]bool{}
	if err != nil {
		return out
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 3 {
			if v, err := strconv.ParseUint(f[2], 10, 32); err == nil {
				out[uint32(v)] = true
			}
		}
	}
	return out
}
