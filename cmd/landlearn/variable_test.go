package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file name holding "${" (Maven's ${project.basedir}) is learned as a
// warning, not as a rule that run would expand as a variable: learn
// writes a policy that run loads (it exited 2 on "variable ${NOPE} is
// not set"), learn and minimize of its observations name the file, and
// no rule holds it, ${HOME} included (which would name another file).
func TestLearnFileNameHoldingVariable(t *testing.T) {
	w := t.TempDir()
	// One file a directory, as in the report: no directory is a unit.
	files := []string{"sub/${NOPE}", "home/${HOME}", "ok"}
	for _, n := range files {
		os.Mkdir(filepath.Join(w, filepath.Dir(n)), 0o755)
		if err := os.WriteFile(filepath.Join(w, n), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := runLearnCLI(t, w, append([]string{"learn", "-o", "d2.yaml", "--raw", "a.jsonl", "--", "cat"}, files...)...)
	if r.code != 0 {
		t.Fatalf("learn: exit %d\n%s", r.code, r.stderr)
	}
	real := learnRealDir(t, w)
	for _, n := range files[:2] {
		want := "openat: " + real + "/" + n + ` holds "${", which a policy reads as a variable and cannot hold exactly: ` +
			"no rule is learned for it (rename it, or grant " + real + "/" + filepath.Dir(n) + " by hand)"
		if !strings.Contains(r.stderr, want) {
			t.Errorf("learn does not warn %q:\n%s", want, r.stderr)
		}
	}
	m := runLearnCLI(t, w, "minimize", "-o", "m.yaml", "a.jsonl")
	if m.code != 0 || !strings.Contains(m.stderr, "/sub/${NOPE} holds") {
		t.Errorf("minimize: exit %d\n%s", m.code, m.stderr)
	}
	for _, f := range []string{"d2.yaml", "m.yaml"} {
		data, err := os.ReadFile(filepath.Join(w, f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "/${") || !strings.Contains(string(data), "/ok") {
			t.Errorf("%s:\n%s", f, data)
		}
	}
	run := runLearnCLI(t, w, "run", "-p", "d2.yaml", "--", "cat", "sub/${NOPE}")
	if run.code != 1 || !strings.Contains(run.stderr, "Permission denied") {
		t.Errorf("run: exit %d, want cat's 1 (denied)\n%s", run.code, run.stderr)
	}
}
