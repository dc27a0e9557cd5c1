package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/learn/trace"
)

// checkPolicy lets cat read a.txt in the directory it runs in, and what
// cat itself needs on this machine.
const checkPolicy = `version: 1
abi: 7
handled:
  fs: all
  net: [bind_tcp, connect_tcp]
  scoped: [abstract_unix_socket, signal]
fs:
  - path: /usr
    access: [execute, read_file, read_dir]
  - path: /etc
    access: [read_file]
  - path: ${PWD}/a.txt
    access: [read_file]
  - path: ${PWD}/unused.txt
    access: [read_file]
`

// The "done when": check exits 0 before the program touches a
// new file, and 1 with the gap after. One trace run each, real kernel.
func TestCheckCoveredThenNot(t *testing.T) {
	traceNeeds(t)
	dir := writeFiles(t, map[string]string{"p.yaml": checkPolicy, "a.txt": "a\n", "b.txt": "b\n", "unused.txt": ""})
	writeTree(t, filepath.Join(dir, "other"), map[string]string{"a.txt": "", "unused.txt": ""})
	r := runCLI(t, dir, "", "check", "-p", "p.yaml", "--", "cat", "a.txt")
	// Unused rules as the file writes them, so that they can be found there.
	unused := "rules this run never used (information):\n  p.yaml:14: ${PWD}/unused.txt [read_file]\n"
	if r.code != 0 || !strings.HasPrefix(r.stdout, "a\nlandlearn check: p.yaml covers all ") || !strings.HasSuffix(r.stdout, unused) {
		t.Errorf("covered run: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	r = runCLI(t, dir, "", "check", "-p", "p.yaml", "--", "cat", "a.txt", "b.txt")
	want := filepath.Join(realDir(t, dir), "b.txt") + ": missing [read_file] (openat by "
	if r.code != 1 || !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "1 time); closest rule: p.yaml:12\n") ||
		!strings.Contains(r.stdout, "does not cover 1 of this run's accesses") {
		t.Errorf("new file: exit %d, want 1 and %q\nstdout:\n%s\nstderr:\n%s", r.code, want, r.stdout, r.stderr)
	}

	// The learn command it suggests stops where check's run stopped.
	r = runCLI(t, dir, "", "check", "-p", "p.yaml", "--timeout", "30s", "--", "cat", "a.txt", "b.txt")
	if want := "Fix: landlearn learn --merge p.yaml --timeout 30s -- cat a.txt b.txt,"; r.code != 1 || !strings.Contains(r.stdout, want) {
		t.Errorf("--timeout: exit %d, want %q\n%s", r.code, want, r.stdout)
	}

	r = runCLI(t, dir, "", "check", "-p", "p.yaml", "--format", "github", "--", "cat", "a.txt", "b.txt")
	want = "::error file=p.yaml,line=12,title=landlearn check::" + filepath.Join(realDir(t, dir), "b.txt") + ": missing [read_file]"
	if r.code != 1 || !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "::notice file=p.yaml,line=14,title=landlearn check::rule not used by this run: ${PWD}/unused.txt\n") {
		t.Errorf("github: exit %d, want %q\n%s", r.code, want, r.stdout)
	}

	// --var moves ${PWD}: then a.txt is not covered either.
	r = runCLI(t, dir, "", "check", "-p", "p.yaml", "--var", "PWD="+filepath.Join(dir, "other"), "--", "cat", "a.txt")
	if r.code != 1 || !strings.Contains(r.stdout, "a.txt: missing [read_file]") {
		t.Errorf("--var PWD: exit %d\n%s", r.code, r.stdout)
	}
	// A policy run would refuse here (a rule on a missing path) is refused
	// by check too, before the program runs.
	r = runCLI(t, dir, "", "check", "-p", "p.yaml", "--var", "PWD=/nonexistent", "--", "touch", "ran")
	if _, err := os.Stat(filepath.Join(dir, "ran")); r.code != 2 || !strings.Contains(r.stderr, "p.yaml:12: /nonexistent/a.txt does not exist") || err == nil {
		t.Errorf("a missing path: exit %d, stderr %q", r.code, r.stderr)
	}
}

