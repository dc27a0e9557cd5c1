package trace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/learn"
)

// The supervisor of the default mode: receivers on the seccomp listener.
//
// For each stopped call a receiver builds a sysCall, lets the mapping look
// at the blocked caller (prepareCall), turns it into observations (Finish),
// answers SECCOMP_USER_NOTIF_FLAG_CONTINUE and only then records them.
//
// Recording after the answer is the TOCTOU check: the thread may have
// been killed and its tid reused while /proc and its memory were read,
// and then the reads were of another process. The answer succeeds only
// if the notification is still pending, so the thread was alive and
// blocked in the call during every read; if it fails, nothing is
// recorded. This is what SECCOMP_IOCTL_NOTIF_ID_VALID would say, without
// the extra ioctl per call.
//
// Restarted calls. A thread that gets a signal while its call waits for
// the answer leaves the wait: the kernel drops the notification and the
// answer fails with ENOENT. Such a call has not run: its observations
// are dropped, and if the call is restarted (SA_RESTART) it enters the
// filter again as a new notification. A call that blocks after it was
// let through (an open of a FIFO) and is restarted also enters the
// filter again; its observations are then exactly the previous ones of
// the same thread, and record skips such a repeat (appendDedupeKey).
// Nothing else is skipped: two identical calls in a row may need
// different rights (the first O_CREAT creates, the second truncates).
//
// The memory the mapping read can change under it (another thread of
// the target may rewrite a path after the read): user notification is
// no security boundary, and landlearn does not use it as one. The
// program is watched, not contained; enforcement is Landlock's job.

// How many goroutines receive, and how, is the notifier's choice
// (tracer.go): one with the synchronous wake-up while one process makes
// the calls, one pinned to each CPU when several do.
//
// A receiver can be held up by the traced tree itself: its lstat of a
// path on a FUSE mount that a traced process serves waits for that
// process, which may be stopped in a call only a receiver can let go.
// So when every receiver has been busy for two stuckAfter ticks in a row
// without a new call being received, another one starts, up to
// maxReceivers; it returns once a receiver is waiting again (serve).
const (
	maxReceivers = 8
	stuckAfter   = 50 * time.Millisecond
)

// session is one run's shared state.
type session struct {
	m    *mapping
	rec  learn.Recorder
	tree procTree
	// threads caches what the mapping asks of each thread (tracee.go);
	// watch, in the default mode, says what of it went stale (watch.go).
	threads *threadCache
	watch   *watcher
	// dirs are the directories known to be reached through no symlink
	// (dircache.go).
	dirs *dirCache
	// own are the listening sockets found held by the tree
	// (mapping_net.go).
	own *listenerSet
	seq atomic.Uint64
	n   atomic.Uint64 // calls stopped
	// waiting is how many receivers are blocked in NOTIF_RECV.
	waiting atomic.Int32
	// callers says whether several processes made calls lately (the
	// notifier's choice of receiving, tracer.go).
	callers callerWindow

	mu       sync.Mutex
	recErr   error          // the first error of rec
	last     map[int][]byte // per thread: key of its last recorded call
	scratch  []byte         // the next key is built here (record)
	warned   map[string]bool
	warnf    func(string, ...any)
	execSeen map[string]bool
}

func newSession(m *mapping, rec learn.Recorder, tree procTree, warnf func(string, ...any)) *session {
	if warnf == nil {
		warnf = func(string, ...any) {}
	}
	return &session{m: m, rec: rec, tree: tree, threads: newThreadCache(), dirs: newDirCache(), own: &listenerSet{}, last: map[int][]byte{}, warned: map[string]bool{}, warnf: warnf, execSeen: map[string]bool{}}
}

// warnOnce prints a warning the first time key is seen.
func (s *session) warnOnce(key, format string, args ...any) {
	s.mu.Lock()
	seen := s.warned[key]
	s.warned[key] = true
	s.mu.Unlock()
	if !seen {
		s.warnf(format, args...)
	}
}

