package trace

import (
	"encoding/binary"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/testkit"
)

// Rows the restricted-thread check cannot judge by the call's result.
const (
	dropped      = "the call succeeds; Landlock drops the signal to the outsider silently"
	openedBefore = "the fd is opened before the check domain exists, so Landlock allows it"
)

func scopeSignal(name string, target int) string {
	return `{"syscall":"` + name + `","scope":"signal","target":` + strconv.Itoa(target) + "}\n"
}

func TestMappingSignal(t *testing.T) {
	out := outsider(t, nil)
	pid := out.Process.Pid
	grp := exec.Command("sleep", "60")
	grp.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := grp.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { grp.Process.Kill(); grp.Wait() })
	pgid := grp.Process.Pid
	self := os.Getpid()
	const gone = 1 << 30 // beyond pid_max: ESRCH
	pidfd := func(t *testing.T, p int) uint64 {
		fd, err := unix.PidfdOpen(p, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		return uint64(fd)
	}
	owner := func(typ, p int) uint64 {
		var b [8]byte
		binary.LittleEndian.PutUint32(b[0:], uint32(typ))
		binary.LittleEndian.PutUint32(b[4:], uint32(int32(p)))
		return mem(b[:])
	}
	fileFD := func(t *testing.T) uint64 {
		f, err := os.CreateTemp(t.TempDir(), "o")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return uint64(f.Fd())
	}
	neg := func(v int) uint64 { return uint64(uint32(int32(v))) }
	rows := []row{
		{name: "kill an outsider, signal 0", call: at(unix.SYS_KILL, n(uint64(pid)), n(0)), want: scopeSignal("kill", pid)},
		{name: "kill itself", free: true, call: at(unix.SYS_KILL, n(uint64(self)), n(0))},
		{name: "kill a process that does not exist", call: at(unix.SYS_KILL, n(gone), n(0))},
		{name: "kill with a bad signal is EINVAL", call: at(unix.SYS_KILL, n(uint64(pid)), n(99))},
		{name: "kill a process group with outsiders", call: at(unix.SYS_KILL, n(neg(-pgid)), n(0)), want: scopeSignal("kill", -pgid)},
		{name: "kill(0) reaches the caller's group, outsiders included", noKernel: dropped, call: at(unix.SYS_KILL, n(0), n(0)), want: scopeSignal("kill", 0)},
		{name: "kill(-1) reaches everyone", noReal: true, call: at(unix.SYS_KILL, n(neg(-1)), n(0)), want: scopeSignal("kill", -1)},
		{name: "tkill an outsider's thread", call: at(unix.SYS_TKILL, n(uint64(pid)), n(0)), want: scopeSignal("tkill", pid)},
		{name: "tgkill an outsider", call: at(unix.SYS_TGKILL, n(uint64(pid)), n(uint64(pid)), n(0)), want: scopeSignal("tgkill", pid)},
		{name: "tgkill one of its own threads", free: true, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_TGKILL, uint64(self), uint64(unix.Gettid()), 0)
		}},
		{name: "rt_sigqueueinfo an outsider", noReal: true, call: at(unix.SYS_RT_SIGQUEUEINFO, n(uint64(pid)), n(0), n(0)), want: scopeSignal("rt_sigqueueinfo", pid)},
		{name: "rt_tgsigqueueinfo an outsider", noReal: true, call: at(unix.SYS_RT_TGSIGQUEUEINFO, n(uint64(pid)), n(uint64(pid)), n(0), n(0)), want: scopeSignal("rt_tgsigqueueinfo", pid)},
		{name: "pidfd_send_signal to an outsider", call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_PIDFD_SEND_SIGNAL, pidfd(t, pid), 0, 0, 0)
		}, want: scopeSignal("pidfd_send_signal", pid)},
		{name: "pidfd_send_signal to itself", free: true, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_PIDFD_SEND_SIGNAL, pidfd(t, self), 0, 0, 0)
		}},
		{name: "F_SETOWN an outsider", noKernel: dropped, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_FCNTL, fileFD(t), unix.F_SETOWN, uint64(pid))
		}, want: scopeSignal("fcntl", pid)},
		{name: "F_SETOWN itself", free: true, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_FCNTL, fileFD(t), unix.F_SETOWN, uint64(self))
		}},
		{name: "F_SETOWN a group with outsiders", noKernel: dropped, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_FCNTL, fileFD(t), unix.F_SETOWN, neg(-pgid))
		}, want: scopeSignal("fcntl", -pgid)},
		{name: "F_SETOWN_EX F_OWNER_PID an outsider", noKernel: dropped, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_FCNTL, fileFD(t), unix.F_SETOWN_EX, owner(fOwnerPID, pid))
		}, want: scopeSignal("fcntl", pid)},
		{name: "F_SETOWN_EX F_OWNER_TID its own thread", free: true, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_FCNTL, fileFD(t), unix.F_SETOWN_EX, owner(fOwnerTID, unix.Gettid()))
		}},
		{name: "F_GETFL is not a signal", free: true, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_FCNTL, fileFD(t), unix.F_GETFL, 0)
		}},
	}
	runRows(t, rows)

	// A process of the tree is no outsider, whatever its pid.
	tr := &selfTracee{inTree: map[int]bool{pid: true}}
	if p := prepareCall(call(unix.SYS_KILL, uint64(pid), 15), tr); p != nil {
		t.Errorf("kill of a tree member gave %v", p.Finish(nil))
	}
	// EPERM by credentials comes before the hook: nothing needed.
	needRoot(t)
	if p := prepareCall(call(unix.SYS_KILL, uint64(pid), 0), &selfTracee{creds: &[2]int{4242, 4242}}); p != nil {
		t.Errorf("kill of another user's process gave %v", p.Finish(nil))
	}
}

