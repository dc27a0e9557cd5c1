package trace

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/landlearn/landlearn/internal/procfs"
	"golang.org/x/sys/unix"
)

// maxString is the longest string ReadString returns: PATH_MAX.
const maxString = 4096

// procTracee is the tracee of one stopped call, read through /proc and
// process_vm_readv. Both need ptrace-mode access to the caller, which
// the learner has: same credentials, and the tree descends from it (so
// Yama's ptrace_scope=1 allows it too). Answers are only meaningful
// while the call is blocked; the mechanism checks that it still was
// before it let the call go on (see notify.go).
type procTracee struct {
	tid    int
	tree   procTree
	cache  *threadCache
	dirs   *dirCache    // nil: fastWalk opens every directory
	stats  *statCache   // nil: fastWalk lstats every path
	own    *listenerSet // the run's own listening sockets (mapping_net.go)
	ent    *threadEntry // this thread's cache entry, once looked up
	status []byte       // /proc/TID/status, read at most once
	// last is the last string ReadString returned, kept by a receiver's
	// tracee from call to call: a repeated path is not allocated again.
	last string
}

// newProcTracee is the tracee of a call by tid; dirs nil walks every
// path in full (accurate mode).
func newProcTracee(tid int, s *session, dirs *dirCache) *procTracee {
	t := &procTracee{}
	t.reset(tid, s, dirs)
	return t
}

// reset makes t the tracee of a new call by tid, for a receiver that
// keeps one for all its calls (notify.go).
func (t *procTracee) reset(tid int, s *session, dirs *dirCache) {
	*t = procTracee{tid: tid, tree: s.tree, cache: s.threads, dirs: dirs, own: s.own, last: t.last}
	if dirs != nil && s.watch != nil {
		t.stats = s.watch.stats
	}
}

// proc is the path of name in /proc/TID.
func (t *procTracee) proc(name string) string {
	return "/proc/" + strconv.Itoa(t.tid) + "/" + name
}

func (t *procTracee) dirCache() *dirCache        { return t.dirs }
func (t *procTracee) statCache() *statCache      { return t.stats }
func (t *procTracee) ownListeners() *listenerSet { return t.own }

// ReadMem reads with process_vm_readv, which takes a thread id as well
// as a process id: the memory is the same.
func (t *procTracee) ReadMem(addr uint64, b []byte) error {
	for len(b) > 0 {
		n, err := readMem(t.tid, addr, b)
		if err != nil {
			return fmt.Errorf("read %d bytes at %#x of thread %d: %w", len(b), addr, t.tid, err)
		}
		if n == 0 {
			return fmt.Errorf("read %d bytes at %#x of thread %d: %w", len(b), addr, t.tid, unix.EFAULT)
		}
		b = b[n:]
		addr += uint64(n)
	}
	return nil
}

func readMem(tid int, addr uint64, b []byte) (int, error) {
	local := []unix.Iovec{{Base: &b[0], Len: uint64(len(b))}}
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(b)}}
	return unix.ProcessVMReadv(tid, local, remote, 0)
}

// ReadString reads page by page: process_vm_readv stops at the first
// unmapped page, and a string can end just before one.
func (t *procTracee) ReadString(addr uint64) (string, error) {
	if addr == 0 {
		return "", fmt.Errorf("read string of thread %d: %w", t.tid, unix.EFAULT)
	}
	var buf [maxString]byte
	got := 0
	for got < len(buf) {
		a := addr + uint64(got)
		chunk := int(pageSize - a%pageSize)
		chunk = min(chunk, len(buf)-got)
		n, err := readMem(t.tid, a, buf[got:got+chunk])
		if err != nil || n == 0 {
			if err == nil {
				err = unix.EFAULT
			}
			return "", fmt.Errorf("read string at %#x of thread %d: %w", addr, t.tid, err)
		}
		if i := bytes.IndexByte(buf[got:got+n], 0); i >= 0 {
			if b := buf[:got+i]; string(b) != t.last {
				t.last = string(b)
			}
			return t.last, nil
		}
		got += n
	}
	return "", fmt.Errorf("read string at %#x of thread %d: longer than %d bytes: %w", addr, t.tid, maxString, unix.ENAMETOOLONG)
}

var pageSize = uint64(os.Getpagesize())