// record writes the observations of one call by thread tid, unless they
// repeat that thread's previous call exactly (a restart).
func (s *session) record(tid int, c *sysCall, obs []learn.Observation) {
	if len(obs) == 0 {
		return
	}
	s.mu.Lock()
	key := appendDedupeKey(s.scratch[:0], c, obs)
	prev := s.last[tid]
	if bytes.Equal(prev, key) {
		s.scratch = key
		s.mu.Unlock()
		return
	}
	// The key buffers change hands: no allocation per call.
	s.last[tid], s.scratch = key, prev
	s.mu.Unlock()
	for _, o := range obs {
		if err := s.rec.Record(o); err != nil {
			s.mu.Lock()
			if s.recErr == nil {
				s.recErr = err
			}
			s.mu.Unlock()
		}
		s.checkSetuid(o)
	}
}

// appendDedupeKey appends to b the call's number and arguments and its
// observations without their sequence numbers.
func appendDedupeKey(b []byte, c *sysCall, obs []learn.Observation) []byte {
	b = append(b, byte(c.Arch), byte(c.Nr), byte(c.Nr>>8))
	for _, a := range c.Args {
		for i := range 8 {
			b = append(b, byte(a>>(8*i)))
		}
	}
	for _, o := range obs {
		o.Seq = 0
		b = append(b, o.Syscall...)
		b = append(b, 0)
		b = append(b, o.Path...)
		b = append(b, 0)
		b = append(b, o.Type...)
		b = binary.LittleEndian.AppendUint64(b, uint64(o.FS))
		b = binary.LittleEndian.AppendUint64(b, uint64(o.Net))
		for _, a := range o.Unknown {
			b = append(b, 0)
			b = append(b, a...)
		}
		b = append(b, 1)
		b = append(b, o.Src...)
		b = append(b, 0)
		b = append(b, o.Dst...)
		b = append(b, 0)
		if o.Port != nil {
			b = append(b, byte(*o.Port), byte(*o.Port>>8))
		}
		b = append(b, o.Scope...)
		b = append(b, o.Warning...)
		if o.Created {
			b = append(b, 'c')
		}
		if o.Deleted {
			b = append(b, 'd')
		}
		b = append(b, 2)
	}
	return b
}

// checkSetuid says once that a set-user-ID or set-group-ID program ran
// without its privileges: the tree runs with no_new_privs (as it will
// under Landlock), so what was learned is what the unprivileged run did.
func (s *session) checkSetuid(o learn.Observation) {
	if o.Path == "" || o.Type != learn.TypeFile || !o.FS.Has(rExecute) {
		return
	}
	s.mu.Lock()
	seen := s.execSeen[o.Path]
	s.execSeen[o.Path] = true
	s.mu.Unlock()
	if seen {
		return
	}
	var st unix.Stat_t
	if unix.Stat(o.Path, &st) != nil || st.Mode&(unix.S_ISUID|unix.S_ISGID) == 0 {
		return
	}
	s.warnOnce("setuid", "%s is set-user-ID or set-group-ID: it ran without that privilege (no_new_privs is set, as under Landlock), so the policy covers what it did unprivileged", o.Path)
}

// archOf maps seccomp_data.arch to the syscallABI of the mapping.
func archOf(auditArch uint32, nr int32) (syscallABI, bool) {
	switch auditArch {
	case unix.AUDIT_ARCH_X86_64:
		if nr&x32SyscallBit != 0 {
			return 0, false
		}
		return abiX86_64, true
	case unix.AUDIT_ARCH_I386:
		return abiI386, true
	}
	return 0, false
}

// serve receives notifications on fd until the traced tree is gone
// (gone), or until enough, when set, says so after a call: an extra
// receiver (started by the notifier's watch) returns once another
// receiver is waiting, a pinned one once the notifier leaves that mode
// (tracer.go): every receiver blocked in NOTIF_RECV is woken by every
// call.
//
// From Linux 6.6 a receiver blocked in NOTIF_RECV wakes up with ENOENT
// when the last task using the filter is gone; POLLHUP on the listener
// then says it is for good (ENOENT alone also means a caller was killed
// before its notification was received).
func (s *session) serve(fd int, enough func() bool) (gone bool, err error) {
	var n seccompNotif
	var t procTracee
	for {
		s.waiting.Add(1)
		err := notifRecv(fd, &n)
		if err == nil {
			s.n.Add(1) // before waiting drops: see the notifier's watch
		}
		s.waiting.Add(-1)
		switch {
		case err == nil:
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ENOENT):
			if listenerHungUp(fd) {
				return true, nil
			}
			continue
		default:
			return false, err
		}
		s.handle(fd, &n, &t)
		if enough != nil && enough() {
			return false, nil
		}
	}
}

