package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// readsIn is a run, as JSONL with its header (HOME=/home/u), that reads n
// files in dir.
func readsIn(dir string, n int) string {
	var b strings.Builder
	b.WriteString(`{"landlearn":"observations","version":2,"argv":["app"],"cwd":"/w","vars":{"HOME":"/home/u","PWD":"/w","TMPDIR":"/tmp"}}` + "\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `{"seq":%d,"syscall":"openat","pid":10,"exe":"/usr/bin/app","path":"%s/f%d","type":"file","access":["read_file"]}`+"\n",
			i, strings.TrimSuffix(dir, "/"), i)
	}
	return b.String()
}

// rules counts the fs rules of a policy that minimize printed.
func rules(policy string) int { return strings.Count(policy, "\n  - path: ") }

// TestMinimizeCollapseThreshold pins --collapse's default: 32 files read
// in one directory become one rule on it, 31 stay file rules.
func TestMinimizeCollapseThreshold(t *testing.T) {
	for n, want := range map[int]int{31: 31, 32: 1} {
		dir := writeFiles(t, map[string]string{"run.jsonl": readsIn("/srv/data/d", n)})
		r := runCLI(t, dir, "", "minimize", "run.jsonl")
		if r.code != 0 || rules(r.stdout) != want || want == 1 && !strings.Contains(r.stdout, "  - path: /srv/data/d\n") {
			t.Errorf("%d files read: exit %d, %d rules, want %d\n%s%s", n, r.code, rules(r.stdout), want, r.stdout, r.stderr)
		}
	}
}

// TestMinimizeNeverCollapsesSensitiveTrees pins every sensitive root of
// the README: 40 files read in each (and, for the trees, in a directory
// beneath it) stay 40 file rules, where --allow-sensitive makes them one
// directory rule. Dropping a root from minimize's lists fails here.
func TestMinimizeNeverCollapsesSensitiveTrees(t *testing.T) {
	const n = 40
	home := "/home/u"
	exact := []string{"/", home}
	trees := []string{"/etc", "/root", "/proc", "/sys", "/dev", "/boot", "/run/secrets",
		home + "/.ssh", home + "/.gnupg", home + "/.aws", home + "/.kube"}
	var dirs []string
	dirs = append(dirs, exact...)
	for _, d := range trees {
		dirs = append(dirs, d, d+"/sub")
	}
	for _, d := range dirs {
		run := writeFiles(t, map[string]string{"run.jsonl": readsIn(d, n)})
		r := runCLI(t, run, "", "minimize", "run.jsonl")
		if r.code != 0 || rules(r.stdout) != n {
			t.Errorf("%d files read in %s: exit %d, %d rules, want %d file rules\n%s", n, d, r.code, rules(r.stdout), n, r.stderr)
		}
		r = runCLI(t, run, "", "minimize", "--allow-sensitive", "run.jsonl")
		if r.code != 0 || rules(r.stdout) != 1 {
			t.Errorf("%d files read in %s with --allow-sensitive: exit %d, %d rules, want one on %s\n%s", n, d, r.code, rules(r.stdout), filepath.Clean(d), r.stdout)
		}
	}
}
