package trace

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/learn"
	"golang.org/x/sys/unix"
)

// The mapping is pure logic over the tracee interface and the real
// filesystem, so its row tests trace the test process itself: selfTracee
// reads the test's own memory with process_vm_readv, as the mechanism
// reads a tracee's, and each row then makes the very syscall for real to
// check that the prediction (success or failure) is the kernel's.

// selfTracee is the tracee of the test process.
type selfTracee struct {
	// creds, when set, replace the real credentials (and the real
	// syscall runs with setfsuid/setfsgid to match).
	creds  *[2]int
	inTree map[int]bool
	root   string
	dirs   *dirCache    // nil: no directory cache
	own    *listenerSet // nil: no cache of the tree's listeners
}

func (s *selfTracee) dirCache() *dirCache        { return s.dirs }
func (s *selfTracee) ownListeners() *listenerSet { return s.own }

func (s *selfTracee) ReadMem(addr uint64, b []byte) error {
	n, err := unix.ProcessVMReadv(os.Getpid(),
		[]unix.Iovec{{Base: &b[0], Len: uint64(len(b))}},
		[]unix.RemoteIovec{{Base: uintptr(addr), Len: len(b)}}, 0)
	if err != nil {
		return err
	}
	if n != len(b) {
		return errors.New("short read")
	}
	return nil
}

func (s *selfTracee) ReadString(addr uint64) (string, error) {
	var out []byte
	for len(out) < 4096 {
		// Read up to the end of the page, which is mapped if addr is.
		chunk := make([]byte, 4096-(addr+uint64(len(out)))%4096)
		if err := s.ReadMem(addr+uint64(len(out)), chunk); err != nil {
			return "", err
		}
		if i := bytes.IndexByte(chunk, 0); i >= 0 {
			return string(append(out, chunk[:i]...)), nil
		}
		out = append(out, chunk...)
	}
	return "", errors.New("string too long")
}

func (s *selfTracee) FDPath(fd int) (string, error) {
	if fd == unix.AT_FDCWD {
		return os.Readlink("/proc/self/cwd")
	}
	return os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
}

func (s *selfTracee) Root() (string, error) {
	if s.root != "" {
		return s.root, nil
	}
	return "/", nil
}

func (s *selfTracee) Exe() string { return "/test/exe" }

func (s *selfTracee) Creds() (int, int, []int, error) {
	gs, _ := os.Getgroups()
	if s.creds != nil {
		return s.creds[0], s.creds[1], gs, nil
	}
	return os.Geteuid(), os.Getegid(), gs, nil
}

func (s *selfTracee) InTree(pid int) bool { return pid == os.Getpid() || s.inTree[pid] }

// pins keeps the memory that calls point into reachable (Go's heap does
// not move objects).
var (
	pinMu sync.Mutex
	pins  [][]byte
)

// cstr is a NUL-terminated copy of s, as a syscall argument.
func cstr(s string) uint64 { return mem(append([]byte(s), 0)) }

// mem is the address of a pinned copy of b.
func mem(b []byte) uint64 {
	pinMu.Lock()
	defer pinMu.Unlock()
	c := append([]byte(nil), b...)
	if len(c) == 0 {
		c = []byte{0}
	}
	pins = append(pins, c)
	return uint64(uintptr(unsafe.Pointer(&c[0])))
}

// call builds a sysCall of the test process.
func call(nr int, args ...uint64) *sysCall {
	c := &sysCall{Seq: 7, PID: os.Getpid(), TID: unix.Gettid(), Arch: abiX86_64, Nr: nr}
	copy(c.Args[:], args)
	return c
}

// render prints observations one per line, as the JSONL file has them,
// without seq/pid/exe and with dir replaced by $D, for exact comparison.
func render(obs []learn.Observation, dir string) string {
	var b strings.Builder
	for _, o := range obs {
		o.Seq, o.PID, o.Exe = 0, 0, ""
		j, _ := json.Marshal(o)
		s := strings.Replace(string(j), `"seq":0,`, "", 1)
		if dir != "" {
			s = strings.ReplaceAll(s, dir, "$D")
		}
		b.WriteString(s + "\n")
	}
	return b.String()
}