// FDPath resolves fd like the kernel resolves a dirfd: AT_FDCWD is the
// working directory of the calling thread (threads may have their own
// after unshare(CLONE_FS)).
func (t *procTracee) FDPath(fd int) (string, error) {
	if fd == unix.AT_FDCWD {
		return os.Readlink(t.proc("cwd"))
	}
	if fd < 0 {
		return "", fmt.Errorf("fd %d of thread %d: %w", fd, t.tid, unix.EBADF)
	}
	return os.Readlink(t.proc("fd/" + strconv.Itoa(fd)))
}

// The thread group, Root, Exe and Creds are cached per thread: reading
// them costs more than the rest of a call's handling together
// (/proc/TID/status is rendered whole, and each /proc magic link and
// pidfd_open is a system call of its own; the README's Performance
// section has the costs). An entry is used only while it is known to be about
// the thread making the call, although tids are reused within one build
// (pid_max may be 32768):
//   - In the default mode a pidfd of each cached thread is watched
//     (watch.go): the entry is dropped when the thread exits, before its
//     tid can be reused, at no cost per call.
//   - Otherwise (accurate mode; no PIDFD_THREAD, before Linux 6.9; the
//     thread cap) one stat of /proc/TID identifies the thread on every
//     call: its inode number belongs to that task (a new task with a
//     reused tid gets a new inode), and its owner is the task's
//     effective uid and gid (a setuid() changes it).
// The calls that change a thread's ids (setuid, setresgid, setfsuid,
// setgroups...) are stopped, and drop the caller's credentials before
// they run (credsDrop). An exec drops the caller's root before it is
// looked at (see execDrop), so chroot-then-exec resolves the exec'd path
// in the new root, and its executable after. Missed: chroot() alone in
// the middle of a run, followed by calls before the next exec. Such a
// caller's paths are resolved in its old root.

func (t *procTracee) Root() (string, error) {
	e := t.entry()
	if e == nil {
		return os.Readlink(t.proc("root"))
	}
	t.cache.mu.Lock()
	root := e.root
	t.cache.mu.Unlock()
	if root != "" {
		return root, nil
	}
	root, err := os.Readlink(t.proc("root"))
	if err == nil {
		t.cache.mu.Lock()
		e.root = root
		t.cache.mu.Unlock()
	}
	return root, err
}

func (t *procTracee) Exe() string {
	e := t.entry()
	if e != nil {
		t.cache.mu.Lock()
		exe := e.exe
		t.cache.mu.Unlock()
		if exe != "" {
			return exe
		}
	}
	exe, err := os.Readlink(t.proc("exe"))
	if err != nil {
		return ""
	}
	if e != nil {
		t.cache.mu.Lock()
		e.exe = exe
		t.cache.mu.Unlock()
	}
	return exe
}

func (t *procTracee) Creds() (uid, gid int, groups []int, err error) {
	e := t.entry()
	if e != nil {
		t.cache.mu.Lock()
		ok := e.credsOK
		uid, gid, groups = e.cr.fsuid, e.cr.fsgid, e.cr.groups
		t.cache.mu.Unlock()
		if ok {
			return uid, gid, groups, nil
		}
	}
	if err := t.readStatus(); err != nil {
		return 0, 0, nil, err
	}
	cr, err := parseCreds(t.status)
	if err == nil && e != nil {
		t.cache.mu.Lock()
		e.cr, e.credsOK = cr, true
		t.cache.mu.Unlock()
	}
	return cr.fsuid, cr.fsgid, cr.groups, err
}

// entry is the caller's cache entry, nil if /proc/TID cannot be read.
func (t *procTracee) entry() *threadEntry {
	if t.ent != nil || t.cache == nil {
		return t.ent
	}
	if e := t.cache.watched(t.tid); e != nil {
		t.ent = e
		return e
	}
	var st unix.Stat_t
	if unix.Stat("/proc/"+strconv.Itoa(t.tid), &st) != nil {
		return nil
	}
	t.ent = t.cache.get(t.tid, threadID{ino: st.Ino, uid: st.Uid, gid: st.Gid})
	return t.ent
}

// threadCache holds what is known of the threads of one run.
type threadCache struct {
	mu sync.Mutex
	m  map[int]*threadEntry
	// watch, when set, watches the pidfd of each entry that has one.
	watch  *watcher
	byFD   map[int32]*threadEntry // the entries with a pidfd
	serial uint32                 // of the last pidfd watched
}

