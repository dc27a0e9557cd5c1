package trace

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/testkit"
)

// newTestStatCache is a stat cache with its watcher, for a test.
func newTestStatCache(t *testing.T) (*watcher, *statCache) {
	t.Helper()
	w := newWatcher(newThreadCache())
	if w == nil || w.stats == nil {
		testkit.Skip(t, "no PIDFD_THREAD (Linux 6.9): no watcher")
	}
	t.Cleanup(w.close)
	return w, w.stats
}

// cached says whether p's lstat is remembered.
func (c *statCache) cached(p string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.ents[p]
	return ok
}

// cachedLink says whether p's target is remembered.
func (c *statCache) cachedLink(p string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.links[p]
	return ok
}

// A path is remembered at its second lookup, and each change made by
// another process (this test, outside any traced tree) is seen at the
// next check: the file's mode (also changed through a hard link in
// another directory), the file replaced by a symlink, a directory on
// the way renamed and replaced, a symlink replaced, a missing name
// created.
func TestStatCacheSeesChanges(t *testing.T) {
	w, c := newTestStatCache(t)
	d, _ := filepath.EvalSymlinks(t.TempDir())
	var fs unix.Statfs_t
	if unix.Statfs(d, &fs) != nil || !localFS(fs.Type) {
		testkit.Skip(t, "%s is on a filesystem the cache does not watch", d)
	}
	mkdir(t, d+"/a")
	writeFile(t, d+"/a/f", "x", 0o644)
	writeFile(t, d+"/other", "y", 0o600)
	f := d + "/a/f"
	lookup := func(p string) (unix.Stat_t, error) {
		w.check()
		var st unix.Stat_t
		err := c.lstat(p, &st)
		return st, err
	}
	remember := func(p string) {
		t.Helper()
		lookup(p)
		lookup(p)
		if !c.cached(p) {
			t.Fatalf("%s is not remembered after two lookups", p)
		}
	}

	if _, err := lookup(f); err != nil || c.cached(f) {
		t.Fatalf("first lookup: %v, remembered %v: want the lstat alone", err, c.cached(f))
	}
	remember(f)
	if err := os.Chmod(f, 0o755); err != nil {
		t.Fatal(err)
	}
	if st, _ := lookup(f); st.Mode&0o777 != 0o755 {
		t.Errorf("after chmod: mode %o, want 755", st.Mode&0o777)
	}

	// Through a hard link in a directory that is not watched.
	remember(f)
	mkdir(t, d+"/elsewhere")
	if err := os.Link(f, d+"/elsewhere/g"); err != nil {
		t.Fatal(err)
	}
	remember(f)
	if err := os.Chmod(d+"/elsewhere/g", 0o700); err != nil {
		t.Fatal(err)
	}
	if st, _ := lookup(f); st.Mode&0o777 != 0o700 {
		t.Errorf("after chmod through a hard link: mode %o, want 700", st.Mode&0o777)
	}

	remember(f)
	os.Remove(f)
	if err := os.Symlink(d+"/other", f); err != nil {
		t.Fatal(err)
	}
	if st, _ := lookup(f); st.Mode&unix.S_IFMT != unix.S_IFLNK {
		t.Errorf("after replacing the file by a symlink: mode %o, want a symlink", st.Mode)
	}

	os.Remove(f)
	writeFile(t, f, "x", 0o644)
	remember(f)
	if err := os.Rename(d+"/a", d+"/old"); err != nil {
		t.Fatal(err)
	}
	mkdir(t, d+"/a")
	if err := os.Symlink(d+"/other", f); err != nil {
		t.Fatal(err)
	}
	if st, _ := lookup(f); st.Mode&unix.S_IFMT != unix.S_IFLNK {
		t.Errorf("after its directory was replaced: mode %o, want the new symlink", st.Mode)
	}

	// A symlink's target, replaced as ln -sfn does (a rename over it).
	link := d + "/a/link"
	if err := os.Symlink("one", link); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		w.check()
		c.readlink(link)
	}
	if w.check(); !c.cachedLink(link) {
		t.Fatalf("%s is not remembered after two reads", link)
	}
	if err := os.Symlink("two", link+".new"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(link+".new", link); err != nil {
		t.Fatal(err)
	}
	w.check()
	if target, _ := c.readlink(link); target != "two" {
		t.Errorf("after ln -sfn: target %q, want two", target)
	}

	missing := d + "/a/new"
	remember(missing)
	if _, err := lookup(missing); err != unix.ENOENT {
		t.Fatalf("a missing name: %v, want ENOENT", err)
	}
	writeFile(t, missing, "z", 0o644)
	if _, err := lookup(missing); err != nil {
		t.Errorf("after it was created: %v", err)
	}
}

