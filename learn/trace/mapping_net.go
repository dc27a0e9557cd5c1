package trace

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/landlearn/landlearn/internal/kernel"
	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
	"golang.org/x/sys/unix"
)

// socketcall(2) call numbers (include/uapi/linux/net.h).
const (
	sysBind    = 2
	sysConnect = 3
)

// sockaddrMax is how much of a sockaddr the kernel copies
// (sizeof(struct sockaddr_storage)).
const sockaddrMax = 128

func prepBind(m *mapper) *outcome {
	return m.sockaddrOp(m.intArg(arg0), m.arg(arg1), int(int32(uint32(m.arg(arg2)))), true)
}

func prepConnect(m *mapper) *outcome {
	return m.sockaddrOp(m.intArg(arg0), m.arg(arg1), int(int32(uint32(m.arg(arg2)))), false)
}

// prepSocketcall maps i386 socketcall(2): args[1] points to the real
// call's arguments, 32-bit each. Observations name the real call.
func prepSocketcall(m *mapper) *outcome {
	call := m.arg(arg0)
	if call != sysBind && call != sysConnect {
		return nil
	}
	var a [12]byte
	if m.t.ReadMem(m.arg(arg1), a[:]) != nil {
		return nil
	}
	fd := int(int32(binary.LittleEndian.Uint32(a[0:])))
	addr := uint64(binary.LittleEndian.Uint32(a[4:]))
	n := int(int32(binary.LittleEndian.Uint32(a[8:])))
	name := "connect"
	if call == sysBind {
		name = "bind"
	}
	sub := *m
	sub.e = &sysEntry{name: name, nr: m.e.nr, args: m.e.args, prep: m.e.prep}
	return sub.sockaddrOp(fd, addr, n, call == sysBind)
}

// sockInfo is what the tracer learns about the caller's socket fd.
type sockInfo struct {
	known                 bool
	domain, typ, protocol int
}

// socketOf asks the socket itself for its domain, type and protocol: it
// takes a copy of the caller's fd with pidfd_getfd(2) and uses
// getsockopt, which is exact where /proc/net/* would miss a socket that
// is neither bound nor connected yet. Needs ptrace access to the caller,
// which the tracer has (same user, or root); unknown otherwise.
func (m *mapper) socketOf(fd int) sockInfo {
	pfd, err := unix.PidfdOpen(m.c.TID, unix.PIDFD_THREAD)
	if err != nil {
		if pfd, err = unix.PidfdOpen(m.c.PID, 0); err != nil {
			return sockInfo{}
		}
	}
	defer unix.Close(pfd)
	s, err := unix.PidfdGetfd(pfd, fd, 0)
	if err != nil {
		return sockInfo{}
	}
	defer unix.Close(s)
	var si sockInfo
	var e1, e2, e3 error
	si.domain, e1 = unix.GetsockoptInt(s, unix.SOL_SOCKET, unix.SO_DOMAIN)
	si.typ, e2 = unix.GetsockoptInt(s, unix.SOL_SOCKET, unix.SO_TYPE)
	si.protocol, e3 = unix.GetsockoptInt(s, unix.SOL_SOCKET, unix.SO_PROTOCOL)
	si.known = e1 == nil && e2 == nil && e3 == nil
	return si
}

