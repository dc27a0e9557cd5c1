package trace

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/learn"
)

// sockaddr4 is a struct sockaddr_in.
func sockaddr4(family uint16, port uint16, ip [4]byte) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint16(b, family)
	binary.BigEndian.PutUint16(b[2:], port)
	copy(b[4:], ip[:])
	return b
}

// sockaddr6 is a struct sockaddr_in6 for ::1.
func sockaddr6(port uint16) []byte {
	b := make([]byte, 28)
	binary.LittleEndian.PutUint16(b, unix.AF_INET6)
	binary.BigEndian.PutUint16(b[2:], port)
	b[23] = 1
	return b
}

// sockaddrUnix is a struct sockaddr_un of the given length.
func sockaddrUnix(path string, abstract bool) []byte {
	b := []byte{unix.AF_UNIX, 0}
	if abstract {
		b = append(b, 0)
	}
	b = append(b, path...)
	if !abstract {
		b = append(b, 0)
	}
	return b
}

func socket(t *testing.T, domain, typ, proto int) uint64 {
	t.Helper()
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		testkit.Skip(t, "socket(%d, %d, %d): %v", domain, typ, proto, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return uint64(fd)
}

func sockCall(nr int, fd uint64, sa []byte) *sysCall {
	return call(nr, fd, mem(sa), uint64(len(sa)))
}

// tcpListener listens on 127.0.0.1 and returns its port.
func tcpListener(t *testing.T) uint16 {
	t.Helper()
	fd := socket(t, unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_TCP)
	if err := unix.Bind(int(fd), &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(int(fd), 8); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(int(fd))
	if err != nil {
		t.Fatal(err)
	}
	return uint16(sa.(*unix.SockaddrInet4).Port)
}

func TestMappingNet(t *testing.T) {
	lo := [4]byte{127, 0, 0, 1}
	rows := []row{
		{name: "bind IPv4 port 0", call: func(t *testing.T, d string) *sysCall {
			return sockCall(unix.SYS_BIND, socket(t, unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_TCP), sockaddr4(unix.AF_INET, 0, lo))
		}, want: `{"syscall":"bind","access":["bind_tcp"],"port":0}` + "\n"},
		{name: "bind IPv4 port 18090", noReal: true, call: func(t *testing.T, d string) *sysCall {
			return sockCall(unix.SYS_BIND, socket(t, unix.AF_INET, unix.SOCK_STREAM, 0), sockaddr4(unix.AF_INET, 18090, lo))
		}, want: `{"syscall":"bind","access":["bind_tcp"],"port":18090}` + "\n"},
		{name: "bind IPv6", call: func(t *testing.T, d string) *sysCall {
			return sockCall(unix.SYS_BIND, socket(t, unix.AF_INET6, unix.SOCK_STREAM, unix.IPPROTO_TCP), sockaddr6(0))
		}, want: `{"syscall":"bind","access":["bind_tcp"],"port":0}` + "\n"},
		{name: "bind AF_UNSPEC INADDR_ANY on an IPv4 socket is AF_INET", call: func(t *testing.T, d string) *sysCall {
			return sockCall(unix.SYS_BIND, socket(t, unix.AF_INET, unix.SOCK_STREAM, 0), sockaddr4(unix.AF_UNSPEC, 0, [4]byte{}))
		}, want: `{"syscall":"bind","access":["bind_tcp"],"port":0}` + "\n"},
		{name: "bind an IPv4 address to an IPv6 socket fails", call: func(t *testing.T, d string) *sysCall {
			return sockCall(unix.SYS_BIND, socket(t, unix.AF_INET6, unix.SOCK_STREAM, 0), sockaddr4(unix.AF_INET, 0, lo))
		}},
		{name: "bind with a short address is EINVAL", call: func(t *testing.T, d string) *sysCall {
			return sockCall(unix.SYS_BIND, socket(t, unix.AF_INET, unix.SOCK_STREAM, 0), sockaddr4(unix.AF_INET, 0, lo)[:8])
		}},
		{name: "UDP is not restricted", free: true, call: func(t *testing.T, d string) *sysCall {
			return sockCall(unix.SYS_BIND, socket(t, unix.AF_INET, unix.SOCK_DGRAM, 0), sockaddr4(unix.AF_INET, 0, lo))
		}},
		{name: "connect(AF_UNSPEC) disconnects, unchecked", free: true, call: func(t *testing.T, d string) *sysCall {
			return sockCall(unix.SYS_CONNECT, socket(t, unix.AF_INET, unix.SOCK_STREAM, 0), sockaddr4(unix.AF_UNSPEC, 0, [4]byte{}))
		}},
		{name: "MPTCP is a warning", call: func(t *testing.T, d string) *sysCall {
			return sockCall(unix.SYS_BIND, socket(t, unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_MPTCP), sockaddr4(unix.AF_INET, 0, lo))
		}, want: `{"syscall":"bind","warning":"bind: port 0 on an MPTCP socket, which Landlock does not restrict on this kernel (erratum 1); create the socket with IPPROTO_TCP (Go: net.Dialer/ListenConfig.SetMultipathTCP(false)) to have it sandboxed"}` + "\n"},
		{name: "bind a pathname unix socket", call: func(t *testing.T, d string) *sysCall {
			return sockCall(unix.SYS_BIND, socket(t, unix.AF_UNIX, unix.SOCK_STREAM, 0), sockaddrUnix(d+"/s", false))
		}, want: `{"syscall":"bind","path":"$D","type":"dir","access":["make_sock"],"created":true,"dst":"$D/s"}` + "\n"},
		{name: "bind an existing unix path is EADDRINUSE", setup: hasFile, call: func(t *testing.T, d string) *sysCall {
			return sockCall(unix.SYS_BIND, socket(t, unix.AF_UNIX, unix.SOCK_STREAM, 0), sockaddrUnix(d+"/f", false))
		}},
		{name: "bind an abstract unix socket", free: true, call: func(t *testing.T, d string) *sysCall {
			return sockCall(unix.SYS_BIND, socket(t, unix.AF_UNIX, unix.SOCK_STREAM, 0), sockaddrUnix("landlearn-test-"+filepath.Base(d), true))
		}},
		{name: "connect a pathname unix socket (ABI 9 resolve_unix)", free: true, call: func(t *testing.T, d string) *sysCall {
			srv := socket(t, unix.AF_UNIX, unix.SOCK_STREAM, 0)
			if err := unix.Bind(int(srv), &unix.SockaddrUnix{Name: d + "/srv"}); err != nil {
				t.Fatal(err)
			}
			unix.Listen(int(srv), 1)
			return sockCall(unix.SYS_CONNECT, socket(t, unix.AF_UNIX, unix.SOCK_STREAM, 0), sockaddrUnix(d+"/srv", false))
		}},
		{name: "connect to an abstract socket of the tree", free: true, noKernel: notTree, call: func(t *testing.T, d string) *sysCall {
			name := "landlearn-in-" + strconv.Itoa(os.Getpid())
			srv := abstractServer(t, name)
			t.Cleanup(func() { unix.Close(srv) })
			return sockCall(unix.SYS_CONNECT, socket(t, unix.AF_UNIX, unix.SOCK_STREAM, 0), sockaddrUnix(name, true))
		}},
		{name: "connect to an abstract socket served outside", call: func(t *testing.T, d string) *sysCall {
			name := d + "/srv" // unique: the kernel check serves it again
			// Only the outsider holds the server once this copy is closed.
			f := os.NewFile(uintptr(abstractServer(t, name)), "srv")
			outsider(t, f)
			f.Close()
			return sockCall(unix.SYS_CONNECT, socket(t, unix.AF_UNIX, unix.SOCK_STREAM, 0), sockaddrUnix(name, true))
		}, want: `{"syscall":"connect","scope":"abstract_unix_socket","target":"@$D/srv"}` + "\n"},
		{name: "connect to a missing abstract socket is ECONNREFUSED", call: func(t *testing.T, d string) *sysCall {
			return sockCall(unix.SYS_CONNECT, socket(t, unix.AF_UNIX, unix.SOCK_STREAM, 0), sockaddrUnix("landlearn-none", true))
		}},
	}
	runRows(t, rows)
	t.Run("connect IPv4", func(t *testing.T) {
		// The listener is the test's own, on a port bind(0) picked: the
		// right comes with a warning that the port is this run's.
		port := tcpListener(t)
		c := sockCall(unix.SYS_CONNECT, socket(t, unix.AF_INET, unix.SOCK_STREAM, 0), sockaddr4(unix.AF_INET, port, lo))
		want := `{"syscall":"connect","access":["connect_tcp"],"port":` + strconv.Itoa(int(port)) + `}` + "\n" +
			`{"syscall":"connect","warning":"` + learn.OwnEphemeralWarning + `"}` + "\n"
		// The second time, from the run's set of the tree's listeners.
		own := &listenerSet{}
		for range 2 {
			if g := render(prepareCall(c, &selfTracee{own: own}).Finish(nil), ""); g != want {
				t.Fatalf("got %s want %s", g, want)
			}
			if len(own.inodes) != 1 {
				t.Fatalf("the run's listeners: %v, want the test's one", own.inodes)
			}
		}
		if _, errno := realSyscall(c, nil); errno != 0 {
			t.Fatalf("real connect: %v", errno)
		}
		// The same port on another host is not the program's server.
		remote := sockCall(unix.SYS_CONNECT, socket(t, unix.AF_INET, unix.SOCK_STREAM, 0), sockaddr4(unix.AF_INET, port, [4]byte{192, 0, 2, 1}))
		if g := render(prepareCall(remote, &selfTracee{}).Finish(nil), ""); g != `{"syscall":"connect","access":["connect_tcp"],"port":`+strconv.Itoa(int(port))+`}`+"\n" {
			t.Errorf("connect to 192.0.2.1: got %s", g)
		}
		// Accurate mode keeps a refused connect (the program asked for
		// the port), not one that failed before the hook.
		if got := prepareCall(c, &selfTracee{}).Finish(&callResult{Ret: -int64(unix.ECONNREFUSED)}); len(got) != 2 || got[0].Port == nil {
			t.Errorf("a refused connect lost its right: %v", got)
		}
		if got := prepareCall(c, &selfTracee{}).Finish(&callResult{Ret: -int64(unix.EBADF)}); len(got) != 0 {
			t.Errorf("a connect on a bad fd kept its right: %v", got)
		}
	})
}

// TestMappingConnectOutsideListener: a connect to an ephemeral port
// that a process outside the tree listens on, or to a port outside the
// ephemeral range, is a plain connect_tcp, without the warning.
func TestMappingConnectOutsideListener(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "listener") // closed once the outsider has it
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 8); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(sa.(*unix.SockaddrInet4).Port)
	if !learn.EphemeralPort(port) {
		t.Fatalf("bind(0) gave port %d, outside ip_local_port_range", port)
	}
	outsider(t, f)
	f.Close() // only the outsider holds it now
	lo := [4]byte{127, 0, 0, 1}
	for _, p := range []uint16{port, 8080} {
		c := sockCall(unix.SYS_CONNECT, socket(t, unix.AF_INET, unix.SOCK_STREAM, 0), sockaddr4(unix.AF_INET, p, lo))
		got := prepareCall(c, &selfTracee{}).Finish(nil)
		want := `{"syscall":"connect","access":["connect_tcp"],"port":` + strconv.Itoa(int(p)) + `}` + "\n"
		if g := render(got, ""); g != want {
			t.Errorf("port %d: got %s want %s", p, g, want)
		}
	}
}

