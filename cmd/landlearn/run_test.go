package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/learn/audit/audittest"
	"github.com/landlearn/landlearn/learn/audit/live"
)

// TestRun runs a landlearn binary built from this package, as a user
// would, on the real kernel. One build serves every subtest.
func TestRun(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	bin := landlearnBinary(t)
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	catHostname := filepath.Join(examples, "cat-hostname.yaml")

	// run runs landlearn with args and returns how it ended.
	run := func(t *testing.T, args ...string) (status int, stdout, stderr string) {
		t.Helper()
		r := runBinary(t, bin, "", nil, nil, args...)
		return r.code, r.stdout, r.stderr
	}
	expect := func(t *testing.T, args []string, status int, stdout, stderr string) {
		t.Helper()
		gotStatus, gotOut, gotErr := run(t, args...)
		if gotStatus != status || !strings.Contains(gotOut, stdout) || !strings.Contains(gotErr, stderr) {
			t.Errorf("landlearn %s\n  status %d, stdout %q, stderr %q\n  want   %d, stdout with %q, stderr with %q",
				strings.Join(args, " "), gotStatus, gotOut, gotErr, status, stdout, stderr)
		}
	}
	policyFile := func(t *testing.T, text string) string {
		t.Helper()
		f := filepath.Join(t.TempDir(), "policy.yaml")
		if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	// system grants what the examples grant to run programs.
	const system = `version: 1
abi: 7
fs:
  - path: /usr
    access: [execute, read_file, read_dir]
  - path: /lib
    access: [execute, read_file, read_dir]
    optional: true
  - path: /lib64
    access: [execute, read_file, read_dir]
    optional: true
`

	t.Run("example policy reads /etc/hostname", func(t *testing.T) {
		host, err := os.ReadFile("/etc/hostname")
		if err != nil {
			testkit.Skip(t, "this machine has no /etc/hostname: %v", err)
		}
		expect(t, []string{"run", "-p", catHostname, "--", "cat", "/etc/hostname"}, 0, string(host), "")
	})

	t.Run("example policy denies another file with EACCES", func(t *testing.T) {
		secret := filepath.Join(t.TempDir(), "secret")
		if f, err := os.CreateTemp("/root", "landlearn-run-test-"); err == nil {
			// The issue's own example: a file in /root.
			f.Close()
			secret = f.Name()
			t.Cleanup(func() { os.Remove(secret) })
		} else if err := os.WriteFile(secret, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		expect(t, []string{"run", "-p", catHostname, "--", "cat", secret}, 1, "", secret+": Permission denied")
	})

	t.Run("exit status is the command's", func(t *testing.T) {
		expect(t, []string{"run", "-p", catHostname, "--", "sh", "-c", "exit 7"}, 7, "", "")
	})

	t.Run("killed by a signal", func(t *testing.T) {
		// landlearn became sh: the signal kills the process this test
		// started, which a shell reports as 128+15.
		expect(t, []string{"run", "-p", catHostname, "--", "sh", "-c", "kill -TERM $$"}, 128+15, "", "")
	})

	t.Run("same pid", func(t *testing.T) {
		cmd := exec.Command(bin, "run", "-p", catHostname, "--", "sh", "-c", "echo $$")
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.TrimSpace(string(out)), strconv.Itoa(cmd.Process.Pid); got != want {
			t.Errorf("the command's pid is %s, landlearn's was %s: it must exec in place", got, want)
		}
	})

	t.Run("command not found", func(t *testing.T) {
		expect(t, []string{"run", "-p", catHostname, "--", "no-such-command-landlearn"}, 127, "", "no-such-command-landlearn: command not found")
	})

	t.Run("command the policy does not let execute", func(t *testing.T) {
		script := filepath.Join(t.TempDir(), "script")
		if err := os.WriteFile(script, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		expect(t, []string{"run", "-p", catHostname, "--", script}, 126, "", "does the policy grant execute")
	})

	t.Run("variables", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "f"), []byte("data\n"), 0o644)
		p := policyFile(t, system+"  - path: ${DATA}/f\n    access: [read_file]\n")
		expect(t, []string{"run", "-p", p, "--var", "DATA=" + dir, "--", "cat", filepath.Join(dir, "f")}, 0, "data\n", "")
		expect(t, []string{"run", "-p", p, "--", "cat", filepath.Join(dir, "f")}, 2, "", "--var DATA=")
		expect(t, []string{"run", "-p", p, "--var", "DATA", "--", "true"}, 2, "", "want NAME=VALUE")
	})

	t.Run("optional and required paths", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "missing")
		optional := policyFile(t, system+"  - path: "+missing+"\n    access: [read_file]\n    optional: true\n")
		expect(t, []string{"run", "-p", optional, "--", "true"}, 0, "", "")
		required := policyFile(t, system+"  - path: "+missing+"\n    access: [read_file]\n")
		expect(t, []string{"run", "-p", required, "--", "true"}, 2, "", required+":12: "+missing+" does not exist")
	})

	t.Run("bad policies", func(t *testing.T) {
		bad := policyFile(t, "version: 1\nfs:\n  - path: /etc\n    access: [read]\n")
		expect(t, []string{"run", "-p", bad, "--", "true"}, 2, "", bad+":4:")
		expect(t, []string{"run", "-p", bad, "--", "true"}, 2, "", "did you mean read_file")
		dir := t.TempDir()
		expect(t, []string{"run", "-p", dir, "--", "true"}, 2, "", "is a directory")
		empty := policyFile(t, "")
		expect(t, []string{"run", "-p", empty, "--", "true"}, 2, "", empty)
		expect(t, []string{"run", "-p", filepath.Join(dir, "nope.yaml"), "--", "true"}, 2, "", "nope.yaml")
	})

	t.Run("usage errors", func(t *testing.T) {
		expect(t, []string{"run", "-p", catHostname, "cat", "/etc/hostname"}, 2, "", "put -- before the command")
		expect(t, []string{"run", "-p", catHostname, "--"}, 2, "", "missing the command")
		expect(t, []string{"run", "-p", catHostname}, 2, "", "missing the command")
		expect(t, []string{"run", "--", "true"}, 2, "", "missing -p POLICY")
		expect(t, []string{"run", "-p", catHostname, "x", "--", "true"}, 2, "", `unexpected "x" before --`)
	})

	t.Run("the other examples do what their comments say", func(t *testing.T) {
		tools := filepath.Join(examples, "read-only-tools.yaml")
		shell := filepath.Join(examples, "shell-in-workdir.yaml")
		work := t.TempDir()
		os.WriteFile(filepath.Join(work, "notes.txt"), []byte("TODO: test\n"), 0o644)
		expect(t, []string{"run", "-p", tools, "--var", "PWD=" + work, "--", "grep", "-rn", "TODO", work}, 0, "notes.txt:1:TODO: test", "")
		expect(t, []string{"run", "-p", tools, "--var", "PWD=" + work, "--", "sh", "-c", "echo x > " + work + "/new"}, 2, "", "Permission denied")
		expect(t, []string{"run", "-p", shell, "--var", "PWD=" + work, "--", "sh", "-c",
			"cd " + work + " && date > stamp.txt && gzip -kf stamp.txt && mv stamp.txt.gz old.gz && rm stamp.txt && ls"}, 0, "notes.txt\nold.gz\n", "")
		expect(t, []string{"run", "-p", shell, "--var", "PWD=" + work, "--", "sh", "-c", "echo x > /etc/landlearn-test"}, 2, "", "Permission denied")
	})

	t.Run("--log sends the denials to audit", func(t *testing.T) {
		l := audittest.Listener(t)
		secret := filepath.Join(t.TempDir(), "secret")
		os.WriteFile(secret, []byte("x"), 0o600)
		for _, log := range []bool{true, false} {
			args := []string{"run", "-p", catHostname, "--", "cat", secret}
			if log {
				args = []string{"run", "--log", "-p", catHostname, "--", "cat", secret}
			}
			run, err := l.Observe(t.Context(), live.Exec(exec.Command(bin, args...)))
			if err != nil {
				t.Fatal(err)
			}
			if run.Loss != nil {
				t.Fatal(run.Loss)
			}
			var got []string
			for _, d := range run.Denials {
				got = append(got, strings.Join(d.Blockers, ",")+" "+d.Path)
			}
			want := ""
			if log {
				want = "fs.read_file " + secret
			}
			if strings.Join(got, "; ") != want || run.ExitCode != 1 {
				t.Errorf("landlearn %s: exit %d, denials %q; want exit 1, denials %q", strings.Join(args, " "), run.ExitCode, got, want)
			}
		}
	})

	t.Run("help has a worked example", func(t *testing.T) {
		expect(t, []string{"run", "--help"}, 0, "landlearn run -p examples/cat-hostname.yaml -- cat /etc/hostname", "")
	})
}

