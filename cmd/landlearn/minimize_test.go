package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const runA = `{"seq":1,"syscall":"execve","pid":10,"exe":"/usr/bin/cat","path":"/usr/bin/cat","type":"file","access":["execute","read_file"]}
{"seq":2,"syscall":"openat","pid":10,"exe":"/usr/bin/cat","path":"/etc/hostname","type":"file","access":["read_file"]}
`

const runB = `{"seq":1,"syscall":"execve","pid":20,"exe":"/usr/bin/curl","path":"/usr/bin/curl","type":"file","access":["execute","read_file"]}

{"seq":2,"syscall":"connect","pid":20,"exe":"/usr/bin/curl","port":443,"access":["connect_tcp"]}
`

func TestMinimizeToStdoutMergesRuns(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.jsonl": runA, "b.jsonl": runB})
	r := runCLI(t, dir, "", "minimize", "a.jsonl", "b.jsonl")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"  - path: /etc/hostname\n    access: [read_file]\n    learned: true\n", "  - group: system\n    access: [execute, read_file]\n",
		"  - port: 443\n    access: [connect_tcp]\n", "abi: 7\n", "  fs: all\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "3 rules, 4 rights, 3 paths observed from 4 observations") ||
		!strings.Contains(r.stderr, "files observed vs reachable under the path rules: 1 vs 1 (outside /proc, /sys and /dev; system files that groups grant are not counted)") {
		t.Errorf("summary:\n%s", r.stderr)
	}
	// Same input, same bytes; stdin is "-".
	again := runCLI(t, dir, runB, "minimize", "a.jsonl", "-")
	if again.stdout != r.stdout {
		t.Errorf("second run differs:\n%s", again.stdout)
	}
}

func TestMinimizeOutputFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.jsonl": runA})
	if r := runCLI(t, dir, "", "minimize", "-o", "p.yaml", "a.jsonl"); r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	r := runCLI(t, dir, "", "minimize", "-o", "p.yaml", "a.jsonl")
	if r.code != 2 || !strings.Contains(r.stderr, "pass --force to replace it") {
		t.Errorf("overwrite without --force: exit %d, %s", r.code, r.stderr)
	}
	if r := runCLI(t, dir, "", "minimize", "-o", "p.yaml", "--force", "a.jsonl"); r.code != 0 {
		t.Errorf("--force: exit %d, %s", r.code, r.stderr)
	}
	if r := runCLI(t, dir, "", "emit", "p.yaml"); r.code != 0 {
		t.Errorf("the written policy does not load: %s", r.stderr)
	}
}

func TestMinimizeBadInput(t *testing.T) {
	bad := runA + `{"seq":3,"path":"/x","access":["read_file"]` + "\n" + `{"seq":4,"pid":10,"path":"/etc/passwd","access":["read_file"]}` + "\n"
	dir := writeFiles(t, map[string]string{"bad.jsonl": bad, "empty.jsonl": ""})
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"minimize", "bad.jsonl"}, 2, "bad.jsonl:3: not an observation"},
		{[]string{"minimize", "--skip-bad", "bad.jsonl"}, 0, "skipped 1 line that is not an observation (--skip-bad)"},
		{[]string{"minimize", "empty.jsonl"}, 0, "warning: no observations"},
		{[]string{"minimize"}, 2, "missing RUN.jsonl"},
		{[]string{"minimize", "nope.jsonl"}, 2, "no such file"},
		{[]string{"minimize", "."}, 2, "is a directory"},
		{[]string{"minimize", "--collapse", "-1", "bad.jsonl"}, 2, "--collapse -1"},
		{[]string{"minimize", "--force", "bad.jsonl"}, 2, "Did you mean -o landlock.yaml --force?"},
		{[]string{"minimize", "--skip-bad", "-o", "/dev/null", "--force", "bad.jsonl"}, 2, "/dev/null is a character device"},
	}
	for _, c := range cases {
		r := runCLI(t, dir, "", c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.stderr) {
			t.Errorf("landlearn %s: exit %d, stderr %q; want %d and %q", strings.Join(c.args, " "), r.code, r.stderr, c.code, c.stderr)
		}
	}
	// Merged into a policy, a run with nothing in it leaves that policy's
	// rules: a note, not the warning that everything is denied.
	if r := runCLI(t, dir, "", "minimize", "-o", "old.yaml", "--skip-bad", "bad.jsonl"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	r := runCLI(t, dir, "", "minimize", "--merge", "old.yaml", "-o", "old.yaml", "empty.jsonl")
	if r.code != 0 || strings.Contains(r.stderr, "warning: no observations") || !strings.Contains(r.stderr, "no observations in this run: old.yaml's rules are written unchanged") {
		t.Errorf("merge of an empty run: exit %d, stderr %q", r.code, r.stderr)
	}
	// --skip-bad still writes what the good lines needed.
	r = runCLI(t, dir, "", "minimize", "--skip-bad", "bad.jsonl")
	if !strings.Contains(r.stdout, "/etc/passwd") {
		t.Errorf("--skip-bad lost good lines:\n%s", r.stdout)
	}
}