// sockaddrOp maps bind and connect: TCP ports for IPPROTO_TCP sockets,
// make_sock for a pathname unix bind, the abstract_unix_socket scope for
// a connect to an abstract socket served outside the tree.
func (m *mapper) sockaddrOp(fd int, addr uint64, n int, bind bool) *outcome {
	if n < 2 || n > sockaddrMax {
		return nil // EINVAL
	}
	sa := make([]byte, n)
	if m.t.ReadMem(addr, sa) != nil {
		return nil // EFAULT
	}
	family := binary.LittleEndian.Uint16(sa)
	switch family {
	case unix.AF_UNIX:
		return m.unixOp(fd, sa[2:], bind)
	case unix.AF_INET, unix.AF_INET6, unix.AF_UNSPEC:
	default:
		return nil
	}
	si := m.socketOf(fd)
	if si.known && si.domain != unix.AF_INET && si.domain != unix.AF_INET6 {
		return nil
	}
	if si.known && si.typ != unix.SOCK_STREAM {
		return nil // UDP and raw sockets: not restricted before ABI 10
	}
	switch family {
	case unix.AF_UNSPEC:
		// connect(AF_UNSPEC) disconnects and is not checked; bind with
		// AF_UNSPEC is taken as AF_INET by an IPv4 socket, for INADDR_ANY
		// only (security/landlock/net.c and inet_bind).
		if !bind || !si.known || si.domain != unix.AF_INET || n < 16 || binary.BigEndian.Uint32(sa[4:]) != 0 {
			return nil
		}
	case unix.AF_INET:
		if n < 16 || (si.known && si.domain != unix.AF_INET) {
			return nil
		}
	case unix.AF_INET6:
		if n < 24 || (si.known && si.domain != unix.AF_INET6) {
			return nil
		}
	}
	port := binary.BigEndian.Uint16(sa[2:])
	if bind && port != 0 && int(port) < unprivilegedPortStart() {
		if cr := m.creds(); cr.known && cr.uid != 0 {
			return nil // EACCES: a privileged port
		}
	}
	if si.known && si.protocol == unix.IPPROTO_MPTCP && !mptcpRestricted() {
		w := m.obs()
		w.Warning = fmt.Sprintf("%s: port %d on an MPTCP socket, which Landlock does not restrict on this kernel (erratum 1); create the socket with IPPROTO_TCP (Go: net.Dialer/ListenConfig.SetMultipathTCP(false)) to have it sandboxed", m.e.name, port)
		return m.succeed(w)
	}
	if si.known && si.protocol != unix.IPPROTO_TCP && si.protocol != unix.IPPROTO_MPTCP {
		return nil // SCTP and other stream protocols: not restricted
	}
	o := m.obs()
	o.Port = learn.PortPtr(port)
	o.Net = policy.NetBindTCP
	if !bind {
		o.Net = policy.NetConnectTCP
	}
	if bind {
		return m.succeed(o)
	}
	obs := []learn.Observation{o}
	// A server the program started with bind(0) (a test suite's local
	// HTTP server): the rule names this run's port.
	if learn.EphemeralPort(port) && localAddr(family, sa) && m.ownListener(port) {
		w := m.obs()
		w.Warning, w.WarningKind = learn.OwnEphemeralWarning, learn.WarnOwnEphemeral
		obs = append(obs, w)
	}
	out := m.succeed(obs...)
	out.onErr = keepIf(connectReachedHook)
	return out
}

// localAddr says whether a connect's address is this host: loopback
// (127/8, ::1, ::ffff:127/104) or unspecified (0.0.0.0, ::), which
// connects to this host too.
func localAddr(family uint16, sa []byte) bool {
	var ip net.IP
	switch {
	case family == unix.AF_INET && len(sa) >= 8:
		ip = net.IP(sa[4:8])
	case family == unix.AF_INET6 && len(sa) >= 24:
		ip = net.IP(sa[8:24])
	default:
		return false
	}
	return ip.IsLoopback() || ip.IsUnspecified()
}

// listenerSet holds the listening sockets (by inode) found held by the
// run's tree: a test suite that connects thousands of times to its own
// server scans the processes' fds once. Only found ones are kept, at
// most maxOwnListeners.
type listenerSet struct {
	mu     sync.Mutex
	inodes map[string]bool
}

const maxOwnListeners = 1024

func (l *listenerSet) hasAny(inodes map[string]bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ino := range inodes {
		if l.inodes[ino] {
			return true
		}
	}
	return false
}

func (l *listenerSet) add(ino string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inodes == nil || len(l.inodes) >= maxOwnListeners {
		l.inodes = map[string]bool{}
	}
	l.inodes[ino] = true
}

// listenerCacher is a tracee whose run keeps a listenerSet.
type listenerCacher interface{ ownListeners() *listenerSet }

// ownListener says whether a TCP socket listening on port in the
// caller's network namespace is held by the caller's tree. Only asked
// for a connect to an ephemeral port of this host: it reads
// /proc/PID/net/tcp and tcp6, and the fds of every process unless the
// run found the socket before (listenerSet).
func (m *mapper) ownListener(port uint16) bool {
	inodes := map[string]bool{}
	for _, f := range []string{"tcp", "tcp6"} {
		b, err := readProc("/proc/" + strconv.Itoa(m.c.PID) + "/net/" + f)
		if err != nil {
			continue
		}
		for l := range strings.Lines(string(b)) {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			fs := strings.Fields(l)
			if len(fs) < 10 || fs[3] != "0A" { // TCP_LISTEN
				continue
			}
			_, hex, ok := strings.Cut(fs[1], ":")
			if p, err := strconv.ParseUint(hex, 16, 16); ok && err == nil && uint16(p) == port {
				inodes[fs[9]] = true
			}
		}
	}
	if len(inodes) == 0 {
		return false
	}
	var known *listenerSet
	if lc, ok := m.t.(listenerCacher); ok {
		known = lc.ownListeners()
	}
	if known != nil && known.hasAny(inodes) {
		return true
	}
	for _, pid := range socketHolders(inodes) {
		if pid == m.c.PID || m.t.InTree(pid) {
			if known != nil && len(inodes) == 1 { // else which one is the tree's is not known
				for ino := range inodes {
					known.add(ino)
				}
			}
			return true
		}
	}
	return false
}