// threadID tells a thread apart from an earlier one with its tid, for
// an entry without a pidfd.
type threadID struct {
	ino      uint64 // of /proc/TID
	uid, gid uint32 // its owner
}

type threadEntry struct {
	tid int
	id  threadID
	// pidfd is the thread's, watched under serial; -1 for an entry
	// identified by id.
	pidfd   int
	serial  uint32
	tgid    int
	root    string
	exe     string
	credsOK bool
	cr      taskCreds
}

// taskCreds are the ids of /proc/TID/status that the mapping and the
// cache use.
type taskCreds struct {
	euid, egid   int
	fsuid, fsgid int
	groups       []int
}

// Bounds: at most maxWatchedThreads pidfds open at once (a tree with
// more live threads has the others identified by stat), and at most
// maxThreads entries, beyond which those without a pidfd (whose thread
// may be long gone) are forgotten.
const (
	maxWatchedThreads = 4096
	maxThreads        = 16384
)

func newThreadCache() *threadCache {
	return &threadCache{m: map[int]*threadEntry{}, byFD: map[int32]*threadEntry{}}
}

// watched returns tid's entry when it is one with a pidfd, creating it
// if tid has none: in both cases the entry is about the caller, as the
// receiver's check dropped those of the threads that exited (watch.go).
// nil when the cache watches no pidfds, tid already has an entry
// identified by stat, or its pidfd cannot be opened or watched.
func (c *threadCache) watched(tid int) *threadEntry {
	if c.watch == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[tid]; e != nil {
		if e.pidfd < 0 {
			return nil
		}
		return e
	}
	if len(c.byFD) >= maxWatchedThreads {
		return nil
	}
	// The caller is blocked in its call, so the task with tid is the
	// caller while this pidfd is opened.
	fd, err := unix.PidfdOpen(tid, unix.PIDFD_THREAD)
	if err != nil {
		return nil
	}
	if c.serial++; c.serial == 0 {
		c.serial = 1 // 0 is the stat cache's events (watch.go)
	}
	if err := c.watch.add(fd, c.serial); err != nil {
		unix.Close(fd)
		return nil
	}
	e := &threadEntry{tid: tid, pidfd: fd, serial: c.serial}
	c.put(e)
	c.byFD[int32(fd)] = e
	return e
}

// get returns tid's entry, a fresh one if tid is now another thread or
// changed owner. For entries without a pidfd.
func (c *threadCache) get(tid int, id threadID) *threadEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[tid]
	if e == nil || e.pidfd >= 0 || e.id != id {
		c.remove(tid)
		e = &threadEntry{tid: tid, id: id, pidfd: -1}
		c.put(e)
	}
	return e
}

// put adds e, making room first. c.mu is held.
func (c *threadCache) put(e *threadEntry) {
	if len(c.m) >= maxThreads {
		for tid, o := range c.m {
			if o.pidfd < 0 {
				delete(c.m, tid)
			}
		}
	}
	c.m[e.tid] = e
}

// remove forgets tid's entry and closes its pidfd. c.mu is held.
func (c *threadCache) remove(tid int) {
	e := c.m[tid]
	if e == nil {
		return
	}
	delete(c.m, tid)
	if e.pidfd >= 0 {
		delete(c.byFD, int32(e.pidfd))
		unix.Close(e.pidfd) // which also takes it out of the epoll set
	}
}

// exited is the watcher's news that the thread whose pidfd is fd,
// watched under serial, has exited: its entry goes. An event may come
// late, after its entry was removed and fd reused: serial tells. false
// when fd is no pidfd of the cache.
func (c *threadCache) exited(fd int32, serial uint32) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.byFD[fd]
	if e != nil && e.serial == serial {
		c.remove(e.tid)
	}
	return e != nil
}

// forgetAll empties the cache.
func (c *threadCache) forgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for tid := range c.m {
		c.remove(tid)
	}
}

// credsDrop forgets tid's credentials: it is about to change its ids.
func (c *threadCache) credsDrop(tid int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[tid]; e != nil {
		e.credsOK = false
	}
}