// A line that would make a policy no one can load or enforce (a NUL in a
// path, a path longer than PATH_MAX, a name that is not UTF-8, a line
// longer than any observation) is named by FILE:LINE, the same way
// whether the policy goes to stdout or to -o, and --skip-bad skips it.
func TestMinimizeUnusableLines(t *testing.T) {
	for name, line := range map[string]string{
		"NUL":       `{"seq":3,"syscall":"openat","pid":10,"path":"/tmp/a\u0000b","type":"file","access":["read_file"]}`,
		"PATH_MAX":  `{"seq":3,"syscall":"openat","pid":10,"path":"/` + strings.Repeat("a", 4096) + `","type":"file","access":["read_file"]}`,
		"not UTF-8": "{\"seq\":3,\"syscall\":\"openat\",\"pid\":10,\"path\":\"/tmp/caf\xe9\",\"type\":\"file\",\"access\":[\"read_file\"]}",
		"surrogate": `{"seq":3,"syscall":"openat","pid":10,"path":"/tmp/\ud800x","type":"file","access":["read_file"]}`,
		"overlong":  `{"seq":3,"syscall":"openat","pid":10,"path":"/tmp/` + strings.Repeat("a", 17<<20) + `","type":"file","access":["read_file"]}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"bad.jsonl": runA + line + "\n" + runA})
			for _, args := range [][]string{{"minimize", "bad.jsonl"}, {"minimize", "-o", "p.yaml", "bad.jsonl"}} {
				r := runCLI(t, dir, "", args...)
				if r.code != 2 || !strings.HasPrefix(r.stderr, "landlearn: bad.jsonl:3: ") || r.stdout != "" || strings.Contains(r.stderr, "bug") {
					t.Errorf("%s: exit %d, stdout %d bytes, stderr %.300q", strings.Join(args, " "), r.code, len(r.stdout), r.stderr)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "p.yaml")); err == nil {
				t.Error("a policy was written")
			}
			r := runCLI(t, dir, "", "minimize", "--skip-bad", "-o", "p.yaml", "bad.jsonl")
			if r.code != 0 || !strings.Contains(r.stderr, "skipped 1 line") {
				t.Errorf("--skip-bad: exit %d, %.300q", r.code, r.stderr)
			}
		})
	}
}

func TestMinimizeHelp(t *testing.T) {
	r := runCLI(t, t.TempDir(), "", "minimize", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "landlearn minimize -o landlock.yaml unit.jsonl build.jsonl") {
		t.Errorf("help:\n%s", r.stdout)
	}
}

// The golden run of the minimize package, through the command line: the
// CLI adds nothing but the running kernel's ABI and this directory's vars.
func TestMinimizeGoldenRun(t *testing.T) {
	src, err := filepath.Abs("../../testdata/minimize/build.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := writeFiles(t, map[string]string{"build.jsonl": string(data)})
	r := runCLI(t, dir, "", "minimize", "build.jsonl")
	if r.code != 0 || !strings.Contains(r.stdout, "path: /proc/self/status") || !strings.Contains(r.stderr, "scope signal left off") {
		t.Errorf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestMinimizeChecksTheDestinationFirst: a -o in a directory that does not
// exist, or an existing file without --force, is refused before the
// observations are read (here: before the bad line of bad.jsonl is met),
// not after all the work with a temp-file error.
func TestMinimizeChecksTheDestinationFirst(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.jsonl": runA, "bad.jsonl": runA + "not json\n", "old.yaml": "version: 1\n"})
	for _, tc := range []struct{ out, want string }{
		{"missing/x.yaml", "-o missing/x.yaml: directory missing does not exist; create it first, or write elsewhere"},
		{"old.yaml", "old.yaml exists: pass --force to replace it"},
	} {
		r := runCLI(t, dir, "", "minimize", "-o", tc.out, "a.jsonl", "bad.jsonl")
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stderr, "bad.jsonl") {
			t.Errorf("-o %s: exit %d, stderr %q; want 2 and %q, before bad.jsonl is read", tc.out, r.code, r.stderr, tc.want)
		}
	}
}

// TestMinimizeNamesTheRecordedCommand: the "try it with" hint names the
// command the run's header recorded, not a placeholder.
func TestMinimizeNamesTheRecordedCommand(t *testing.T) {
	w := t.TempDir()
	if r := runLearnCLI(t, w, "learn", "--raw", "r.jsonl", "-o", "p.yaml", "--", "cat", "/etc/hostname"); r.code != 0 {
		t.Fatalf("learn: exit %d: %s", r.code, r.stderr)
	}
	r := runCLI(t, w, "", "minimize", "-o", "q.yaml", "r.jsonl")
	if want := "try it with: landlearn run -p q.yaml -- cat /etc/hostname\n"; r.code != 0 || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d, stderr %q; want %q", r.code, r.stderr, want)
	}
}
