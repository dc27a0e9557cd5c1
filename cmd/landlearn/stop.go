package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/keeper"
	"github.com/landlearn/landlearn/internal/stale"
	"github.com/landlearn/landlearn/learn/audit/live"
	"github.com/landlearn/landlearn/learn/audit/session"
)

// defaultGrace is --grace: how long a stopped program's processes have
// between SIGTERM and SIGKILL.
const defaultGrace = 10 * time.Second

// stopSignals are the signals that end a landlearn command that runs a
// program: Ctrl-C, kill, and a closed terminal or dropped ssh session.
var stopSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// stopper is how verify and the audit rounds of learn stop the program
// they run, and what they tell about it afterwards. While it is open,
// landlearn itself is not ended by SIGINT, SIGTERM or SIGHUP (the first
// stops the program: its own process gets the signal, the others
// SIGTERM, and what is left after grace gets SIGKILL; a second kills at
// once), nor by SIGPIPE on a closed stderr: audit settings are restored
// and the program's tree is stopped whatever happens to the terminal.
// Each program run gets timeout (0: none), then SIGTERM and the grace.
type stopper struct {
	timeout, grace time.Duration
	stderr         io.Writer

	// hard is cancelled at a second signal: stop everything at once.
	hard    context.Context
	cancel  func()
	stopped chan struct{} // closed at the first signal
	sigs    chan os.Signal
	end     chan struct{}

	mu       sync.Mutex
	first    os.Signal    // the first signal, nil if none
	tree     *keeper.Tree // the program that runs, if any
	name     string       // its argv[0]
	timedOut bool         // the timeout stopped the last tree
	timer    *time.Timer
}

// newStopper starts catching the stop signals (those landlearn was not
// started with ignored: `nohup landlearn ...` keeps SIGHUP away from the
// program) and SIGPIPE. Close it last.
func newStopper(timeout, grace time.Duration, stderr io.Writer) *stopper {
	if grace <= 0 {
		grace = defaultGrace
	}
	s := &stopper{timeout: timeout, grace: grace, stderr: stderr, stopped: make(chan struct{}),
		sigs: make(chan os.Signal, 4), end: make(chan struct{})}
	s.hard, s.cancel = context.WithCancel(context.Background())
	for _, sig := range stopSignals {
		if !signal.Ignored(sig) {
			signal.Notify(s.sigs, sig)
		}
	}
	// A write to a closed stderr returns EPIPE instead of killing
	// landlearn before it restored what it changed.
	signal.Notify(s.sigs, syscall.SIGPIPE)
	go s.loop()
	return s
}

func (s *stopper) loop() {
	for {
		select {
		case <-s.end:
			return
		case sig := <-s.sigs:
			if sig == syscall.SIGPIPE {
				continue
			}
			s.mu.Lock()
			if s.first == nil {
				s.first = sig
				close(s.stopped)
				if s.tree != nil {
					s.stopTree(sig)
				}
			} else {
				s.cancel()
				if s.tree != nil {
					s.tree.Kill()
				}
			}
			s.mu.Unlock()
		}
	}
}

// stopTree asks the running tree to stop after sig; s.mu is held. The
// program's own process gets sig unless the terminal sent it already
// (Ctrl-C and hangups go to the whole foreground process group).
func (s *stopper) stopTree(sig os.Signal) {
	if sig != syscall.SIGTERM && keeper.InForeground() {
		s.tree.StopOthers(s.grace)
		return
	}
	s.tree.Stop(sig, s.grace)
}

// close stops catching signals; the process gets their default actions
// back.
func (s *stopper) close() {
	signal.Stop(s.sigs)
	close(s.end)
	s.cancel()
}

// Stopped is closed at the first signal.
func (s *stopper) Stopped() <-chan struct{} { return s.stopped }

// signal is the first signal, or nil.
func (s *stopper) signal() os.Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first
}

// command is c below a keeper, as a live.Command: started, it is the
// stopper's running program until Wait returns.
func (s *stopper) command(c *exec.Cmd, name string) *treeCommand {
	return &treeCommand{s: s, c: c, name: name}
}

