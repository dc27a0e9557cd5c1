package trace

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/policy"
)

// TestMappingProcOfOutsider: some /proc/PID entries of a process outside
// the tree are ptrace-mode accesses that Landlock refuses whatever the
// policy: the open keeps its right and gets a warning. The kernel is the
// oracle: each entry is opened and read by a sandboxed thread that may
// read all of /proc, and the warning must appear exactly when that fails.
func TestMappingProcOfOutsider(t *testing.T) {
	testkit.RequireLandlock(t, abiForCheck)
	pid := outsider(t, nil).Process.Pid
	p := strconv.Itoa(pid)
	readAll := []grant{{path: "/proc", access: rReadFile | rReadDir}}
	for _, e := range []string{"mem", "environ", "auxv", "maps", "smaps", "smaps_rollup", "numa_maps",
		"pagemap", "stack", "syscall", "fd", "fd/0", "fdinfo", "fdinfo/0", "map_files", "personality",
		"io", "wchan", "cwd", "root", "exe", "ns", "ns/net", "status", "cmdline", "stat", "timers",
		"task/" + p + "/environ", "task/" + p + "/fd/1", "task/" + p + "/stack"} {
		path := "/proc/" + p + "/" + e
		c := call(unix.SYS_OPENAT, atFDCWD, cstr(path), unix.O_RDONLY|unix.O_CLOEXEC)
		denied := restrictedDo(t, readAll, 0, func() unix.Errno {
			fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				return err.(unix.Errno)
			}
			defer unix.Close(fd)
			buf := make([]byte, 4096)
			if _, err := unix.Read(fd, buf); err == unix.EISDIR {
				_, err = unix.Getdents(fd, buf)
				return errnoOf(err)
			} else {
				return errnoOf(err)
			}
		}) != 0
		got := prepareCall(c, &selfTracee{}).Finish(nil)
		var warned bool
		for _, o := range got {
			if o.Warning != "" {
				warned = true
				if !strings.Contains(o.Warning, "/proc/"+p+" (sleep), a process outside the traced tree") {
					t.Errorf("%s: warning %q", e, o.Warning)
				}
			}
		}
		if warned != denied {
			t.Errorf("/proc/PID/%s: warned %v, but the sandboxed kernel denies: %v (%s)", e, warned, denied, g(got, ""))
		}
	}
	// The caller's own entries and a tree member's are no outsider's.
	for _, tr := range []*selfTracee{{}, {inTree: map[int]bool{pid: true}}} {
		for _, path := range []string{"/proc/self/mem", "/proc/" + strconv.Itoa(os.Getpid()) + "/fdinfo/0", "/proc/" + p + "/mem"} {
			if tr.inTree == nil && strings.Contains(path, "/"+p+"/") {
				continue
			}
			got := prepareCall(call(unix.SYS_OPENAT, atFDCWD, cstr(path), unix.O_RDONLY), tr).Finish(nil)
			for _, o := range got {
				if o.Warning != "" {
					t.Errorf("%s: %s", path, o.Warning)
				}
			}
		}
	}
}

func errnoOf(err error) unix.Errno {
	if err == nil {
		return 0
	}
	if e, ok := err.(unix.Errno); ok {
		return e
	}
	return unix.EIO
}

// TestKernelDeniesWarnedCalls asks the kernel that the calls the mapping
// only warns about really fail under a domain, whatever it grants.
func TestKernelDeniesWarnedCalls(t *testing.T) {
	testkit.RequireLandlock(t, abiForCheck)
	pid := outsider(t, nil).Process.Pid
	all := []grant{{path: "/", access: policy.AllFS(abiForCheck)}}
	buf := make([]byte, 8)
	for name, do := range map[string]func() unix.Errno{
		"process_vm_readv": func() unix.Errno {
			_, err := unix.ProcessVMReadv(pid, []unix.Iovec{{Base: &buf[0], Len: 8}}, []unix.RemoteIovec{{Base: 0x400000, Len: 8}}, 0)
			return errnoOf(err)
		},
		"ptrace(PTRACE_SEIZE)": func() unix.Errno {
			return errnoOf(unix.PtraceSeize(pid))
		},
		"pidfd_getfd": func() unix.Errno {
			pfd, err := unix.PidfdOpen(pid, 0)
			if err != nil {
				return errnoOf(err)
			}
			defer unix.Close(pfd)
			fd, err := unix.PidfdGetfd(pfd, 1, 0)
			if err == nil {
				unix.Close(fd)
			}
			return errnoOf(err)
		},
		"mount": func() unix.Errno {
			return errnoOf(unix.Mount("none", t.TempDir(), "tmpfs", 0, ""))
		},
	} {
		if errno := restrictedDo(t, all, 0, do); errno != unix.EPERM {
			t.Errorf("%s under a domain that grants every fs right: %v, want EPERM", name, errno)
		}
	}
}
