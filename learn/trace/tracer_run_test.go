package trace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/landlearn/landlearn/internal/command"
	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/learn"
)

func TestRunSeesOpenAndPassesExitCode(t *testing.T) {
	res, rec := runTest(t, Options{}, "sh", "-c", "cat /etc/hostname >/dev/null; exit 3")
	if res.ExitCode != 3 {
		t.Errorf("exit code %d, want 3", res.ExitCode)
	}
	if res.Mode != ModeNotify {
		t.Errorf("mode %q, want %q", res.Mode, ModeNotify)
	}
	if !rec.has("openat", "/etc/hostname") {
		t.Errorf("no openat of /etc/hostname in:\n%s", rec.dump())
	}
	if res.Calls == 0 {
		t.Error("no calls counted")
	}
}

func TestRunSignalExitCode(t *testing.T) {
	res, _ := runTest(t, Options{}, "sh", "-c", "kill -TERM $$")
	if res.ExitCode != 128+15 {
		t.Errorf("exit code %d, want %d (128+SIGTERM)", res.ExitCode, 128+15)
	}
}

func TestRunNotFound(t *testing.T) {
	requireTracing(t)
	res, err := run(context.Background(), []string{"landlearn-no-such-command"}, Options{}, &memRecorder{}, testMapping())
	if !errors.Is(err, command.ErrNotFound) {
		t.Fatalf("err = %v, want command.ErrNotFound", err)
	}
	if res.ExitCode != 127 {
		t.Errorf("exit code %d, want 127", res.ExitCode)
	}
	if _, err := run(context.Background(), nil, Options{}, &memRecorder{}, testMapping()); err == nil {
		t.Error("no error for an empty command")
	}
}

// A tree of 200 processes, each opening its own file: every open is
// seen, whichever process makes it.
func TestRunTreeOf200(t *testing.T) {
	dir := t.TempDir()
	for i := range 200 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d", i)), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, rec := runTest(t, Options{Dir: dir}, "sh", "-c", `i=0; while [ $i -lt 200 ]; do cat f$i >/dev/null & i=$((i+1)); done; wait`)
	if res.ExitCode != 0 {
		t.Fatalf("exit code %d", res.ExitCode)
	}
	pids := map[int]bool{}
	for i := range 200 {
		p := filepath.Join(dir, fmt.Sprintf("f%d", i))
		found := false
		for _, o := range rec.all() {
			if o.Path == p && o.Syscall == "openat" {
				found = true
				pids[o.PID] = true
			}
		}
		if !found {
			t.Errorf("open of %s not seen", p)
		}
	}
	if len(pids) != 200 {
		t.Errorf("the 200 opens came from %d processes, want 200", len(pids))
	}
}

// A process that outlives its parent is still traced until it exits.
func TestRunOrphanTraced(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "late")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// The parent exits at once; its child waits until the parent is
	// gone, then opens the file.
	res, rec := runTest(t, Options{Dir: dir}, "sh", "-c", `p=$$; (while kill -0 $p 2>/dev/null; do sleep 0.01; done; cat late >/dev/null) & exit 5`)
	if res.ExitCode != 5 {
		t.Errorf("exit code %d, want 5", res.ExitCode)
	}
	if !rec.has("openat", f) {
		t.Errorf("the orphan's open of %s not seen:\n%s", f, rec.dump())
	}
}

// The accurate mode follows the same tree, passes the same statuses,
// and gives Finish the real results.
func TestRunAccurate(t *testing.T) {
	dir := t.TempDir()
	for i := range 20 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d", i)), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("f0", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	res, rec := runTest(t, Options{Dir: dir, Accurate: true}, "sh", "-c", `i=0; while [ $i -lt 20 ]; do cat f$i >/dev/null & i=$((i+1)); done; wait; cat missing link >/dev/null 2>&1; exit 4`)
	if res.Mode != ModePtrace {
		t.Errorf("mode %q, want %q", res.Mode, ModePtrace)
	}
	if res.ExitCode != 4 {
		t.Errorf("exit code %d, want 4", res.ExitCode)
	}
	for i := range 20 {
		if p := filepath.Join(dir, fmt.Sprintf("f%d", i)); !rec.has("openat", p) {
			t.Errorf("open of %s not seen", p)
		}
	}
	if rec.has("openat", filepath.Join(dir, "missing")) {
		t.Errorf("the failed open of ./missing was recorded: Finish did not get the result")
	}
	found := false
	for _, o := range rec.all() {
		if o.Path == filepath.Join(dir, "link") {
			found = true
			if o.Dst != filepath.Join(dir, "f0") {
				t.Errorf("open of ./link: FDPath %q, want the real path %s", o.Dst, filepath.Join(dir, "f0"))
			}
		}
	}
	if !found {
		t.Errorf("open of ./link not seen:\n%s", rec.dump())
	}
	if res, _ := runTest(t, Options{Accurate: true}, "sh", "-c", "kill -TERM $$"); res.ExitCode != 128+15 {
		t.Errorf("exit code %d, want %d", res.ExitCode, 128+15)
	}
}

