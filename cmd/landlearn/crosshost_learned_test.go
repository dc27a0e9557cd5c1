package main

// Issue 11's cross-host test of learned policies; the harness and the
// canaries are in chrootbox_test.go and crosshost_test.go.

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/landlearn/landlearn/policy"
)

// crossPythonScript reads every file of data/ and imports a few modules of
// the standard library, some of them with C extensions.
const crossPythonScript = `import json, os, re, sqlite3
rows = []
for name in sorted(os.listdir("data")):
    with open(os.path.join("data", name)) as f:
        rows.append((name, len(re.findall(r"\w+", f.read()))))
db = sqlite3.connect(":memory:")
db.execute("create table t(name, words)")
db.executemany("insert into t values (?, ?)", rows)
print(json.dumps(db.execute("select name, words from t order by name").fetchall()))
`

// crossCase is a real program learned on this host and enforced, with the
// same policy file, inside the Debian 13 root.
type crossCase struct {
	name  string
	files map[string]string // the fixture in the working directory
	argv  []string
	// read and write are the program's own ways to print a file and to
	// create one, for the canaries (nil: none).
	read, write func(path string) []string
	// maxRules, when set, bounds the learned policy's rules (issue 11's
	// "done when").
	maxRules int
}

// shRead prints the first line of a file with the shell alone, for
// policies learned for a sh -c command line.
func shRead(p string) []string {
	return []string{"sh", "-c", `read -r l < "$1" && echo "$l"`, "sh", p}
}