// treeCommand is a program the stopper runs (live.Command).
type treeCommand struct {
	s    *stopper
	c    *exec.Cmd
	name string
	tree *keeper.Tree
	// cut says how the program was cut short ("--timeout 5s", "SIGINT"),
	// once Wait returned; "" when it ended by itself. ran is how long it
	// ran.
	cut      string
	timedOut bool
	start    time.Time
	ran      time.Duration
}

// errStoppedEarly: a signal came before the program started.
var errStoppedEarly = errors.New("interrupted before the command started")

func (t *treeCommand) Start() error {
	s := t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first != nil {
		return fmt.Errorf("%w (%v)", errStoppedEarly, signalName(s.first))
	}
	tree, err := keeper.Start(t.c)
	if err != nil {
		return err
	}
	t.tree, s.tree, s.name, s.timedOut = tree, tree, t.name, false
	t.start = time.Now()
	if s.timeout > 0 {
		s.timer = time.AfterFunc(s.timeout, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.tree != tree || s.first != nil {
				return
			}
			s.timedOut = true
			fmt.Fprintf(s.stderr, "landlearn: --timeout %v: stopping %s and every process it started (SIGTERM, then SIGKILL after %v)\n", s.timeout, t.name, s.grace)
			tree.Stop(syscall.SIGTERM, s.grace)
		})
	}
	return nil
}

func (t *treeCommand) Pid() int { return t.tree.Pid() }
func (t *treeCommand) Kill()    { t.tree.Kill() }

// Wait waits for the program's own process, then stops what it left
// running (SIGTERM, then SIGKILL after the grace period): the run ends
// when the program does, and nothing of it outlives the run.
func (t *treeCommand) Wait() (int, error) {
	code, err := t.tree.Wait()
	t.ran = time.Since(t.start)
	s := t.s
	s.mu.Lock()
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.mu.Unlock()
	if cerr := t.tree.Close(s.grace); err == nil {
		err = cerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tree = nil
	t.cut, t.timedOut = s.cutShort(t.tree.Killed()), s.timedOut
	return code, err
}

// cutShort says how the last program was stopped, or "": "--timeout 5s"
// or "SIGINT", with ", then SIGKILL" when processes outlived the grace
// period. s.mu is held.
func (s *stopper) cutShort(killed bool) string {
	var why string
	switch {
	case s.timedOut:
		why = fmt.Sprintf("--timeout %v", s.timeout)
	case s.first != nil:
		why = signalName(s.first)
	default:
		return ""
	}
	if killed {
		why += fmt.Sprintf(" (processes still running %v after SIGTERM were killed)", s.grace)
	}
	return why
}

// explain says in words why err happened when a signal caused it: the
// context of a run cancelled by a second signal says "context canceled".
func (s *stopper) explain(err error) error {
	sig := s.signal()
	switch {
	case sig == nil:
		return err
	case errors.Is(err, errStoppedEarly):
		return fmt.Errorf("%w: nothing was verified", err)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("interrupted (%s, then a second signal) before the command started: nothing was verified", signalName(sig))
	}
	return err
}

// cleanStale removes what landlearn processes killed with SIGKILL left
// behind (their reset copies and empty observation files in $TMPDIR, and
// audit switched on), never what a running one uses. learn, check and
// verify call it first.
func cleanStale(stderr io.Writer) {
	stale.Clean(os.TempDir())
	if os.Geteuid() != 0 {
		return
	}
	restored, err := session.Recover()
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "landlearn: warning: could not restore the audit settings a killed landlearn changed: %v\n", err)
	case restored:
		fmt.Fprintf(stderr, "landlearn: note: restored the audit settings that a killed landlearn had changed\n")
	}
}

// signalName is "SIGINT" for syscall.SIGINT.
func signalName(sig os.Signal) string {
	if s, ok := sig.(syscall.Signal); ok {
		if name := unix.SignalName(s); name != "" {
			return name
		}
	}
	return sig.String()
}

var _ live.Command = (*treeCommand)(nil)
