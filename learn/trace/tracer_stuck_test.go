package trace

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// A receiver held up by the traced tree must not stop the tree: here the
// mapping of one open waits until another process's open is received,
// as a receiver's lstat on a FUSE mount waits for the traced process
// that serves it. With the one receiver alone the run would never end;
// the watch starts a second receiver, which receives the other open.
func TestRunStuckReceiverGetsHelp(t *testing.T) {
	requireTracing(t)
	dir := t.TempDir()
	held, release := filepath.Join(dir, "held"), filepath.Join(dir, "release")
	for _, f := range []string{held, release} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	released := make(chan struct{})
	var once sync.Once
	m := testMapping()
	m.prepare = func(c *Call, tr Tracee) Pending {
		p := testPrepare(c, tr)
		obs, _ := p.(testPending)
		if len(obs) == 0 {
			return p
		}
		switch obs[0].Path {
		case release:
			once.Do(func() { close(released) })
		case held:
			select {
			case <-released:
			case <-time.After(20 * time.Second):
				t.Errorf("the open of %s was never received while the open of %s was held", release, held)
			}
		}
		return p
	}
	rec := &memRecorder{}
	script := "cat " + held + " & sleep 0.2; cat " + release + "; wait"
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
}
