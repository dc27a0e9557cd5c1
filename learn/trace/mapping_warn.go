package trace

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Operations Landlock never allows to a sandboxed program, or cannot
// see: no right makes them work, so they become warning lines for the
// person reviewing the policy.

// prepIoUring warns once per io_uring_setup: operations submitted
// through the ring are checked by Landlock but never pass through the
// traced syscalls, so the learned policy can miss them.
func prepIoUring(m *mapper) *outcome {
	return m.warn("io_uring: accesses through it are not traced; the learned policy may miss them (check with `landlearn verify`)")
}

// prepMount warns about mount, umount, move_mount and pivot_root: EPERM
// under any domain that handles a filesystem right.
func prepMount(m *mapper) *outcome {
	what := m.e.name
	if m.e.name == "mount" || m.e.name == "umount2" || m.e.name == "umount" {
		if s, ok := m.str(arg1); ok && m.e.name == "mount" && s != "" {
			what += " on " + s
		} else if s, ok := m.str(arg0); ok && m.e.name != "mount" {
			what += " of " + s
		}
	}
	return m.warn(what + ": denied (EPERM) under any Landlock domain that handles filesystem rights; no policy can allow it")
}

// ptrace requests that take a new tracee; the others work only on one
// already attached, checked at attach time.
const (
	ptraceAttach = 16
	ptraceSeize  = 0x4206
)

// prepPtrace warns when the caller attaches to a process outside the
// tree: Landlock allows ptrace only into the same or a nested domain.
// PTRACE_TRACEME lets the parent trace the caller, which Landlock allows
// from an ancestor domain, so it needs nothing.
func prepPtrace(m *mapper) *outcome {
	if req := m.intArg(arg0); req != ptraceAttach && req != ptraceSeize {
		return nil
	}
	return m.outsider(m.intArg(arg1), "attach to")
}

// prepProcessVM warns about process_vm_readv/writev of an outsider.
func prepProcessVM(m *mapper) *outcome {
	return m.outsider(m.intArg(arg0), "access the memory of")
}

// prepPidfdGetfd warns about taking an outsider's fd.
func prepPidfdGetfd(m *mapper) *outcome {
	pid, ok := pidfdPid(m.c.PID, m.intArg(arg0))
	if !ok {
		return nil
	}
	return m.outsider(pid, "take a file descriptor of")
}

// outsider warns when pid (a thread or process) is an existing process
// outside the traced tree.
func (m *mapper) outsider(pid int, verb string) *outcome {
	st, ok := m.outside(pid)
	if !ok {
		return nil
	}
	return m.warn(fmt.Sprintf("%s pid %d (%s), outside the traced tree: denied (EPERM) under any Landlock domain", verb, st.tgid, comm(st.tgid)))
}

// outside returns the status of pid (a thread or process) when it is an
// existing process outside the traced tree. The tree is walked once: a
// thread's parent is its process's.
func (m *mapper) outside(pid int) (status, bool) {
	if pid <= 0 || pid == m.c.PID || m.t.InTree(pid) {
		return status{}, false
	}
	st, ok := procStatus(pid)
	if !ok || st.tgid == m.c.PID || st.tgid != pid && m.t.InTree(st.tgid) {
		return status{}, false
	}
	return st, true
}

func comm(pid int) string {
	b, _ := readSmall("/proc/" + strconv.Itoa(pid) + "/comm")
	return strings.TrimSpace(string(b))
}

func readSmall(p string) ([]byte, error) {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	b := make([]byte, 256)
	n, err := unix.Read(fd, b)
	if n < 0 {
		n = 0
	}
	return b[:n], err
}

// withProcWarning adds a warning to an open or exec whose path went
// through a ptrace-protected /proc/PID entry (mem, fdinfo, stack, the
// fd/N, cwd, root and exe links...; see ptraceProc) of a process outside
// the tree: Landlock denies that to a sandboxed program whatever the
// policy grants.
func (m *mapper) withProcWarning(o *outcome) *outcome {
	pid := m.procPID
	if o == nil || pid == 0 {
		return o
	}
	st, ok := m.outside(pid)
	if !ok {
		return o
	}
	w := m.obs()
	w.Warning = fmt.Sprintf("%s: reads /proc/%d (%s), a process outside the traced tree: ptrace-mode access, denied (EACCES) under any Landlock domain", m.e.name, pid, comm(st.tgid))
	o.obs = append(o.obs, w)
	return o
}
