package trace

import (
	"strings"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
	"golang.org/x/sys/unix"
)

// prepareCall looks at a call while it is blocked, before it runs, and
// returns what Finish will turn into observations; nil when the call can
// need no right (an O_PATH open, a syscall outside the table, a lookup
// that fails before Landlock's hook).
//
// The kernel checks Landlock rights on the object a call reaches after
// its own lookup, so prepareCall resolves paths as the kernel will (dirfd,
// cwd, the caller's root, symlinks, /proc/self), takes the target's
// state with lstat, and predicts with the caller's credentials whether
// the call will succeed: an operation that fails anyway needs no right.
// In accurate mode Finish gets the real result and trusts it instead.
func prepareCall(c *sysCall, t tracee) prepared {
	e := lookupSyscall(c.Arch, c.Nr)
	if e == nil {
		return nil
	}
	m := &mapper{c: c, t: t, e: e}
	if o := e.prep(m); o != nil && len(o.obs) > 0 {
		return o
	}
	return nil
}

// mapper holds one call being mapped, and what it has learned about the
// caller so far (root, credentials), asked of the tracee at most once.
type mapper struct {
	c *sysCall
	t tracee
	e *sysEntry

	root   string
	rootOK bool
	cr     creds
	crOK   bool
	exe    string
	exeOK  bool
	// procPID is set by the last path walk that went through a
	// ptrace-protected /proc/PID entry (see ptraceProc).
	procPID int
}

func (m *mapper) arg(i argIdx) uint64 {
	if i == noArg {
		return 0
	}
	v := m.c.Args[i-1]
	if m.c.Arch == abiI386 {
		v &= 0xffffffff
	}
	return v
}

// intArg reads an int argument. The kernel truncates int arguments to 32
// bits; the upper half of a 64-bit register may hold garbage.
func (m *mapper) intArg(i argIdx) int { return int(int32(uint32(m.arg(i)))) }

// flags are the layout's flags argument plus the syscall's fixed flags.
func (m *mapper) flags() uint64 {
	f := m.e.args.fixed
	if m.e.args.flags != noArg {
		f |= uint64(uint32(m.arg(m.e.args.flags)))
	}
	return f
}

// dirfd is the layout's dirfd, AT_FDCWD for syscalls without one.
func (m *mapper) dirfd(i argIdx) int {
	if i == noArg {
		return unix.AT_FDCWD
	}
	return m.intArg(i)
}

func (m *mapper) str(i argIdx) (string, bool) {
	s, err := m.t.ReadString(m.arg(i))
	return s, err == nil
}

func (m *mapper) rootDir() string {
	if !m.rootOK {
		m.rootOK = true
		r, err := m.t.Root()
		if err != nil || r == "" || r[0] != '/' {
			r = "/"
		}
		m.root = r
	}
	return m.root
}

func (m *mapper) caller() string {
	if !m.exeOK {
		m.exeOK = true
		m.exe = m.t.Exe()
	}
	return m.exe
}

func (m *mapper) creds() *creds {
	if !m.crOK {
		m.crOK = true
		uid, gid, groups, err := m.t.Creds()
		if err == nil {
			m.cr = creds{known: true, uid: uint32(uid), gid: uint32(gid), groups: groups}
		}
	}
	return &m.cr
}

// obs starts an observation of this call.
func (m *mapper) obs() learn.Observation {
	return learn.Observation{Seq: m.c.Seq, Syscall: m.e.name, PID: m.c.PID, Exe: m.caller()}
}

// fsObs is an observation of fs rights on path.
func (m *mapper) fsObs(path, typ string, a policy.FSAccess) learn.Observation {
	o := m.obs()
	o.Path, o.Type, o.FS = path, typ, a
	return o
}

func (m *mapper) warn(msg string) *outcome {
	o := m.obs()
	o.Warning = m.e.name + ": " + msg
	return m.succeed(o)
}

// succeed is the outcome of a call predicted to succeed with obs.
func (m *mapper) succeed(obs ...learn.Observation) *outcome {
	if len(obs) == 0 {
		return nil
	}
	return &outcome{obs: obs}
}

