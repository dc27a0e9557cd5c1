package trace

import "sync"

// dirCache remembers the directories fastWalk has reached through no
// symlink: opened O_PATH with RESOLVE_NO_SYMLINKS, as the tracer sees
// them (the caller's root is part of the path). A path whose directory
// part is one of them needs a single lstat of the whole path instead of
// openat2, fstatat and close: on (b) of bench/trace.sh, where cat opens
// tens of thousands of files a directory at a time, that is 2 of the 8
// system calls a call cost the receiver (0.06 s of 1.9 s, measured).
//
// Only a directory removed, renamed, or replaced by a symlink makes an
// entry wrong. A traced call that can do that (dirChanging) empties the
// cache before it is let go and again after. A missing name under a
// cached directory is checked with an lstat of the directory (it may be
// gone), and anything but an existing file or a missing name falls back
// to the full walk, so a stale entry is noticed when it is used.
// Missed: another process outside the traced tree renaming a directory
// and putting a symlink in its place during the run; the names learned
// through it afterwards are the lexical ones.
type dirCache struct {
	mu sync.Mutex
	m  map[string]struct{}
}

// maxCachedDirs bounds the cache; when it is full it starts again.
const maxCachedDirs = 4096

func newDirCache() *dirCache { return &dirCache{m: map[string]struct{}{}} }

func (d *dirCache) has(dir string) bool {
	d.mu.Lock()
	_, ok := d.m[dir]
	d.mu.Unlock()
	return ok
}

func (d *dirCache) add(dir string) {
	d.mu.Lock()
	if len(d.m) >= maxCachedDirs {
		d.m = map[string]struct{}{}
	}
	d.m[dir] = struct{}{}
	d.mu.Unlock()
}

func (d *dirCache) forget(dir string) {
	d.mu.Lock()
	delete(d.m, dir)
	d.mu.Unlock()
}

// clear empties the cache. A new map, not clear(): clearing costs what
// the map once held (8 µs after 4096 entries), and a run that unlinks
// and opens by turns would pay it at each unlinkat.
func (d *dirCache) clear() {
	d.mu.Lock()
	if len(d.m) > 0 {
		d.m = map[string]struct{}{}
	}
	d.mu.Unlock()
}

// dirChanging are the calls that can remove or rename a directory, or
// put a symlink where one was: the dirCache is emptied around them.
var dirChanging = map[string]bool{
	"rename": true, "renameat": true, "renameat2": true, "rmdir": true, "unlinkat": true,
	"symlink": true, "symlinkat": true, "link": true, "linkat": true,
	"mount": true, "umount": true, "umount2": true, "move_mount": true, "pivot_root": true,
}

// dirCacher is a Tracee whose run keeps a dirCache (nil: none).
type dirCacher interface{ dirCache() *dirCache }