// callerWindow tells, for the time since it was last taken, whether
// calls came from more than one process: one atomic load on most calls.
type callerWindow struct {
	first atomic.Int64 // the first caller's pid, 0 for none yet
	multi atomic.Bool  // another pid came
}

func (w *callerWindow) note(pid int) {
	switch f := w.first.Load(); {
	case f == 0:
		w.first.CompareAndSwap(0, int64(pid))
	case f != int64(pid) && !w.multi.Load():
		w.multi.Store(true)
	}
}

// take says whether several processes called since the last take, and
// starts a new window.
func (w *callerWindow) take() bool {
	multi := w.multi.Swap(false)
	w.first.Store(0)
	return multi
}

// listenerHungUp reports whether the filter has no users left.
func listenerHungUp(fd int) bool {
	p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(p, 0)
		if err == unix.EINTR {
			continue
		}
		return err != nil || p[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 && p[0].Revents&unix.POLLIN == 0
	}
}

// handle maps one notification and lets the call run.
//
// t is the receiver's tracee, reset for this call: nothing keeps it
// past the answer.
func (s *session) handle(fd int, n *seccompNotif, t *procTracee) {
	tid := int(n.Pid)
	arch, ok := archOf(n.Data.Arch, n.Data.Nr)
	if !ok {
		// x32: the filter stops every call, and each fails. Say why once.
		s.warnOnce("x32", "thread %d made an x32 system call (%d): landlearn cannot trace the x32 ABI, the call failed with ENOSYS", tid, n.Data.Nr&^x32SyscallBit)
		if notifFail(fd, n.ID, unix.ENOSYS) == nil {
			s.record(tid, &sysCall{TID: tid, PID: tid, Nr: int(n.Data.Nr)}, []learn.Observation{{
				Seq: s.seq.Add(1), Syscall: "x32", PID: tid,
				Warning: "x32 system calls are not traced: they fail with ENOSYS under landlearn",
			}})
		}
		return
	}
	if s.watch != nil {
		s.watch.check()
	}
	t.reset(tid, s, s.dirs)
	c := sysCall{Seq: s.seq.Add(1), TID: tid, PID: t.tgid(), Arch: arch, Nr: int(n.Data.Nr), Args: n.Data.Args}
	s.callers.note(c.PID)
	// A call that may move or remove a directory empties the directory
	// cache before it is looked at, and again once it is let go, for the
	// walks made meanwhile (its own, other receivers'). One made after it
	// is let go but before it runs can still keep a directory it removes:
	// cachedDir notices that when the entry is used.
	e := lookupSyscall(arch, c.Nr)
	changesDirs := e != nil && e.changesDirs()
	if changesDirs {
		s.dirs.clear()
	}
	var obs []learn.Observation
	if p := s.prepare(&c, t, e); p != nil {
		obs = p.Finish(nil)
	}
	// A successful answer proves the call was still pending, so every
	// read above was of this caller (see the top of this file).
	err := notifContinue(fd, n.ID)
	if changesDirs {
		s.dirs.clear()
	}
	if err != nil {
		return // interrupted before it ran (see above)
	}
	s.record(tid, &c, obs)
}

// prepare runs the mapping on a call. Around an exec it drops what the
// exec may change of the caller's cached facts (tracee.go): its root
// before, so the exec'd path is resolved in the current root; its
// executable after, so the new image's calls are not told of the old.
// A call that changes the caller's ids drops its cached credentials.
func (s *session) prepare(c *sysCall, t *procTracee, e *sysEntry) prepared {
	if e != nil && e.changesCreds() {
		s.threads.credsDrop(c.TID)
	}
	exec := e != nil && e.isExec()
	if exec {
		s.threads.execDrop(c.TID, c.PID, false)
		if c.TID != c.PID {
			t.ent = nil // looked up for the caller's tgid: look it up afresh
		}
	}
	p := s.m.prepare(c, t)
	if exec {
		s.threads.execDrop(c.TID, c.PID, true)
	}
	return p
}

// recordErr is the first recorder error, if any, as both supervisors'
// wait reports it.
func (s *session) recordErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.recErr != nil {
		return fmt.Errorf("record observations: %w", s.recErr)
	}
	return nil
}
