package trace

import (
	"errors"
	"hash/maphash"
	"os"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// statCache remembers what fastWalk's lstat of a path said, for paths a
// run resolves again and again: a test suite opening the same files, a
// build probing the same include directories for headers that are not
// there. A path is remembered the second time it is looked up, and only
// while inotify watches every directory on its way and the path itself:
// any change to a name on the way or to the file's attributes (rename,
// unlink, create, chmod, chown, a symlink put in a directory's place),
// by the traced tree or by any other process, queues an event, and the
// receivers' check (watch.go), made after each notification is
// received, drops what the events name before anything cached is used.
// A mount or unmount anywhere (/proc/self/mountinfo's POLLPRI) drops
// everything. It also remembers a directory that fastWalk found missing
// (gcc probes the same absent include directories for every header),
// watching the directories down to the missing component, whose
// creation drops the entry. Before the watches, the lookup cost an lstat
// per call: all a repeated open cost besides reading its path (the
// README's Performance section has the numbers).
//
// Only directories on filesystems whose changes all pass through this
// kernel are watched (localFS): a file on NFS or FUSE can change
// without an event. What cannot be watched (limits, other filesystems)
// is looked up with lstat every time, as before.
//
// Bounds: maxStatEntries paths and maxWatches watches; past either,
// everything is dropped (the inotify instance closed) and the cache
// starts again.
type statCache struct {
	w  *watcher
	mu sync.Mutex
	in int // the inotify instance, -1 when none is open
	// watches are the watched paths, by descriptor; dirs the
	// directories watched for their names, by path.
	watches map[int32]string
	dirs    map[string]int32
	// unwatchable are the directories that could not be watched (not a
	// local filesystem, inotify's limits), not tried again.
	unwatchable map[string]bool
	ents        map[string]statEnt
	// links are the targets of symlinks, read by readlink.
	links map[string]string
	// missing are the directories fastWalk's openat2 found missing (or
	// not a directory) on the way, with the errno; guards holds their
	// keys under the watched directory and the name whose creation
	// would make them wrong: the first component that is missing (or
	// not a directory).
	missing map[string]unix.Errno
	guards  map[string][]string // "DIR\x00NAME" -> keys of missing
	// seen holds the hashes of paths looked up once and not yet
	// remembered, each in the slot its low bits pick: a table of fixed
	// size, where a path pushed out by another is simply seen once more.
	seen *[seenSlots]uint64
	seed maphash.Seed
	// mounts is /proc/self/mountinfo, watched for mount changes.
	mounts int
}

// statEnt is an lstat's result: the stat of an existing path, or err.
type statEnt struct {
	st  unix.Stat_t
	err unix.Errno
}

const (
	maxStatEntries = 16384
	maxWatches     = 8192
	seenSlots      = 1 << 16
)

// The events that say a remembered lstat may be stale: on a directory,
// a name in it created, removed or renamed, or its own removal or
// rename; on a path, its attributes (mode, owner, link count) changed.
const (
	dirEvents  = unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ATTRIB
	selfEvents = unix.IN_ATTRIB | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF
	nameEvents = unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO
)

// newStatCache returns a cache whose events w's check handles, or nil
// if mount changes cannot be watched.
func newStatCache(w *watcher) *statCache {
	fd, err := unix.Open("/proc/self/mountinfo", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	ev := unix.EpollEvent{Events: unix.EPOLLPRI, Fd: int32(fd)}
	if unix.EpollCtl(w.ep, unix.EPOLL_CTL_ADD, fd, &ev) != nil {
		unix.Close(fd)
		return nil
	}
	return &statCache{w: w, in: -1, mounts: fd, watches: map[int32]string{}, dirs: map[string]int32{},
		unwatchable: map[string]bool{}, ents: map[string]statEnt{}, links: map[string]string{}, missing: map[string]unix.Errno{}, guards: map[string][]string{},
		seen: new([seenSlots]uint64), seed: maphash.MakeSeed()}
}

// lstat is unix.Lstat of p, an absolute path whose directory part has
// no symlink (fastWalk's), from the cache when it can be.
func (c *statCache) lstat(p string, st *unix.Stat_t) error {
	c.mu.Lock()
	if e, ok := c.ents[p]; ok {
		c.mu.Unlock()
		if e.err != 0 {
			return e.err
		}
		*st = e.st
		return nil
	}
	again := c.again(p)
	c.mu.Unlock()
	if !again {
		return unix.Lstat(p, st)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// The watches first, then the lstat: a change made after the
	// watches were in place is an event, one made before is in the
	// result.
	watched := c.watchPath(p)
	err := unix.Lstat(p, st)
	if !watched {
		return err
	}
	switch err {
	case nil:
		c.ents[p] = statEnt{st: *st}
	case unix.ENOENT:
		c.ents[p] = statEnt{err: unix.ENOENT}
	}
	return err
}

// readlink is os.Readlink of p (absolute, its directory part free of
// symlinks), from the cache when it can be: the symlinks on the way to
// the libraries (/lib -> usr/lib) are read again at each use of a
// directory reached through them (cachedDir.valid), and the final ones
// at each exec (/usr/bin/cc -> /etc/alternatives/cc). A symlink cannot
// change in place: replacing it is a name event in its watched
// directory.
func (c *statCache) readlink(p string) (string, error) {
	c.mu.Lock()
	if t, ok := c.links[p]; ok {
		c.mu.Unlock()
		return t, nil
	}
	again := c.again("\x00" + p) // not the slot of p's lstat
	c.mu.Unlock()
	if !again {
		return os.Readlink(p)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	watched := c.watchPath(p)
	t, err := os.Readlink(p)
	if watched && err == nil {
		c.links[p] = t
	}
	return t, err
}

// again says whether p was looked up once already, and forgets it if
// so: this is its second lookup, to be remembered. c.mu is held.
func (c *statCache) again(p string) bool {
	h := maphash.String(c.seed, p) | 1 // never 0, an empty slot
	slot := &c.seen[h%seenSlots]
	if *slot == h {
		*slot = 0
		return true
	}
	*slot = h
	return false
}

// missingDir is the errno fastWalk's openat2 of dir (absolute, clean)
// remembers, if any.
func (c *statCache) missingDir(dir string) (unix.Errno, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	errno, ok := c.missing[dir]
	return errno, ok
}

// noteMissingDir is told that fastWalk's openat2 of dir failed with
// errno (ENOENT or ENOTDIR: a component missing, or not a directory).
// The second time, it watches the directories from / down to the first
// such component and remembers the failure, if open, run again once the
// watches are in place, fails the same way.
func (c *statCache) noteMissingDir(dir string, errno unix.Errno, open func() error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.again(dir) || !c.start() {
		return
	}
	guard, err := c.watchTo(dir + "/")
	if err == nil || open() != errno {
		return // dir exists, or cannot be watched, or changed meanwhile
	}
	c.missing[dir] = errno
	c.guards[guard] = append(c.guards[guard], dir)
}

// start makes room and opens the inotify instance. c.mu is held.
func (c *statCache) start() bool {
	if len(c.ents)+len(c.links)+len(c.missing) >= maxStatEntries || len(c.watches) >= maxWatches || len(c.unwatchable) >= maxWatches {
		c.reset()
	}
	if c.in < 0 {
		fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
		if err != nil {
			return false
		}
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
		if unix.EpollCtl(c.w.ep, unix.EPOLL_CTL_ADD, fd, &ev) != nil {
			unix.Close(fd)
			return false
		}
		c.in = fd
	}
	return true
}

// watchTo watches every directory from / to p's parent. When one of them
// is missing or not a directory, it returns ENOENT or ENOTDIR, and in
// guard the watched directory that holds it and its name ("DIR\x00NAME").
// Any other error: something could not be watched. c.mu is held.
func (c *statCache) watchTo(p string) (guard string, err error) {
	if err := c.watchDir("/"); err != nil {
		return "", err
	}
	parent, name := "/", 1 // name: where the next component starts
	for i := 1; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		switch err := c.watchDir(p[:i]); err {
		case nil:
			parent, name = p[:i], i+1
		case unix.ENOENT, unix.ENOTDIR:
			return parent + "\x00" + p[name:i], err
		default:
			return "", err
		}
	}
	return "", nil
}

// watchPath watches every directory from / to p's and p itself (if it
// exists), and says whether all are watched. c.mu is held.
func (c *statCache) watchPath(p string) bool {
	if !c.start() {
		return false
	}
	if _, err := c.watchTo(p); err != nil {
		return false
	}
	wd, err := unix.InotifyAddWatch(c.in, p, selfEvents|unix.IN_DONT_FOLLOW|unix.IN_MASK_ADD)
	switch err {
	case nil:
		c.watches[int32(wd)] = p
	case unix.ENOENT:
		// Nothing to watch but its name, in its watched directory.
	default:
		return false
	}
	return true
}

// watchDir watches dir for its names, unless it is already. ENOENT or
// ENOTDIR: dir is missing or is not a directory (a symlink included).
// c.mu is held.
func (c *statCache) watchDir(dir string) error {
	if _, ok := c.dirs[dir]; ok {
		return nil
	}
	if c.unwatchable[dir] {
		return errUnwatchable
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err == unix.ENOENT || err == unix.ENOTDIR {
		return err
	} else if err != nil || !localFS(fs.Type) {
		c.unwatchable[dir] = true
		return errUnwatchable
	}
	wd, err := unix.InotifyAddWatch(c.in, dir, dirEvents|unix.IN_ONLYDIR|unix.IN_DONT_FOLLOW|unix.IN_MASK_ADD)
	switch err {
	case nil:
	case unix.ENOENT, unix.ENOTDIR:
		return err
	default:
		c.unwatchable[dir] = true
		return errUnwatchable
	}
	c.watches[int32(wd)] = dir
	c.dirs[dir] = int32(wd)
	return nil
}

// errUnwatchable: a directory not on a local filesystem, or past
// inotify's limits.
var errUnwatchable = errors.New("cannot be watched")

// localFS says whether every change to a filesystem of type t goes
// through this kernel's VFS, and so through inotify: ext2/3/4, XFS,
// Btrfs, F2FS, tmpfs, overlayfs (a container's root).
func localFS(t int64) bool {
	switch uint32(t) {
	case unix.EXT4_SUPER_MAGIC, unix.XFS_SUPER_MAGIC, unix.BTRFS_SUPER_MAGIC, unix.F2FS_SUPER_MAGIC,
		unix.TMPFS_MAGIC, unix.OVERLAYFS_SUPER_MAGIC:
		return true
	}
	return false
}

// ready handles an event of the epoll set that is the cache's: fd is
// the inotify instance or the mountinfo file.
func (c *statCache) ready(fd int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case int(fd) == c.mounts:
		c.reset()
	case int(fd) == c.in:
		c.drain()
	}
}

// drain reads the pending events and forgets what they name. c.mu is
// held.
func (c *statCache) drain() {
	var buf [16384]byte
	for c.in >= 0 {
		n, err := unix.Read(c.in, buf[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return // EAGAIN: nothing more
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			off += unix.SizeofInotifyEvent + int(ev.Len)
			if i := strings.IndexByte(string(name), 0); i >= 0 {
				name = name[:i]
			}
			if !c.event(ev.Wd, ev.Mask, string(name)) {
				c.reset()
				return
			}
		}
	}
}

// event forgets what one event names; false when everything must go.
func (c *statCache) event(wd int32, mask uint32, name string) bool {
	if mask&unix.IN_Q_OVERFLOW != 0 {
		return false
	}
	p, ok := c.watches[wd]
	if !ok {
		return true // a watch removed since
	}
	_, isDir := c.dirs[p]
	if name == "" {
		// About the watched path itself.
		delete(c.ents, p)
		if mask&(unix.IN_DELETE_SELF|unix.IN_MOVE_SELF) != 0 {
			delete(c.links, p)
		}
		if mask&(unix.IN_IGNORED|unix.IN_UNMOUNT|unix.IN_DELETE_SELF|unix.IN_MOVE_SELF) != 0 {
			if isDir {
				return false
			}
			if mask&unix.IN_IGNORED != 0 {
				delete(c.watches, wd)
			}
		}
		return true
	}
	child := p + "/" + name
	if p == "/" {
		child = "/" + name
	}
	delete(c.ents, child)
	if mask&nameEvents != 0 {
		delete(c.links, child)
		g := p + "\x00" + name
		for _, k := range c.guards[g] {
			delete(c.missing, k)
		}
		delete(c.guards, g)
	}
	// A directory on the way of remembered paths renamed, removed or
	// replaced: they all go.
	if _, watched := c.dirs[child]; watched && mask&nameEvents != 0 {
		return false
	}
	return true
}

// reset forgets everything and closes the inotify instance (which
// removes its watches). c.mu is held.
func (c *statCache) reset() {
	clear(c.ents)
	clear(c.links)
	clear(c.missing)
	clear(c.guards)
	clear(c.watches)
	clear(c.dirs)
	clear(c.unwatchable)
	if c.in >= 0 {
		unix.Close(c.in)
		c.in = -1
	}
}

// forget drops everything remembered.
func (c *statCache) forget() {
	c.mu.Lock()
	c.reset()
	c.mu.Unlock()
}

func (c *statCache) close() {
	c.mu.Lock()
	c.reset()
	unix.Close(c.mounts)
	c.mu.Unlock()
}
