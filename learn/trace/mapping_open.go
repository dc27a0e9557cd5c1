package trace

import (
	"encoding/binary"
	"strconv"
	"strings"

	"github.com/landlearn/landlearn/policy"
	"golang.org/x/sys/unix"
)

// openReq is an open whatever syscall asked for it.
type openReq struct {
	dirfd      int
	path       string
	flags      uint64
	noSymlinks bool // openat2 RESOLVE_NO_SYMLINKS
	inRoot     bool // openat2 RESOLVE_IN_ROOT
}

// prepOpen maps open, openat and creat.
func prepOpen(m *mapper) *outcome {
	p, ok := m.str(m.e.args.path)
	if !ok {
		return nil
	}
	return m.withProcWarning(m.open(openReq{dirfd: m.dirfd(m.e.args.dirfd), path: p, flags: m.flags()}))
}

// prepOpenat2 maps openat2, whose flags live in a struct open_how
// {u64 flags, mode, resolve} in the caller's memory.
func prepOpenat2(m *mapper) *outcome {
	p, ok := m.str(arg1)
	if !ok {
		return nil
	}
	var how [24]byte
	if size := m.arg(arg3); size < 24 || m.t.ReadMem(m.arg(arg2), how[:]) != nil {
		return nil // EINVAL or EFAULT: the call fails before any lookup
	}
	flags := binary.LittleEndian.Uint64(how[0:])
	resolve := binary.LittleEndian.Uint64(how[16:])
	return m.withProcWarning(m.open(openReq{
		dirfd: m.intArg(arg0), path: p, flags: flags,
		noSymlinks: resolve&unix.RESOLVE_NO_SYMLINKS != 0,
		inRoot:     resolve&unix.RESOLVE_IN_ROOT != 0,
	}))
}

// openFlags are an open's flags as build_open_flags and do_open read
// them.
type openFlags struct {
	acc                      uint64 // O_ACCMODE
	creat, excl, tmpfile     bool
	follow, trunc, directory bool
}

// parseOpenFlags decodes f. ok is false for an open that needs no right
// whatever it names: O_PATH, or flags build_open_flags refuses with
// EINVAL (__O_TMPFILE needs O_DIRECTORY and forbids O_CREAT;
// O_CREAT|O_DIRECTORY is EINVAL since Linux 6.4).
func parseOpenFlags(f uint64) (o openFlags, ok bool) {
	if f&unix.O_PATH != 0 {
		return o, false
	}
	o = openFlags{
		acc:       f & unix.O_ACCMODE,
		creat:     f&unix.O_CREAT != 0,
		tmpfile:   f&unix.O_TMPFILE == unix.O_TMPFILE,
		trunc:     f&unix.O_TRUNC != 0,
		directory: f&unix.O_DIRECTORY != 0,
	}
	o.excl = o.creat && f&unix.O_EXCL != 0
	o.follow = f&unix.O_NOFOLLOW == 0 && !o.excl
	if (f&oTmpfileBit != 0 && !o.tmpfile) || (o.tmpfile && o.creat) || (o.creat && !o.tmpfile && o.directory) {
		return o, false
	}
	return o, true
}

// accessModes is what each access mode needs of a file that is not a
// directory: the permission may_open checks before Landlock's hook, and
// the rights of the file's f_mode. O_ACCMODE 3 (an ioctl-only open) is
// checked for reading and writing but gives neither right.
var accessModes = [4]struct {
	may    uint32
	rights policy.FSAccess
}{
	unix.O_RDONLY: {mayRead, rReadFile},
	unix.O_WRONLY: {mayWrite, rWriteFile},
	unix.O_RDWR:   {mayRead | mayWrite, rReadFile | rWriteFile},
	3:             {mayRead | mayWrite, 0},
}

