package trace

import (
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// maxSymlinks is the kernel's limit on symlinks followed in one lookup
// (MAXSYMLINKS); one more is ELOOP.
const maxSymlinks = 40

// creds are the caller's filesystem credentials, to predict the DAC
// failures that come before Landlock's hook. uid 0 is taken to hold
// CAP_DAC_OVERRIDE (the tracer cannot see capabilities); POSIX ACLs are
// not read, so a file whose ACL grants more than its mode bits may be
// predicted to fail: accurate mode has the real answer.
type creds struct {
	known    bool
	uid, gid uint32
	groups   []int // the tracee's, shared: not to be modified
}

func (c *creds) inGroup(g uint32) bool {
	if c.gid == g {
		return true
	}
	for _, x := range c.groups {
		if uint32(x) == g {
			return true
		}
	}
	return false
}

// DAC permission bits, as in MAY_READ/MAY_WRITE/MAY_EXEC.
const (
	mayExec  = 1
	mayWrite = 2
	mayRead  = 4
)

// may reports whether the caller passes generic_permission for mask on
// an inode with st's owner and mode.
func (c *creds) may(st *unix.Stat_t, mask uint32) bool {
	if !c.known {
		return true
	}
	if c.uid == 0 {
		// CAP_DAC_OVERRIDE: everything but executing a file without any
		// x bit.
		return mask&mayExec == 0 || st.Mode&unix.S_IFMT == unix.S_IFDIR || st.Mode&0o111 != 0
	}
	var bits uint32
	switch {
	case st.Uid == c.uid:
		bits = (st.Mode >> 6) & 7
	case c.inGroup(st.Gid):
		bits = (st.Mode >> 3) & 7
	default:
		bits = st.Mode & 7
	}
	return bits&mask == mask
}

// may is creds.may, asking the tracee for credentials only when the
// mode bits do not already grant mask to owner, group and others alike:
// reading /proc/TID/status on every path component would cost more than
// the rest of the mapping.
func (m *mapper) may(st *unix.Stat_t, mask uint32) bool {
	if (st.Mode>>6)&mask == mask && (st.Mode>>3)&mask == mask && st.Mode&mask == mask {
		return true
	}
	return m.creds().may(st, mask)
}

// node is a path resolved the way the kernel's lookup resolves it.
type node struct {
	// err is the lookup failure that ends the call before any hook:
	// ENOENT or ENOTDIR on the way, EACCES for a directory the caller may
	// not search, ELOOP. When err is set nothing else is.
	err unix.Errno
	// path is absolute, as seen from the tracer (the caller's root is
	// part of it), symlinks of the walk resolved.
	path string
	// exists says the final component exists; st is its lstat (its stat
	// when the walk followed it).
	exists bool
	st     unix.Stat_t
	// parent is the resolved directory holding the final component.
	parent string
	// slash: the path ended with "/" (the final must be a directory).
	slash bool
	// fd is set when the object was reached through a /proc magic link
	// (/proc/PID/fd/N, cwd, exe...): the tracer stats it through that
	// link, and noPath says it is no file with a path (pipe, socket,
	// anon inode, memfd), which Landlock never restricts.
	fd     string
	noPath bool
}

func (n *node) isDir() bool { return n.exists && n.st.Mode&unix.S_IFMT == unix.S_IFDIR }

func (n *node) mode() uint32 { return n.st.Mode & unix.S_IFMT }

// resolve resolves p relative to dirfd (AT_FDCWD: the cwd) for this
// call; follow says whether a symlink as the final component is followed.
// noSymlinks makes any symlink ELOOP (openat2 RESOLVE_NO_SYMLINKS);
// inRoot makes dirfd the root (RESOLVE_IN_ROOT).
func (m *mapper) resolve(dirfd int, p string, follow bool) node {
	return m.resolveOpt(dirfd, p, follow, false, false)
}

func (m *mapper) resolveOpt(dirfd int, p string, follow, noSymlinks, inRoot bool) node {
	if p == "" {
		return node{err: unix.ENOENT}
	}
	w := walker{m: m, noSymlinks: noSymlinks}
	var start string
	if strings.HasPrefix(p, "/") && !inRoot {
		start = w.rootDir()
	} else {
		d, err := m.t.FDPath(dirfd)
		if err != nil {
			return node{err: unix.EBADF}
		}
		if !strings.HasPrefix(d, "/") || strings.HasSuffix(d, " (deleted)") {
			return node{err: unix.ENOTDIR}
		}
		start = d
		if inRoot {
			w.root, w.rootSet = d, true
		}
	}
	if !inRoot {
		if n, ok := w.fastWalk(start, p, follow); ok {
			m.procPID = 0
			return n
		}
		w.links = 0 // walkPath counts the symlinks again
	}
	return w.walk(start, p, follow)
}

// fastWalk is walkPath in one lookup by the kernel, for the common case
// where the two can only agree: a caller with uid 0 (which walkPath
// takes to hold CAP_DAC_OVERRIDE: every directory is searchable), a
// directory reached through no symlink (the kernel refuses any with
// RESOLVE_NO_SYMLINKS, so the resolved path is the lexical one) and
// outside /proc (self, thread-self and the ptrace-protected entries are
// walkPath's). walkPath lstats every component, and each lstat walks
// the whole prefix again; here the directory is opened once (O_PATH)
// and its final component lstat'ed, whatever the depth (3 syscalls; the
// README's Performance section compares it with walkPath), and a single
// component (find's openat(dirfd, name)) is one lstat.
// With the directory cache (dircache.go) a known directory costs no
// syscall, and for a caller whose root is "/" symlinks are taken too:
// a directory reached through them is walked once by walkPath and
// remembered (resolveDir), and a final symlink to follow is followed
// from its directory (followNext).
// TestFastWalkAgrees compares the two walks. ok is false
// whenever the walk cannot be decided this way (any error but a missing
// final component, "." or ".." last, ".." under a root other than "/",
// a symlink the fast path does not take): walkPath then decides, so the
// fast path never answers differently from it, only sooner.
func (w *walker) fastWalk(start, p string, follow bool) (node, bool) {
	// A learner that is not root sees no caller as uid 0 (/proc shows
	// ids in its own user namespace): the walk is walkPath's.
	if !learnerIsRoot {
		return node{}, false
	}
	if strings.Contains(p, "proc") || strings.Contains(start, "proc") {
		return node{}, false
	}
	slash := strings.HasSuffix(p, "/")
	rel := strings.TrimRight(p, "/")
	i := strings.LastIndexByte(rel, '/')
	name := rel[i+1:]
	if name == "" || name == "." || name == ".." {
		return node{}, false
	}
	cur := start
	if strings.HasPrefix(p, "/") {
		cur = w.rootDir()
	}
	if cr := w.m.creds(); !cr.known || cr.uid != 0 {
		return node{}, false
	}
	var st unix.Stat_t
	d := strings.TrimLeft(rel[:max(i, 0)], "/")
	if d == "" {
		// One component in cur: walkPath stats cur (following its
		// symlinks, as this lstat does on the way) and lstats cur/name.
		// A missing name is left to walkPath, which tells it from a
		// missing cur.
		next := path.Join(cur, name)
		if err := w.lstat(next, &st); err != nil {
			return node{}, false
		}
		return w.fastNode(cur, next, &st, follow, slash)
	}
	var dir string
	if cur == "/" && rel[0] == '/' && rel[1] != '/' {
		dir = rel[:i] // the same string, without allocating it
	} else {
		dir = strings.TrimSuffix(cur, "/") + "/" + d
	}
	dotdot := strings.Contains(dir, "/..") // walkPath's ".." is lexical too
	if dotdot && w.rootDir() != "/" {
		return node{}, false
	}
	clean := !dotdot && !strings.Contains(dir, "//") && !strings.Contains(dir, "/./") && !strings.HasSuffix(dir, "/.") && !strings.HasSuffix(dir, "/")
	var dirs *dirCache
	if dc, ok := w.m.t.(dirCacher); ok && clean {
		dirs = dc.dirCache()
	}
	var stats *statCache
	if dirs != nil {
		stats = w.statCache()
		// A directory reached through symlinks is only known for a
		// caller whose root is "/", and not for RESOLVE_NO_SYMLINKS.
		if e, ok := dirs.lookup(dir); ok && (e.links == 0 || w.throughLinks() && e.valid(stats)) {
			return w.cachedDir(dirs, dir, e, name, follow, slash)
		}
		if stats != nil {
			if errno, ok := stats.missingDir(dir); ok {
				return node{err: errno}, true
			}
		}
	}
	openDir := func() (int, error) {
		return unix.Openat2(unix.AT_FDCWD, dir, &unix.OpenHow{
			Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
		})
	}
	dfd, err := openDir()
	switch err {
	case nil:
	case unix.ENOENT, unix.ENOTDIR:
		// The kernel walked dir from the left through directories only
		// (a symlink first would have been ELOOP) to a component missing
		// or not a directory: walkPath stops there with the same errno
		// (gcc's include path search: /usr/local/include/bits/...).
		// The stat cache remembers it, watched, for the next probes.
		if stats != nil {
			stats.noteMissingDir(dir, err.(unix.Errno), func() error {
				fd, err := openDir()
				if err == nil {
					unix.Close(fd)
				}
				return err
			})
		}
		return node{err: err.(unix.Errno)}, true
	case unix.ELOOP:
		// A symlink on the way (/lib/x86_64-linux-gnu/libc.so.6): the
		// directory is walked once as walkPath walks it, and remembered.
		if dirs != nil && w.throughLinks() {
			if e, ok := w.resolveDir(dir); ok {
				dirs.add(dir, e)
				return w.cachedDir(dirs, dir, e, name, follow, slash)
			}
		}
		return node{}, false
	default:
		return node{}, false
	}
	err = unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	unix.Close(dfd)
	if !clean {
		dir = path.Clean(dir)
	}
	if dirs != nil {
		dirs.add(dir, cachedDir{real: dir})
	}
	next := path.Join(dir, name)
	switch {
	case err == unix.ENOENT:
		return node{path: next, parent: dir, slash: slash}, true
	case err != nil:
		return node{}, false
	}
	return w.fastNode(dir, next, &st, follow, slash)
}

var learnerIsRoot = os.Geteuid() == 0

// statCache is the run's, nil if it has none.
func (w *walker) statCache() *statCache {
	if sc, ok := w.m.t.(statCacher); ok {
		return sc.statCache()
	}
	return nil
}

// lstat is fastWalk's lstat of p (absolute, its directory part free of
// symlinks), from the run's statCache when it has one.
func (w *walker) lstat(p string, st *unix.Stat_t) error {
	if c := w.statCache(); c != nil {
		return c.lstat(p, st)
	}
	return unix.Lstat(p, st)
}

// readlink is fastWalk's os.Readlink of p, as lstat is its lstat.
func (w *walker) readlink(p string) (string, error) {
	if c := w.statCache(); c != nil {
		return c.readlink(p)
	}
	return os.Readlink(p)
}

// cachedDir is fastWalk's answer for name in dir, known to lead to the
// symlink-free directory e.real (see dirCache): one lstat of the path,
// and for a missing name one of e.real, which may have gone since (none
// when the stat cache remembers them). Anything else is left to
// walkPath, and dir forgotten.
func (w *walker) cachedDir(dirs *dirCache, dir string, e cachedDir, name string, follow, slash bool) (node, bool) {
	if w.links += e.links; w.links > maxSymlinks {
		return node{}, false
	}
	next := child(e.real, name)
	var st unix.Stat_t
	err := w.lstat(next, &st)
	if err == nil {
		return w.fastNode(e.real, next, &st, follow, slash)
	}
	if err == unix.ENOENT && w.lstat(e.real, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return node{path: next, parent: e.real, slash: slash}, true
	}
	dirs.forget(dir)
	dirs.forget(e.real)
	return node{}, false
}

// throughLinks says whether fastWalk may resolve symlinks on the way: not
// for RESOLVE_NO_SYMLINKS (walkPath's ELOOP), and only for a caller
// whose root is "/", in which the tracer resolves absolute targets too.
func (w *walker) throughLinks() bool { return !w.noSymlinks && w.rootDir() == "/" }

// resolveDir walks dir (absolute, for a caller whose root is "/") as
// walkPath does, and says which symlink-free directory it leads to, if
// it is one outside /proc (whose entries and magic links are walkPath's).
func (w *walker) resolveDir(dir string) (cachedDir, bool) {
	var hops []hop
	wd := walker{m: w.m, root: "/", rootSet: true, hops: &hops}
	n := wd.walkPath("/", dir, true)
	if n.err != 0 || !n.isDir() || n.fd != "" || wd.procPID != 0 || strings.Contains(n.path, "proc") {
		return cachedDir{}, false
	}
	return cachedDir{real: n.path, links: wd.links, hops: hops}, true
}

// child is the path of name in dir.
func child(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// fastNode is walkPath's node for an existing final component.
func (w *walker) fastNode(dir, next string, st *unix.Stat_t, follow, slash bool) (node, bool) {
	switch {
	case st.Mode&unix.S_IFMT == unix.S_IFLNK && (follow || slash):
		return w.followNext(dir, next, st, slash)
	case slash && st.Mode&unix.S_IFMT != unix.S_IFDIR:
		return node{err: unix.ENOTDIR}, true
	}
	return node{path: next, exists: true, st: *st, parent: dir, slash: slash}, true
}

// followNext follows a final symlink as walkPath does: the
// protected_symlinks check on its directory, then its target, walked
// from that directory. A target that is a name in the same directory
// (libmpc.so.3 -> libmpc.so.3.3.1) is one lstat; any other is walked by
// fastWalk again, for a caller whose root is "/" (/usr/bin/cc ->
// /etc/alternatives/cc -> /usr/bin/gcc). The symlinks are counted
// against the kernel's 40; beyond, or for anything fastWalk cannot
// decide, walkPath decides.
func (w *walker) followNext(dir, link string, lst *unix.Stat_t, slash bool) (node, bool) {
	if w.links++; w.noSymlinks || w.links > maxSymlinks {
		return node{}, false
	}
	target, err := w.readlink(link)
	if err != nil {
		return node{}, false
	}
	// The target's components are walked in place of the link; a target
	// ending in "/" must end on a directory, as the path must with one.
	slash = slash || strings.HasSuffix(target, "/")
	target = strings.TrimRight(target, "/")
	local := !strings.Contains(target, "/") && target != "." && target != ".."
	if target == "" || !local && !w.throughLinks() {
		return node{}, false
	}
	var dst unix.Stat_t // dir has no symlink: its lstat is its stat
	if w.lstat(dir, &dst) != nil || !w.m.mayFollow(&dst, lst) {
		return node{}, false
	}
	if !local {
		if slash {
			target += "/"
		}
		return w.fastWalk(dir, target, true)
	}
	next := child(dir, target)
	var st unix.Stat_t
	switch err := w.lstat(next, &st); {
	case err == unix.ENOENT:
		return node{path: next, parent: dir, slash: slash}, true
	case err != nil:
		return node{}, false
	}
	return w.fastNode(dir, next, &st, true, slash)
}

type walker struct {
	m *mapper
	// root is the caller's root, asked for only when the walk needs it
	// (an absolute path or symlink, "..", /proc/self): a relative open
	// costs one readlink less.
	root       string
	rootSet    bool
	links      int
	noSymlinks bool
	// procPID is the process whose ptrace-protected /proc entry the walk
	// went through, 0 if none.
	procPID int
	// hops, when set, gets each symlink the walk reads (resolveDir).
	hops *[]hop
}

func (w *walker) rootDir() string {
	if !w.rootSet {
		w.root, w.rootSet = w.m.rootDir(), true
	}
	return w.root
}

// procDirRE matches /proc/PID and /proc/PID/task/TID (submatch 1 is the
// PID), and their fd, map_files and ns directories (submatch 2): the
// directories whose symlinks are magic links (the kernel jumps to the
// object instead of reading a path). Compiled at its first use, not at
// start-up: every landlearn command pays its package's initialization,
// and run, which never walks /proc, should not pay for it.
var procDirRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^/proc/([0-9]+)(?:/task/[0-9]+)?(/fd|/map_files|/ns)?$`)
})

func (w *walker) walk(start, p string, follow bool) node {
	n := w.walkPath(start, p, follow)
	w.m.procPID = w.procPID
	return n
}

// ptraceProc are the /proc/PID entries a sandboxed program cannot use
// on a process outside its domain, whatever the rules grant: opening or
// reading them is a ptrace-mode access check (fs/proc/base.c) that
// Landlock refuses. Measured on Linux 6.18 (TestMappingProcOfOutsider
// asks the kernel): environ, maps, auxv, status... stay readable; the
// magic links (fd/N, cwd, root, exe, map_files/N, ns/X) are handled
// apart.
var ptraceProc = map[string]bool{
	"mem": true, "fdinfo": true, "timers": true, "stack": true,
	"syscall": true, "personality": true, "io": true,
}

func (w *walker) walkPath(start, p string, follow bool) node {
	comps := splitPath(p)
	slash := strings.HasSuffix(p, "/")
	cur := start
	if strings.HasPrefix(p, "/") {
		cur = w.rootDir()
	}
	var curSt unix.Stat_t
	if err := unix.Stat(cur, &curSt); err != nil {
		return node{err: unix.ENOENT}
	}
	for len(comps) > 0 {
		name := comps[0]
		comps = comps[1:]
		last := len(comps) == 0
		if name == "." || name == ".." {
			if curSt.Mode&unix.S_IFMT != unix.S_IFDIR {
				return node{err: unix.ENOTDIR}
			}
			if !w.m.may(&curSt, mayExec) {
				return node{err: unix.EACCES}
			}
			if name == ".." && cur != w.rootDir() {
				cur = path.Dir(cur)
				if err := unix.Stat(cur, &curSt); err != nil {
					return node{err: unix.ENOENT}
				}
			}
			continue
		}
		if curSt.Mode&unix.S_IFMT != unix.S_IFDIR {
			return node{err: unix.ENOTDIR}
		}
		if !w.m.may(&curSt, mayExec) {
			return node{err: unix.EACCES}
		}
		// /proc/self and /proc/thread-self name the caller, not us.
		if (name == "self" || name == "thread-self") && cur == w.procDir() {
			switch name {
			case "self":
				comps = append([]string{strconv.Itoa(w.m.c.PID)}, comps...)
				continue
			case "thread-self":
				comps = append([]string{strconv.Itoa(w.m.c.PID), "task", strconv.Itoa(w.m.c.TID)}, comps...)
				continue
			}
		}
		if w.procPID == 0 && ptraceProc[name] && strings.Contains(cur, "/proc/") {
			if sm := procDirRE().FindStringSubmatch(strings.TrimPrefix(cur, strings.TrimSuffix(w.rootDir(), "/"))); sm != nil && sm[2] == "" {
				w.procPID, _ = strconv.Atoi(sm[1])
			}
		}
		next := path.Join(cur, name)
		var st unix.Stat_t
		if err := unix.Lstat(next, &st); err != nil {
			if err == unix.ENOENT && last {
				return node{path: next, parent: cur, slash: slash}
			}
			if e, ok := err.(unix.Errno); ok {
				return node{err: e}
			}
			return node{err: unix.ENOENT}
		}
		if st.Mode&unix.S_IFMT == unix.S_IFLNK && (!last || follow || slash) {
			if w.noSymlinks {
				return node{err: unix.ELOOP}
			}
			w.links++
			if w.links > maxSymlinks {
				return node{err: unix.ELOOP}
			}
			if last && !w.m.mayFollow(&curSt, &st) {
				return node{err: unix.EACCES}
			}
			target, err := os.Readlink(next)
			if err != nil || target == "" {
				return node{err: unix.ENOENT}
			}
			if w.hops != nil {
				*w.hops = append(*w.hops, hop{next, target})
			}
			if sm := procDirRE().FindStringSubmatch(strings.TrimPrefix(cur, strings.TrimSuffix(w.rootDir(), "/"))); sm != nil {
				if w.procPID == 0 {
					w.procPID, _ = strconv.Atoi(sm[1])
				}
				if n, done := w.magic(next, target, cur, last, slash); done {
					return n
				}
				// A magic link to a path: the kernel jumps to the object,
				// which the tracer reaches by that path from its own root.
				cur = "/"
			} else if strings.HasPrefix(target, "/") {
				cur = w.rootDir()
			}
			if err := unix.Stat(cur, &curSt); err != nil {
				return node{err: unix.ENOENT}
			}
			// A target ending in "/" names a directory, as a path does:
			// for the last component, the walk must end on one.
			if len(comps) == 0 && strings.HasSuffix(target, "/") {
				slash = true
			}
			comps = append(splitPath(target), comps...)
			if len(comps) == 0 {
				// A link to "/": the walk ends on the root itself.
				return w.final(cur, slash)
			}
			continue
		}
		if last {
			n := node{path: next, exists: true, st: st, parent: cur, slash: slash}
			if slash && st.Mode&unix.S_IFMT != unix.S_IFDIR {
				return node{err: unix.ENOTDIR}
			}
			return n
		}
		cur, curSt = next, st
	}
	return w.final(cur, slash)
}

// final is the node of a walk that ended on a directory it had already
// entered ("/", ".", "a/..").
func (w *walker) final(cur string, slash bool) node {
	n := node{path: cur, exists: true, parent: path.Dir(cur), slash: slash}
	if err := unix.Stat(cur, &n.st); err != nil {
		return node{err: unix.ENOENT}
	}
	return n
}

func (w *walker) procDir() string { return path.Join(w.rootDir(), "proc") }

// magic handles a /proc magic link whose target is not a plain path, or
// that ends the walk: the object is stat'ed through the link itself.
// done is false when the walk should go on along target.
func (w *walker) magic(link, target, cur string, last, slash bool) (node, bool) {
	deleted := strings.HasSuffix(target, " (deleted)")
	plain := strings.HasPrefix(target, "/") && !deleted && !strings.HasPrefix(target, "/memfd:")
	if plain && !last {
		return node{}, false
	}
	if !last {
		return node{err: unix.ENOTDIR}, true
	}
	n := node{path: strings.TrimSuffix(target, " (deleted)"), exists: true, fd: link, slash: slash}
	if err := unix.Stat(link, &n.st); err != nil {
		return node{err: unix.ENOENT}, true
	}
	n.parent = path.Dir(n.path)
	// Pipes, sockets and anonymous inodes ("pipe:[12]") have no path,
	// and memfds live on an internal mount Landlock always allows. A
	// plain target is the kernel's d_path: absolute, without symlinks,
	// and reached without any permission check on its ancestors.
	n.noPath = !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "/memfd:")
	return n, true
}

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// fdNode is the object behind the caller's fd, reached through
// /proc/PID/fd/N like a magic link.
func (m *mapper) fdNode(fd int) node {
	if fd < 0 {
		return node{err: unix.EBADF}
	}
	p, err := m.t.FDPath(fd)
	if err != nil {
		return node{err: unix.EBADF}
	}
	link := "/proc/" + strconv.Itoa(m.c.PID) + "/fd/" + strconv.Itoa(fd)
	n := node{path: strings.TrimSuffix(p, " (deleted)"), exists: true, fd: link}
	if err := unix.Stat(link, &n.st); err != nil {
		return node{err: unix.EBADF}
	}
	n.parent = path.Dir(n.path)
	n.noPath = !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "/memfd:")
	return n
}

// readOnly reports whether the filesystem holding p is mounted read-only
// (EROFS comes before Landlock's hooks).
func readOnly(p string) bool {
	var fs unix.Statfs_t
	return unix.Statfs(p, &fs) == nil && fs.Flags&unix.ST_RDONLY != 0
}

// noDev reports whether p's mount has nodev (opening a device there is
// EACCES before the hook).
func noDev(p string) bool {
	var fs unix.Statfs_t
	return unix.Statfs(p, &fs) == nil && fs.Flags&unix.ST_NODEV != 0
}

// noExec reports whether p's mount has noexec.
func noExec(p string) bool {
	var fs unix.Statfs_t
	return unix.Statfs(p, &fs) == nil && fs.Flags&unix.ST_NOEXEC != 0
}

// mountID is the mount a path is on, to predict EXDEV for rename and
// link across mounts (bind mounts of one filesystem differ too).
func mountID(p string) uint64 {
	var sx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, p, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &sx); err != nil {
		return 0
	}
	return sx.Mnt_id
}

// parentSt stats a node's parent directory.
func parentSt(n *node) (unix.Stat_t, bool) {
	var st unix.Stat_t
	return st, unix.Stat(n.parent, &st) == nil
}

// mayFollow predicts fs.protected_symlinks (may_follow_link, checked
// for the trailing symlinks of a lookup only): in a sticky world-writable
// directory, a symlink is followed only by its owner or when it belongs
// to the directory's owner; root included.
func (m *mapper) mayFollow(dir, link *unix.Stat_t) bool {
	const stickyOther = unix.S_ISVTX | 0o002
	if dir.Mode&stickyOther != stickyOther || link.Uid == dir.Uid || sysctlFS("protected_symlinks") == 0 {
		return true
	}
	cr := m.creds()
	return !cr.known || cr.uid == link.Uid
}

// mayOpenInSticky predicts fs.protected_regular and fs.protected_fifos
// (may_create_in_sticky): an O_CREAT open of an existing regular file or
// FIFO in a sticky directory, owned by neither the opener nor the
// directory's owner, is EACCES when the directory is world-writable
// (level 1) or group-writable (level 2); root included.
func (m *mapper) mayOpenInSticky(dir, file *unix.Stat_t) bool {
	if dir.Mode&unix.S_ISVTX == 0 || file.Uid == dir.Uid {
		return true
	}
	var level int
	switch file.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		level = sysctlFS("protected_regular")
	case unix.S_IFIFO:
		level = sysctlFS("protected_fifos")
	}
	if level == 0 {
		return true
	}
	if cr := m.creds(); !cr.known || cr.uid == file.Uid {
		return true
	}
	return dir.Mode&0o002 == 0 && (dir.Mode&0o020 == 0 || level < 2)
}

// sysctlFS reads /proc/sys/fs/name; 0 when it cannot.
func sysctlFS(name string) int {
	b, err := readProc("/proc/sys/fs/" + name)
	if err != nil {
		return 0
	}
	v, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return v
}