func TestMappingWarnings(t *testing.T) {
	pid := outsider(t, nil).Process.Pid
	comm := "sleep"
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pidfd)
	warn := func(name, msg string) string {
		return `{"syscall":"` + name + `","warning":"` + name + ": " + msg + `"}` + "\n"
	}
	outside := func(verb string) string {
		return verb + " pid " + strconv.Itoa(pid) + " (" + comm + "), outside the traced tree: denied (EPERM) under any Landlock domain"
	}
	rows := []row{
		{name: "io_uring_setup", noReal: true, call: at(unix.SYS_IO_URING_SETUP, n(8), n(0)),
			want: warn("io_uring_setup", "io_uring: accesses through it are not traced; the learned policy may miss them (check with `landlearn verify`)")},
		{name: "mount", noReal: true, call: at(unix.SYS_MOUNT, s("none"), s("/mnt"), s("tmpfs"), n(0), n(0)),
			want: warn("mount", "mount on /mnt: denied (EPERM) under any Landlock domain that handles filesystem rights; no policy can allow it")},
		{name: "umount2", noReal: true, call: at(unix.SYS_UMOUNT2, s("/mnt"), n(0)),
			want: warn("umount2", "umount2 of /mnt: denied (EPERM) under any Landlock domain that handles filesystem rights; no policy can allow it")},
		{name: "pivot_root", noReal: true, call: at(unix.SYS_PIVOT_ROOT, s("."), s(".")),
			want: warn("pivot_root", "pivot_root: denied (EPERM) under any Landlock domain that handles filesystem rights; no policy can allow it")},
		{name: "move_mount", noReal: true, call: at(unix.SYS_MOVE_MOUNT, n(0), s(""), n(0), s("/mnt"), n(0)),
			want: warn("move_mount", "move_mount: denied (EPERM) under any Landlock domain that handles filesystem rights; no policy can allow it")},
		{name: "ptrace attach to an outsider", noReal: true, call: at(unix.SYS_PTRACE, n(unix.PTRACE_ATTACH), n(uint64(pid))),
			want: warn("ptrace", outside("attach to"))},
		{name: "ptrace seize of an outsider", noReal: true, call: at(unix.SYS_PTRACE, n(unix.PTRACE_SEIZE), n(uint64(pid))),
			want: warn("ptrace", outside("attach to"))},
		{name: "PTRACE_TRACEME needs nothing", noReal: true, call: at(unix.SYS_PTRACE, n(unix.PTRACE_TRACEME))},
		{name: "process_vm_readv of an outsider", noReal: true, call: at(unix.SYS_PROCESS_VM_READV, n(uint64(pid))),
			want: warn("process_vm_readv", outside("access the memory of"))},
		{name: "process_vm_writev of itself", noReal: true, call: at(unix.SYS_PROCESS_VM_WRITEV, n(uint64(os.Getpid())))},
		{name: "pidfd_getfd of an outsider", noReal: true, call: at(unix.SYS_PIDFD_GETFD, n(uint64(pidfd)), n(0), n(0)),
			want: warn("pidfd_getfd", outside("take a file descriptor of"))},
	}
	runRows(t, rows)

	// Accurate mode: a mount that failed (no privilege) is no warning.
	p := prepareCall(call(unix.SYS_MOUNT, cstr("none"), cstr("/mnt"), cstr("tmpfs")), &selfTracee{})
	if got := p.Finish(&callResult{Ret: -int64(unix.EPERM)}); len(got) != 0 {
		t.Errorf("a failed mount warned: %v", got)
	}
}

