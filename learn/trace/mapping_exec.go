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
// A binary of no format the tracer knows is taken as handled by a
// binfmt_misc entry when any is registered (its interpreter is not
// followed: entries with the F flag need nothing, others are a known
// gap), else the call fails with ENOEXEC and needs nothing.
func prepExec(m *mapper) *outcome {
	p, ok := m.str(m.e.args.path)
	if !ok {
		return nil
	}
	flags := m.flags()
	var n node
	if p == "" && flags&unix.AT_EMPTY_PATH != 0 {
		n = m.fdNode(m.dirfd(m.e.args.dirfd))
	} else {
		n = m.resolve(m.dirfd(m.e.args.dirfd), p, flags&unix.AT_SYMLINK_NOFOLLOW == 0)
	}
	binProc := m.procPID
	o := m.execChain(n)
	m.procPID = binProc
	return m.withProcWarning(o)
}

// execChain follows what the kernel opens to exec n: n itself, then its
// `#!` interpreters, then the ELF interpreter.
func (m *mapper) execChain(n node) *outcome {
	var obs []obsT
	for depth := 0; ; depth++ {
		if depth > maxInterpDepth {
			return nil // ELOOP
		}
		if !m.executable(&n) {
			return nil
		}
		if !n.noPath {
			o := m.fsObs(n.path, learn.TypeFile, rExecute|rReadFile)
			obs = append(obs, o)
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
				return nil
			}
			n = m.resolve(unix.AT_FDCWD, interp, true)
			continue
		}
		if isELF(head) {
			interp, err := elfInterp(f)
			f.Close()
			if err != nil {
				return nil
			}
			if interp == "" {
				return m.succeed(obs...)
			}
			in := m.resolve(unix.AT_FDCWD, interp, true)
			if !m.executable(&in) {
				return nil
			}
			obs = append(obs, m.fsObs(in.path, learn.TypeFile, rExecute|rReadFile))
			return m.succeed(obs...)
		}
		f.Close()
		if binfmtMisc() {
			return m.succeed(obs...)
		}
		return nil // ENOEXEC
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

// binfmtMisc reports whether any binfmt_misc entry is registered (and
// the facility enabled), so that an unknown format may still run.
func binfmtMisc() bool {
	ents, err := os.ReadDir("/proc/sys/fs/binfmt_misc")
	if err != nil {
		return false
	}
	if b, err := readProc("/proc/sys/fs/binfmt_misc/status"); err == nil && string(b) == "disabled\n" {
		return false
	}
	for _, e := range ents {
		if e.Name() != "register" && e.Name() != "status" {
			return true
		}
	}
	return false
}