// outcome is the prepared call of every row: the observations the call gives
// if it succeeds. In the default mode the prediction was made before it
// was created (a call predicted to fail has no outcome); in accurate mode
// the real result decides.
type outcome struct {
	obs []learn.Observation
	// fdObs is 1 + the index of the observation about the file an open
	// returns: accurate mode replaces its path by the fd's real path.
	fdObs int
	// onErr is what a failed call keeps of obs (accurate mode): the
	// observations of the checks the call reached before it failed (a
	// connect that is refused reached the hook). nil keeps nothing.
	onErr func(errno unix.Errno, obs []obsT) []obsT
	// byHandle are the open rights of an open_by_handle_at: accurate mode
	// turns its warning into these rights on the fd's real path.
	byHandle policy.FSAccess
}

// obsT is short for the observations outcomes hold.
type obsT = learn.Observation

// keepIf is an onErr that keeps every observation when reached says the
// failure came after the checks.
func keepIf(reached func(unix.Errno) bool) func(unix.Errno, []obsT) []obsT {
	return func(e unix.Errno, obs []obsT) []obsT {
		if reached(e) {
			return obs
		}
		return nil
	}
}

func (o *outcome) Finish(r *callResult) []learn.Observation {
	if o == nil {
		return nil
	}
	if r == nil {
		return o.obs
	}
	if r.Ret < 0 {
		if o.onErr == nil {
			return nil
		}
		return o.onErr(unix.Errno(-r.Ret), o.obs)
	}
	if o.byHandle != 0 && strings.HasPrefix(r.FDPath, "/") {
		var st unix.Stat_t
		if unix.Stat(r.FDPath, &st) != nil {
			return o.obs
		}
		a := o.byHandle
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			a = rReadDir
		} else if st.Mode&unix.S_IFMT != unix.S_IFREG {
			a &^= rTruncate
		}
		fo := o.obs[0]
		fo.Warning, fo.Path, fo.Type, fo.FS = "", r.FDPath, typeName(st.Mode), a
		return []learn.Observation{fo}
	}
	if o.fdObs > 0 && strings.HasPrefix(r.FDPath, "/") && !strings.HasPrefix(r.FDPath, "/memfd:") {
		out := append([]learn.Observation(nil), o.obs...)
		out[o.fdObs-1].Path = strings.TrimSuffix(r.FDPath, " (deleted)")
		return out
	}
	return o.obs
}

// Short names for the rights the table's rows use.
const (
	rExecute    = policy.FSExecute
	rWriteFile  = policy.FSWriteFile
	rReadFile   = policy.FSReadFile
	rReadDir    = policy.FSReadDir
	rRemoveDir  = policy.FSRemoveDir
	rRemoveFile = policy.FSRemoveFile
	rMakeChar   = policy.FSMakeChar
	rMakeDir    = policy.FSMakeDir
	rMakeReg    = policy.FSMakeReg
	rMakeSock   = policy.FSMakeSock
	rMakeFifo   = policy.FSMakeFifo
	rMakeBlock  = policy.FSMakeBlock
	rMakeSym    = policy.FSMakeSym
	rRefer      = policy.FSRefer
	rTruncate   = policy.FSTruncate
	rIoctlDev   = policy.FSIoctlDev
)

// removeRight is the remove right of an entry of this mode: remove_dir
// for directories, remove_file for anything else.
func removeRight(mode uint32) policy.FSAccess {
	if mode&unix.S_IFMT == unix.S_IFDIR {
		return rRemoveDir
	}
	return rRemoveFile
}

// typeName is the observation `type` of an inode mode.
func typeName(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return learn.TypeDir
	case unix.S_IFLNK:
		return learn.TypeSymlink
	case unix.S_IFCHR:
		return learn.TypeChar
	case unix.S_IFBLK:
		return learn.TypeBlock
	case unix.S_IFIFO:
		return learn.TypeFifo
	case unix.S_IFSOCK:
		return learn.TypeSock
	}
	return learn.TypeFile
}

// Flags the table and the handlers use (same values on x86_64 and i386).
const (
	oWronly     = unix.O_WRONLY
	oRdwr       = unix.O_RDWR
	oCreat      = unix.O_CREAT
	oTrunc      = unix.O_TRUNC
	atRemoveDir = unix.AT_REMOVEDIR
)