// run --log with audit off records nothing: say so, but only when the
// state is known (it needs root to ask).
func TestLogNote(t *testing.T) {
	off := func() (bool, error) { return false, nil }
	on := func() (bool, error) { return true, nil }
	unknown := func() (bool, error) { return false, errors.New("operation not permitted") }
	if n := logNote(off); !strings.Contains(n, "audit is off, so --log records nothing") {
		t.Errorf("audit off: note %q", n)
	}
	if n := logNote(on) + logNote(unknown); n != "" {
		t.Errorf("audit on or unknown: note %q, want none", n)
	}
}

// TestRunReportsEveryProblemAtOnce: a schema problem, an unset variable
// and a missing path come in one report (they took three runs to see:
// loading stopped at the first kind, expanding at the second).
func TestRunReportsEveryProblemAtOnce(t *testing.T) {
	bin := landlearnBinary(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(p, []byte(`version: 1
fs:
  - path: /usr
    access: [execute, read_file, read_dir]
  - path: /etc
    access: [read]
  - path: ${DATA}/in
    access: [read_file]
  - path: `+dir+`/missing
    access: [read_file]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"run", "verify"} {
		if cmd == "verify" && os.Geteuid() != 0 {
			continue // verify refuses non-root before it loads anything
		}
		r := runBinary(t, bin, dir, nil, nil, cmd, "-p", p, "--", "true")
		want := []string{
			p + `:6: right "read" is unknown`,
			p + `:7: variable ${DATA} in ${DATA}/in is not set`,
			p + ":9: " + dir + "/missing does not exist",
		}
		for _, w := range want {
			if r.code != 2 || !strings.Contains(r.stderr, w) {
				t.Errorf("%s: exit %d, want 2 and %q in:\n%s", cmd, r.code, w, r.stderr)
			}
		}
	}
}

// TestRunGroupAroundBindMountedWorkingDirectory: a working directory bound
// from a checkout in /usr/src is that checkout too: group system is split
// around /usr/src/app, so its neighbour in /usr/src stays denied, as it
// is when run from /usr/src/app itself.
func TestRunGroupAroundBindMountedWorkingDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a mount namespace")
	}
	if err := os.MkdirAll("/usr/src", 0o755); err != nil {
		t.Fatal(err)
	}
	dir := writeFiles(t, map[string]string{"p.yaml": "version: 2\nfs:\n  - group: system\n    access: [execute, read_file]\n  - group: linker-config\n    access: [read_file]\n"})
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	sh := `mount -t tmpfs tmpfs /usr/src && mkdir /usr/src/app /usr/src/other &&
echo code > /usr/src/app/code && echo SECRET > /usr/src/other/secret &&
mount --bind /usr/src/app "$1" && cd "$1" && export PWD="$1" &&
"$2" run -p "$3" -- cat /usr/src/other/secret`
	cmd := exec.Command("unshare", "-m", "sh", "-c", sh, "sh", work, emitTestBinary(t), filepath.Join(dir, "p.yaml"))
	out, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 1 || strings.Contains(string(out), "SECRET") || !strings.Contains(string(out), "Permission denied") {
		t.Errorf("run from a bind mount of /usr/src/app: exit %d, %s", code, out)
	}
}
