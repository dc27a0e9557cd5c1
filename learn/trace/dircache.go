package trace

import (
	"os"
	"sync"
)

// dirCache remembers the directories fastWalk has reached through no
// symlink: opened O_PATH with RESOLVE_NO_SYMLINKS, as the tracer sees
// them (the caller's root is part of the path). A path whose directory
// part is one of them needs a single lstat of the whole path instead of
// openat2, fstatat and close: on (b) of bench/trace.sh, where cat opens
// tens of thousands of files a directory at a time, that is 2 of the 8
// system calls a call cost the receiver.
//
// It also remembers where a directory reached through symlinks leads
// (/lib/x86_64-linux-gnu is /usr/lib/x86_64-linux-gnu), for callers
// whose root is "/" (an absolute symlink resolves in the caller's root):
// the dynamic loader opens every library through /lib, and walkPath
// pays an lstat per component and a readlink per symlink for each (on
// (a), make -j2, about 1,500 such walks a run).
//
// Only a directory removed, renamed, or replaced by a symlink, or a
// symlink removed or replaced, makes an entry wrong. A traced call that
// can do that (sysChangesDirs in the syscall table) empties the cache
// before it is let go and again after. A missing name under a cached directory is checked with
// an lstat of the directory (it may be gone), and anything but an
// existing file or a missing name falls back to the full walk, so a
// stale entry is noticed when it is used. The symlinks of an entry
// reached through them are read again at each use (cachedDir.valid):
// a walk made while another call replaces one (in the moment between
// its answer and its run) cannot keep the old target. Missed: another
// process outside the traced tree renaming a directory and putting a
// symlink in its place during the run; the names learned through it
// afterwards are the lexical ones.
type dirCache struct {
	mu sync.Mutex
	m  map[string]cachedDir
}

// cachedDir is what a directory is: the symlink-free directory it
// leads to, through how many symlinks (0: it is that directory), and
// the symlinks read on the way with what they said, read again each
// time the entry is used (hops).
type cachedDir struct {
	real  string
	links int
	hops  []hop
}

// hop is a symlink walkPath followed, and its target then.
type hop struct{ link, target string }

// valid says whether the symlinks of e still say what they said: a
// symlink replaced since (ln -sfn, by the traced program or anyone) is
// noticed, where a stale directory entry is noticed by its lstat.
// The stat cache, when the run has one, remembers the targets, watched.
func (e *cachedDir) valid(stats *statCache) bool {
	for _, h := range e.hops {
		readlink := os.Readlink
		if stats != nil {
			readlink = stats.readlink
		}
		if t, err := readlink(h.link); err != nil || t != h.target {
			return false
		}
	}
	return true
}

// maxCachedDirs bounds the cache; when it is full it starts again.
const maxCachedDirs = 4096

func newDirCache() *dirCache { return &dirCache{m: map[string]cachedDir{}} }

// lookup is what dir is, if known.
func (d *dirCache) lookup(dir string) (cachedDir, bool) {
	d.mu.Lock()
	e, ok := d.m[dir]
	d.mu.Unlock()
	return e, ok
}

// add remembers that dir is e (e.real itself, when e has no links).
func (d *dirCache) add(dir string, e cachedDir) {
	d.mu.Lock()
	if len(d.m) >= maxCachedDirs {
		d.m = map[string]cachedDir{}
	}
	d.m[dir] = e
	d.m[e.real] = cachedDir{real: e.real}
	d.mu.Unlock()
}

func (d *dirCache) forget(dir string) {
	d.mu.Lock()
	delete(d.m, dir)
	d.mu.Unlock()
}

// clear empties the cache. A new map, not clear(): clearing costs in
// proportion to what the map once held, and a run that unlinks and opens
// by turns would pay it at each unlinkat.
func (d *dirCache) clear() {
	d.mu.Lock()
	if len(d.m) > 0 {
		d.m = map[string]cachedDir{}
	}
	d.mu.Unlock()
}

// dirCacher is a tracee whose run keeps a dirCache (nil: none).
type dirCacher interface{ dirCache() *dirCache }

// statCacher is a tracee whose run keeps a statCache (nil: none).
type statCacher interface{ statCache() *statCache }