// An exec keeps most of what is cached of its caller: the thread group
// stays, and so do the credentials (no_new_privs: no setuid or file
// capability gain). Most execs fail anyway (a PATH search tries each
// directory in turn: 310 of the 407 of bench/trace.sh's make -j2), and
// reading everything again after each one cost (a) about 10% of the
// learner's work. What may be stale is dropped on each side of the
// call; an exec from a thread that does not lead its group moves that
// thread to the leader's tid, and both entries go whole.

// execDrop forgets, for an exec by tid, what the exec may make stale:
// before it (after false), the root, as a chroot() since it was read
// (chroot is not stopped) must not resolve the exec'd path in the old
// one; after it, the executable, as the new image's calls must not be
// told of the old one, and the credentials if the filesystem ids were
// not the effective ones: an exec sets them back.
func (c *threadCache) execDrop(tid, pid int, after bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[tid]
	switch {
	case tid != pid:
		c.remove(tid)
		c.remove(pid)
	case e != nil && after:
		e.exe = ""
		if e.cr.fsuid != e.cr.euid || e.cr.fsgid != e.cr.egid {
			e.credsOK = false // setfsuid() or setfsgid() before the exec
		}
	case e != nil:
		e.root = ""
	}
}

// parseCreds takes the effective and filesystem ids (2nd and 4th
// fields of Uid:/Gid:) and the supplementary groups from
// /proc/TID/status.
func parseCreds(b []byte) (taskCreds, error) {
	cr := taskCreds{euid: -1, egid: -1, fsuid: -1, fsgid: -1}
	var err error
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		switch k {
		case "Uid":
			if len(f) == 4 {
				cr.euid, err = strconv.Atoi(f[1])
				if err == nil {
					cr.fsuid, err = strconv.Atoi(f[3])
				}
			}
		case "Gid":
			if len(f) == 4 {
				cr.egid, err = strconv.Atoi(f[1])
				if err == nil {
					cr.fsgid, err = strconv.Atoi(f[3])
				}
			}
		case "Groups":
			for _, g := range f {
				n, e := strconv.Atoi(g)
				if e != nil {
					err = e
				}
				cr.groups = append(cr.groups, n)
			}
		}
		if err != nil {
			return taskCreds{}, fmt.Errorf("/proc status %s: %w", k, err)
		}
	}
	if cr.fsuid < 0 || cr.fsgid < 0 {
		return taskCreds{}, errors.New("/proc status: no Uid or Gid line")
	}
	return cr, nil
}

func (t *procTracee) InTree(pid int) bool { return t.tree.InTree(pid) }

// readStatus reads /proc/TID/status at most once per call.
func (t *procTracee) readStatus() error {
	if t.status != nil {
		return nil
	}
	b, err := readProc(t.proc("status"))
	if err != nil {
		return err
	}
	t.status = b
	return nil
}

// tgid is the caller's thread group id, tid itself if it cannot be read
// (the caller is gone; its call will not be recorded anyway). It is
// cached with the thread (see above): tids are reused within one build
// (pid_max may be 32768), a thread's /proc inode is not.
func (t *procTracee) tgid() int {
	e := t.entry()
	if e != nil {
		t.cache.mu.Lock()
		g := e.tgid
		t.cache.mu.Unlock()
		if g != 0 {
			return g
		}
	}
	g := t.readTgid()
	if e != nil {
		t.cache.mu.Lock()
		e.tgid = g
		t.cache.mu.Unlock()
	}
	return g
}

// readTgid asks the kernel. Most callers lead their thread group, which
// pidfd_open accepts (without PIDFD_THREAD it refuses any other thread):
// cheaper than reading /proc/TID/status.
func (t *procTracee) readTgid() int {
	if fd, err := unix.PidfdOpen(t.tid, 0); err == nil {
		unix.Close(fd)
		return t.tid
	}
	if t.readStatus() != nil {
		return t.tid
	}
	b := t.status
	if i := bytes.Index(b, []byte("\nTgid:")); i >= 0 {
		rest := b[i+len("\nTgid:"):]
		if j := bytes.IndexByte(rest, '\n'); j >= 0 {
			rest = rest[:j]
		}
		if n, err := strconv.Atoi(string(bytes.TrimSpace(rest))); err == nil {
			return n
		}
	}
	return t.tid
}

// readProc reads a small /proc file in as few system calls as the
// kernel allows (procfs.ReadFile).
func readProc(p string) ([]byte, error) {
	return procfs.ReadFile(p, make([]byte, 0, 4096))
}