// traceNeeds skips where the tracer cannot run: it reads /proc and needs
// seccomp user notification with SECCOMP_USER_NOTIF_FLAG_CONTINUE, whose
// use the tracer ties to Linux 6.6.
func traceNeeds(t *testing.T) {
	t.Helper()
	if err := trace.Supported(); err != nil {
		testkit.Skip(t, "%v", err)
	}
}

func realDir(t *testing.T, dir string) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCheckBadInput(t *testing.T) {
	dir := writeFiles(t, map[string]string{"p.yaml": checkPolicy, "a.txt": "", "unused.txt": "",
		"bad.yaml": "version: 1\nabi: 7\nfs:\n  - path: /usr\n    access: [read]\n"})
	cases := []struct {
		args   []string
		stderr string
	}{
		{[]string{"check", "--", "true"}, "missing -p POLICY"},
		{[]string{"check", "-p", "p.yaml"}, "missing the command"},
		{[]string{"check", "-p", "p.yaml", "--format", "xml", "--", "true"}, "--format xml: use text or github"},
		{[]string{"check", "-p", "bad.yaml", "--", "true"}, "bad.yaml:5:"},
		{[]string{"check", "-p", "p.yaml", "--var", "PWD", "--", "true"}, "want NAME=VALUE"},
		{[]string{"check", "-p", "p.yaml", "--", "./no-such-program"}, "no-such-program"},
	}
	for _, c := range cases {
		r := runCLI(t, dir, "", c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.stderr) {
			t.Errorf("landlearn %s: exit %d, stderr %q; want 2 and %q", strings.Join(c.args, " "), r.code, r.stderr, c.stderr)
		}
	}
}

func TestCheckHelp(t *testing.T) {
	r := runCLI(t, t.TempDir(), "", "check", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "--format github") {
		t.Errorf("help:\n%s", r.stdout)
	}
}

// TestCheckFixAsLearnWould: the rule check suggests for a gap is the one
// learn would write for this run: named with ${PWD}, and on the
// directory when the run treats it as a unit (here it read both files of
// data/), so that the fix also covers the next file of the same shape.
func TestCheckFixAsLearnWould(t *testing.T) {
	traceNeeds(t)
	policy := strings.Replace(checkPolicy, "${PWD}/a.txt", "${PWD}/data/a", 1)
	dir := writeFiles(t, map[string]string{"p.yaml": policy, "unused.txt": "", "one.txt": "1\n"})
	fill(t, dir, map[string]string{"data/a": "a\n", "data/b": "b\n"})
	r := runCLI(t, dir, "", "check", "-p", "p.yaml", "--", "cat", "data/a", "data/b")
	if r.code != 1 || !strings.Contains(r.stdout, "\n    fix: - path: ${PWD}/data [read_file]\n") {
		t.Errorf("exit %d, want 1 and a fix on ${PWD}/data:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, dir, "", "check", "-p", "p.yaml", "--", "cat", "data/a", "one.txt")
	if r.code != 1 || !strings.Contains(r.stdout, "\n    fix: - path: ${PWD}/one.txt [read_file]\n") {
		t.Errorf("exit %d, want 1 and a fix on ${PWD}/one.txt:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestCheckUnusedGroup: an unused group rule is named as the group, with
// the member the run did not use, as the policy file names it.
func TestCheckUnusedGroup(t *testing.T) {
	traceNeeds(t)
	if _, err := os.Stat("/etc/terminfo"); err != nil {
		testkit.Skip(t, "needs /etc/terminfo, the terminfo group's member on Debian")
	}
	pol := "version: 2\nabi: 7\nfs:\n  - group: system\n    access: [execute, read_file, read_dir]\n" +
		"  - group: linker-config\n    access: [read_file]\n  - group: terminfo\n    access: [read_file]\n"
	dir := writeFiles(t, map[string]string{"p.yaml": pol})
	r := runCLI(t, dir, "", "check", "-p", "p.yaml", "--", "true")
	if want := "p.yaml:8: group terminfo (/etc/terminfo) [read_file]\n"; r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Errorf("exit %d, want %q\n%s%s", r.code, want, r.stdout, r.stderr)
	}
}