// row is one line of a mapping table test.
type row struct {
	name  string
	setup func(t *testing.T, d string) // prepares the directory
	call  func(t *testing.T, d string) *sysCall
	// want is the JSONL the call must give (no seq/pid/exe, $D for the
	// directory), "" for nothing.
	want string
	// noReal: do not make the syscall (exec, or effects on the test).
	noReal bool
	// free: the call succeeds and needs no right.
	free bool
	// noKernel says why the row cannot be checked against Landlock in a
	// restricted thread of the test (kernelCheck), "" when it can.
	noKernel string
	// creds, when set, run the row as this fsuid/fsgid.
	creds *[2]int
}

// start prepares a fresh directory (symlinks resolved, as the mapping
// reports paths) for the row and returns it with the row's call in it.
func (r row) start(t *testing.T) (string, *sysCall) {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if r.setup != nil {
		r.setup(t, d)
	}
	return d, r.call(t, d)
}

// runRows runs table rows: predicted observations (default mode), then
// the real syscall, whose success must match the prediction, then the
// accurate-mode observations from the real result.
func runRows(t *testing.T, rows []row) {
	t.Helper()
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			d, c := r.start(t)
			tr := &selfTracee{creds: r.creds}
			p := prepareCall(c, tr)
			var got []learn.Observation
			if p != nil {
				got = p.Finish(nil)
			}
			want := strings.ReplaceAll(r.want, "\t", "")
			if g := render(got, d); g != want {
				t.Fatalf("%s: observations\n got: %s\nwant: %s", syscallName(c.Arch, c.Nr), g, want)
			}
			for _, o := range got {
				if o.Seq != 7 || o.PID != os.Getpid() || o.Exe != "/test/exe" || o.Syscall != syscallName(c.Arch, c.Nr) && c.Arch == abiX86_64 {
					t.Errorf("observation header wrong: %+v", o)
				}
			}
			if r.noReal {
				return
			}
			ret, errno := realSyscall(c, r.creds)
			if (errno == 0) != (len(got) > 0 || r.free) {
				t.Fatalf("prediction %q but the kernel says ret=%d errno=%v", g(got, d), ret, errno)
			}
			res := &callResult{Ret: int64(ret)}
			if errno != 0 {
				res.Ret = -int64(errno)
			}
			var acc []learn.Observation
			if p != nil {
				acc = p.Finish(res)
			}
			if errno == 0 && render(acc, d) != want {
				t.Errorf("accurate mode: got %s", render(acc, d))
			}
			if errno == 0 && r.creds == nil && r.noKernel == "" {
				kernelCheck(t, r)
			}
		})
	}
}

func g(obs []learn.Observation, d string) string { return strings.TrimSpace(render(obs, d)) }

// realSyscall makes c's syscall in this process, as fsuid/fsgid creds
// when set (on a locked thread: fsuid is per thread), and closes a
// returned fd of an open.
func realSyscall(c *sysCall, creds *[2]int) (uintptr, unix.Errno) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if creds != nil {
		unix.Setfsgid(creds[1])
		unix.Setfsuid(creds[0])
		defer func() {
			unix.Setfsuid(0)
			unix.Setfsgid(0)
		}()
	}
	r, _, e := unix.Syscall6(uintptr(c.Nr), uintptr(c.Args[0]), uintptr(c.Args[1]), uintptr(c.Args[2]),
		uintptr(c.Args[3]), uintptr(c.Args[4]), uintptr(c.Args[5]))
	if e == 0 {
		switch syscallName(c.Arch, c.Nr) {
		case "open", "openat", "openat2", "creat":
			unix.Close(int(r))
		}
	}
	return r, e
}

// needRoot skips a test that needs root (mknod of devices, setfsuid).
func needRoot(t *testing.T) {
	t.Helper()
	testkit.RequireRoot(t, "mknod of devices and fsuid switching")
}

func writeFile(t *testing.T, p, s string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

// symlink makes a fixture symlink; a failure is a broken test setup.
func symlink(target, p string) {
	if err := os.Symlink(target, p); err != nil {
		panic(err)
	}
}

// dirfd opens d as a dirfd for the rest of the test.
func dirfd(t *testing.T, d string) uint64 {
	t.Helper()
	fd, err := unix.Open(d, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return uint64(fd)
}

// atFDCWD as a syscall argument (the kernel reads the low 32 bits).
var atFDCWD = func() uint64 { v := int32(unix.AT_FDCWD); return uint64(uint32(v)) }()