// A directory found missing, or not a directory, on the way is
// remembered at its second lookup, until what it misses is made.
func TestStatCacheMissingDir(t *testing.T) {
	w, c := newTestStatCache(t)
	d, _ := filepath.EvalSymlinks(t.TempDir())
	var fs unix.Statfs_t
	if unix.Statfs(d, &fs) != nil || !localFS(fs.Type) {
		testkit.Skip(t, "%s is on a filesystem the cache does not watch", d)
	}
	writeFile(t, d+"/file", "x", 0o644)
	for _, tc := range []struct {
		dir   string
		errno unix.Errno
		make  func()
	}{
		{d + "/a/b", unix.ENOENT, func() { mkdir(t, d+"/a") }},
		{d + "/file/b", unix.ENOTDIR, func() { os.Remove(d + "/file"); mkdir(t, d+"/file") }},
	} {
		open := func() error {
			fd, err := unix.Open(tc.dir, unix.O_PATH|unix.O_DIRECTORY, 0)
			if err == nil {
				unix.Close(fd)
			}
			return err
		}
		for range 2 {
			w.check()
			if _, ok := c.missingDir(tc.dir); ok {
				t.Fatalf("%s remembered before its second lookup", tc.dir)
			}
			c.noteMissingDir(tc.dir, tc.errno, open)
		}
		w.check()
		if errno, ok := c.missingDir(tc.dir); !ok || errno != tc.errno {
			t.Fatalf("%s: remembered %v %v, want %v", tc.dir, errno, ok, tc.errno)
		}
		tc.make()
		w.check()
		if _, ok := c.missingDir(tc.dir); ok {
			t.Errorf("%s still remembered missing after its first component was made", tc.dir)
		}
	}
}

// A mount on the way of a remembered path drops everything.
func TestStatCacheSeesMounts(t *testing.T) {
	testkit.RequireRoot(t, "mount")
	w, c := newTestStatCache(t)
	d, _ := filepath.EvalSymlinks(t.TempDir())
	var fs unix.Statfs_t
	if unix.Statfs(d, &fs) != nil || !localFS(fs.Type) {
		testkit.Skip(t, "%s is on a filesystem the cache does not watch", d)
	}
	mkdir(t, d+"/m")
	writeFile(t, d+"/m/f", "x", 0o644)
	var st unix.Stat_t
	for range 2 {
		w.check()
		c.lstat(d+"/m/f", &st)
	}
	if !c.cached(d + "/m/f") {
		t.Fatal("not remembered")
	}
	if err := unix.Mount("tmpfs", d+"/m", "tmpfs", 0, ""); err != nil {
		testkit.Skip(t, "mount tmpfs: %v", err)
	}
	defer unix.Unmount(d+"/m", 0)
	w.check()
	if err := c.lstat(d+"/m/f", &st); err != unix.ENOENT {
		t.Errorf("after a tmpfs was mounted over its directory: %v, want ENOENT", err)
	}
}