// open applies the table's open rows (docs/design.md, "How observations
// become rights"): it resolves the path as the kernel will, and the
// object found (none, a directory, another file, an unnamed O_TMPFILE)
// decides the rights with the flags.
func (m *mapper) open(r openReq) *outcome {
	fl, ok := parseOpenFlags(r.flags)
	if !ok {
		return nil
	}
	n := m.resolveOpt(r.dirfd, r.path, fl.follow, r.noSymlinks, r.inRoot)
	switch {
	case n.err != 0:
		return nil
	case n.noPath:
		// A pipe, socket or namespace file needs no right; one of a
		// process outside the tree still gets withProcWarning's warning.
		return &outcome{}
	case fl.tmpfile:
		return m.openTmpfile(&n, fl)
	case !n.exists:
		return m.openNew(&n, fl)
	}
	return m.openExisting(&n, fl)
}

// openTmpfile: an unnamed file in the directory n. The open is checked
// on the new inode, which is beneath the directory, so the rule is the
// directory's: write_file (and read_file for O_RDWR). EINVAL without
// write access.
func (m *mapper) openTmpfile(n *node, fl openFlags) *outcome {
	if !n.isDir() || (fl.acc != unix.O_WRONLY && fl.acc != unix.O_RDWR) ||
		!m.may(&n.st, mayWrite|mayExec) || readOnly(n.path) {
		return nil
	}
	return &outcome{obs: []obsT{m.fsObs(n.path, typeName(n.st.Mode), openRights(fl.acc, false))}}
}

// openNew: O_CREAT makes the missing file n, which needs make_reg on the
// parent and the open's rights on the file.
func (m *mapper) openNew(n *node, fl openFlags) *outcome {
	if !fl.creat || n.slash {
		return nil // ENOENT, or EISDIR for "name/"
	}
	pst, ok := parentSt(n)
	if !ok || !m.may(&pst, mayWrite|mayExec) || readOnly(n.parent) {
		return nil
	}
	mk := m.fsObs(n.parent, typeName(unix.S_IFDIR), rMakeReg)
	mk.Created, mk.Dst = true, n.path
	out := &outcome{obs: []obsT{mk}}
	if a := openRights(fl.acc, false); a != 0 {
		fo := m.fsObs(n.path, typeName(unix.S_IFREG), a)
		fo.Created = true
		out.obs = append(out.obs, fo)
		out.fdObs = len(out.obs)
	}
	return out
}

// openExisting: read_dir for a directory opened for reading; for any
// other file the rights of its access mode, and truncate for O_TRUNC on
// a regular file.
func (m *mapper) openExisting(n *node, fl openFlags) *outcome {
	if fl.excl {
		return nil // EEXIST
	}
	mode := n.mode()
	switch mode {
	case unix.S_IFLNK:
		return nil // O_NOFOLLOW on a symlink: ELOOP
	case unix.S_IFDIR:
		if fl.acc != unix.O_RDONLY || fl.creat || fl.trunc || !m.may(&n.st, mayRead) {
			return nil // EISDIR, or EACCES
		}
		return &outcome{obs: []obsT{m.fsObs(n.path, typeName(mode), rReadDir)}, fdObs: 1}
	}
	if fl.directory {
		return nil // ENOTDIR
	}
	if fl.creat {
		if pst, ok := parentSt(n); ok && !m.mayOpenInSticky(&pst, &n.st) {
			return nil // EACCES: fs.protected_regular or protected_fifos
		}
	}
	trunc := fl.trunc && mode == unix.S_IFREG
	want := accessModes[fl.acc].may
	if trunc {
		want |= mayWrite
	}
	if !m.may(&n.st, want) {
		return nil
	}
	if want&mayWrite != 0 && mode == unix.S_IFREG && readOnly(n.path) {
		return nil
	}
	if (mode == unix.S_IFCHR || mode == unix.S_IFBLK) && noDev(n.path) {
		return nil
	}
	a := openRights(fl.acc, trunc)
	if a == 0 {
		return nil
	}
	// A socket file always fails with ENXIO, a device may (no driver, no
	// controlling terminal for /dev/tty), a FIFO opened O_WRONLY|
	// O_NONBLOCK without a reader does: each after Landlock's check of
	// the open, so the rights are needed all the same (to fail alike).
	return &outcome{obs: []obsT{m.fsObs(n.path, typeName(mode), a)}, fdObs: 1, onErr: openFailed}
}

