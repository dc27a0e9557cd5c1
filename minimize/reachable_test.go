package minimize

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/policy"
)

// emptyFiles makes a temporary directory holding these empty files (and
// their parent directories), and returns it.
func emptyFiles(t *testing.T, files ...string) string {
	t.Helper()
	d := t.TempDir()
	addEmptyFiles(t, d, files...)
	return d
}

// addEmptyFiles makes these empty files, and their parent directories,
// beneath d.
func addEmptyFiles(t *testing.T, d string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(d, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReachable(t *testing.T) {
	d := emptyFiles(t, "a", "b", "sub/c", "sub/d", "list/x", "list/y")
	p := policy.New(policy.KernelABI)
	p.FS = []policy.FSRule{
		{Path: filepath.Join(d, "a"), Access: acc("read_file")},
		{Path: filepath.Join(d, "sub"), Access: acc("read_file")},
		{Path: filepath.Join(d, "sub/c"), Access: acc("write_file")}, // counted once
		{Path: filepath.Join(d, "list"), Access: acc("read_dir")},    // lists, opens nothing
		{Path: "/proc", Access: acc("read_file")},                    // kernel objects: not counted
		{Path: filepath.Join(d, "missing"), Access: acc("read_file")},
	}
	if n, capped := Reachable(p, 100); n != 3 || capped {
		t.Errorf("Reachable = %d, %t; want 3, false", n, capped)
	}
	if n, capped := Reachable(p, 2); n != 2 || !capped {
		t.Errorf("Reachable with limit 2 = %d, %t; want 2, true", n, capped)
	}
}

// A rule beneath another is not walked again, even when a sibling whose
// name continues the parent's ("a-b" after "a") sorts between them.
func TestReachableNestedRuleAfterSibling(t *testing.T) {
	d := emptyFiles(t, "a/x", "a/c/f", "a-b/y")
	p := policy.New(policy.KernelABI)
	for _, r := range []string{"a", "a-b", "a/c"} {
		p.FS = append(p.FS, policy.FSRule{Path: filepath.Join(d, r), Access: acc("read_file")})
	}
	if n, capped := Reachable(p, 100); n != 3 || capped {
		t.Errorf("Reachable = %d, %t; want 3 (a/x, a/c/f, a-b/y), false", n, capped)
	}
}

func TestSlashFirstLess(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"/a", "/a/c", true}, {"/a/c", "/a-b", true}, {"/a-b", "/a/c", false},
		{"/a", "/a", false}, {"/a", "/b", true}, {"/b", "/a", false}, {"/", "/a", true},
	} {
		if got := slashFirstLess(c.a, c.b); got != c.want {
			t.Errorf("slashFirstLess(%q, %q) = %t, want %t", c.a, c.b, got, c.want)
		}
	}
}

// The summary once read "files observed vs reachable: 32 vs 28": the
// observed side counted /proc files and files the run deleted, which the
// reachable side cannot count. Both now count the same kind of file, so a
// sound policy never reaches fewer files than were observed.
func TestCountReachableNotBelowObserved(t *testing.T) {
	d := t.TempDir()
	keep := filepath.Join(d, "keep.txt")
	if err := os.WriteFile(keep, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	obs := cat(
		pidOpen(7, keep, "read_file"),
		pidOpen(7, filepath.Join(d, "gone.tmp"), "write_file"), // deleted by the run
		pidOpen(7, "/proc/filesystems", "read_file"),           // a kernel object
		pidOpen(7, "/dev/null", "write_file"),
	)
	p, rep := Minimize(obs, Options{})
	rep.CountReachable(p, 100)
	if rep.FilesObserved != 2 {
		t.Errorf("FilesObserved = %d, want 2 (not /proc or /dev)", rep.FilesObserved)
	}
	if rep.FilesGone != 1 || rep.FilesReachable != 2 {
		t.Errorf("FilesGone, FilesReachable = %d, %d; want 1, 2", rep.FilesGone, rep.FilesReachable)
	}
	var b strings.Builder
	rep.WriteSummary(&b)
	if want := "files observed vs reachable under the path rules: 2 vs 2 (outside /proc, /sys and /dev; 1 observed file is no longer there)"; !strings.Contains(b.String(), want) {
		t.Errorf("summary:\n%s\nwant a line with %q", b.String(), want)
	}
}
