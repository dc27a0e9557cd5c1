package command

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []struct {
		name string
		mode os.FileMode
	}{
		{"a/prog", 0o755}, {"b/prog", 0o755}, {"prog", 0o755}, {"rel/prog", 0o755},
		{"c/plain", 0o644}, {"a/plain", 0o644}, {"d/plain", 0o755},
	} {
		p := filepath.Join(dir, f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(dir, "b", "sub"), 0o755)
	a, b, c, d := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c"), filepath.Join(dir, "d")
	for _, tc := range []struct {
		file, path, dir string
		want            string
		err             error
	}{
		{"prog", a + ":" + b, "", filepath.Join(a, "prog"), nil},
		{"prog", b + ":" + a, "", filepath.Join(b, "prog"), nil},
		// Empty and relative entries are skipped, wherever the process runs.
		{"prog", ":rel:.:" + b, dir, filepath.Join(b, "prog"), nil},
		{"prog", "::rel", dir, "", ErrNotFound},
		{"prog", "", dir, "", ErrNotFound},
		// A directory is not a match; a file without x is one only when
		// nothing executable comes after it.
		{"sub", b, "", "", ErrNotFound},
		{"plain", c + ":" + d, "", filepath.Join(d, "plain"), nil},
		{"plain", c + ":" + a, "", "", ErrCannotExecute},
		// A name with a slash is used as it is, relative to dir.
		{"./prog", a, dir, "./prog", nil},
		{"rel/prog", a, dir, "rel/prog", nil},
		{"./nope", a, dir, "", ErrNotFound},
		{"./a", a, dir, "", ErrCannotExecute},
		{"c/plain", a, dir, "", ErrCannotExecute},
		{filepath.Join(a, "prog"), "", "", filepath.Join(a, "prog"), nil},
	} {
		got, err := LookPath(tc.file, tc.path, tc.dir)
		if got != tc.want || !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
			t.Errorf("LookPath(%q, %q, %q) = %q, %v; want %q, %v", tc.file, tc.path, tc.dir, got, err, tc.want, tc.err)
		}
		want := 0
		switch tc.err {
		case ErrNotFound:
			want = ExitNotFound
		case ErrCannotExecute:
			want = ExitCannotExec
		}
		if s := ExitStatus(err); s != want {
			t.Errorf("LookPath(%q, %q): ExitStatus(%v) = %d, want %d", tc.file, tc.path, err, s, want)
		}
	}
	// Not found in PATH, but in the working directory: the error says
	// how to name it.
	_, err := LookPath("prog", a+"x", dir)
	if err == nil || !strings.Contains(err.Error(), "name it ./prog") {
		t.Errorf("prog in the working directory only: %v, want the ./prog hint", err)
	}
	if _, err := LookPath("nope", a, dir); err == nil || strings.Contains(err.Error(), "./") {
		t.Errorf("nope nowhere: %v, want no hint", err)
	}
}

func TestPathOf(t *testing.T) {
	if got := PathOf([]string{"HOME=/root"}); got != DefaultPath {
		t.Errorf("no PATH: %q, want %q", got, DefaultPath)
	}
	if got := PathOf([]string{"PATH=/a", "X=1", "PATH=/b"}); got != "/b" {
		t.Errorf("two PATHs: %q, want the last, /b", got)
	}
	if got := PathOf([]string{"PATH="}); got != "" {
		t.Errorf("empty PATH: %q, want it empty", got)
	}
}

// TestExitCode: a real process's end, as a shell reports it.
func TestExitCode(t *testing.T) {
	for _, c := range []struct {
		script string
		want   int
	}{
		{"exit 0", 0},
		{"exit 3", 3},
		{"kill -TERM $$", 128 + 15},
		{"kill -KILL $$", 128 + 9},
	} {
		cmd := exec.Command("/bin/sh", "-c", c.script)
		cmd.Run()
		if got := ExitCode(cmd.ProcessState); got != c.want {
			t.Errorf("sh -c %q: ExitCode %d, want %d", c.script, got, c.want)
		}
	}
}