// openFailed is what an open of an existing file that failed keeps
// (accurate mode): its open rights when the failure came from the
// file's own open (or a lease break), after Landlock's check of the
// open; the lookup and permission errors come before it. truncate goes:
// Landlock checks it once the file is open (handle_truncate).
func openFailed(e unix.Errno, obs []obsT) []obsT {
	switch e {
	case unix.ENXIO, unix.ENODEV, unix.EBUSY, unix.EIO, unix.EAGAIN, unix.ENOMEDIUM, unix.EINTR:
	default:
		return nil
	}
	o := obs[0]
	o.FS &^= rTruncate
	return []obsT{o}
}

// oTmpfileBit is __O_TMPFILE, O_TMPFILE without its O_DIRECTORY.
const oTmpfileBit = unix.O_TMPFILE &^ unix.O_DIRECTORY

// openRights are the rights an open of a non-directory needs: the file's
// f_mode decides (accessModes), and truncate with O_TRUNC.
func openRights(acc uint64, trunc bool) policy.FSAccess {
	a := accessModes[acc&unix.O_ACCMODE].rights
	if trunc {
		a |= rTruncate
	}
	return a
}

// prepTruncate maps truncate(2): truncate only, on the file the path
// names after symlinks.
func prepTruncate(m *mapper) *outcome {
	p, ok := m.str(m.e.args.path)
	if !ok {
		return nil
	}
	n := m.resolve(unix.AT_FDCWD, p, true)
	if n.err != 0 || !n.exists || n.noPath || n.mode() != unix.S_IFREG {
		return nil // ENOENT, EISDIR, EINVAL
	}
	if !m.may(&n.st, mayWrite) || readOnly(n.path) {
		return nil
	}
	return m.succeed(m.fsObs(n.path, typeName(n.st.Mode), rTruncate))
}

// prepFtruncate maps ftruncate(2). Landlock decides truncate when the fd
// is opened, so an fd the tracer itself also holds (inherited from
// before the sandbox: the learner's stdin/stdout/stderr) needs nothing,
// nor does a memfd or a file without a path. Otherwise truncate is
// needed on the file the fd was opened on.
func prepFtruncate(m *mapper) *outcome {
	fd := m.intArg(m.e.args.fd)
	n := m.fdNode(fd)
	if n.err != 0 || n.noPath || n.mode() != unix.S_IFREG {
		return nil
	}
	if acc, ok := fdAccMode(m.c.PID, fd); ok && acc == unix.O_RDONLY {
		return nil // EINVAL: not open for writing
	}
	if heldByTracer(m.c.PID, fd) {
		return nil
	}
	return m.succeed(m.fsObs(n.path, typeName(n.st.Mode), rTruncate))
}

// fdAccMode reads the access mode of pid's fd from /proc/PID/fdinfo.
func fdAccMode(pid, fd int) (uint64, bool) {
	b, err := readProc("/proc/" + strconv.Itoa(pid) + "/fdinfo/" + strconv.Itoa(fd))
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "flags:"); ok {
			f, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
			return f & unix.O_ACCMODE, err == nil
		}
	}
	return 0, false
}

// prepOpenByHandle maps open_by_handle_at(2). The handle names an inode,
// not a path, so the default mode cannot know which rule the open needs:
// it warns. Accurate mode sees the opened fd's path and gives the open's
// rights on it.
func prepOpenByHandle(m *mapper) *outcome {
	f := m.flags()
	if f&unix.O_PATH != 0 {
		return nil
	}
	w := m.obs()
	w.Warning = "open_by_handle_at: the file is opened by handle, not by path; Landlock checks the open on the file's path: run with --accurate, or grant it by hand"
	return &outcome{obs: []obsT{w}, byHandle: openRights(f&unix.O_ACCMODE, f&unix.O_TRUNC != 0)}
}
