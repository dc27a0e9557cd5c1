package trace

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestFastWalkAgrees checks fastWalk against walkPath, the reference the
// row tests check against the kernel: wherever the fast path answers,
// its node must be walkPath's, field by field.
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
		"a/b/c/f/.", "/", "//", "/etc/hostname", "/../../etc/hostname", "/proc/self/status",
		"/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "/usr/bin/../bin/sh",
	}
	var paths []string
	for _, r := range rels {
		paths = append(paths, r)
		if r[0] != '/' {
			paths = append(paths, d+"/"+r)
		}
	}
	fast, total := 0, 0
	for _, root := range []string{"/", d + "/a"} {
		for _, p := range paths {
			for _, follow := range []bool{false, true} {
				for _, noSym := range []bool{false, true} {
					for _, start := range []string{d, d + "/a/b", d + "/a/g", d + "/a/lc", d + "/gone", "/"} {
						m := &mapper{c: &Call{PID: os.Getpid(), TID: unix.Gettid()}, t: &selfTracee{root: root}}
						w := walker{m: m, noSymlinks: noSym}
						got, ok := w.fastWalk(start, p, follow)
						total++
						if !ok {
							continue
						}
						fast++
						ws := walker{m: m, noSymlinks: noSym}
						want := ws.walk(start, p, follow)
						if got != want {
							t.Errorf("root %s, start %s, %q follow=%v noSymlinks=%v:\nfast %+v\nwalk %+v", root, start, p, follow, noSym, got, want)
						}
					}
				}
			}
		}
	}
	if fast == 0 {
		t.Error("the fast path never answered")
	}
	t.Logf("%d of %d walks took the fast path", fast, total)
}