func TestMappingIoctl(t *testing.T) {
	open := func(t *testing.T, p string, flags int) uint64 {
		fd, err := unix.Open(p, flags|unix.O_CLOEXEC, 0)
		if err != nil {
			testkit.Skip(t, "%s: %v", p, err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		return uint64(fd)
	}
	const fionread = 0x541b
	rows := []row{
		{name: "TCGETS on a terminal", noKernel: openedBefore, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_IOCTL, open(t, "/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY), unix.TCGETS, mem(make([]byte, 64)))
		}, want: `{"syscall":"ioctl","path":"/dev/ptmx","type":"char","access":["ioctl_dev"]}` + "\n"},
		// The driver's ENOTTY comes after Landlock's hook, which denies
		// (and logs) it first without ioctl_dev.
		{name: "TCGETS on /dev/null", noReal: true, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_IOCTL, open(t, "/dev/null", unix.O_RDONLY), unix.TCGETS, mem(make([]byte, 64)))
		}, want: `{"syscall":"ioctl","path":"/dev/null","type":"char","access":["ioctl_dev"]}` + "\n"},
		{name: "another command on /dev/null", noReal: true, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_IOCTL, open(t, "/dev/null", unix.O_RDONLY), fionread, mem(make([]byte, 8)))
		}, want: `{"syscall":"ioctl","path":"/dev/null","type":"char","access":["ioctl_dev"]}` + "\n"},
		{name: "FIOCLEX is always allowed", free: true, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_IOCTL, open(t, "/dev/null", unix.O_RDONLY), 0x5451) // FIOCLEX
		}},
		{name: "FIONREAD on a regular file", free: true, setup: hasFile, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_IOCTL, open(t, d+"/f", unix.O_RDONLY), fionread, mem(make([]byte, 8)))
		}},
		{name: "FIONREAD on a pipe", free: true, call: func(t *testing.T, d string) *sysCall {
			var p [2]int
			unix.Pipe2(p[:], unix.O_CLOEXEC)
			t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
			return call(unix.SYS_IOCTL, uint64(p[0]), fionread, mem(make([]byte, 8)))
		}},
	}
	runRows(t, rows)
}

// TestMappingPtyPeer: TIOCGPTPEER on a pty master makes the kernel open
// the peer, which Landlock checks as an open. The predicted peer must
// be the file the kernel opens (its fd's path), and the rights those of
// the flags.
func TestMappingPtyPeer(t *testing.T) {
	master, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		testkit.Skip(t, "no /dev/ptmx: %v", err)
	}
	defer unix.Close(master)
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	for _, tt := range []struct {
		flags  int
		access string
	}{{unix.O_RDWR, `"write_file","read_file"`}, {unix.O_RDONLY, `"read_file"`}, {unix.O_WRONLY, `"write_file"`}} {
		c := call(unix.SYS_IOCTL, uint64(master), tiocgptpeer, uint64(tt.flags|unix.O_NOCTTY|unix.O_CLOEXEC))
		ret, errno := realSyscall(c, nil)
		if errno != 0 {
			t.Fatalf("TIOCGPTPEER: %v", errno)
		}
		peer, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(ret)))
		unix.Close(int(ret))
		if err != nil {
			t.Fatal(err)
		}
		got := render(prepareCall(c, &selfTracee{}).Finish(nil), "")
		want := `{"syscall":"ioctl","path":"/dev/ptmx","type":"char","access":["ioctl_dev"]}` + "\n" +
			`{"syscall":"ioctl","path":"` + peer + `","type":"char","access":[` + tt.access + `]}` + "\n"
		if got != want {
			t.Errorf("flags %#o: got\n%swant\n%s", tt.flags, got, want)
		}
	}
}

// TestMappingPtyPeerFailed: in accurate mode a TIOCGPTPEER that fails
// after the ioctl hook (here EIO: the pty is still locked) keeps the
// master's ioctl_dev and loses the peer it did not open.
func TestMappingPtyPeerFailed(t *testing.T) {
	master, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		testkit.Skip(t, "no /dev/ptmx: %v", err)
	}
	defer unix.Close(master)
	c := call(unix.SYS_IOCTL, uint64(master), tiocgptpeer, uint64(unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC))
	_, errno := realSyscall(c, nil)
	if errno == 0 {
		t.Fatal("TIOCGPTPEER on a locked pty succeeded")
	}
	got := render(prepareCall(c, &selfTracee{}).Finish(&callResult{Ret: -int64(errno)}), "")
	if want := `{"syscall":"ioctl","path":"/dev/ptmx","type":"char","access":["ioctl_dev"]}` + "\n"; got != want {
		t.Errorf("after %v: got\n%swant\n%s", errno, got, want)
	}
}

// TestHeldByTracer: an fd the learner handed to the target (opened
// before the sandbox) is told apart from one the target opened itself,
// even on the same device.
func TestHeldByTracer(t *testing.T) {
	tty, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		testkit.Skip(t, "no /dev/ptmx: %v", err)
	}
	defer tty.Close()
	cmd := exec.Command("sleep", "60")
	cmd.Stdin = tty
	cmd.ExtraFiles = []*os.File{tty}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	pid := cmd.Process.Pid
	if !heldByTracer(pid, 0) || !heldByTracer(pid, 3) {
		t.Error("the tracer's own tty, inherited by the target, was not recognised")
	}
	if heldByTracer(pid, 1) {
		t.Error("the target's /dev/null (opened by exec.Cmd, closed since) counted as the tracer's")
	}
}
