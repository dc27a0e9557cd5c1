// Package keeper runs a command below a keeper process, so that nothing
// the command starts outlives landlearn. The keeper is a child subreaper
// (every orphan of the command's tree becomes its child, not init's), and
// when landlearn's end of its pipe closes (landlearn exits, crashes or is
// killed with SIGKILL) it kills every process below it. It also stops
// the tree on request: a signal to the command's own process, SIGTERM to
// the others, SIGKILL to what is left after a grace period.
//
// learn/trace has its own keeper, which also hands the traced command its
// seccomp filter; this one is for the commands landlearn watches from
// outside (verify, the audit rounds of learn).
package keeper

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/landlearn/landlearn/internal/procfs"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/command"
	"github.com/landlearn/landlearn/internal/reexec"
)

// role is the first argument that makes landlearn act as a keeper
// instead of its command line (see internal/reexec).
const role = "__landlearn_keeper"

func init() {
	reexec.Register(role, keeperMain)
}

// File descriptors the keeper gets (exec.Cmd.ExtraFiles start at 3);
// the command's own ExtraFiles follow them, and the keeper passes them
// on from 3.
const (
	lifeFD  = 3 // landlearn → keeper: requests (see below); EOF kills the tree
	ctlFD   = 4 // keeper → landlearn: "pid N", "main STATUS", "done", "error MSG"
	firstFD = 5
)

// Requests on the life pipe: one byte each.
const (
	termAll    = 't'  // SIGTERM to every process of the tree
	termOthers = 'o'  // SIGTERM to every process but the command's own
	signalMain = 0x80 // | N: signal N to the command's own process
)

// Tree is a command running below a keeper.
type Tree struct {
	keeper *exec.Cmd
	life   *os.File
	ctl    *bufio.Reader
	pid    int

	exited chan struct{} // closed when the command's own process ended
	status int           // its exit status, as a shell shows it
	empty  chan struct{} // closed when no process is left below the keeper

	mu       sync.Mutex
	stopping bool
	killed   bool
	grace    *time.Timer
	closed   bool
}

// Start runs c below a keeper: c's Path, Args, Env, Dir, standard
// streams and ExtraFiles are used, c itself is not started. The keeper
// is this executable, re-executed: a program using Start must call
// reexec.Main first thing in main, and a test binary in TestMain.
func Start(c *exec.Cmd) (*Tree, error) {
	path := c.Path
	k, err := reexec.Command(role, append([]string{strconv.Itoa(len(c.ExtraFiles)), path}, c.Args...)...)
	if err != nil {
		return nil, err
	}
	lifeR, lifeW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		lifeR.Close()
		lifeW.Close()
		return nil, err
	}
	k.Env, k.Dir = c.Env, c.Dir
	k.Stdin, k.Stdout, k.Stderr = c.Stdin, c.Stdout, c.Stderr
	k.ExtraFiles = append([]*os.File{lifeR, ctlW}, c.ExtraFiles...)
	err = k.Start()
	lifeR.Close()
	ctlW.Close()
	if err != nil {
		lifeW.Close()
		ctlR.Close()
		return nil, fmt.Errorf("start the keeper of %s: %w", path, err)
	}
	t := &Tree{keeper: k, life: lifeW, ctl: bufio.NewReader(ctlR), exited: make(chan struct{}), empty: make(chan struct{})}
	line, _ := t.ctl.ReadString('\n')
	f := strings.Fields(line)
	if len(f) != 2 || f[0] != "pid" {
		lifeW.Close()
		k.Wait()
		ctlR.Close()
		msg := strings.TrimSpace(strings.TrimPrefix(line, "error"))
		if msg == "" {
			msg = "the keeper exited before it started it"
		}
		return nil, fmt.Errorf("start %s: %s", path, msg)
	}
	t.pid, _ = strconv.Atoi(f[1])
	go func() {
		defer ctlR.Close()
		t.status = 255
		exited := false
		for {
			line, err := t.ctl.ReadString('\n')
			f := strings.Fields(line)
			switch {
			case len(f) == 2 && f[0] == "main":
				t.status, _ = strconv.Atoi(f[1])
				exited = true
				close(t.exited)
			case len(f) == 1 && f[0] == "done":
				close(t.empty)
				if !exited {
					close(t.exited)
				}
				return
			}
			if err != nil { // the keeper is gone
				close(t.empty)
				if !exited {
					close(t.exited)
				}
				return
			}
		}
	}()
	return t, nil
}

// Pid is the command's own pid.
func (t *Tree) Pid() int { return t.pid }

// Exited is closed when the command's own process has ended.
func (t *Tree) Exited() <-chan struct{} { return t.exited }

// Wait waits for the command's own process and returns its exit status
// as a shell shows it (128+N when signal N ended it). Processes it left
// running go on until Close.
func (t *Tree) Wait() (int, error) {
	<-t.exited
	return t.status, nil
}

// Stop asks the tree to end: sig goes to the command's own process and
// SIGTERM to every other one (sig nil or SIGTERM: SIGTERM to every
// process), and whatever is left grace later is killed. A second Stop
// kills at once.
func (t *Tree) Stop(sig os.Signal, grace time.Duration) {
	s, _ := sig.(syscall.Signal)
	if s == 0 || s == syscall.SIGTERM {
		t.stop(grace, termAll)
	} else {
		t.stop(grace, signalMain|byte(s), termOthers)
	}
}

