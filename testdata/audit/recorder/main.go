// Command recorder provokes one real Landlock denial of every kind, so
// that the audit records in testdata/audit come from this kernel rather
// than from documentation. See testdata/audit/README.md for how the logs
// were recorded.
//
//	recorder sandbox [-nested] -- CMD...   restrict itself (ABI 7, logging after exec) and exec CMD
//	recorder connect PORT                  connect a TCP socket to 127.0.0.1:PORT
//	recorder bind PORT | bind6 PORT        bind a TCP socket to PORT (IPv4, IPv6)
//	recorder abstract NAME                 connect to the abstract unix socket @NAME
//	recorder serve NAME                    listen on @NAME until killed (run it outside the sandbox)
//	recorder ioctl FILE                    TCGETS on FILE
//	recorder ptrace PID                    PTRACE_ATTACH to PID
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: recorder sandbox|connect|bind|bind6|abstract|serve|ioctl|ptrace ARGS"))
	}
	arg := ""
	if len(os.Args) > 2 {
		arg = os.Args[2]
	}
	var err error
	switch os.Args[1] {
	case "sandbox":
		err = sandbox(os.Args[2:])
	case "connect":
		err = tcp(unix.AF_INET, arg, false)
	case "bind":
		err = tcp(unix.AF_INET, arg, true)
	case "bind6":
		err = tcp(unix.AF_INET6, arg, true)
	case "abstract":
		err = abstract(arg, false)
	case "serve":
		err = abstract(arg, true)
	case "ioctl":
		err = ioctl(arg)
	case "ptrace":
		err = ptrace(arg)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "recorder:", err)
	os.Exit(1)
}

// sandbox grants what the scenario script needs to run and nothing of
// what it then tries: reading /etc, writing the ro tree, any TCP port,
// the scopes.
func sandbox(args []string) error {
	nested := len(args) > 0 && args[0] == "-nested"
	if nested {
		args = args[1:]
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return fmt.Errorf("sandbox: no command")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	rw := landlock.AccessFSSet(ll.AccessFSReadFile | ll.AccessFSWriteFile | ll.AccessFSReadDir |
		ll.AccessFSMakeReg | ll.AccessFSRemoveFile)
	rules := []landlock.Rule{
		landlock.RODirs("/usr", "/bin", "/lib", "/lib64", "/sbin", "/tmp/ll-rec/bin", "/proc"),
		landlock.ROFiles(self),
		landlock.ROFiles("/etc/ld.so.cache"),
		landlock.PathAccess(landlock.AccessFSSet(ll.AccessFSReadFile|ll.AccessFSWriteFile), "/dev/null"),
		landlock.PathAccess(landlock.AccessFSSet(ll.AccessFSReadFile|ll.AccessFSReadDir), "/tmp/ll-rec/ro", "/tmp/ll-rec/noexec"),
		landlock.PathAccess(rw, "/tmp/ll-rec/rw1", "/tmp/ll-rec/rw2"),
	}
	if nested {
		rules = []landlock.Rule{landlock.RODirs("/usr", "/bin", "/lib", "/lib64")}
	}
	cfg := landlock.V7.EnableLoggingForSubprocesses()
	if err := cfg.Restrict(rules...); err != nil {
		return fmt.Errorf("restrict: %w", err)
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		return err
	}
	return syscall.Exec(path, args, os.Environ())
}

func tcp(family int, port string, bind bool) error {
	p, err := strconv.Atoi(port)
	if err != nil {
		return err
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM, unix.IPPROTO_TCP)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var sa unix.Sockaddr = &unix.SockaddrInet4{Port: p, Addr: [4]byte{127, 0, 0, 1}}
	if family == unix.AF_INET6 {
		sa = &unix.SockaddrInet6{Port: p}
	}
	if bind {
		err = unix.Bind(fd, sa)
	} else {
		err = unix.Connect(fd, sa)
	}
	fmt.Printf("tcp %s %d: %v\n", map[bool]string{true: "bind", false: "connect"}[bind], p, err)
	return nil
}

func abstract(name string, serve bool) error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return err
	}
	sa := &unix.SockaddrUnix{Name: "@" + name}
	if serve {
		if err := unix.Bind(fd, sa); err != nil {
			return err
		}
		if err := unix.Listen(fd, 8); err != nil {
			return err
		}
		select {}
	}
	err = unix.Connect(fd, sa)
	fmt.Printf("abstract connect @%s: %v\n", name, err)
	return nil
}

func ioctl(file string) error {
	f, err := os.OpenFile(file, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	fmt.Printf("ioctl TCGETS %s: %v\n", file, err)
	return nil
}

func ptrace(pid string) error {
	p, err := strconv.Atoi(pid)
	if err != nil {
		return err
	}
	err = unix.PtraceAttach(p)
	fmt.Printf("ptrace attach %d: %v\n", p, err)
	if err == nil {
		_ = unix.PtraceDetach(p)
	}
	return nil
}
