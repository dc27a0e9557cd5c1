package trace

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// receivingRun traces script and tells, for the opens of file, how many
// the mapping saw and which CPUs the receivers that mapped them were
// pinned to (none: a receiver free to run anywhere).
func receivingRun(t *testing.T, script, file string) (opens int, pinnedTo map[int]int) {
	t.Helper()
	var mu sync.Mutex
	pinnedTo = map[int]int{}
	m := testMapping()
	m.prepare = func(c *sysCall, tr tracee) prepared {
		p := testPrepare(c, tr)
		if obs, _ := p.(testPending); len(obs) == 0 || obs[0].Path != file {
			return p
		}
		var set unix.CPUSet
		unix.SchedGetaffinity(0, &set)
		mu.Lock()
		opens++
		if set.Count() == 1 {
			for cpu := range len(set) * 64 {
				if set.IsSet(cpu) {
					pinnedTo[cpu]++
				}
			}
		}
		mu.Unlock()
		return p
	}
	res, err := run(context.Background(), []string{"sh", "-c", script}, Options{Timeout: time.Minute, Stdout: io.Discard}, &memRecorder{}, m)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("run: %v, exit %d", err, res.ExitCode)
	}
	return opens, pinnedTo
}

// The notifier receives with one free receiver while one process makes
// the calls, and with receivers pinned to CPUs while two do; no call is
// lost either way.
func TestNotifierSwitchesReceiving(t *testing.T) {
	requireTracing(t)
	var all unix.CPUSet
	if unix.SchedGetaffinity(0, &all) != nil || all.Count() < 2 {
		t.Skip("one CPU: the notifier never pins receivers")
	}
	f := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The shell opens f itself for each redirection: no other process.
	const n = 3000
	loop := "i=0; while [ $i -lt 3000 ]; do : < " + f + "; i=$((i+1)); done"

	opens, pinned := receivingRun(t, loop, f)
	if opens != n {
		t.Errorf("one process: the mapping saw %d opens, want %d", opens, n)
	}
	if len(pinned) != 0 {
		t.Errorf("one process: opens mapped by pinned receivers %v, want none", pinned)
	}

	opens, pinned = receivingRun(t, "("+loop+") & ("+loop+"); wait", f)
	if opens != 2*n {
		t.Errorf("two processes: the mapping saw %d opens, want %d", opens, 2*n)
	}
	// Which pinned receiver wins each call is the scheduler's: at least
	// one must have mapped opens.
	if len(pinned) == 0 {
		t.Errorf("two processes: no open mapped by a pinned receiver")
	}
}

func TestCallerWindow(t *testing.T) {
	var w callerWindow
	if w.take() {
		t.Error("no caller: several")
	}
	w.note(7)
	w.note(7)
	if w.take() {
		t.Error("one caller: several")
	}
	w.note(7)
	w.note(8)
	if !w.take() {
		t.Error("two callers: not several")
	}
	if w.take() {
		t.Error("a new window remembers the last one")
	}
}
