package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// redirectPolicy lets the sandbox replace the entries of ${PWD} (a
// learned policy for a program that rewrites its files looks like this)
// and read the files in.txt and data/in.txt there.
const redirectPolicy = `version: 2
fs:
  - group: system
    access: [execute, read_file, read_dir]
  - path: /lib64
    access: [execute, read_file, read_dir]
    optional: true
  - path: ${PWD}
    access: [read_dir, make_sym, make_dir, remove_file, remove_dir]
  - path: ${PWD}/in.txt
    access: [read_file]
  - path: ${PWD}/data/in.txt
    access: [read_file]
`

// TestRunRefusesPlantedSymlink is issue 12's first defect, end to end on
// the real kernel: run 1 replaces a granted file, or a directory on the
// way to one, by a symlink to a secret; run 2 would read the secret
// through the rule. run, verify and check now refuse the policy (exit 2)
// and name the symlink; nothing of the secret is read.
func TestRunRefusesPlantedSymlink(t *testing.T) {
	e2eNeeds(t)
	secretDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(secretDir, "in.txt"), []byte("the secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, plant, read, link string
	}{
		{"the file", "rm in.txt; ln -s " + secretDir + "/in.txt in.txt", "in.txt", "in.txt"},
		{"a directory on the way", "mv data data.old; ln -s " + secretDir + " data", "data/in.txt", "data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := realDir(t, t.TempDir())
			writeTree(t, dir, map[string]string{"p.yaml": redirectPolicy, "in.txt": "harmless\n", "data/in.txt": "harmless\n"})
			if r := runCLI(t, dir, "", "run", "-p", "p.yaml", "--", "head", "-1", tc.read); r.code != 0 || r.stdout != "harmless\n" {
				t.Fatalf("before: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
			if r := runCLI(t, dir, "", "run", "-p", "p.yaml", "--", "sh", "-c", tc.plant); r.code != 0 {
				t.Fatalf("run 1 could not plant the symlink: exit %d, %s", r.code, r.stderr)
			}
			link := filepath.Join(dir, tc.link)
			for _, args := range [][]string{
				{"run", "-p", "p.yaml", "--", "head", "-1", tc.read},
				{"verify", "-p", "p.yaml", "--", "head", "-1", tc.read},
				{"check", "-p", "p.yaml", "--", "head", "-1", tc.read},
			} {
				r := runCLI(t, dir, "", args...)
				if r.code != 2 || strings.Contains(r.stdout+r.stderr, "the secret") ||
					!strings.Contains(r.stderr, "the symlink "+link+" (to "+secretDir) && !strings.Contains(r.stderr, link+" is a symlink (to "+secretDir) ||
					!strings.Contains(r.stderr, "a sandboxed run may have planted it") {
					t.Errorf("landlearn %s after the plant: exit %d\nstdout %q\nstderr %q\nwant exit 2 naming %s, and nothing read",
						args[0], r.code, r.stdout, r.stderr, link)
				}
			}
		})
	}
}

// TestRunFollowsTrustedSymlinks: symlinks the sandbox cannot have planted
// keep working: /lib64 (in the policy above), and ${PWD} reached through
// a symlink in the very directory the policy lets the sandbox change.
func TestRunFollowsTrustedSymlinks(t *testing.T) {
	e2eNeeds(t)
	top := realDir(t, t.TempDir())
	writeTree(t, top, map[string]string{"real/in.txt": "through the link\n", "real/data/in.txt": ""})
	if err := os.Symlink("real", filepath.Join(top, "link")); err != nil {
		t.Fatal(err)
	}
	policy := redirectPolicy + "  - path: " + top + "\n    access: [make_sym, remove_file]\n"
	if err := os.WriteFile(filepath.Join(top, "real/p.yaml"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	pwd := filepath.Join(top, "link")
	r := runBinary(t, emitTestBinary(t), pwd, append(os.Environ(), "PWD="+pwd), nil,
		"run", "-p", "p.yaml", "--", "cat", "in.txt")
	if r.code != 0 || r.stdout != "through the link\n" {
		t.Errorf("run in %s: exit %d, stdout %q, stderr %q", pwd, r.code, r.stdout, r.stderr)
	}
}
