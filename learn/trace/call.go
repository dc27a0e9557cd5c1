package trace

import "github.com/landlearn/landlearn/learn"

// syscallABI is the system call ABI a call was made with. The filter checks it:
// i386 numbers differ from x86_64's, and x32 is refused.
type syscallABI int

const (
	abiX86_64 syscallABI = iota
	abiI386
)

// sysCall is one intercepted system call, seen while the calling thread is
// stopped in it (seccomp user notification or ptrace syscall-enter).
type sysCall struct {
	Seq  uint64 // the call's sequence number in this run
	PID  int    // thread group id of the caller
	TID  int    // the calling thread
	Arch syscallABI
	Nr   int // the syscall number in Arch's table
	Args [6]uint64
}

// tracee is what the syscall→rights mapping may ask of the stopped
// caller. The mechanism (seccomp notify or ptrace) implements it; the
// answers are only valid while the call is blocked.
type tracee interface {
	// ReadString reads a NUL-terminated string (at most 4096 bytes).
	ReadString(addr uint64) (string, error)
	// ReadMem fills b from the caller's memory at addr.
	ReadMem(addr uint64, b []byte) error
	// FDPath is the path of the caller's fd, as /proc/TID/fd/N shows it;
	// AT_FDCWD gives the working directory.
	FDPath(fd int) (string, error)
	// Root is the caller's root directory (/proc/TID/root), usually "/".
	Root() (string, error)
	// Exe is the caller's executable (/proc/PID/exe).
	Exe() string
	// Creds are the caller's fsuid, fsgid and supplementary groups, to
	// predict permission failures that come before Landlock's hook.
	Creds() (uid, gid int, groups []int, err error)
	// InTree reports whether pid belongs to the traced process tree.
	InTree(pid int) bool
}

// callResult is what the accurate (ptrace) mode sees at syscall exit.
type callResult struct {
	Ret int64 // the return value, -errno on failure
	// FDPath is the real path of the fd an open returned, "" otherwise.
	FDPath string
}

// A prepared call has been looked at on entry: paths resolved, the
// targets' prior state taken (lstat). Finish turns it into observations.
type prepared interface {
	// Finish returns the call's observations. r is nil in the default
	// mode (the result is predicted) and set in accurate mode.
	Finish(r *callResult) []learn.Observation
}
