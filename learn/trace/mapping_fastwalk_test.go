package trace

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestFastWalkAgrees checks fastWalk against walkPath, the reference the
// row tests check against the kernel: wherever the fast path answers,
// its node must be walkPath's, field by field. Each walk is made with no
// directory cache, then twice with one (filled, then used), and the
// cache lives through all of them.
func TestFastWalkAgrees(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the fast path is for callers with uid 0")
	}
	d := t.TempDir()
	for _, dir := range []string{"a/b/c", "e", "sticky"} {
		if err := os.MkdirAll(filepath.Join(d, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(d, "a/b/c/f"), nil, 0o644))
	must(os.WriteFile(filepath.Join(d, "a/g"), nil, 0o000))
	must(os.Symlink("b/c", filepath.Join(d, "a/lc")))
	must(os.Symlink(filepath.Join(d, "a/b"), filepath.Join(d, "abs")))
	must(os.Symlink("nowhere", filepath.Join(d, "a/dangling")))
	must(os.Symlink("loop", filepath.Join(d, "a/loop")))
	must(os.Chmod(filepath.Join(d, "e"), 0o000))
	must(os.Chmod(filepath.Join(d, "sticky"), 0o1777))
	must(os.Symlink("/etc/hostname", filepath.Join(d, "sticky/l")))
	t.Chdir(d)
	rels := []string{
		"a", "a/", "a/b", "a/b/", "a/b/c/f", "a/b/c/f/", "a/b/c/f/x", "a/b/c/missing",
		"a/b/c/missing/", "a/missing/x", "a/g", "a/g/x", "a/lc", "a/lc/", "a/lc/f", "abs/c/f",
		"a/dangling", "a/dangling/", "a/loop", "a/loop/x", "e", "e/x", "e/../a/g",
		"a/b/../b/c/f", "a/b/c/../../g", "a/missing/../g", "a/g/../g", "./a/./b/c/f",
		"a//b///c/f", "a/b/c/.", "a/b/..", ".", "..", "../..", "sticky/l", "sticky/l/",
		"a/b/c/f/.", "a/b/c//f", "a/b//c/", "a/b/c//missing", "/", "//", "/etc/hostname", "/../../etc/hostname", "/proc/self/status",
		"/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "/usr/bin/../bin/sh",
	}
	var paths []string
	for _, r := range rels {
		paths = append(paths, r)
		if r[0] != '/' {
			paths = append(paths, d+"/"+r)
		}
	}
	dirs := newDirCache()
	fast, total, cached := 0, 0, 0
	for _, root := range []string{"/", d + "/a"} {
		for _, p := range paths {
			for _, follow := range []bool{false, true} {
				for _, noSym := range []bool{false, true} {
					for _, start := range []string{d, d + "/a/b", d + "/a/g", d + "/a/lc", d + "/gone", "/"} {
						for try, cache := range []*dirCache{nil, dirs, dirs} {
							m := &mapper{c: &Call{PID: os.Getpid(), TID: unix.Gettid()}, t: &selfTracee{root: root, dirs: cache}}
							w := walker{m: m, noSymlinks: noSym}
							got, ok := w.fastWalk(start, p, follow)
							total++
							if !ok {
								continue
							}
							fast++
							if try == 2 {
								cached++
							}
							ws := walker{m: m, noSymlinks: noSym}
							want := ws.walk(start, p, follow)
							if got != want {
								t.Errorf("root %s, start %s, %q follow=%v noSymlinks=%v, walk %d:\nfast %+v\nwalk %+v", root, start, p, follow, noSym, try, got, want)
							}
						}
					}
				}
			}
		}
	}
	if fast == 0 || cached == 0 {
		t.Errorf("the fast path answered %d times, %d of them from the directory cache", fast, cached)
	}
	if len(dirs.m) == 0 {
		t.Error("no directory was cached")
	}
	t.Logf("%d of %d walks took the fast path (%d from a filled directory cache)", fast, total, cached)
}

// TestFastWalkCacheNoticesChange removes, and then replaces with a
// symlink, a directory the cache holds, behind the cache's back (as a
// process outside the traced tree could): the removal must be noticed
// when the entry is used. The symlink is the documented miss, so the
// test stops before it, and checks that the tracer's own clear covers
// it.
func TestFastWalkCacheNoticesChange(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the fast path is for callers with uid 0")
	}
	d, err := filepath.EvalSymlinks(t.TempDir()) // the walk refuses symlinks
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(d+"/a/b", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d+"/a/b/f", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	dirs := newDirCache()
	walk := func(p string) (node, bool) {
		m := &mapper{c: &Call{PID: os.Getpid(), TID: unix.Gettid()}, t: &selfTracee{dirs: dirs}}
		w := walker{m: m}
		return w.fastWalk("/", p, true)
	}
	if n, ok := walk(d + "/a/b/f"); !ok || !n.exists || !dirs.has(d+"/a/b") {
		t.Fatalf("first walk: %+v %v, cached %v", n, ok, dirs.has(d+"/a/b"))
	}
	if err := os.Rename(d+"/a/b", d+"/a/b2"); err != nil {
		t.Fatal(err)
	}
	// The file is gone with its directory: the cached answer would be
	// "a/b exists, f is missing" (an O_CREAT would be taken to create
	// it); the kernel says ENOENT for a/b.
	if n, ok := walk(d + "/a/b/f"); ok && n.err != unix.ENOENT {
		t.Errorf("after a/b was renamed: %+v, want ENOENT or the full walk", n)
	}
	if dirs.has(d + "/a/b") {
		t.Error("a/b is still cached after it was found gone")
	}
	if n, ok := walk(d + "/a/b2/f"); !ok || !n.exists {
		t.Errorf("a/b2/f: %+v %v", n, ok)
	}
	if err := os.Rename(d+"/a/b2", d+"/a/c"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("c", d+"/a/b2"); err != nil {
		t.Fatal(err)
	}
	// This is what a traced rename or symlink does (notify.go).
	dirs.clear()
	n, ok := walk(d + "/a/b2/f")
	if ok {
		t.Errorf("a/b2 is a symlink now, the fast path answered %+v", n)
	}
}
