package trace

import (
	"os"

	"github.com/landlearn/landlearn/learn"
	"golang.org/x/sys/unix"
)

// prepExec maps execve, execveat and fexecve (execveat with
// AT_EMPTY_PATH): execute + read_file on the binary and on every
// interpreter the kernel opens inside the call, `#!` lines (up to the
// kernel's depth) and the ELF PT_INTERP, each resolved like the kernel's
// open_exec (relative to the cwd, symlinks followed: /lib64 →
// usr/lib64). Libraries that ld.so opens later are ordinary opens.
//
// A binary of no format the tracer knows needs its own rights either
// way: a binfmt_misc entry may run it (its interpreter is not followed:
// entries with the F flag need nothing, others are a known gap), or the
// call fails with ENOEXEC after the open.
//
// A call that fails after the kernel opened a file of the chain still
// needs the rights on every file it opened: Landlock checks each open
// (execute and read_file) before the format is looked at. A shell runs
// a script without `#!` itself when execve says ENOEXEC; under a policy
// without execute on it, execve says EACCES and the shell gives up.
// Only the failures before a file's open (missing, not executable, not
// a regular file, noexec: may_open) mean it needs nothing.
func prepExec(m *mapper) *outcome {
	p, ok := m.str(m.e.args.path)
	if !ok {
		return nil
	}
	flags := m.flags()
	var n node
	byFD := p == "" && flags&unix.AT_EMPTY_PATH != 0
	if byFD {
		n = m.fdNode(m.dirfd(m.e.args.dirfd))
	} else {
		n = m.resolve(m.dirfd(m.e.args.dirfd), p, flags&unix.AT_SYMLINK_NOFOLLOW == 0)
	}
	binProc := m.procPID
	o := m.execChain(n)
	m.procPID = binProc
	if o != nil {
		bin := 1 // observations of the binary itself: none for a memfd
		if n.noPath {
			bin = 0
		}
		if flags&atExecveCheck != 0 {
			// Only checks that the binary could be run (Linux 6.14): no
			// interpreter is opened.
			if o.obs = o.obs[:bin]; bin == 0 {
				return m.withProcWarning(nil)
			}
		}
		o.onErr = func(e unix.Errno, obs []obsT) []obsT { return execFailed(e, obs, bin, byFD) }
	}
	return m.withProcWarning(o)
}

// atExecveCheck is AT_EXECVE_CHECK (include/uapi/linux/fcntl.h).
const atExecveCheck = 0x10000

// execFailed is what a failed exec keeps of the predicted chain
// (accurate mode). The failures the prediction models (an interpreter
// missing, not executable or not ELF, ENOEXEC, ELOOP) come after the
// opens it predicted. The binary alone is opened before the arguments
// are counted and copied (E2BIG, EFAULT), ETXTBSY, or the ENOENT of an
// fexecve (byFD) of a script whose fd is close-on-exec (its interpreter
// cannot read it, and is not opened): those keep only it (bin is 1, or
// 0 for a memfd). Bad flags (EINVAL) and RLIMIT_NPROC (EAGAIN) come
// before any open.
func execFailed(e unix.Errno, obs []obsT, bin int, byFD bool) []obsT {
	switch {
	case e == unix.ENOENT && byFD:
	case e == unix.ENOENT, e == unix.EACCES, e == unix.EIO, e == unix.ENOEXEC, e == unix.ELOOP, e == unix.ELIBBAD:
		return obs
	case e == unix.EINVAL, e == unix.EAGAIN:
		return nil
	}
	return obs[:min(bin, len(obs))]
}

// execChain follows what the kernel opens to exec n: n itself, then its
// `#!` interpreters, then the ELF interpreter.
//
// Every return gives the files opened so far: a failure after the first
// open (a missing interpreter, ELOOP, ENOEXEC) still needs their rights
// (see prepExec).
func (m *mapper) execChain(n node) *outcome {
	var obs []obsT
	for depth := 0; ; depth++ {
		if !m.executable(&n) {
			return m.succeed(obs...) // its open fails before the hook
		}
		if !n.noPath {
			o := m.fsObs(n.path, learn.TypeFile, rExecute|rReadFile)
			obs = append(obs, o)
		}
		if depth > maxInterpDepth {
			return m.succeed(obs...) // ELOOP, once the last one is open
		}
		head, f := readHead(&n)
		if f == nil {
			// Unreadable to the tracer (mode --x for another user): the
			// binary is all that can be told.
			return m.succeed(obs...)
		}
		interp, script, err := shebang(head)
		if script {
			f.Close()
			if err != nil {
				return m.succeed(obs...) // ENOEXEC
			}
			n = m.resolve(unix.AT_FDCWD, interp, true)
			continue
		}
		if isELF(head) {
			interp, err := elfInterp(f)
			f.Close()
			if err == nil && interp != "" {
				if in := m.resolve(unix.AT_FDCWD, interp, true); m.executable(&in) {
					obs = append(obs, m.fsObs(in.path, learn.TypeFile, rExecute|rReadFile))
				}
			}
			return m.succeed(obs...)
		}
		f.Close()
		return m.succeed(obs...) // binfmt_misc, or ENOEXEC
	}
}

// executable predicts do_open_execat's checks, which come before
// Landlock's: a regular file, on a mount without noexec, that the caller
// may execute.
func (m *mapper) executable(n *node) bool {
	if n.err != 0 || !n.exists || n.mode() != unix.S_IFREG {
		return false
	}
	if !n.noPath && noExec(n.path) {
		return false
	}
	return m.may(&n.st, mayExec)
}

// readHead opens the node for reading (through its /proc link when it
// has one) and reads the bytes the kernel looks at. The caller closes f.
func readHead(n *node) ([]byte, *os.File) {
	p := n.path
	if n.fd != "" {
		p = n.fd
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, nil
	}
	head := make([]byte, binprmBufSize)
	k, _ := f.ReadAt(head, 0)
	return head[:k], f
}
