package trace

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/testkit"
)

// The syscalls the filter must stop: those whose success can need a
// Landlock right, and a few for warnings (docs/design.md, "The tracer").
var designSyscalls = []string{
	"open", "openat", "openat2", "creat", "execve", "execveat",
	"mkdir", "mkdirat", "mknod", "mknodat", "symlink", "symlinkat",
	"link", "linkat", "unlink", "unlinkat", "rmdir",
	"rename", "renameat", "renameat2", "truncate", "ftruncate", "ioctl",
	"bind", "connect", "fcntl", "kill", "tkill", "tgkill",
	"pidfd_send_signal", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "io_uring_setup",
	"mount", "umount2", "move_mount", "pivot_root", "ptrace",
	"process_vm_readv", "process_vm_writev", "pidfd_getfd", "open_by_handle_at",
	// For the thread cache (tracee.go), not for a right.
	"setuid", "setgid", "setreuid", "setregid", "setgroups", "setresuid", "setresgid", "setfsuid", "setfsgid",
}

// i386 adds its own spellings (see the syscallTable comment).
var i386Only = []string{"socketcall", "truncate64", "ftruncate64", "fcntl64", "umount",
	"setuid32", "setgid32", "setreuid32", "setregid32", "setgroups32", "setresuid32", "setresgid32", "setfsuid32", "setfsgid32"}

func names(a syscallABI) []string {
	var out []string
	for _, nr := range filterSyscalls(a) {
		out = append(out, syscallName(a, int(nr)))
	}
	slices.Sort(out)
	return out
}

func TestFilterSyscallsIsDesignList(t *testing.T) {
	want := slices.Clone(designSyscalls)
	slices.Sort(want)
	if got := names(abiX86_64); !slices.Equal(got, want) {
		t.Errorf("x86_64 filter:\n got %v\nwant %v", got, want)
	}
	want32 := append(slices.Clone(designSyscalls), i386Only...)
	slices.Sort(want32)
	if got := names(abiI386); !slices.Equal(got, want32) {
		t.Errorf("i386 filter:\n got %v\nwant %v", got, want32)
	}
	if filterSyscalls(syscallABI(9)) != nil {
		t.Error("an unknown arch has a filter")
	}
}