// notTree: the check domain is one thread of the test, not the traced
// tree, so a socket the test created is outside it.
const notTree = "the restricted thread is not the tree: the test's own socket is outside its domain"

// abstractServer listens on an abstract unix socket in this process;
// the caller closes it.
func abstractServer(t *testing.T, name string) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: "@" + name}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 8); err != nil {
		t.Fatal(err)
	}
	return fd
}

// outsider starts a process outside the traced tree (a sleep that
// holds extra, if set) and returns its pid; it is killed at cleanup.
func outsider(t *testing.T, extra *os.File) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if extra != nil {
		cmd.ExtraFiles = []*os.File{extra}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// TestMappingSocketcallI386 maps i386 socketcall(2): the arguments are
// 32-bit values in memory below 4 GiB.
func TestMappingSocketcallI386(t *testing.T) {
	low, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_32BIT)
	if err != nil {
		testkit.Skip(t, "no MAP_32BIT memory: %v", err)
	}
	defer unix.Munmap(low)
	base := uint64(uintptr(unsafe.Pointer(&low[0])))
	fd := socket(t, unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_TCP)
	copy(low[64:], sockaddr4(unix.AF_INET, 8080, [4]byte{127, 0, 0, 1}))
	binary.LittleEndian.PutUint32(low[0:], uint32(fd))
	binary.LittleEndian.PutUint32(low[4:], uint32(base+64))
	binary.LittleEndian.PutUint32(low[8:], 16)
	c := &sysCall{Seq: 1, PID: os.Getpid(), TID: unix.Gettid(), Arch: abiI386, Nr: 102, Args: [6]uint64{sysConnect, base}}
	got := prepareCall(c, &selfTracee{}).Finish(nil)
	if g := render(got, ""); g != `{"syscall":"connect","access":["connect_tcp"],"port":8080}`+"\n" {
		t.Fatalf("got %s", g)
	}
	c.Args[0] = 1 // SYS_SOCKET
	if p := prepareCall(c, &selfTracee{}); p != nil {
		t.Fatalf("socketcall(SYS_SOCKET) gave %v", p.Finish(nil))
	}
	// i386 bind(2) itself, with the upper halves of the registers dirty.
	c = &sysCall{Seq: 1, PID: os.Getpid(), TID: unix.Gettid(), Arch: abiI386, Nr: 361,
		Args: [6]uint64{fd | 0xdead_0000_0000, base + 64 | 0xbeef_0000_0000, 16}}
	if g := render(prepareCall(c, &selfTracee{}).Finish(nil), ""); g != `{"syscall":"bind","access":["bind_tcp"],"port":8080}`+"\n" {
		t.Fatalf("i386 bind: %s", g)
	}
}