// TestCrossHostLearned is issue 11's cross-host test: a policy learned here
// for a real program, unchanged, lets the same command run inside the
// Debian 13 root as it runs there without a sandbox, and the canaries stay
// denied there.
func TestCrossHostLearned(t *testing.T) {
	e2eNeeds(t, "tar", "gzip", "python3", "git", "sqlite3", "gcc", "curl", "jq", "sh")
	debianRoot(t)
	port := loopback(t, "hello over loopback\n")
	cases := []crossCase{{
		name:     "tar and gzip",
		files:    map[string]string{"src/a": "a\n", "src/b": "b\n"},
		argv:     []string{"tar", "czf", "out.tgz", "src"},
		read:     func(p string) []string { return []string{"tar", "cf", "-", p} },
		write:    func(p string) []string { return []string{"tar", "czf", p, "src"} },
		maxRules: 10,
	}, {
		name:  "python3 reads data and imports json, re, sqlite3",
		files: map[string]string{"script.py": crossPythonScript, "data/a.txt": "one two\n", "data/b.txt": "three\n"},
		argv:  []string{"/usr/bin/python3", "script.py"},
		read: func(p string) []string {
			return []string{"/usr/bin/python3", "-c", "import sys; print(open(sys.argv[1]).read())", p}
		},
		write: func(p string) []string {
			return []string{"/usr/bin/python3", "-c", "import sys; open(sys.argv[1], 'w').write('x')", p}
		},
	}, {
		name:  "git init, add and commit",
		files: map[string]string{"a.txt": "a\n"},
		argv:  []string{"sh", "-c", "git init -q . && git add a.txt && git commit -q -m first && git log --format=%s"},
		read:  shRead,
		write: func(p string) []string { return []string{"git", "init", "-q", p} },
	}, {
		name: "sqlite3",
		argv: []string{"sqlite3", "db.sqlite", "create table t(x); insert into t values (1), (2); select sum(x) from t;"},
		read: func(p string) []string {
			return []string{"sqlite3", ":memory:", "select cast(readfile('" + p + "') as text);"}
		},
		write: func(p string) []string { return []string{"sqlite3", p, "create table t(x);"} },
	}, {
		name:  "gcc compiles hello.c",
		files: map[string]string{"hello.c": helloC},
		argv:  []string{"sh", "-c", "gcc -o hello hello.c && ./hello"},
		read:  shRead,
		write: func(p string) []string { return []string{"gcc", "-o", p, "hello.c"} },
	}, {
		name: "curl to a loopback HTTP server",
		argv: []string{"curl", "-sS", fmt.Sprintf("http://127.0.0.1:%d/", port)},
		read: func(p string) []string { return []string{"curl", "-sS", "file://" + p} },
		write: func(p string) []string {
			return []string{"curl", "-sS", "-o", p, fmt.Sprintf("http://127.0.0.1:%d/", port)}
		},
	}, {
		name:  "jq",
		files: map[string]string{"data.json": `{"items": [{"n": 1}, {"n": 2}]}`},
		argv:  []string{"jq", "-c", "[.items[].n] | add", "data.json"},
		read:  func(p string) []string { return []string{"jq", "-R", ".", p} },
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			host := t.TempDir()
			work, home := filepath.Join(host, "work"), filepath.Join(host, "home")
			for _, d := range []string{work, home} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			writeTree(t, work, c.files)
			pol := filepath.Join(host, "landlock.yaml")
			learned := e2eRun(t, work, e2eEnv(home), append([]string{"learn", "-o", pol, "--"}, c.argv...)...)
			if learned.code != 0 {
				t.Fatalf("learn on this host: exit %d\nstdout:\n%s\nstderr:\n%s", learned.code, learned.stdout, learned.stderr)
			}
			p, err := policy.LoadFile(pol)
			if err != nil {
				t.Fatal(err)
			}
			text, err := os.ReadFile(pol)
			if err != nil {
				t.Fatal(err)
			}
			rules := len(p.FS) + len(p.Net)
			t.Logf("learned on this host: %d rules (%d fs, %d net)", rules, len(p.FS), len(p.Net))
			if c.maxRules > 0 && rules > c.maxRules {
				t.Errorf("the learned policy has %d rules, want at most %d", rules, c.maxRules)
			}

			b := newChrootBox(t)
			inRoot := b.Dir + "/landlock.yaml"
			b.WriteFiles(t, b.Dir, map[string]string{"landlock.yaml": string(text)})
			b.WriteFiles(t, b.Work, c.files)
			native := b.Run(t, b.Work, c.argv...)
			if native.code != 0 {
				t.Fatalf("%q does not run inside the root without a sandbox: exit %d\n%s", c.argv, native.code, native.stderr)
			}
			// A fresh working directory: the native run left its outputs.
			resetWork(t, b, c.files)
			r := b.RunLandlearn(t, b.Work, append([]string{"run", "-p", inRoot, "--"}, c.argv...)...)
			if r.code != native.code || r.stdout != native.stdout {
				t.Errorf("under the policy learned on this host, inside the root: exit %d, stdout %q; without a sandbox: exit %d, stdout %q\nstderr:\n%s\n%s",
					r.code, r.stdout, native.code, native.stdout, r.stderr, crossDenials(t, b, inRoot, c))
			}
			checkCanaries(t, b, inRoot, crossCanaries(t, b, c.read, c.write))
			if t.Failed() {
				t.Logf("policy learned on this host:\n%s", text)
			}
		})
	}
}

// crossDenials says what the kernel denied to c inside the root under
// policy, as landlearn verify reports it, in a fresh working directory.
func crossDenials(t *testing.T, b *chrootBox, policy string, c crossCase) string {
	t.Helper()
	resetWork(t, b, c.files)
	r := b.RunLandlearn(t, b.Work, append([]string{"verify", "-p", policy, "--"}, c.argv...)...)
	return fmt.Sprintf("landlearn verify inside the root: exit %d\n%s", r.code, r.stderr)
}

// resetWork empties the box's working directory and writes files there.
func resetWork(t *testing.T, b *chrootBox, files map[string]string) {
	t.Helper()
	if err := os.RemoveAll(b.Host(b.Work)); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(b.Host(b.Work), 0o755); err != nil {
		t.Fatal(err)
	}
	b.WriteFiles(t, b.Work, files)
}
