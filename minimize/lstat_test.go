package minimize

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/landlearn/landlearn/policy"
)

// lstatTree makes, in a temp directory, what lstatAll and Reachable
// must answer for as lstat would: files present and deleted, directories,
// symlinks (to a file, to a directory, dangling), a FIFO, names that
// differ only in case, names that are not ASCII, and more files than
// listMin in a directory, so that its listing answers.
func lstatTree(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	mk := func(rel string) { addEmptyFiles(t, d, rel) }
	for _, f := range []string{"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "Upper", "naïve",
		"sub/a", "sub/b", "sub/deep/c", "small/one", "file.txt", "gone0", "gone1", "big/keep"} {
		mk(f)
	}
	for i := range 600 { // a directory listing bigger than the few names asked in it
		mk(filepath.Join("big", "n"+strings.Repeat("x", 20)+string(rune('a'+i%26))+string(rune('a'+i/26))))
	}
	for _, f := range []string{"gone0", "gone1"} { // deleted during the run
		if err := os.Remove(filepath.Join(d, f)); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{"link": "f0", "dangling": "nowhere", "dirlink": "sub", "sub/up": ".."}
	for name, to := range links {
		if err := os.Symlink(to, filepath.Join(d, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(d, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

// lstatCases are the paths lstatTree's directory d is asked about.
func lstatCases(d string) []string {
	var ps []string
	for _, rel := range []string{
		"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "Upper", "naïve", "sub", "link",
		"dangling", "dirlink", "fifo", "file.txt", "small", "big",
		"gone0", "gone1", "gone2", "missing", "MISSING",
		"upper", "UPPER", // Upper but for case: missing here, found on a casefold directory
		"F0",             // likewise
		"naive", "naïvé", // not ASCII: lstat'ed
		strings.Repeat("n", 300), // too long for lstat (ENAMETOOLONG)
		"sub/a", "sub/b", "sub/gone", "sub/gone2", "sub/gone3", "sub/A", "sub/deep", "sub/deep/c", "sub/up",
		"small/one", "small/two",
		"big/keep", "big/gone", "big/x1", "big/x2", "big/x3", "big/x4", "big/x5", "big/x6", "big/x7",
		"nodir/a", "nodir/b", "nodir/c", "nodir/d", "nodir/e", "nodir/f", "nodir/g", "nodir/h", // ENOENT
		"file.txt/a", "file.txt/b", "file.txt/c", "file.txt/d", "file.txt/e", "file.txt/f", "file.txt/g", "file.txt/h", // ENOTDIR
		"fifo/a", "fifo/b", "fifo/c", "fifo/d", "fifo/e", "fifo/f", "fifo/g", "fifo/h", // ENOTDIR, and no wait for a writer
		"dirlink/a", "dirlink/b", "dirlink/c", "dirlink/d", "dirlink/e", "dirlink/f", "dirlink/g", "dirlink/h", // through a symlink
		"dangling/a", "dangling/b", "dangling/c", "dangling/d", "dangling/e", "dangling/f", "dangling/g", "dangling/h",
	} {
		ps = append(ps, filepath.Join(d, rel))
	}
	long := d
	for len(long) < syscall.PathMax+10 {
		long += "/" + strings.Repeat("l", 200)
	}
	return append(ps, "/", "/tmp", "/nonexistent-landlearn", long, long+"/x")
}

// lstatAll answers as an lstat of each path would: exactly, when kinds;
// missing or not otherwise. The kernel decides what "as lstat would"
// means, so the test asks it. (Not covered, as root passes every
// permission check: a directory that can be read but not searched, where
// the listing names what lstat refuses, EACCES; lstatAll lstats one
// missing name of every directory it reads, which then says so.)
func TestLstatAll(t *testing.T) {
	d := lstatTree(t)
	paths := lstatCases(d)
	paths = append(paths, paths[:10]...) // asked twice
	kinds, exist := lstatAll(paths, true), lstatAll(paths, false)
	for i, p := range paths {
		want := lstatOf(os.Lstat(p))
		if kinds[i] != want {
			t.Errorf("lstatAll(%s, kinds) = %d, lstat says %d", p, kinds[i], want)
		}
		if (exist[i] == lstatMissing) != (want == lstatMissing) {
			t.Errorf("lstatAll(%s) missing = %t, lstat says %d", p, exist[i] == lstatMissing, want)
		}
	}
}

// The listing, not lstat, answers for d and d/sub: there are enough names
// asked in them, and they are small.
func TestLstatAllReadsListing(t *testing.T) {
	d := lstatTree(t)
	paths := lstatCases(d)
	for _, dir := range []string{d, filepath.Join(d, "sub"), filepath.Join(d, "nodir")} {
		var idx []int
		for i, p := range paths {
			if filepath.Dir(p) == dir && len(filepath.Base(p)) <= maxName {
				idx = append(idx, i)
			}
		}
		if len(idx) < listMin {
			t.Fatalf("%s: %d names asked, want %d or more", dir, len(idx), listMin)
		}
		out := make([]lstatKind, len(paths))
		l := lister{lstat: os.Lstat}
		if !l.answer(dir, paths, idx, out, true) {
			t.Errorf("%s: the listing did not answer", dir)
			continue
		}
		for _, i := range idx {
			if want := lstatOf(os.Lstat(paths[i])); out[i] != want {
				t.Errorf("listing of %s says %d of %s, lstat %d", dir, out[i], paths[i], want)
			}
		}
	}
	// Too big a directory for the names asked: lstat them instead.
	var big []int
	for i, p := range paths {
		if filepath.Dir(p) == filepath.Join(d, "big") {
			big = append(big, i)
		}
	}
	l := lister{lstat: os.Lstat}
	if l.answer(filepath.Join(d, "big"), paths, big, make([]lstatKind, len(paths)), false) {
		t.Errorf("%s/big (600 entries, %d asked) was read", d, len(big))
	}
}

// A case-insensitive directory (ext4 casefold, vfat; none here to test
// with) finds Upper when asked for upper, and may fold or normalize a
// name that is not ASCII to one that is (the Kelvin sign to k): the
// listing leaves such missing names to lstat.
func TestLstatAllCaseFold(t *testing.T) {
	for _, tc := range []struct {
		listed, asked, lstated []string
	}{
		{
			listed:  []string{"Upper", "f0", "f1", "f2", "f3", "f4", "f5", "f6"},
			asked:   []string{"f0", "f1", "f2", "f3", "f4", "f5", "f6", "upper", "UPPER", "F0", "naïve", "gone", "gone2"},
			lstated: []string{"F0", "UPPER", "gone", "naïve", "upper"}, // gone: the probe, that lstat says ENOENT
		},
		{
			listed:  []string{"\u212a", "f0", "f1", "f2", "f3", "f4", "f5", "f6"}, // KELVIN SIGN
			asked:   []string{"f0", "f1", "f2", "f3", "f4", "f5", "f6", "k", "gone"},
			lstated: []string{"gone", "k"},
		},
	} {
		d := t.TempDir()
		for _, f := range tc.listed {
			if err := os.WriteFile(filepath.Join(d, f), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var paths []string
		for _, f := range tc.asked {
			paths = append(paths, filepath.Join(d, f))
		}
		idx := make([]int, len(paths))
		for i := range idx {
			idx[i] = i
		}
		var lstated []string
		l := lister{lstat: func(p string) (fs.FileInfo, error) {
			lstated = append(lstated, filepath.Base(p))
			return os.Lstat(p)
		}}
		out := make([]lstatKind, len(paths))
		if !l.answer(d, paths, idx, out, false) {
			t.Fatalf("listing %v: did not answer", tc.listed)
		}
		sort.Strings(lstated)
		if strings.Join(lstated, " ") != strings.Join(tc.lstated, " ") {
			t.Errorf("listing %v, asked %v: lstat asked about %v, want %v", tc.listed, tc.asked, lstated, tc.lstated)
		}
	}
}

// reachableWalkDir is Reachable as it was before it read directories
// itself: an lstat per root and filepath.WalkDir. The reference.
func reachableWalkDir(p *policy.Policy, limit int) (n int, capped bool) {
	var paths []string
	for _, r := range p.FS {
		if r.Access&policy.FileRights() != 0 && strings.HasPrefix(r.Path, "/") && !strings.Contains(r.Path, "${") {
			paths = append(paths, filepath.Clean(r.Path))
		}
	}
	sort.Strings(paths)
	var roots []string
	for _, q := range paths {
		if len(roots) > 0 && (beneath(q, roots[len(roots)-1]) || roots[len(roots)-1] == "/") {
			continue
		}
		roots = append(roots, q)
	}
	errLimit := errors.New("limit")
	for _, root := range roots {
		if pseudo(root) {
			continue
		}
		st, err := os.Lstat(root)
		if err != nil {
			continue
		}
		if !st.IsDir() {
			if n++; n >= limit {
				return n, true
			}
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return nil
			case d.IsDir() && pseudo(p):
				return filepath.SkipDir
			case !d.IsDir():
				if n++; n >= limit {
					return errLimit
				}
			}
			return nil
		})
		if errors.Is(err, errLimit) {
			return n, true
		}
	}
	return n, false
}

func TestReachableAsWalkDir(t *testing.T) {
	d := lstatTree(t)
	rule := func(rel string, rights ...string) policy.FSRule {
		return policy.FSRule{Path: filepath.Join(d, rel), Access: acc(rights...)}
	}
	for _, tc := range []struct {
		name  string
		rules []policy.FSRule
	}{
		{"tree", []policy.FSRule{rule("", "read_file")}},
		{"parts", []policy.FSRule{
			rule("sub", "read_file"), rule("sub/deep/c", "write_file"), rule("f0", "execute"),
			rule("link", "read_file"), rule("dangling", "read_file"), rule("dirlink", "read_file"),
			rule("gone0", "read_file"), rule("nodir/x", "read_file"), rule("small", "read_dir"),
			rule("fifo", "write_file"), rule("file.txt/x", "read_file"),
		}},
		{"pseudo", []policy.FSRule{rule("big", "read_file"), {Path: "/proc", Access: acc("read_file")}, {Path: "/dev/null", Access: acc("read_file")}}},
	} {
		p := policy.New(policy.KernelABI)
		p.FS = tc.rules
		total, _ := reachableWalkDir(p, 1<<30)
		for _, limit := range []int{-1, 0, 1, 2, total - 1, total, total + 1, 1 << 30} {
			wn, wc := reachableWalkDir(p, limit)
			if n, c := Reachable(p, limit); n != wn || c != wc {
				t.Errorf("%s: Reachable(limit %d) = %d, %t; filepath.WalkDir counts %d, %t", tc.name, limit, n, c, wn, wc)
			}
		}
	}
}

// CountReachable counts as many gone files as an lstat of each says.
func TestCountReachableGoneAsLstat(t *testing.T) {
	d := lstatTree(t)
	rep := &Report{observedFiles: lstatCases(d)}
	want := 0
	for _, f := range rep.observedFiles {
		if _, err := os.Lstat(f); errors.Is(err, fs.ErrNotExist) {
			want++
		}
	}
	p := policy.New(policy.KernelABI)
	p.FS = []policy.FSRule{{Path: filepath.Join(d, "sub"), Access: acc("read_file")}}
	rep.CountReachable(p, 100)
	// sub holds a, b, deep/c and the symlink up.
	if rep.FilesGone != want || rep.FilesReachable != want+4 || rep.ReachableCapped {
		t.Errorf("FilesGone, FilesReachable, capped = %d, %d, %t; want %d, %d, false", rep.FilesGone, rep.FilesReachable, rep.ReachableCapped, want, want+4)
	}
}
