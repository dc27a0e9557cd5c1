package trace

import (
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/learn"
)

// testMapping is a small mapping for the mechanism's own tests, so they
// test interception, the process tree and the keeper whatever the real
// table says: every open/openat becomes a read_file observation on the
// path as given (made absolute with the dirfd), execve an execute.
func testMapping() *mapping {
	return &mapping{
		prepare: testPrepare,
		syscalls: func(a syscallABI) []uint32 {
			if a == abiI386 {
				return []uint32{5, 11, 295, 54, 55, 221} // open, execve, openat, ioctl, fcntl, fcntl64
			}
			return []uint32{unix.SYS_OPEN, unix.SYS_OPENAT, unix.SYS_EXECVE, unix.SYS_IOCTL, unix.SYS_FCNTL}
		},
		ioctls: []uint32{0x5451}, // FIOCLEX
	}
}

// testPending records what it saw at entry; in accurate mode a failed
// call gives nothing, and an open's real fd path goes into Dst.
type testPending []learn.Observation

func (p testPending) Finish(r *callResult) []learn.Observation {
	if r == nil {
		return p
	}
	if r.Ret < 0 {
		return nil
	}
	out := append([]learn.Observation(nil), p...)
	out[0].Dst = r.FDPath
	return out
}

func testPrepare(c *sysCall, t tracee) prepared {
	var dirfd int
	var addr uint64
	name := ""
	access := rReadFile
	switch {
	case c.Arch == abiX86_64 && c.Nr == unix.SYS_OPEN, c.Arch == abiI386 && c.Nr == 5:
		dirfd, addr, name = unix.AT_FDCWD, c.Args[0], "open"
	case c.Arch == abiX86_64 && c.Nr == unix.SYS_OPENAT, c.Arch == abiI386 && c.Nr == 295:
		dirfd, addr, name = int(int32(c.Args[0])), c.Args[1], "openat"
	case c.Arch == abiX86_64 && c.Nr == unix.SYS_EXECVE, c.Arch == abiI386 && c.Nr == 11:
		dirfd, addr, name, access = unix.AT_FDCWD, c.Args[0], "execve", rExecute
	case c.Arch == abiX86_64 && c.Nr == unix.SYS_IOCTL, c.Arch == abiI386 && c.Nr == 54:
		return testPending{{Seq: c.Seq, Syscall: "ioctl", PID: c.PID, Warning: "ioctl"}}
	case c.Arch == abiX86_64 && c.Nr == unix.SYS_FCNTL, c.Arch == abiI386 && (c.Nr == 55 || c.Nr == 221):
		return testPending{{Seq: c.Seq, Syscall: "fcntl", PID: c.PID, Warning: "fcntl"}}
	default:
		return nil
	}
	p, err := t.ReadString(addr)
	if err != nil {
		return nil
	}
	if !filepath.IsAbs(p) {
		d, err := t.FDPath(dirfd)
		if err != nil {
			return nil
		}
		p = filepath.Join(d, p)
	}
	return testPending{{Seq: c.Seq, Syscall: name, PID: c.PID, Exe: t.Exe(), Path: p, Type: "file", FS: access}}
}
