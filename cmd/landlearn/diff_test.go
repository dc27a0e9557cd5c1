package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDiffEqual(t *testing.T) {
	// Same grants, other comments, order and spelling: no difference.
	reordered := `version: 1
abi: 7
handled: {fs: all, net: [connect_tcp], scoped: []}
net:
  - {port: 443, access: [connect_tcp]}
fs:
  # moved and commented
  - path: ${HOME}/.config/app/
    access: [read_file]
    optional: true
  - path: /usr
    access: [execute, read_file, read_dir]
`
	dir := writeFiles(t, map[string]string{"old.yaml": cliPolicy, "new.yaml": reordered})
	r := runCLI(t, dir, "", "diff", "old.yaml", "new.yaml")
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0 and no output", r.code, r.stdout, r.stderr)
	}
}

func TestDiffDiffers(t *testing.T) {
	changed := strings.NewReplacer(
		"access: [read_dir, execute, read_file]", "access: [read_file, write_file]",
		"port: 443", "port: 8443",
		"net: [connect_tcp]", "net: [bind_tcp, connect_tcp]",
	).Replace(cliPolicy) + "  - port: 0\n    access: [bind_tcp]\n"
	dir := writeFiles(t, map[string]string{"old.yaml": cliPolicy, "new.yaml": changed})
	want := `handled.net:
  ~ [connect_tcp] -> [bind_tcp, connect_tcp]  (now restricted: bind_tcp)
fs:
  ~ /usr  [execute, read_file, read_dir] -> [write_file, read_file]
net:
  + 0  [bind_tcp]
  - 443  [connect_tcp]
  + 8443  [connect_tcp]
`
	r := runCLI(t, dir, "", "diff", "old.yaml", "new.yaml")
	if r.code != 1 || r.stdout != want {
		t.Errorf("exit %d (want 1), stderr %q, stdout:\n%s\nwant:\n%s", r.code, r.stderr, r.stdout, want)
	}
	// Stdin as either side.
	r = runCLI(t, dir, cliPolicy, "diff", "-", "new.yaml")
	if r.code != 1 || r.stdout != want {
		t.Errorf("diff - new.yaml: exit %d, stdout:\n%s", r.code, r.stdout)
	}
	r = runCLI(t, dir, changed, "diff", "new.yaml", "-")
	if r.code != 0 {
		t.Errorf("diff new.yaml - (same): exit %d, stdout:\n%s", r.code, r.stdout)
	}
}

// TestDiffKeepsVariables: ${HOME} is compared as written, so it differs
// from the path it would expand to.
func TestDiffKeepsVariables(t *testing.T) {
	expanded := strings.ReplaceAll(cliPolicy, "${HOME}", "/root")
	dir := writeFiles(t, map[string]string{"old.yaml": cliPolicy, "new.yaml": expanded})
	r := runCLI(t, dir, "", "diff", "old.yaml", "new.yaml")
	if r.code != 1 || !strings.Contains(r.stdout, "- ${HOME}/.config/app") || !strings.Contains(r.stdout, "+ /root/.config/app") {
		t.Errorf("exit %d, stdout:\n%s", r.code, r.stdout)
	}
}

func TestDiffBadInput(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"good.yaml": cliPolicy,
		"bad.yaml":  "version: 1\nfs:\n  - path: /x\n    access: [read]\n",
		"bad2.yaml": "version: 1\nnet:\n  - port: 70000\n    access: [connect_tcp]\n",
	})
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"bad old", []string{"diff", "bad.yaml", "good.yaml"}, []string{"bad.yaml:4:", "read_file"}},
		{"bad new", []string{"diff", "good.yaml", "bad.yaml"}, []string{"bad.yaml:4:"}},
		{"both bad", []string{"diff", "bad.yaml", "bad2.yaml"}, []string{"bad.yaml:4:", "bad2.yaml:3:"}},
		{"missing", []string{"diff", "good.yaml", "nope.yaml"}, []string{"nope.yaml"}},
		{"one argument", []string{"diff", "good.yaml"}, []string{"two policy files", "got 1 argument\n"}},
		{"three arguments", []string{"diff", "a", "b", "c"}, []string{"got 3"}},
		{"stdin twice", []string{"diff", "-", "-"}, []string{"only one"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, dir, "", tt.args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", r.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q lacks %q", r.stderr, w)
				}
			}
		})
	}
}

