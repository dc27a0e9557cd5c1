package trace

import (
	"golang.org/x/sys/unix"
)

// prepIoctl maps ioctl(2): ioctl_dev on a character or block device for
// any command but the always-allowed ones (AlwaysAllowedIoctls), also
// one the driver refuses: Landlock's hook comes first. isatty() on a
// /dev/null the program opened is TCGETS, ENOTTY from the driver, but
// EACCES and a denial in the audit log without ioctl_dev (measured:
// enforce's TestIoctlOnDeviceNeedsIoctlDev).
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
	if heldByTracer(m.c.PID, fd) {
		return nil
	}
	out := m.succeed(m.fsObs(n.path, typeName(n.st.Mode), rIoctlDev))
	out.keepOnErr = ioctlReachedHook
	return out
}

// ioctlReachedHook: only a bad fd fails before Landlock's hook; every
// other error is the driver's (accurate mode).
func ioctlReachedHook(errno unix.Errno) bool { return errno != unix.EBADF }
