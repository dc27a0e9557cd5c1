package enforce_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/internal/command"
	"github.com/landlearn/landlearn/policy"
)

// The test binary plays three more parts, chosen by the environment:
// Command's helper (MaybeHelper), a probe that does one syscall per
// operation and prints the errno (probeEnv), and a program that calls
// enforce.Exec on its arguments (execEnv). Tests run them as
// subprocesses, so the test process itself is never restricted.
const (
	probeEnv   = "ENFORCE_TEST_PROBE"
	execEnv    = "ENFORCE_TEST_EXEC_POLICY"
	exampleEnv = "ENFORCE_TEST_EXAMPLE"
	threadsEnv = "ENFORCE_TEST_THREADS_POLICY"
)

func TestMain(m *testing.M) {
	enforce.MaybeHelper()
	if f := os.Getenv(execEnv); f != "" {
		os.Exit(execMain(f, os.Args[1:]))
	}
	if os.Getenv(probeEnv) != "" {
		os.Exit(probe(os.Args[1:]))
	}
	if f := os.Getenv(threadsEnv); f != "" {
		os.Exit(threadsMain(f, os.Args[1]))
	}
	flag.Parse()
	if os.Getenv(exampleEnv) == "" {
		// Examples that restrict the process run in a child: see
		// TestExamplesInSubprocess.
		skip := "^ExampleRestrict$"
		if s := flag.Lookup("test.skip").Value.String(); s != "" {
			skip = s + "|" + skip
		}
		flag.Set("test.skip", skip)
	}
	os.Exit(m.Run())
}

// execMain is the child that calls enforce.Exec, as `landlearn run` does.
func execMain(file string, argv []string) int {
	os.Unsetenv(execEnv)
	p, err := policy.LoadFile(file)
	if err == nil {
		err = enforce.Exec(p, argv, nil, enforce.Options{})
	}
	fmt.Fprintf(os.Stderr, "exec child: %v\n", err)
	return enforce.ExitStatus(err)
}

// probe runs operations given as words (op and its arguments) and prints
// one line per operation: "op ok" or "op ERRNO".
func probe(args []string) int {
	arity := map[string]int{"read": 1, "write": 1, "trunc": 1, "create": 1, "readdir": 1,
		"rename": 2, "connect": 1, "bind": 1, "mptcp-connect": 1, "kill": 1, "pid": 0, "ioctl": 1, "abstract": 1}
	for len(args) > 0 {
		op := args[0]
		n, ok := arity[op]
		if !ok || len(args) < 1+n {
			fmt.Printf("bad probe %q\n", args)
			return 3
		}
		a := args[1 : 1+n]
		args = args[1+n:]
		var err error
		switch op {
		case "read":
			err = openClose(a[0], unix.O_RDONLY)
		case "readdir":
			err = openClose(a[0], unix.O_RDONLY|unix.O_DIRECTORY)
		case "write":
			err = openClose(a[0], unix.O_WRONLY)
		case "trunc":
			err = openClose(a[0], unix.O_WRONLY|unix.O_TRUNC)
		case "create":
			err = openClose(a[0], unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL)
		case "rename":
			err = unix.Rename(a[0], a[1])
		case "connect", "bind":
			err = tcp(op, a[0], unix.IPPROTO_TCP)
		case "mptcp-connect":
			err = tcp("connect", a[0], unix.IPPROTO_MPTCP)
		case "ioctl":
			err = ioctlTCGETS(a[0])
		case "abstract":
			err = connectAbstract(a[0])
		case "kill":
			pid, _ := strconv.Atoi(a[0])
			err = unix.Kill(pid, 0)
		case "pid":
			fmt.Printf("pid %d\n", os.Getpid())
			continue
		}
		fmt.Printf("%s %s\n", op, errnoName(err))
	}
	return 0
}

// ioctlTCGETS opens path and asks it isatty(3)'s question.
func ioctlTCGETS(path string) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	_, err = unix.IoctlGetTermios(fd, unix.TCGETS)
	return err
}

// connectAbstract connects a stream socket to the abstract unix socket
// name (without the leading NUL).
func connectAbstract(name string) error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.Connect(fd, &unix.SockaddrUnix{Name: "@" + name})
}

func openClose(path string, flags int) error {
	fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0o600)
	if err == nil {
		unix.Close(fd)
	}
	return err
}

// tcp binds or connects a stream socket of protocol proto (IPPROTO_TCP,
// or IPPROTO_MPTCP, which Landlock does not restrict on kernels with
// erratum 1 fixed) on 127.0.0.1.
func tcp(op, port string, proto int) error {
	p, _ := strconv.Atoi(port)
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	sa := &unix.SockaddrInet4{Port: p, Addr: [4]byte{127, 0, 0, 1}}
	if op == "bind" {
		return unix.Bind(fd, sa)
	}
	return unix.Connect(fd, sa)
}

func errnoName(err error) string {
	if err == nil {
		return "ok"
	}
	var en syscall.Errno
	if errors.As(err, &en) {
		return unix.ErrnoName(en)
	}
	return err.Error()
}

// writePolicy writes a policy file in t's temporary directory.
func writePolicy(t *testing.T, yaml string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(f, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func loadPolicy(t *testing.T, yaml string) *policy.Policy {
	t.Helper()
	p, err := policy.LoadFile(writePolicy(t, yaml))
	if err != nil {
		t.Fatalf("load policy: %v\n%s", err, yaml)
	}
	return p
}

// runtimeRules are the fs rules a program needs to start: the binaries
// and libraries under /usr (lib and lib64 are symlinks into it here, and
// optional elsewhere), ld.so's cache, and the test binary itself.
func runtimeRules(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`  - path: /usr
    access: [execute, read_file, read_dir]
  - path: /lib
    access: [execute, read_file, read_dir]
    optional: true
  - path: /lib64
    access: [execute, read_file, read_dir]
    optional: true
  - path: /etc/ld.so.cache
    access: [read_file]
    optional: true
  - path: %s
    access: [execute, read_file]
`, self)
}

// runProbe runs the probe operations under p through enforce.Command and
// returns its output lines.
func runProbe(t *testing.T, p *policy.Policy, ops ...string) []string {
	t.Helper()
	self, _ := os.Executable()
	var stderr bytes.Buffer
	cmd, err := enforce.Command(p, append([]string{self}, ops...), enforce.Options{Stderr: &stderr})
	if err != nil {
		t.Fatalf("enforce.Command: %v", err)
	}
	cmd.Env = append(os.Environ(), probeEnv+"=1")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("probe %v: %v\n%s", ops, err, stderr.String())
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

func wantLines(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("probe printed\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// listenTCP listens on a loopback port with plain TCP, not MPTCP.
func listenTCP(t *testing.T) (net.Listener, int) {
	t.Helper()
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	l, err := lc.Listen(t.Context(), "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, l.Addr().(*net.TCPAddr).Port
}

// exitStatus runs cmd and returns how it ended, failing on start errors.
func exitStatus(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%v: %v", cmd.Args, err)
	}
	return command.ExitCode(cmd.ProcessState)
}

func itoa(i int) string { return strconv.Itoa(i) }
