package trace

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A receiver held up by the traced tree must not stop the tree: here the
// mapping of one open waits until another process's open is received,
// as a receiver's lstat on a FUSE mount waits for the traced process
// that serves it. With the one receiver alone the run would never end;
// the watch starts a second receiver, which receives the other open.
// The other open starts only once the first is held (the shell waits for
// the file holding), so the second receiver is always what ends it.
func TestRunStuckReceiverGetsHelp(t *testing.T) {
	requireTracing(t)
	dir := t.TempDir()
	held, release, holdingFile := filepath.Join(dir, "held"), filepath.Join(dir, "release"), filepath.Join(dir, "holding")
	for _, f := range []string{held, release} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	released := make(chan struct{})
	var once sync.Once
	// helped: the open of release was received while the receiver of
	// the open of held was waiting, by another receiver.
	var holding, helped atomic.Bool
	m := testMapping()
	m.prepare = func(c *sysCall, tr tracee) prepared {
		p := testPrepare(c, tr)
		obs, _ := p.(testPending)
		if len(obs) == 0 {
			return p
		}
		switch obs[0].Path {
		case release:
			helped.Store(holding.Load())
			once.Do(func() { close(released) })
		case held:
			holding.Store(true)
			if err := os.WriteFile(holdingFile, nil, 0o644); err != nil {
				t.Error(err)
			}
			select {
			case <-released:
			case <-time.After(20 * time.Second):
				t.Errorf("the open of %s was never received while the open of %s was held", release, held)
			}
			holding.Store(false)
		}
		return p
	}
	rec := &memRecorder{}
	// The wait is the shell's own test builtin: no system call that
	// the tracer stops, while the only receiver is held.
	script := "cat " + held + " & until [ -e " + holdingFile + " ]; do :; done; cat " + release + "; wait"
	start := time.Now()
	res, err := run(context.Background(), []string{"sh", "-c", script}, Options{Timeout: 30 * time.Second, Stdout: io.Discard}, rec, m)
	if err != nil {
		t.Fatal(err)
	}
	if res.TimedOut || res.ExitCode != 0 {
		t.Fatalf("run ended with status %d (timed out: %v) after %v", res.ExitCode, res.TimedOut, time.Since(start))
	}
	var seen []string
	for _, o := range rec.all() {
		if strings.HasPrefix(o.Path, dir) {
			seen = append(seen, o.Path)
		}
	}
	if len(seen) != 2 {
		t.Errorf("opens seen in %s: %v, want %s and %s", dir, seen, held, release)
	}
	if !helped.Load() {
		t.Errorf("the open of %s was not received while the open of %s was held: the second receiver was not needed", release, held)
	}
}