// The cache is bounded.
func TestStatCacheBounded(t *testing.T) {
	w, c := newTestStatCache(t)
	d, _ := filepath.EvalSymlinks(t.TempDir())
	var fs unix.Statfs_t
	if unix.Statfs(d, &fs) != nil || !localFS(fs.Type) {
		testkit.Skip(t, "%s is on a filesystem the cache does not watch", d)
	}
	c.mu.Lock()
	for i := range maxStatEntries {
		c.ents["/nowhere/"+string(rune('a'+i%26))+strings.Repeat("x", i/26)] = statEnt{err: unix.ENOENT}
	}
	c.mu.Unlock()
	var st unix.Stat_t
	for range 2 {
		w.check()
		c.lstat(d, &st)
	}
	c.mu.Lock()
	n := len(c.ents)
	c.mu.Unlock()
	if n > 1 {
		t.Errorf("%d entries after the bound was reached, want the cache started again", n)
	}
}

// TestE2EStatCacheOutsideChange: a traced program opens a file, and
// fails to open a missing one and one in a missing directory, three
// times each (all are remembered). Then, while it waits, a process
// outside the tree (this test) creates the missing file and directory,
// and later replaces the file's directory by one where the name is a
// symlink to another file. The program's next opens must be mapped as
// the kernel runs them: read_file on the files that now exist, and on
// the symlink's target.
func TestE2EStatCacheOutsideChange(t *testing.T) {
	py := testkit.RequireProgram(t, "python3")
	requireTracing(t)
	d, _ := filepath.EvalSymlinks(t.TempDir())
	mkdir(t, d+"/a")
	writeFile(t, d+"/a/f", "x", 0o644)
	writeFile(t, d+"/secret", "s", 0o644)
	script := `
import os, sys
f, missing, indir = sys.argv[1], sys.argv[2], sys.argv[3]
for i in range(3):
    os.close(os.open(f, os.O_RDONLY))
    for m in (missing, indir):
        try:
            os.close(os.open(m, os.O_RDONLY))
        except FileNotFoundError:
            pass
print("ready", flush=True)
sys.stdin.readline()
os.close(os.open(missing, os.O_RDONLY))
os.close(os.open(indir, os.O_RDONLY))
print("ready", flush=True)
sys.stdin.readline()
os.close(os.open(f, os.O_RDONLY))
`
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer inR.Close()
	defer outR.Close()
	go func() {
		defer inW.Close()
		out := bufio.NewReader(outR)
		// First what changes no directory on the way (a reset of the
		// whole cache would hide a stale entry), then the rest.
		for _, change := range []func(){
			func() {
				os.WriteFile(d+"/later", []byte("l"), 0o644)
				os.MkdirAll(d+"/new/dir", 0o755)
				os.WriteFile(d+"/new/dir/f", []byte("n"), 0o644)
			},
			func() {
				os.Rename(d+"/a", d+"/old")
				os.Mkdir(d+"/a", 0o755)
				os.Symlink(d+"/secret", d+"/a/f")
			},
		} {
			if line, _ := out.ReadString('\n'); line != "ready\n" {
				return
			}
			change()
			io.WriteString(inW, "go\n")
		}
	}()
	rec := &e2eRecorder{}
	res, err := Run(context.Background(), []string{py, "-c", script, d + "/a/f", d + "/later", d + "/new/dir/f"},
		Options{Dir: d, Stdin: inR, Stdout: outW, Warnf: func(f string, a ...any) { t.Logf("warning: "+f, a...) }}, rec)
	outW.Close()
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("run: %v, exit %d:\n%s", err, res.ExitCode, rec.dump(d))
	}
	contains(t, rec, d,
		`{"syscall":"openat","path":"$D/a/f","type":"file","access":["read_file"]}`,
		`{"syscall":"openat","path":"$D/secret","type":"file","access":["read_file"]}`,
		`{"syscall":"openat","path":"$D/later","type":"file","access":["read_file"]}`,
		`{"syscall":"openat","path":"$D/new/dir/f","type":"file","access":["read_file"]}`)
}
