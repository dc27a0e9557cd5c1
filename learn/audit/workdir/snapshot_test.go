package workdir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// tree is a small working directory: a file, a subdirectory with a file,
// a symlink and a fifo.
func tree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "f"), []byte("one"), 0o640))
	must(t, os.Mkdir(filepath.Join(dir, "sub"), 0o750))
	must(t, os.WriteFile(filepath.Join(dir, "sub", "g"), []byte("two"), 0o600))
	must(t, os.Symlink("sub/g", filepath.Join(dir, "link")))
	must(t, syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// listing describes a tree: path, mode, content or link target.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		must(t, err)
		fi, err := os.Lstat(p)
		must(t, err)
		rel, _ := filepath.Rel(dir, p)
		s := rel + " " + fi.Mode().String()
		switch {
		case fi.Mode().IsRegular():
			data, _ := os.ReadFile(p)
			s += " " + string(data)
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			s += " -> " + target
		}
		out = append(out, s)
		return nil
	})
	return out
}

func TestSnapshotRestore(t *testing.T) {
	dir := tree(t)
	want := listing(t, dir)
	s, err := takeSnapshot(dir, true, maxResetSize, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Remove()
	// What a run might do: write, create, delete, chmod.
	must(t, os.WriteFile(filepath.Join(dir, "f"), []byte("changed"), 0o640))
	must(t, os.MkdirAll(filepath.Join(dir, "new", "deeper"), 0o755))
	must(t, os.Remove(filepath.Join(dir, "sub", "g")))
	must(t, os.Chmod(filepath.Join(dir, "sub"), 0o700))
	must(t, os.Chmod(dir, 0o700))

	if !s.created(filepath.Join(dir, "new", "deeper")) || s.created(filepath.Join(dir, "sub")) || s.created("/etc/passwd") {
		t.Error("created() is wrong")
	}
	if got := s.TopCreated(filepath.Join(dir, "new", "deeper", "x")); got != filepath.Join(dir, "new") {
		t.Errorf("topCreated = %q, want %s/new", got, dir)
	}
	if got := s.TopCreated(filepath.Join(dir, "f")); got != "" {
		t.Errorf("topCreated of an old file = %q", got)
	}
	fi, _ := os.Stat(dir)
	mode := fi.Mode()
	must(t, s.Restore())
	if got := listing(t, dir); !slices.Equal(got, want) {
		t.Errorf("after restore:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if fi, _ := os.Stat(dir); fi.Mode() == mode {
		t.Errorf("the directory's own mode stayed %v", mode)
	}
}

func TestSnapshotTooBig(t *testing.T) {
	dir := tree(t)
	if _, err := takeSnapshot(dir, true, 2, nil); !errors.Is(err, errTooBig) || !strings.Contains(err.Error(), "--no-reset") {
		t.Errorf("err = %v, want errTooBig suggesting --no-reset", err)
	}
	s, err := takeSnapshot(dir, false, 2, nil)
	if err != nil || s.copy != "" {
		t.Errorf("without reset: %v, copy %q", err, s.copy)
	}
}

// A kept file (the --raw file landlearn writes while the rounds run) is
// neither copied nor put back: a reset leaves what was written to it,
// also in a subdirectory whose other entries are reset.
func TestSnapshotKeeps(t *testing.T) {
	dir := tree(t)
	raw := filepath.Join(dir, "sub", "raw.jsonl")
	must(t, os.WriteFile(raw, []byte("line 1\n"), 0o644))
	s, err := TakeSnapshot(dir, true, raw)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Remove()
	must(t, os.WriteFile(raw, []byte("line 1\nline 2\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "sub", "g"), []byte("changed"), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "sub", "new"), nil, 0o600))
	must(t, s.Restore())
	if data, _ := os.ReadFile(raw); string(data) != "line 1\nline 2\n" {
		t.Errorf("the kept file after a reset: %q", data)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "sub", "g")); string(data) != "two" {
		t.Errorf("sub/g beside the kept file was not reset: %q", data)
	}
	if _, err := os.Stat(filepath.Join(dir, "sub", "new")); err == nil {
		t.Error("sub/new, created after the snapshot, survived the reset")
	}
}