// StopOthers is Stop for a command whose own process already got its
// signal (the terminal sent Ctrl-C to the whole foreground group): the
// other processes get SIGTERM, and what is left grace later is killed.
func (t *Tree) StopOthers(grace time.Duration) {
	t.stop(grace, termOthers)
}

// stop sends the keeper msg and kills what is left grace later; a second
// stop kills at once.
func (t *Tree) stop(grace time.Duration, msg ...byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	if t.stopping {
		t.killLocked()
		return
	}
	t.stopping = true
	t.life.Write(msg)
	t.grace = time.AfterFunc(grace, t.Kill)
}

// Kill kills every process of the tree at once.
func (t *Tree) Kill() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.killLocked()
}

func (t *Tree) killLocked() {
	if t.closed {
		return
	}
	select {
	case <-t.empty:
	default:
		t.killed = true
	}
	t.closed = true
	t.life.Close()
}

// Killed reports whether processes were still running when the tree was
// killed (a grace period that ran out, a second Stop, Kill).
func (t *Tree) Killed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.killed
}

// Close stops what is left of the tree (SIGTERM, then SIGKILL after
// grace), and waits for the keeper and the command's output. Processes
// the command left running after it exited are stopped too.
func (t *Tree) Close(grace time.Duration) error {
	t.mu.Lock()
	if !t.stopping && !t.closed {
		select {
		case <-t.empty:
		default:
			t.stopping = true
			t.life.Write([]byte{termAll})
			t.grace = time.AfterFunc(grace, t.Kill)
		}
	}
	t.mu.Unlock()
	err := t.keeper.Wait()
	t.mu.Lock()
	if t.grace != nil {
		t.grace.Stop()
	}
	if !t.closed {
		t.closed = true
		t.life.Close()
	}
	t.mu.Unlock()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return nil // the keeper's own status says nothing
	}
	return err
}

// keeperMain is the keeper: args are the number of extra files, the
// command's path and its argv.
func keeperMain(args []string) int {
	unix.CloseOnExec(lifeFD)
	unix.CloseOnExec(ctlFD)
	ctl := os.NewFile(ctlFD, "ctl")
	fail := func(format string, a ...any) int {
		fmt.Fprintf(ctl, "error "+format+"\n", a...)
		return 2
	}
	if len(args) < 3 {
		return fail("%s is internal to landlearn", role)
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 0 {
		return fail("bad file count %q", args[0])
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fail("prctl(PR_SET_CHILD_SUBREAPER): %v", err)
	}
	// The terminal's signals are for the command: the keeper must
	// outlive it to report its status. Caught, not ignored, so that the
	// command gets them with their default action.
	for _, sig := range []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE} {
		if !signal.Ignored(sig) {
			signal.Notify(make(chan os.Signal, 1), sig)
		}
	}
	var extra []*os.File
	for i := range n {
		unix.CloseOnExec(firstFD + i)
		extra = append(extra, os.NewFile(uintptr(firstFD+i), "extra"))
	}
	c := &exec.Cmd{
		Path:       args[1],
		Args:       args[2:],
		Stdin:      os.Stdin,
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		ExtraFiles: extra,
	}
	if err := c.Start(); err != nil {
		return fail("%v", err)
	}
	for _, f := range extra {
		f.Close()
	}
	mainPid := c.Process.Pid
	fmt.Fprintf(ctl, "pid %d\n", mainPid)

	var mu sync.Mutex
	mainDone := false
	go func() {
		life := os.NewFile(lifeFD, "life")
		var b [64]byte
		for {
			n, err := life.Read(b[:])
			for _, req := range b[:n] {
				switch {
				case req == termAll:
					signalTree(0, unix.SIGTERM)
				case req == termOthers:
					signalTree(mainPid, unix.SIGTERM)
				case req&signalMain != 0:
					// The keeper reaps the command: until it did, the
					// pid is the command's.
					mu.Lock()
					if !mainDone {
						unix.Kill(mainPid, unix.Signal(req&^signalMain))
					}
					mu.Unlock()
				}
			}
			if err != nil {
				break
			}
		}
		for {
			pids := procfs.Descendants(os.Getpid())
			if len(pids) == 0 {
				return
			}
			for _, p := range pids {
				unix.Kill(p, unix.SIGKILL)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	for {
		var ws unix.WaitStatus
		mu.Lock()
		pid, err := unix.Wait4(-1, &ws, unix.WALL|unix.WNOHANG, nil)
		if pid == mainPid {
			mainDone = true
		}
		mu.Unlock()
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			fmt.Fprintf(ctl, "done\n") // ECHILD: the tree is empty
			return 0
		case pid == 0:
			// Nothing to reap yet: wait without holding the lock, so
			// that a signal request is not held up.
			unix.Waitid(unix.P_ALL, 0, nil, unix.WEXITED|unix.WNOWAIT|unix.WALL, nil)
			continue
		case pid == mainPid:
			fmt.Fprintf(ctl, "main %d\n", command.Status(syscall.WaitStatus(ws)))
		}
	}
}

// signalTree sends sig to every process below this keeper but except.
func signalTree(except int, sig unix.Signal) {
	for _, p := range procfs.Descendants(os.Getpid()) {
		if p != except {
			unix.Kill(p, sig)
		}
	}
}

// InForeground reports whether this process's group is the foreground
// group of its terminal: then a Ctrl-C or a hangup from the terminal
// reached the command too, directly, and only the rest of its tree needs
// to be told.
func InForeground() bool {
	for _, fd := range []int{0, 1, 2} {
		pg, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
		if err == nil {
			return pg == unix.Getpgrp()
		}
	}
	return false
}
