package trace

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// watcher lets the default mode's receivers trust what they cached
// with one system call per stopped call: an epoll set holding a pidfd
// for each cached thread (tracee.go), which the kernel makes readable
// when the thread exits. check, made after a notification is received
// and before anything cached is used for it, drops what the events
// say is stale.
//
// Why that is enough for threads: a tid is reused only once the task
// that held it has exited, and the kernel wakes the waiters of a
// thread's pidfd in exit_notify, before release_task frees the tid. So
// by the time a new task with an old tid can make a call, the old
// task's pidfd is ready, and a check made after that call was received
// sees it. The stat of /proc/TID that identified a thread on every
// call before (dearer than an epoll_wait that finds nothing; the
// README's Performance section has the numbers) is then needed only for
// threads without a pidfd (PIDFD_THREAD is Linux 6.9; the fd limit).
//
// The same set holds the stat cache's inotify instance and mount
// watch (statcache.go). check runs under mu, so that a receiver that
// finds nothing ready cannot go on while another still handles what it
// found (a mount change is reported once).
type watcher struct {
	ep      int
	mu      sync.Mutex
	threads *threadCache
	stats   *statCache // nil: lstat every time
}

// newWatcher returns a watcher for the threads of c, or nil if this
// kernel cannot watch them (the cache then identifies each thread by a
// stat per call).
func newWatcher(c *threadCache) *watcher {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	// PIDFD_THREAD on our own thread says whether the kernel has it.
	fd, err := unix.PidfdOpen(unix.Gettid(), unix.PIDFD_THREAD)
	if err != nil {
		unix.Close(ep)
		return nil
	}
	unix.Close(fd)
	w := &watcher{ep: ep, threads: c}
	c.watch = w
	w.stats = newStatCache(w)
	return w
}

// check handles what became ready since the last check.
func (w *watcher) check() {
	var evs [16]unix.EpollEvent
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		n, err := epollWaitNow(w.ep, evs[:])
		if err != nil {
			// Nothing can be trusted: forget everything.
			w.threads.forgetAll()
			if w.stats != nil {
				w.stats.forget()
			}
			return
		}
		if n == 0 {
			return
		}
		for _, ev := range evs[:n] {
			if ev.Pad == 0 {
				// Not a pidfd: the stat cache's (add's serials start at 1).
				w.stats.ready(ev.Fd)
				continue
			}
			if !w.threads.exited(ev.Fd, uint32(ev.Pad)) {
				// Not a pidfd of the cache (cannot happen: each is
				// closed, and so leaves the set, when its entry goes).
				// Out of the set, so that check always ends.
				unix.EpollCtl(w.ep, unix.EPOLL_CTL_DEL, int(ev.Fd), nil)
			}
		}
		if n < len(evs) {
			return
		}
	}
}

// add watches fd, a pidfd, under serial. Called with the thread
// cache's lock held.
func (w *watcher) add(fd int, serial uint32) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd), Pad: int32(serial)}
	return unix.EpollCtl(w.ep, unix.EPOLL_CTL_ADD, fd, &ev)
}

// close releases what the watcher holds: the pidfds of the threads
// still cached, the stat cache's descriptors, the epoll set.
func (w *watcher) close() {
	w.threads.forgetAll()
	if w.stats != nil {
		w.stats.close()
	}
	unix.Close(w.ep)
}

// epollWaitNow is epoll_wait with a zero timeout, which never blocks:
// a raw system call, without the runtime's hand-off around it.
func epollWaitNow(ep int, evs []unix.EpollEvent) (int, error) {
	for {
		n, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_WAIT, uintptr(ep), uintptr(unsafe.Pointer(&evs[0])), uintptr(len(evs)), 0, 0, 0)
		switch errno {
		case 0:
			return int(n), nil
		case unix.EINTR:
			continue
		}
		return 0, errno
	}
}
