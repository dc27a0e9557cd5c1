package trace

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
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
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
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