// TestFilterSyscallsNumbers checks the x86_64 numbers against x/sys and
// that nothing that only reads metadata is stopped.
func TestFilterSyscallsNumbers(t *testing.T) {
	x86 := map[string]int{
		"open": unix.SYS_OPEN, "openat": unix.SYS_OPENAT, "openat2": unix.SYS_OPENAT2, "creat": unix.SYS_CREAT,
		"execve": unix.SYS_EXECVE, "execveat": unix.SYS_EXECVEAT, "mkdir": unix.SYS_MKDIR, "mkdirat": unix.SYS_MKDIRAT,
		"mknod": unix.SYS_MKNOD, "mknodat": unix.SYS_MKNODAT, "symlink": unix.SYS_SYMLINK, "symlinkat": unix.SYS_SYMLINKAT,
		"link": unix.SYS_LINK, "linkat": unix.SYS_LINKAT, "unlink": unix.SYS_UNLINK, "unlinkat": unix.SYS_UNLINKAT,
		"rmdir": unix.SYS_RMDIR, "rename": unix.SYS_RENAME, "renameat": unix.SYS_RENAMEAT, "renameat2": unix.SYS_RENAMEAT2,
		"truncate": unix.SYS_TRUNCATE, "ftruncate": unix.SYS_FTRUNCATE, "ioctl": unix.SYS_IOCTL, "bind": unix.SYS_BIND,
		"connect": unix.SYS_CONNECT, "fcntl": unix.SYS_FCNTL, "kill": unix.SYS_KILL, "tkill": unix.SYS_TKILL,
		"tgkill": unix.SYS_TGKILL, "pidfd_send_signal": unix.SYS_PIDFD_SEND_SIGNAL,
		"rt_sigqueueinfo": unix.SYS_RT_SIGQUEUEINFO, "rt_tgsigqueueinfo": unix.SYS_RT_TGSIGQUEUEINFO,
		"io_uring_setup": unix.SYS_IO_URING_SETUP, "mount": unix.SYS_MOUNT, "umount2": unix.SYS_UMOUNT2,
		"move_mount": unix.SYS_MOVE_MOUNT, "pivot_root": unix.SYS_PIVOT_ROOT, "ptrace": unix.SYS_PTRACE,
		"process_vm_readv": unix.SYS_PROCESS_VM_READV, "process_vm_writev": unix.SYS_PROCESS_VM_WRITEV,
		"pidfd_getfd": unix.SYS_PIDFD_GETFD, "open_by_handle_at": unix.SYS_OPEN_BY_HANDLE_AT,
		"setuid": unix.SYS_SETUID, "setgid": unix.SYS_SETGID, "setreuid": unix.SYS_SETREUID, "setregid": unix.SYS_SETREGID,
		"setgroups": unix.SYS_SETGROUPS, "setresuid": unix.SYS_SETRESUID, "setresgid": unix.SYS_SETRESGID,
		"setfsuid": unix.SYS_SETFSUID, "setfsgid": unix.SYS_SETFSGID,
	}
	for name, nr := range x86 {
		if got := syscallName(abiX86_64, nr); got != name {
			t.Errorf("x86_64 %d is %q, want %q", nr, got, name)
		}
	}
	// i386 numbers from arch/x86/entry/syscalls/syscall_32.tbl.
	i386 := map[string]int{
		"open": 5, "creat": 8, "link": 9, "unlink": 10, "execve": 11, "mknod": 14, "mount": 21, "umount": 22,
		"ptrace": 26, "kill": 37, "rename": 38, "mkdir": 39, "rmdir": 40, "umount2": 52, "ioctl": 54,
		"fcntl": 55, "symlink": 83, "truncate": 92, "ftruncate": 93, "socketcall": 102, "rt_sigqueueinfo": 178,
		"truncate64": 193, "ftruncate64": 194, "pivot_root": 217, "fcntl64": 221, "tkill": 238, "tgkill": 270,
		"openat": 295, "mkdirat": 296, "mknodat": 297, "unlinkat": 301, "renameat": 302, "linkat": 303,
		"symlinkat": 304, "rt_tgsigqueueinfo": 335, "open_by_handle_at": 342, "process_vm_readv": 347,
		"process_vm_writev": 348, "renameat2": 353, "execveat": 358, "bind": 361, "connect": 362,
		"pidfd_send_signal": 424, "io_uring_setup": 425, "move_mount": 429, "openat2": 437, "pidfd_getfd": 438,
		"setuid": 23, "setgid": 46, "setreuid": 70, "setregid": 71, "setgroups": 81, "setfsuid": 138, "setfsgid": 139,
		"setresuid": 164, "setresgid": 170, "setreuid32": 203, "setregid32": 204, "setgroups32": 206,
		"setresuid32": 208, "setresgid32": 210, "setuid32": 213, "setgid32": 214, "setfsuid32": 215, "setfsgid32": 216,
	}
	for name, nr := range i386 {
		if got := syscallName(abiI386, nr); got != name {
			t.Errorf("i386 %d is %q, want %q", nr, got, name)
		}
	}
	for _, nr := range []int{unix.SYS_STAT, unix.SYS_LSTAT, unix.SYS_NEWFSTATAT, unix.SYS_FSTAT, unix.SYS_STATX,
		unix.SYS_READLINK, unix.SYS_READLINKAT, unix.SYS_ACCESS, unix.SYS_FACCESSAT, unix.SYS_FACCESSAT2,
		unix.SYS_CHDIR, unix.SYS_FCHDIR, unix.SYS_GETDENTS64, unix.SYS_READ, unix.SYS_WRITE, unix.SYS_CLOSE} {
		if slices.Contains(filterSyscalls(abiX86_64), uint32(nr)) {
			t.Errorf("the filter stops %s (%d), which Landlock does not restrict", syscallName(abiX86_64, nr), nr)
		}
	}
	if syscallName(abiX86_64, unix.SYS_READ) != "syscall_0" {
		t.Errorf("unknown syscalls are named %q", syscallName(abiX86_64, unix.SYS_READ))
	}
	if prepareCall(call(unix.SYS_READ, 0, 0, 0), &selfTracee{}) != nil {
		t.Error("a syscall outside the table was prepared")
	}
}

// TestAlwaysAllowedIoctls checks the values against the kernel headers
// of this machine, compiled with gcc, for the commands they define.
func TestAlwaysAllowedIoctls(t *testing.T) {
	gcc := testkit.RequireProgram(t, "gcc")
	d := t.TempDir()
	names := []string{"FIOCLEX", "FIONCLEX", "FIONBIO", "FIOASYNC", "FIOQSIZE", "FIFREEZE", "FITHAW",
		"FS_IOC_FIEMAP", "FIGETBSZ", "FICLONE", "FICLONERANGE", "FIDEDUPERANGE", "FS_IOC_GETFSUUID", "FS_IOC_GETFSSYSFSPATH"}
	src := "#include <stdio.h>\n#include <sys/ioctl.h>\n#include <linux/fs.h>\n#include <linux/fiemap.h>\nint main(void){\n"
	for _, n := range names {
		src += "#ifdef " + n + "\nprintf(\"" + n + " %u\\n\", (unsigned)" + n + ");\n#else\nprintf(\"" + n + " -\\n\");\n#endif\n"
	}
	src += "return 0;}\n"
	if err := os.WriteFile(filepath.Join(d, "i.c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(gcc, "-o", filepath.Join(d, "i"), filepath.Join(d, "i.c")).CombinedOutput(); err != nil {
		testkit.Skip(t, "cannot compile against the kernel headers: %v\n%s", err, out)
	}
	out, err := exec.Command(filepath.Join(d, "i")).Output()
	if err != nil {
		t.Fatal(err)
	}
	if len(alwaysAllowedIoctls) != len(names) {
		t.Fatalf("%d always-allowed ioctls, the test names %d", len(alwaysAllowedIoctls), len(names))
	}
	checked := 0
	for i, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		if f[1] == "-" {
			t.Logf("%s: not in this machine's headers; %#x kept from the kernel source", f[0], alwaysAllowedIoctls[i])
			continue
		}
		v, _ := strconv.ParseUint(f[1], 10, 32)
		if uint32(v) != alwaysAllowedIoctls[i] {
			t.Errorf("%s = %#x in the headers, %#x in alwaysAllowedIoctls", f[0], v, alwaysAllowedIoctls[i])
		}
		checked++
	}
	if checked < 10 {
		t.Errorf("only %d values checked", checked)
	}
	// _IOR(0x15, 0/1, struct fsuuid2 / fs_sysfs_path): sizes 17 and 129.
	ior := func(typ, nr, size uint32) uint32 { return 2<<30 | size<<16 | typ<<8 | nr }
	if alwaysAllowedIoctls[12] != ior(0x15, 0, 17) || alwaysAllowedIoctls[13] != ior(0x15, 1, 129) {
		t.Error("FS_IOC_GETFSUUID or FS_IOC_GETFSSYSFSPATH is miscomputed")
	}
}

