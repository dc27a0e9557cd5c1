package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/learn/audit"
	"github.com/landlearn/landlearn/learn/audit/live"
	"github.com/landlearn/landlearn/learn/audit/session"
)

// auditTestBinary builds landlearn once for the audit tests, or skips
// when this machine cannot observe Landlock denials through audit.
func auditTestBinary(t *testing.T) string {
	t.Helper()
	testkit.RequireAudit(t)
	return landlearnBinary(t)
}

// runLandlearn runs the binary in dir and returns its status and output.
func runLandlearn(t *testing.T, bin, dir string, args ...string) (int, string, string) {
	t.Helper()
	r := runBinary(t, bin, dir, nil, nil, args...)
	return r.code, r.stdout, r.stderr
}

// catPolicy lets cat run and read the files given.
func catPolicy(t *testing.T, dir string, files ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("version: 1\nabi: 7\nfs:\n")
	b.WriteString("  - path: /usr\n    access: [execute, read_file, read_dir]\n")
	b.WriteString("  - path: /etc\n    access: [read_file]\n")
	for _, f := range files {
		b.WriteString("  - path: " + f + "\n    access: [read_file]\n")
	}
	p := filepath.Join(dir, "cat.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVerify(t *testing.T) {
	bin := auditTestBinary(t)
	dir := t.TempDir()
	in, other := filepath.Join(dir, "in.txt"), filepath.Join(dir, "other.txt")
	for _, f := range []string{in, other} {
		if err := os.WriteFile(f, []byte("data\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("command not found touches no audit setting", func(t *testing.T) {
		p := catPolicy(t, t.TempDir(), in)
		status, _, stderr := runLandlearn(t, bin, dir, "verify", "-p", p, "--", "no-such-command-here")
		// Were audit switched on first, its notes ("audit was off:
		// switched it on", the backlog) would come before the error.
		if status != 2 || !strings.Contains(stderr, "no-such-command-here: command not found") || strings.Contains(stderr, "audit") {
			t.Errorf("status %d, stderr:\n%s", status, stderr)
		}
	})
	t.Run("missing right", func(t *testing.T) {
		p := catPolicy(t, t.TempDir(), in)
		status, _, stderr := runLandlearn(t, bin, dir, "verify", "-p", p, "--", "cat", in, other)
		if status != 1 {
			t.Fatalf("status %d, want 1; stderr:\n%s", status, stderr)
		}
		want := "  " + other + "\n    denied: read_file\n"
		// The fix names it as learn would: beneath the working directory.
		if !strings.Contains(stderr, want) || !strings.Contains(stderr, "- path: ${PWD}/other.txt\n        access: [read_file]") {
			t.Errorf("stderr does not name %s, read_file and its fix:\n%s", other, stderr)
		}
		if strings.Contains(stderr, "  "+in+"\n") {
			t.Errorf("stderr names the granted %s:\n%s", in, stderr)
		}
	})
	t.Run("complete policy", func(t *testing.T) {
		p := catPolicy(t, t.TempDir(), in, other)
		status, stdout, stderr := runLandlearn(t, bin, dir, "verify", "-p", p, "--", "cat", in, other)
		if status != 0 || stdout != "data\ndata\n" || !strings.Contains(stderr, "verified: the policy denied nothing") {
			t.Errorf("status %d, stdout %q, stderr:\n%s", status, stdout, stderr)
		}
	})
	t.Run("usage", func(t *testing.T) {
		status, _, stderr := runLandlearn(t, bin, dir, "verify", "--", "cat", in)
		if status != 2 || !strings.Contains(stderr, "missing -p POLICY") {
			t.Errorf("status %d, stderr %q", status, stderr)
		}
	})
	t.Run("not root", func(t *testing.T) {
		cmd := exec.Command(bin, "verify", "-p", "/nonexistent.yaml", "--", "cat", in)
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var e bytes.Buffer
		cmd.Stderr = &e
		cmd.Run()
		if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(e.String(), "needs root (CAP_AUDIT_READ") {
			t.Errorf("as nobody: status %d, stderr %q", cmd.ProcessState.ExitCode(), e.String())
		}
	})
}

// TestVerifyInterrupted stops verify with each signal that ends a
// session (Ctrl-C, kill, a closed terminal), also with its stderr gone
// (a dropped ssh session: writes fail with EPIPE): it must stop the
// command, report the part that ran, and leave the audit state file
// without its pid. Without the fixes, SIGHUP and the first write to a
// closed stderr killed verify with audit still switched on.
func TestVerifyInterrupted(t *testing.T) {
	bin := auditTestBinary(t)
	for _, c := range []struct {
		name         string
		sig          syscall.Signal
		closedStderr bool
	}{
		{"SIGTERM", syscall.SIGTERM, false},
		{"SIGINT", syscall.SIGINT, false},
		{"SIGHUP", syscall.SIGHUP, false},
		{"SIGHUP with stderr closed", syscall.SIGHUP, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p := catPolicy(t, dir)
			cmd := exec.Command(bin, "verify", "-p", p, "--", "cat")
			stdin, err := cmd.StdinPipe() // cat waits on it: the command runs until stopped
			if err != nil {
				t.Fatal(err)
			}
			var e bytes.Buffer
			if c.closedStderr {
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				r.Close()
				cmd.Stderr = w
				defer w.Close()
			} else {
				cmd.Stderr = &e
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			catPid := waitDescendantExe(t, cmd, "/usr/bin/cat", &e)
			cmd.Process.Signal(c.sig)
			stuck := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
			defer stuck.Stop()
			cmd.Wait()
			want := "verified for the "
			if code := cmd.ProcessState.ExitCode(); code != 0 || !c.closedStderr && !strings.Contains(e.String(), want) {
				t.Errorf("status %d (%v), stderr:\n%s\nwant 0 and %q", code, cmd.ProcessState, e.String(), want)
			}
			if !c.closedStderr && !strings.Contains(e.String(), signalName(c.sig)+" stopped it") {
				t.Errorf("the report does not say that %s stopped the command:\n%s", signalName(c.sig), e.String())
			}
			if _, err := os.Stat("/proc/" + strconv.Itoa(catPid)); err == nil {
				t.Errorf("the sandboxed cat (pid %d) still runs", catPid)
			}
			data, err := os.ReadFile(session.StatePath)
			if err == nil {
				var st struct{ Users []struct{ PID int } }
				json.Unmarshal(data, &st)
				for _, u := range st.Users {
					if u.PID == cmd.Process.Pid {
						t.Errorf("the interrupted landlearn is still registered in %s", session.StatePath)
					}
				}
			}
		})
	}
}

// waitDescendantExe waits until a process below cmd runs exe, and returns
// its pid. No timing: it polls until it is there (or landlearn died).
func waitDescendantExe(t *testing.T, cmd *exec.Cmd, exe string, stderr *bytes.Buffer) int {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if pid := descendantExe(cmd.Process.Pid, exe); pid > 0 {
			return pid
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("%s never started below landlearn: %s", exe, stderr.String())
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/exe"); err != nil {
			t.Fatalf("landlearn exited early: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// descendantExe returns the pid of a process below pid that runs exe, or
// 0. Children hang off the thread that forked them, so every thread's
// list is read.
func descendantExe(pid int, exe string) int {
	lists, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	for _, l := range lists {
		data, _ := os.ReadFile(l)
		for _, c := range strings.Fields(string(data)) {
			child, _ := strconv.Atoi(c)
			if target, err := os.Readlink("/proc/" + c + "/exe"); err == nil && target == exe {
				return child
			}
			if d := descendantExe(child, exe); d > 0 {
				return d
			}
		}
	}
	return 0
}

// TestVerdict checks the exit statuses of verify on runs built in memory.
func TestVerdict(t *testing.T) {
	denial := audit.Denial{Domain: "1", Blockers: []string{"fs.read_file"}, Path: "/srv/x", Port: -1}
	lost := fmt.Errorf("%w: serial gaps", live.ErrLost)
	for _, c := range []struct {
		name   string
		run    *live.Run
		runErr error
		end    runEnd
		status int
		says   string
	}{
		{"clean", &live.Run{}, nil, runEnd{}, 0, "verified: the policy denied nothing"},
		{"denied", &live.Run{Domain: &audit.Domain{ID: "1"}, Denials: []audit.Denial{denial}}, nil, runEnd{}, 1, "/srv/x"},
		{"denied and lost", &live.Run{Domain: &audit.Domain{ID: "1"}, Denials: []audit.Denial{denial}, Loss: lost}, nil, runEnd{}, 1, "may be incomplete"},
		{"silent but lost", &live.Run{Loss: lost}, nil, runEnd{}, 2, ""},
		{"sandbox failed", &live.Run{ExitCode: 125}, nil, runEnd{}, 2, ""},
		{"interrupted", &live.Run{}, context.Canceled, runEnd{}, 2, ""},
		{"stopped, clean", &live.Run{ExitCode: 143}, nil, runEnd{name: "srv", cut: "--timeout 5s", ran: 5 * time.Second}, 0, "verified for the 5s srv ran, until --timeout 5s stopped it: the policy denied nothing (exit status 143"},
		{"stopped, denied", &live.Run{Domain: &audit.Domain{ID: "1"}, Denials: []audit.Denial{denial}}, nil, runEnd{name: "srv", cut: "SIGINT", ran: 2 * time.Second}, 1, "SIGINT stopped srv after 2s: these are the denials until then"},
		{"stopped, lost", &live.Run{Loss: lost}, nil, runEnd{name: "srv", cut: "SIGINT"}, 2, ""},
	} {
		var b strings.Builder
		err := verdict(&b, c.run, c.runErr, c.end, nil, nil)
		status := 0
		var ee *exitError
		if errors.As(err, &ee) {
			status = ee.Code
		}
		if status != c.status || !strings.Contains(b.String(), c.says) {
			t.Errorf("%s: status %d (%v), output %q; want %d with %q", c.name, status, err, b.String(), c.status, c.says)
		}
	}
}
