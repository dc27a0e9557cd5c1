package trace

import (
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// prepIoctl maps ioctl(2): ioctl_dev on a character or block device for
// any command but the always-allowed ones (alwaysAllowedIoctls), also
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
	var obs []obsT
	if !heldByTracer(m.c.PID, fd) {
		obs = append(obs, m.fsObs(n.path, typeName(n.st.Mode), rIoctlDev))
	}
	master := len(obs)
	if cmd == tiocgptpeer && mode == unix.S_IFCHR && unix.Major(n.st.Rdev) == 5 && unix.Minor(n.st.Rdev) == 2 {
		// The kernel opens the pty's other end itself (ptm_open_peer),
		// and Landlock checks that open as any other: read_file and
		// write_file on /dev/pts/N, whoever opened the master. glibc's
		// openpty() and script(1) get their terminal this way, with no
		// open of the path.
		if o, ok := m.ptyPeer(fd, n.path, m.arg(arg2)); ok {
			obs = append(obs, o)
		}
	}
	out := m.succeed(obs...)
	if out != nil {
		// A TIOCGPTPEER that fails opened no peer (accurate mode).
		out.onErr = func(e unix.Errno, obs []obsT) []obsT {
			if !ioctlReachedHook(e) {
				return nil
			}
			return obs[:min(master, len(obs))]
		}
	}
	return out
}

// tiocgptpeer is TIOCGPTPEER, _IO('T', 0x41): open the peer of a pty
// master, with the open flags in the argument.
const tiocgptpeer = 0x5441

// ptyPeer is the open of the pty peer that TIOCGPTPEER on the master
// (fd, reached as master: /dev/ptmx or a devpts instance's ptmx) makes:
// /dev/pts/N, N from /proc/PID/fdinfo ("tty-index"). As the kernel's
// devpts_mntget: a master on a devpts mount opens its peer there; any
// other (/dev/ptmx) in the devpts mounted at pts next to it. A master
// that is a file bind-mounted onto another (LXC binds /dev/pts/ptmx onto
// /dev/ptmx) counts as the file it covers, in its directory's mount.
func (m *mapper) ptyPeer(fd int, master string, flags uint64) (obsT, bool) {
	b, err := readProc("/proc/" + strconv.Itoa(m.c.PID) + "/fdinfo/" + strconv.Itoa(fd))
	if err != nil {
		return obsT{}, false
	}
	var index string
	for l := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(l, "tty-index:"); ok {
			index = strings.TrimSpace(v)
		}
	}
	if _, err := strconv.Atoi(index); err != nil {
		return obsT{}, false
	}
	dir := path.Dir(master)
	var sx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, master, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_TYPE, &sx); err != nil {
		return obsT{}, false
	}
	on := master
	if sx.Attributes_mask&unix.STATX_ATTR_MOUNT_ROOT != 0 && sx.Attributes&unix.STATX_ATTR_MOUNT_ROOT != 0 {
		on = dir
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(on, &fs); err != nil {
		return obsT{}, false
	}
	if fs.Type != unix.DEVPTS_SUPER_MAGIC {
		dir = child(dir, "pts")
	}
	a := openRights(flags&unix.O_ACCMODE, false)
	if a == 0 {
		return obsT{}, false // O_ACCMODE 3: neither read nor write
	}
	return m.fsObs(child(dir, index), "char", a), true
}

// ioctlReachedHook: only a bad fd fails before Landlock's hook; every
// other error is the driver's (accurate mode).
func ioctlReachedHook(errno unix.Errno) bool { return errno != unix.EBADF }
