package trace

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/landlearn/landlearn/learn"
)

// learnerProc is a learner running in a subprocess (the test binary in
// its learner role), so a test can signal or kill it.
type learnerProc struct {
	cmd    *exec.Cmd
	raw    string
	marker string
	dir    string
}

// startLearner traces `sh -c script` in a fresh directory; every process
// of the tree carries a marker in its environment, to find leftovers.
func startLearner(t *testing.T, script string, accurate bool, env ...string) *learnerProc {
	t.Helper()
	requireTracing(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l := &learnerProc{raw: filepath.Join(dir, "raw.jsonl"), marker: fmt.Sprintf("m%d-%d", os.Getpid(), time.Now().UnixNano()), dir: dir}
	if err := os.WriteFile(filepath.Join(dir, "started"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l.cmd = exec.Command(self, "sh", "-c", script)
	l.cmd.Dir = dir
	l.cmd.Env = append(os.Environ(), envLearner+"="+l.raw, "LANDLEARN_TEST_MARKER="+l.marker)
	if accurate {
		l.cmd.Env = append(l.cmd.Env, envAccurate+"=1")
	}
	l.cmd.Env = append(l.cmd.Env, env...)
	l.cmd.Stderr = os.Stderr
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		l.cmd.Process.Kill()
		l.cmd.Wait()
		for _, p := range l.leftovers() {
			syscall.Kill(p, syscall.SIGKILL)
		}
	})
	return l
}

// waitFor polls cond until it holds; it fails the test after a long
// grace period (this is no timing assertion: only a hang fails).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitStarted waits until the tree opened the "started" file.
func (l *learnerProc) waitStarted(t *testing.T) {
	t.Helper()
	want := []byte(filepath.Join(l.dir, "started"))
	waitFor(t, "the traced shell to open ./started", func() bool {
		b, _ := os.ReadFile(l.raw)
		return bytes.Contains(b, want)
	})
}

// leftovers lists the processes that carry the marker.
func (l *learnerProc) leftovers() []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err == nil && bytes.Contains(b, []byte("LANDLEARN_TEST_MARKER="+l.marker+"\x00")) {
			out = append(out, pid)
		}
	}
	return out
}

func (l *learnerProc) waitNoLeftovers(t *testing.T) {
	t.Helper()
	waitFor(t, "the traced tree to be gone", func() bool { return len(l.leftovers()) == 0 })
}

func (l *learnerProc) exitCode(t *testing.T) int {
	t.Helper()
	err := l.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// Ctrl-C reaches the target, and the rest of the tree gets SIGTERM; a
// second one kills what ignored both at once, without waiting for the
// grace period. Nothing is left behind.
func TestRunInterruptLeavesNothing(t *testing.T) {
	for _, accurate := range []bool{false, true} {
		t.Run(fmt.Sprintf("accurate=%v", accurate), func(t *testing.T) { testInterrupt(t, accurate) })
	}
}

// interruptScript starts a background sleep that ignores SIGTERM (and
// SIGINT, as sh does for `&` jobs) before ./started is opened, so that a
// Ctrl-C cannot come before it; the main process dies of SIGINT.
const interruptScript = `trap '' TERM; sleep 1000 & trap - TERM; echo $$ > main.pid; cat started >/dev/null; exec sleep 1000`

// interruptMain sends the first SIGINT and waits for the target to die.
func (l *learnerProc) interruptMain(t *testing.T) {
	t.Helper()
	l.waitStarted(t)
	b, err := os.ReadFile(filepath.Join(l.dir, "main.pid"))
	if err != nil {
		t.Fatal(err)
	}
	mainPid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	l.cmd.Process.Signal(syscall.SIGINT)
	waitFor(t, "the target to die of SIGINT", func() bool {
		_, err := os.Stat(fmt.Sprintf("/proc/%d", mainPid))
		return err != nil
	})
}

func testInterrupt(t *testing.T, accurate bool) {
	// A grace period no test waits for: only the second Ctrl-C can end
	// the run in time.
	l := startLearner(t, interruptScript, accurate, envGrace+"=1h")
	l.interruptMain(t)
	if len(l.leftovers()) == 0 {
		t.Fatal("the background sleep died with the target; the test cannot see the second Ctrl-C")
	}
	l.cmd.Process.Signal(syscall.SIGINT)
	if code := l.exitCode(t); code != 128+int(syscall.SIGINT) {
		t.Errorf("learner exit code %d, want %d (the target's)", code, 128+int(syscall.SIGINT))
	}
	l.waitNoLeftovers(t)
}

// After one Ctrl-C, what ignores SIGTERM is killed when the grace period
// ends: the run ends by itself.
func TestRunInterruptGrace(t *testing.T) {
	for _, accurate := range []bool{false, true} {
		t.Run(fmt.Sprintf("accurate=%v", accurate), func(t *testing.T) {
			l := startLearner(t, interruptScript, accurate, envGrace+"=300ms")
			l.interruptMain(t)
			// A learner that waits forever fails the test, not hangs it.
			stuck := time.AfterFunc(time.Minute, func() { l.cmd.Process.Kill() })
			defer stuck.Stop()
			if code := l.exitCode(t); code != 128+int(syscall.SIGINT) {
				t.Errorf("learner exit code %d, want %d (the target's)", code, 128+int(syscall.SIGINT))
			}
			l.waitNoLeftovers(t)
		})
	}
}

// SIGKILL of the learner: the keeper kills the tree, and the JSONL holds
// every observation recorded before.
func TestRunLearnerKilledLeavesNothing(t *testing.T) {
	for _, accurate := range []bool{false, true} {
		t.Run(fmt.Sprintf("accurate=%v", accurate), func(t *testing.T) { testLearnerKilled(t, accurate) })
	}
}

func testLearnerKilled(t *testing.T, accurate bool) {
	l := startLearner(t, `cat started >/dev/null; sleep 1000 & exec sleep 1000`, accurate)
	l.waitStarted(t)
	if len(l.leftovers()) == 0 {
		t.Fatal("no marked process found: the test cannot check leftovers")
	}
	l.cmd.Process.Kill()
	l.cmd.Wait()
	l.waitNoLeftovers(t)
	f, err := os.Open(l.raw)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	obs, err := learn.ReadAll(f, l.raw)
	if err != nil {
		t.Fatalf("the JSONL of a killed learner does not read back: %v", err)
	}
	found := false
	for _, o := range obs {
		found = found || o.Path == filepath.Join(l.dir, "started")
	}
	if !found {
		t.Errorf("the open of ./started is missing from %d observations", len(obs))
	}
}
