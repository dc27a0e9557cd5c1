package trace

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/testkit"
)

// runFilter must decide as the kernel does on the program buildFilter
// makes (the kernel side is TestFilterArchesAndArguments).
func TestRunFilterDecisions(t *testing.T) {
	r := runner{m: defaultMapping()}
	prog, err := r.filterFor(ModePtrace)
	if err != nil {
		t.Fatal(err)
	}
	const (
		x86   = unix.AUDIT_ARCH_X86_64
		i386  = unix.AUDIT_ARCH_I386
		stop  = unix.SECCOMP_RET_TRACE
		allow = unix.SECCOMP_RET_ALLOW
	)
	for _, c := range []struct {
		name string
		arch uint32
		nr   int32
		args [6]uint64
		want uint32
	}{
		{"openat", x86, unix.SYS_OPENAT, [6]uint64{}, stop},
		{"getpid", x86, unix.SYS_GETPID, [6]uint64{}, allow},
		{"newfstatat", x86, unix.SYS_NEWFSTATAT, [6]uint64{}, allow},
		{"ioctl FIOCLEX", x86, unix.SYS_IOCTL, [6]uint64{0, 0x5451}, allow},
		{"ioctl TCGETS", x86, unix.SYS_IOCTL, [6]uint64{0, 0x5401}, stop},
		{"ioctl TCGETS, garbage in the high word", x86, unix.SYS_IOCTL, [6]uint64{0, 0xdead00005401}, stop},
		{"fcntl F_SETFD", x86, unix.SYS_FCNTL, [6]uint64{0, unix.F_SETFD}, allow},
		{"fcntl F_SETOWN", x86, unix.SYS_FCNTL, [6]uint64{0, unix.F_SETOWN}, stop},
		{"fcntl F_SETOWN_EX", x86, unix.SYS_FCNTL, [6]uint64{0, unix.F_SETOWN_EX}, stop},
		{"i386 openat", i386, 295, [6]uint64{}, stop},
		{"i386 getpid", i386, 20, [6]uint64{}, allow},
		{"i386 ioctl FIOCLEX", i386, 54, [6]uint64{0, 0x5451}, allow},
		{"i386 fcntl64 F_SETOWN", i386, 221, [6]uint64{0, unix.F_SETOWN}, stop},
		{"x32 openat", x86, unix.SYS_OPENAT | x32SyscallBit, [6]uint64{}, unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)},
	} {
		d := seccompData{Nr: c.nr, Arch: c.arch, Args: c.args}
		if got := runFilter(prog, &d); got != c.want {
			t.Errorf("%s: filter says %#x, want %#x", c.name, got, c.want)
		}
	}
}

// A program whose jumps do not fit classic BPF's 8 bits is refused,
// not miscompiled.
func TestBuildFilterRefusesLongJumps(t *testing.T) {
	var nrs []uint32
	for nr := range uint32(400) {
		nrs = append(nrs, 1000+nr)
	}
	_, err := buildFilter(filterSpec{Syscalls: map[syscallABI][]uint32{abiX86_64: nrs}, Stop: unix.SECCOMP_RET_TRACE})
	if err == nil {
		t.Fatal("no error for a 400-syscall list")
	}
}

// TestFloorFilterMatches keeps bench/floor.c, which measures what the
// filter alone costs, stopping exactly the calls landlearn stops.
func TestFloorFilterMatches(t *testing.T) {
	src, err := os.ReadFile("../../bench/floor.c")
	if err != nil {
		t.Fatal(err)
	}
	array := func(name string) []uint32 {
		t.Helper()
		m := regexp.MustCompile(`(?s)` + name + `\[\] = \{(.*?)\};`).FindSubmatch(src)
		if m == nil {
			t.Fatalf("bench/floor.c has no array %s", name)
		}
		var out []uint32
		for _, f := range strings.Split(string(m[1]), ",") {
			v, err := strconv.ParseUint(strings.TrimSpace(f), 0, 32)
			if err != nil {
				t.Fatalf("bench/floor.c %s: %v", name, err)
			}
			out = append(out, uint32(v))
		}
		return out
	}
	if got, want := array("stopped"), filterSyscalls(abiX86_64); !slices.Equal(got, want) {
		t.Errorf("bench/floor.c stops %v, landlearn stops %v on x86_64", got, want)
	}
	if got, want := array("allowed_ioctls"), alwaysAllowedIoctls; !slices.Equal(got, want) {
		t.Errorf("bench/floor.c lets ioctls %#x through, landlearn %#x", got, want)
	}
}

// TestFloorRuns builds bench/floor.c and runs a shell under it in each
// way bench/floor.sh uses: the exit status is the shell's, and its open
// of /etc/hostname was stopped (the filter assembled right).
func TestFloorRuns(t *testing.T) {
	gcc := testkit.RequireProgram(t, "gcc")
	requireTracing(t)
	bin := filepath.Join(t.TempDir(), "floor")
	if out, err := exec.Command(gcc, "-O2", "-o", bin, "../../bench/floor.c", "-lpthread").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	for _, flags := range [][]string{{"-r", "1", "-s"}, {"-r", "2"}, {"-r", "2", "-s"}, {"-r", "2", "-p"}, {"-r", "2", "-p", "-s"}} {
		args := append(append([]string{"-c"}, flags...), "sh", "-c", "cat /etc/hostname >/dev/null; exit 3")
		cmd := exec.Command(bin, args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
			t.Errorf("floor %v: %v, want exit status 3\n%s", flags, err, stderr.String())
		}
		var n int
		if _, err := fmt.Sscanf(stderr.String(), "floor: %d calls stopped", &n); err != nil || n < 2 {
			t.Errorf("floor %v: %q, want at least the execve of cat and its open of /etc/hostname stopped", flags, stderr.String())
		}
	}
}
