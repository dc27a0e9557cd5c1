package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyNestedSandbox is issue 12's item 12: the program sandboxes
// itself (here landlearn run, exec'd in place in the very process that
// holds the policy's domain) and its own sandbox denies what the policy
// grants. verify said "The policy denied...", exited 1 and suggested a
// rule the policy already has. Now the denial is listed apart as the
// program's own, the policy is said to allow it, and verify exits 0; a
// denial the policy would make too still exits 1.
func TestVerifyNestedSandbox(t *testing.T) {
	bin := auditTestBinary(t)
	dir := realDir(t, t.TempDir())
	writeTree(t, dir, map[string]string{"granted": "g\n", "secret/s": "s\n"})
	outer := filepath.Join(dir, "outer.yaml")
	inner := filepath.Join(dir, "inner.yaml")
	writeTree(t, "/", map[string]string{
		outer: `version: 2
fs:
  - group: system
    access: [execute, read_file, read_dir]
  - path: /etc
    access: [read_file]
  - path: /proc
    access: [read_file, read_dir]
  - path: /sys
    access: [read_file]
  - path: ` + filepath.Dir(bin) + `
    access: [execute, read_file]
  - path: ` + dir + `/inner.yaml
    access: [read_file]
  - path: ` + dir + `/granted
    access: [read_file]
`,
		inner: `version: 2
fs:
  - group: system
    access: [execute, read_file, read_dir]
`,
	})
	verify := func(script string) cliResult {
		return runBinary(t, bin, dir, nil, nil, "verify", "-p", outer, "--", bin, "run", "--log", "-p", inner, "--", "sh", "-c", script)
	}

	r := verify("cat " + dir + "/granted")
	if r.code != 0 || strings.Contains(r.stderr, "The policy denied") ||
		!strings.Contains(r.stderr, "The program's own sandbox also denied") ||
		!strings.Contains(r.stderr, "  "+dir+"/granted\n    denied: read_file\n    by:     /usr/bin/cat") ||
		!strings.Contains(r.stderr, "policy: allows this; only the program's own sandbox denies it") ||
		strings.Contains(r.stderr, "- path: "+dir+"/granted") {
		t.Errorf("a nested denial the policy allows: exit %d, want 0\n%s", r.code, r.stderr)
	}

	r = verify("cat " + dir + "/granted; cat " + dir + "/secret/s")
	if r.code != 1 || strings.Contains(r.stderr, "The policy denied") ||
		!strings.Contains(r.stderr, "policy: does not allow this either\n    fix:\n      - path: ${PWD}/secret/s") ||
		!strings.Contains(r.stderr, "the policy does not allow 1 of the objects the program's own sandbox denied") {
		t.Errorf("a nested denial the policy would make too: exit %d, want 1\n%s", r.code, r.stderr)
	}
}
