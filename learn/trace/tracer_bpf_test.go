package trace

import (
	"testing"

	"golang.org/x/sys/unix"
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
	_, err := buildFilter(filterSpec{Syscalls: map[Arch][]uint32{ArchX86_64: nrs}, Stop: unix.SECCOMP_RET_TRACE})
	if err == nil {
		t.Fatal("no error for a 400-syscall list")
	}
}
