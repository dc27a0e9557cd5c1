package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLearnAndRunFindTheSameCommand: with a PATH that has an empty and
// a relative entry before the directory that holds CMD, learn (the
// tracer) and run (enforce) run the same binary, the one in the absolute
// directory. The tracer used to read the empty entry as "." and took the
// working directory's copy, so the policy was learned for another binary
// than the one run enforced it on.
func TestLearnAndRunFindTheSameCommand(t *testing.T) {
	w, abs, tmp := t.TempDir(), t.TempDir(), t.TempDir()
	script := func(dir, says string) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "prog"), []byte("#!/bin/sh\necho "+says+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script(w, "working-directory")
	script(filepath.Join(w, "rel"), "relative-entry")
	script(abs, "absolute-entry")
	env := []string{"TMPDIR=" + tmp, "PATH=:rel:" + abs + ":" + os.Getenv("PATH")}

	r := runLearnCLIEnv(t, w, env, "learn", "-o", "p.yaml", "--", "prog")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "absolute-entry" {
		t.Fatalf("learn -- prog: exit %d, ran the one that says %q, want absolute-entry\n%s", r.code, r.stdout, r.stderr)
	}
	r = runLearnCLIEnv(t, w, env, "run", "-p", "p.yaml", "--", "prog")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "absolute-entry" {
		t.Fatalf("run -- prog: exit %d, ran the one that says %q, want absolute-entry\n%s", r.code, r.stdout, r.stderr)
	}
}