// connectReachedHook says which connect failures come after Landlock's
// hook: the program asked for the port and got an answer from the
// network, so it needs the right to get the same answer under Landlock
// (a client retrying until its server is up).
func connectReachedHook(e unix.Errno) bool {
	switch e {
	case unix.EINPROGRESS, unix.EALREADY, unix.ECONNREFUSED, unix.ETIMEDOUT,
		unix.ENETUNREACH, unix.EHOSTUNREACH, unix.ECONNRESET, unix.EAGAIN,
		unix.EADDRNOTAVAIL, unix.EINTR, unix.EISCONN:
		return true
	}
	return false
}

func unprivilegedPortStart() int {
	b, err := readProc("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		return 1024
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 1024
	}
	return v
}

// mptcpRestricted says whether Landlock restricts MPTCP sockets here:
// kernels with erratum 1 fixed restrict only IPPROTO_TCP, and kernels
// without Landlock restrict nothing.
func mptcpRestricted() bool {
	k, err := kernel.Running()
	return err == nil && !k.Fixed(kernel.ErratumTCPOnly)
}

// unixOp maps AF_UNIX bind and connect. path is sun_path as given.
func (m *mapper) unixOp(fd int, path []byte, bind bool) *outcome {
	if len(path) == 0 {
		return nil // autobind, or EINVAL for connect
	}
	if path[0] == 0 {
		if bind {
			return nil // an abstract name is no file
		}
		return m.abstractConnect(string(path[1:]))
	}
	if !bind {
		return nil // pathname connect: resolve_unix arrives with ABI 9
	}
	if i := strings.IndexByte(string(path), 0); i >= 0 {
		path = path[:i]
	}
	if si := m.socketOf(fd); si.known && si.domain != unix.AF_UNIX {
		return nil
	}
	return m.created(m.resolve(unix.AT_FDCWD, string(path), false), rMakeSock)
}

// abstractConnect gives the abstract_unix_socket scope when the socket
// named name exists and no process of the traced tree holds it: the
// server was created outside the domain the policy would make. The
// owners are found by inode in /proc/PID/net/unix and /proc/*/fd; when
// the name exists but no holder can be seen, the scope is asked for too
// (sound: the socket is someone else's).
func (m *mapper) abstractConnect(name string) *outcome {
	inodes := abstractInodes(m.c.PID, name)
	if len(inodes) == 0 {
		return nil // ECONNREFUSED
	}
	for _, pid := range socketHolders(inodes) {
		if pid == m.c.PID || m.t.InTree(pid) {
			return nil
		}
	}
	o := m.obs()
	o.Scope = "abstract_unix_socket"
	o.Target = "@" + name
	return m.succeed(o)
}

// abstractInodes lists the inodes of abstract sockets named name in the
// caller's network namespace. /proc shows NUL bytes of a name as '@'.
func abstractInodes(pid int, name string) map[string]bool {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/net/unix")
	if err != nil {
		return nil
	}
	defer f.Close()
	want := "@" + strings.ReplaceAll(name, "\x00", "@")
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// Num RefCount Protocol Flags Type St Inode Path
		fs := strings.Fields(sc.Text())
		if len(fs) >= 8 && strings.Join(fs[7:], " ") == want {
			out[fs[6]] = true
		}
	}
	return out
}

// socketHolders lists the processes holding a socket of these inodes.
func socketHolders(inodes map[string]bool) []int {
	procs, _ := filepath.Glob("/proc/[0-9]*")
	var out []int
	for _, p := range procs {
		fds, err := os.ReadDir(p + "/fd")
		if err != nil {
			continue
		}
		for _, fd := range fds {
			l, err := os.Readlink(p + "/fd/" + fd.Name())
			if err != nil {
				continue
			}
			if ino, ok := strings.CutPrefix(l, "socket:["); ok && inodes[strings.TrimSuffix(ino, "]")] {
				if pid, err := strconv.Atoi(filepath.Base(p)); err == nil {
					out = append(out, pid)
				}
				break
			}
		}
	}
	return out
}