func TestDiffHelp(t *testing.T) {
	r := runCLI(t, t.TempDir(), "", "diff", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "landlearn diff landlock.yaml new.yaml") {
		t.Errorf("diff --help (exit %d):\n%s", r.code, r.stdout)
	}
}

// TestDiffPerFileToGrouped: diff of a per-file policy (version 1) against
// a grouped one says which removed rules are still granted, and by what,
// and what a new group stands for here: the README's CI recipe, when a
// policy is learned again with this landlearn.
func TestDiffPerFileToGrouped(t *testing.T) {
	old := `version: 1
abi: 7
fs:
  - path: /usr/bin/tar
    access: [execute, read_file]
  - path: /etc/ld.so.cache
    access: [read_file]
  - path: ${PWD}/src/a
    access: [read_file]
  - path: ${PWD}/src/b
    access: [read_file, write_file]
`
	grouped := `version: 2
abi: 7
fs:
  - group: system
    access: [execute, read_file]
  - group: linker-config
    access: [read_file]
  - path: ${PWD}/src
    access: [read_file]
    learned: true
`
	dir := writeFiles(t, map[string]string{"old.yaml": old, "new.yaml": grouped})
	r := runCLI(t, dir, "", "diff", "old.yaml", "new.yaml")
	for _, want := range []string{
		"  - ${PWD}/src/a  [read_file]  (still granted by ${PWD}/src)\n",
		"  - ${PWD}/src/b  [write_file, read_file]  ([read_file] still granted by ${PWD}/src; [write_file] no longer)\n",
		"  - /etc/ld.so.cache  [read_file]  (still granted by group linker-config)\n",
		"  - /usr/bin/tar  [execute, read_file]  (still granted by group system)\n",
		"  + group system  [execute, read_file]  (here: /usr)\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("diff lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.code != 1 {
		t.Errorf("exit %d, want 1: the files differ", r.code)
	}
}

// TestDiffGroupAroundWorkingDirectory: run from a checkout inside a group
// member (/usr/src/app), diff's "here:" note lists the member entry by
// entry around it, as enforcement grants it: never /usr, never /usr/src.
func TestDiffGroupAroundWorkingDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a directory in /usr/src")
	}
	if err := os.MkdirAll("/usr/src", 0o755); err != nil {
		t.Fatal(err)
	}
	work, err := os.MkdirTemp("/usr/src", "landlearn-diff-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	dir := writeFiles(t, map[string]string{
		"old.yaml": "version: 2\nfs:\n  - path: ${PWD}\n    access: [read_file]\n",
		"new.yaml": "version: 2\nfs:\n  - path: ${PWD}\n    access: [read_file]\n  - group: system\n    access: [read_file]\n",
	})
	r := runBinary(t, emitTestBinary(t), work, append(os.Environ(), "PWD="+work), nil,
		"diff", filepath.Join(dir, "old.yaml"), filepath.Join(dir, "new.yaml"))
	_, note, ok := strings.Cut(r.stdout, "(here: ")
	if !ok {
		t.Fatalf("no here: note:\n%s%s", r.stdout, r.stderr)
	}
	note, _, _ = strings.Cut(note, ")")
	members := strings.Split(note, ", ")
	if !slices.Contains(members, "/usr/bin") {
		t.Errorf("here: %s lacks /usr/bin", note)
	}
	for _, m := range members {
		if m == "/usr" || m == "/usr/src" || strings.HasPrefix(work, m+"/") || m == work {
			t.Errorf("here: %s holds the working directory %s (member %s)", note, work, m)
		}
	}
}