// Under another seccomp supervisor (here: landlearn tracing landlearn) a
// listener cannot be installed: the inner tracer falls back to ptrace.
func TestRunNestedFallsBackToPtrace(t *testing.T) {
	requireTracing(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	inner := filepath.Join(dir, "inner.jsonl")
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	env := append(os.Environ(), envLearner+"="+inner)
	res, rec := runTest(t, Options{Env: env, Stdout: &out}, self, "cat", target)
	if res.ExitCode != 0 {
		t.Fatalf("exit code %d", res.ExitCode)
	}
	if got := strings.TrimSpace(out.String()); got != "x\nmode="+ModePtrace {
		t.Errorf("inner learner printed %q, want the file and mode=%s", got, ModePtrace)
	}
	if !rec.has("openat", target) {
		t.Errorf("the outer tracer did not see the open through the inner one")
	}
	f, err := os.Open(inner)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	obs, err := learn.ReadAll(f, inner)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, o := range obs {
		found = found || o.Path == target
	}
	if !found {
		t.Errorf("the inner tracer did not see the open of %s", target)
	}
}

// Options.Timeout stops the whole tree with SIGTERM, and the run says
// so: a program that handles it gets to finish (here: write a file).
func TestRunTimeout(t *testing.T) {
	dir := t.TempDir()
	done := filepath.Join(dir, "flushed")
	res, _ := runTest(t, Options{Timeout: 100 * time.Millisecond}, "sh", "-c", "sleep 1000 & trap 'echo > "+done+"; exit 3' TERM; while :; do sleep 0.05; done")
	if !res.TimedOut || res.Killed {
		t.Errorf("TimedOut %v, Killed %v; want a timeout that SIGTERM ended", res.TimedOut, res.Killed)
	}
	if res.ExitCode != 3 {
		t.Errorf("exit code %d, want 3 (from the SIGTERM trap)", res.ExitCode)
	}
	if _, err := os.Stat(done); err != nil {
		t.Errorf("the SIGTERM handler did not run: %v", err)
	}
}

// A process that ignores SIGTERM is killed at the end of the grace
// period, and the run says so.
func TestRunTimeoutGrace(t *testing.T) {
	for _, accurate := range []bool{false, true} {
		t.Run(fmt.Sprintf("accurate=%v", accurate), func(t *testing.T) {
			res, _ := runTest(t, Options{Accurate: accurate, Timeout: 100 * time.Millisecond, Grace: 200 * time.Millisecond}, "sh", "-c", "trap '' TERM; sleep 1000 & exec sleep 1000")
			if !res.TimedOut || !res.Killed {
				t.Errorf("TimedOut %v, Killed %v; want both", res.TimedOut, res.Killed)
			}
			if res.ExitCode != 128+15 && res.ExitCode != 128+9 {
				t.Errorf("exit code %d, want 143 or 137", res.ExitCode)
			}
		})
	}
}

// A set-user-ID program runs without its privilege; the run says so once.
func TestRunWarnsSetuid(t *testing.T) {
	requireTracing(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "suid-true")
	b, err := os.ReadFile("/bin/true")
	if err != nil {
		testkit.Skip(t, "no /bin/true to copy")
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(bin, os.ModeSetuid|0o755); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	var mu sync.Mutex
	res, rec := runTest(t, Options{Warnf: func(f string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		warnings = append(warnings, fmt.Sprintf(f, a...))
	}}, "sh", "-c", bin+"; "+bin)
	if res.ExitCode != 0 {
		t.Fatalf("exit code %d", res.ExitCode)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "set-user-ID") || !strings.Contains(warnings[0], bin) {
		t.Errorf("warnings %q, want one naming %s as set-user-ID; seen:\n%s", warnings, bin, rec.dump())
	}
}

// A signal ignored by landlearn's parent stays ignored for the target
// (nohup): neither the learner nor the keeper catch it on the way.
func TestRunKeepsIgnoredSignals(t *testing.T) {
	requireTracing(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw.jsonl")
	// The shell ignores SIGHUP, then runs a learner whose target reports
	// its own SigIgn mask; SIGHUP is bit 0.
	cmd := exec.Command("sh", "-c", `trap "" HUP; exec "$0" sh -c 'grep SigIgn /proc/self/status'`, self)
	cmd.Env = append(os.Environ(), envLearner+"="+raw)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var mask uint64
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "SigIgn:"); ok {
			mask, _ = strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	if mask&1 == 0 {
		t.Errorf("the target does not ignore SIGHUP (SigIgn %#x): the learner or keeper caught it on the way", mask)
	}
}

// Cancelling the context stops the tree; Run reports the cancellation.
func TestRunContextCancel(t *testing.T) {
	requireTracing(t)
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	go func() {
		for {
			if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	res, err := run(ctx, []string{"sh", "-c", "touch started; sleep 1000"}, Options{Dir: dir}, &memRecorder{}, testMapping())
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if res.ExitCode != 128+9 {
		t.Errorf("exit code %d, want %d (SIGKILL)", res.ExitCode, 128+9)
	}
}

// failingRecorder refuses every observation, as a full disk would.
type failingRecorder struct{}

func (failingRecorder) Record(learn.Observation) error { return errors.New("disk full") }

// TestRunReportsRecorderErrors: an observation that cannot be recorded
// fails the run, in both modes (the program still runs to its end).
func TestRunReportsRecorderErrors(t *testing.T) {
	requireTracing(t)
	for _, accurate := range []bool{false, true} {
		t.Run(fmt.Sprintf("accurate=%v", accurate), func(t *testing.T) {
			res, err := run(context.Background(), []string{"cat", "/etc/hostname"}, Options{Accurate: accurate, Stdout: io.Discard}, failingRecorder{}, testMapping())
			if err == nil || !strings.Contains(err.Error(), "record observations: disk full") {
				t.Errorf("run: %v, want the recorder's error", err)
			}
			if res.ExitCode != 0 || res.Calls == 0 {
				t.Errorf("exit %d after %d calls stopped, want cat to finish", res.ExitCode, res.Calls)
			}
		})
	}
}