// TestPrepareReadFailures: a call whose arguments cannot be read (a bad
// pointer: EFAULT) needs nothing.
func TestPrepareReadFailures(t *testing.T) {
	for _, nr := range []int{unix.SYS_OPEN, unix.SYS_OPENAT, unix.SYS_MKDIR, unix.SYS_RENAME, unix.SYS_EXECVE, unix.SYS_BIND, unix.SYS_UNLINK} {
		c := call(nr, 8, 8, 8, 8, 8)
		if p := prepareCall(c, &selfTracee{}); p != nil {
			t.Errorf("%s with bad pointers gave %v", syscallName(abiX86_64, nr), p.Finish(nil))
		}
	}
}

// The filter's syscalls, by name: what a seccomp filter for the tracer
// stops on x86_64.
func TestFilterSyscallsByName(t *testing.T) {
	var out []string
	for _, nr := range filterSyscalls(abiX86_64)[:6] {
		out = append(out, syscallName(abiX86_64, int(nr))+"="+strconv.Itoa(int(nr)))
	}
	got := fmt.Sprint(strings.Join(out, " "), " ... ", len(filterSyscalls(abiX86_64)), " in all")
	if want := "open=2 ioctl=16 connect=42 bind=49 execve=59 kill=62 ... 51 in all"; got != want {
		t.Errorf("filterSyscalls(abiX86_64) = %s, want %s", got, want)
	}
}

// FuzzPrepare feeds every row of the table arbitrary arguments: small
// integers and pointers to fuzzed bytes. prepareCall runs in the tracer for
// any program, so it must never panic, whatever the call holds.
func FuzzPrepare(f *testing.F) {
	f.Add(uint8(1), int64(-100), []byte("/etc/passwd\x00"), int64(0), int64(0))
	f.Add(uint8(30), int64(3), []byte("\x02\x00\x1f\x90\x7f\x00\x00\x01"), int64(16), int64(0))
	f.Fuzz(func(t *testing.T, row uint8, a0 int64, b []byte, a2, a3 int64) {
		e := syscallTable[int(row)%len(syscallTable)]
		arch := abiX86_64
		if e.nr[arch] == none {
			arch = abiI386
		}
		p := mem(append(b, 0))
		c := &sysCall{Seq: 1, PID: os.Getpid(), TID: unix.Gettid(), Arch: arch, Nr: e.nr[arch],
			Args: [6]uint64{uint64(a0), p, uint64(a2), uint64(a3), p, uint64(a0)}}
		if pd := prepareCall(c, &selfTracee{}); pd != nil {
			pd.Finish(nil)
			pd.Finish(&callResult{Ret: -1})
			pd.Finish(&callResult{Ret: 3, FDPath: "/etc/passwd"})
		}
	})
}

// TestSyscallProps: the supervisors' columns agree with the rows'
// mappings. A row that maps an open returns a new fd; one that maps an
// exec drops the caller's facts; one that removes, renames, links or
// mounts can change what the directory cache holds; the rows stopped
// for no right change credentials.
func TestSyscallProps(t *testing.T) {
	ptr := func(f func(*mapper) *outcome) uintptr { return reflect.ValueOf(f).Pointer() }
	want := map[uintptr]sysProps{
		ptr(prepOpen): sysOpensFD, ptr(prepOpenat2): sysOpensFD,
		ptr(prepExec):   sysExecs,
		ptr(prepUnlink): sysChangesDirs, ptr(prepRename): sysChangesDirs, ptr(prepLink): sysChangesDirs,
		ptr(prepSymlink): sysChangesDirs, ptr(prepMount): sysChangesDirs,
		ptr(prepNothing): sysChangesCreds,
	}
	for _, e := range syscallTable {
		if got := e.props; got != want[ptr(e.prep)] {
			t.Errorf("%s: props %b, want %b", e.name, got, want[ptr(e.prep)])
		}
	}
}
