package trace

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/command"
	stopper "github.com/landlearn/landlearn/internal/keeper"
	"github.com/landlearn/landlearn/internal/reexec"
	"github.com/landlearn/landlearn/learn"
)

// Modes, as RunResult.Mode names them.
const (
	ModeNotify = "seccomp-notify"
	ModePtrace = "ptrace"
)

// Options configure a tracing run. The zero value runs the command with
// this process's environment, directory and standard streams.
type Options struct {
	// Accurate selects ptrace + SECCOMP_RET_TRACE: slower, but Finish
	// sees each call's real result and the real path of opened fds.
	Accurate bool
	// Timeout, when positive, stops the traced tree after that long:
	// every process gets SIGTERM, and what is left after Grace gets
	// SIGKILL. What was seen until then is kept; RunResult.TimedOut says
	// so.
	Timeout time.Duration
	// Grace is how long the tree has to exit after it was asked to stop
	// (Timeout, or a first SIGINT, SIGTERM or SIGHUP) before every
	// process left is killed. 0 means DefaultGrace.
	Grace  time.Duration
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Env    []string // nil: os.Environ()
	Dir    string   // "": the current directory
	// Started, when set, is called once the target runs, with a function
	// that returns how many system calls were stopped so far (for a
	// progress line; it may be called from any goroutine).
	Started func(calls func() uint64)
	// Warnf prints a warning for the person running landlearn (a setuid
	// program ran unprivileged, the fallback to ptrace...). nil: silent.
	Warnf func(format string, args ...any)
}

// RunResult is how a tracing run ended.
type RunResult struct {
	// ExitCode is the target's status: its exit code, 128+N when signal
	// N killed it, 127 when it was not found.
	ExitCode int
	Mode     string // ModeNotify or ModePtrace
	Calls    uint64 // system calls stopped and looked at
	// Interrupted is set when SIGINT, SIGTERM or SIGHUP reached landlearn
	// during the run, and Signal says which came first; TimedOut when
	// Options.Timeout stopped the tree. Killed is set when processes were
	// still running at the end of the grace period, or after a second
	// signal, and got SIGKILL.
	Interrupted, TimedOut, Killed bool
	Signal                        os.Signal
}

// DefaultGrace is Options.Grace when it is 0: long enough for a server
// to finish its requests and flush its logs, as systemd and container
// runtimes give it.
const DefaultGrace = 10 * time.Second

// Commands the learner writes on the keeper's life pipe (closing it
// kills the tree).
const (
	stopAll    = 't' // SIGTERM to every process of the tree
	stopOthers = 'o' // SIGTERM to every process but the target's own
)

// mapping is the syscall→rights knowledge a run uses: the package's
// table (mapping.go, syscalls.go) in production, a small one in the
// mechanism's own tests.
type mapping struct {
	prepare  func(*sysCall, tracee) prepared
	syscalls func(syscallABI) []uint32
	ioctls   []uint32
}

func defaultMapping() *mapping {
	return &mapping{prepare: prepareCall, syscalls: filterSyscalls, ioctls: alwaysAllowedIoctls}
}

// Run runs argv under the tracer and records, as they happen, the
// observations of the whole process tree: every process and thread it
// starts, also those that outlive it, until the last one exits (or
// Options.Timeout). It returns when nothing of the tree is left.
//
// The keeper of the tree and the helper that installs the filter are
// this executable, re-executed: a program that calls Run must call
// enforce.MaybeHelper first thing in main, which runs them.
//
// Signals: while Run runs, the first SIGINT, SIGTERM or SIGHUP sent to
// this process is passed on to the target (SIGINT and SIGHUP are not
// when this process is in the terminal's foreground process group: the
// terminal sent them to the target already), and every other process of
// the tree gets SIGTERM; Options.Timeout sends SIGTERM to every process.
// Whatever is left Options.Grace later is killed, and so is everything
// at a second signal. If this process dies, the keeper kills the tree:
// nothing traced survives the learner.
//
// The error is about landlearn, never about the target: a target that
// fails is RunResult.ExitCode. CMD is found as enforce finds it, so that
// learn and run pick the same binary for the same PATH: when it is not
// found, or not executable, the error wraps enforce.ErrNotFound or
// enforce.ErrCannotExecute and RunResult.ExitCode is 127 or 126.
func Run(ctx context.Context, argv []string, o Options, rec learn.Recorder) (RunResult, error) {
	return run(ctx, argv, o, rec, defaultMapping())
}

func run(ctx context.Context, argv []string, o Options, rec learn.Recorder, m *mapping) (RunResult, error) {
	res := RunResult{Mode: ModeNotify}
	if o.Accurate {
		res.Mode = ModePtrace
	}
	if len(argv) == 0 {
		return res, errors.New("no command to trace")
	}
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	path, err := command.LookPath(argv[0], command.PathOf(env), o.Dir)
	if err != nil {
		res.ExitCode = command.ExitStatus(err)
		return res, err
	}
	r := &runner{ctx: ctx, argv: argv, path: path, o: o, env: env, m: m, rec: rec}
	if !o.Accurate {
		err = r.run(ModeNotify, &res)
		if !errors.Is(err, errListenerBusy) {
			return res, err
		}
		if o.Warnf != nil {
			o.Warnf("cannot install a seccomp listener (%v; is landlearn itself being traced?): using ptrace, which is slower", err)
		}
		res = RunResult{Mode: ModePtrace}
		r.noFilter = true
		return res, r.run(ModePtrace, &res)
	}
	err = r.run(ModePtrace, &res)
	if errors.Is(err, errListenerBusy) {
		// An outer listener would take the filtered calls before
		// SECCOMP_RET_TRACE could stop them for us.
		if o.Warnf != nil {
			o.Warnf("landlearn runs under another seccomp supervisor: --accurate stops every system call, which is slower")
		}
		res = RunResult{Mode: ModePtrace}
		r.noFilter = true
		err = r.run(ModePtrace, &res)
	}
	return res, err
}

// runner is one attempt to run the target in one mode.
type runner struct {
	ctx  context.Context
	argv []string
	path string
	o    Options
	env  []string
	m    *mapping
	rec  learn.Recorder
	// noFilter: ptrace every call and filter in the tracer (ptrace.go).
	noFilter bool
}

// filterFor builds the seccomp program for mode: the same filter in
// both modes, only the action that stops a call differs.
func (r *runner) filterFor(mode string) ([]unix.SockFilter, error) {
	spec := filterSpec{
		Syscalls:      map[syscallABI][]uint32{abiX86_64: r.m.syscalls(abiX86_64), abiI386: r.m.syscalls(abiI386)},
		AllowedIoctls: r.m.ioctls,
		Stop:          unix.SECCOMP_RET_USER_NOTIF,
		X32:           unix.SECCOMP_RET_USER_NOTIF,
	}
	if mode == ModePtrace {
		spec.Stop = unix.SECCOMP_RET_TRACE
		spec.X32 = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
	}
	return buildFilter(spec)
}

// run starts keeper and helper, supervises the tree in mode and fills
// res. The process chain is:
//
//	learner (this process)
//	  └─ keeper: `landlearn helperRole keeper`, untraced child subreaper
//	       └─ helper: `landlearn helperRole exec`, installs the filter,
//	          hands it over, execs CMD: the traced tree starts here
//
// Pipes: life (learner holds the write end; its closing, by exit,
// crash or on purpose, makes the keeper kill the tree; stopAll and
// stopOthers written on it make the keeper send SIGTERM), ctl (keeper →
// learner: "main STATUS" when the target exits, "done" when no process
// is left), ready (helper → learner: its pid and listener fd) and go
// (learner → helper: the listener is taken, exec now).
func (r *runner) run(mode string, res *RunResult) error {
	prog, err := r.filterFor(mode)
	if err != nil {
		return err
	}
	var (
		lifeR, lifeW, ctlR, ctlW, readyR, readyW, goR, goW *os.File
	)
	for _, p := range []struct{ r, w **os.File }{{&lifeR, &lifeW}, {&ctlR, &ctlW}, {&readyR, &readyW}, {&goR, &goW}} {
		if *p.r, *p.w, err = os.Pipe(); err != nil {
			return fmt.Errorf("pipe: %w", err)
		}
	}
	defer func() {
		for _, f := range []*os.File{lifeW, ctlR, readyR, goW} {
			f.Close()
		}
	}()
	helperMode := mode
	if r.noFilter {
		helperMode = helperNoFilter
	}
	keeper, err := reexec.Command(helperRole, append([]string{"keeper", helperMode, hex.EncodeToString(progBytes(prog)), r.path}, r.argv...)...)
	if err != nil {
		return err
	}
	keeper.Env, keeper.Dir = r.env, r.o.Dir
	keeper.Stdin, keeper.Stdout, keeper.Stderr = r.o.Stdin, r.o.Stdout, r.o.Stderr
	keeper.ExtraFiles = []*os.File{lifeR, ctlW, readyW, goR}
	if keeper.Stdin == nil {
		keeper.Stdin = os.Stdin
	}
	if keeper.Stdout == nil {
		keeper.Stdout = os.Stdout
	}
	if keeper.Stderr == nil {
		keeper.Stderr = os.Stderr
	}
	var sup supervisor
	if mode == ModePtrace {
		// ptrace requests must all come from the thread that attached.
		var evalProg []unix.SockFilter
		if r.noFilter {
			evalProg = prog
		}
		sup = newPtracer(newSession(r.m, r.rec, procTree{}, r.o.Warnf), evalProg)
		defer sup.stop()
	}
	if err := keeper.Start(); err != nil {
		return fmt.Errorf("start the tracer's keeper process: %w", err)
	}
	for _, f := range []*os.File{lifeR, ctlW, readyW, goR} {
		f.Close()
	}
	tree := procTree{keeper: keeper.Process.Pid}

	// Learner side of the handshake.
	line, _ := bufio.NewReader(readyR).ReadString('\n')
	f := strings.Fields(line)
	var mainPid int
	switch {
	case len(f) == 3 && f[0] == "notify" && mode == ModeNotify:
		mainPid, _ = strconv.Atoi(f[1])
		fd, _ := strconv.Atoi(f[2])
		lfd, err := takeFD(mainPid, fd)
		if err != nil {
			lifeW.Close()
			keeper.Wait()
			return fmt.Errorf("take the seccomp listener from the helper (pid %d): %w", mainPid, err)
		}
		defer unix.Close(lfd)
		syncErr := notifSetFlags(lfd, unix.SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)
		if err := syncErr; err != nil && r.o.Warnf != nil {
			r.o.Warnf("the seccomp listener refused the synchronous wake-up (%v): tracing works, but each stopped call costs about four times more", err)
		}
		s := newSession(r.m, r.rec, tree, r.o.Warnf)
		if s.watch = newWatcher(s.threads); s.watch != nil {
			defer s.watch.close()
		}
		sup = &notifier{s: s, fd: lfd, adapt: syncErr == nil}
	case len(f) == 2 && f[0] == "trace" && mode == ModePtrace:
		mainPid, _ = strconv.Atoi(f[1])
		if err := sup.(*ptracer).attach(mainPid, tree); err != nil {
			lifeW.Close()
			keeper.Wait()
			return err
		}
	case len(f) >= 1 && f[0] == "busy":
		lifeW.Close()
		keeper.Wait()
		return errListenerBusy
	default:
		lifeW.Close()
		keeper.Wait()
		msg := strings.TrimSpace(strings.TrimPrefix(line, "error"))
		if msg == "" {
			msg = "it exited before it was ready"
		}
		return fmt.Errorf("start the traced command: %s", msg)
	}
	// Signals are forwarded through a pidfd: once the keeper has reaped
	// the target, its pid may name another process.
	mainFD, err := unix.PidfdOpen(mainPid, 0)
	if err != nil {
		lifeW.Close()
		keeper.Wait()
		return fmt.Errorf("pidfd_open of the traced command (pid %d): %w", mainPid, err)
	}
	defer unix.Close(mainFD)
	return r.supervise(sup, res, keeper, mainFD, lifeW, ctlR, goW)
}

// supervisor is a mode's loop over stopped calls.
type supervisor interface {
	// start begins serving the stopped calls; fatal is called if the
	// supervisor cannot go on (the tree must then be killed, or it would
	// wait for answers forever).
	start(fatal func())
	// wait returns when the tree has no traced task left.
	wait() error
	calls() uint64
	stop()
}

// supervise lets the helper exec, waits for the tree, and handles
// signals, the timeout and the context.
func (r *runner) supervise(sup supervisor, res *RunResult, keeper *exec.Cmd, mainFD int, lifeW, ctlR, goW *os.File) error {
	var killOnce sync.Once
	kill := func() { killOnce.Do(func() { lifeW.Close() }) }
	sup.start(kill)
	if r.o.Started != nil {
		r.o.Started(sup.calls)
	}
	if _, err := goW.Write([]byte("go\n")); err != nil {
		kill()
	}
	goW.Close()

	type ctlMsg struct {
		kind   string
		status int
	}
	msgs := make(chan ctlMsg, 4)
	go func() {
		sc := bufio.NewScanner(ctlR)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 0 {
				continue
			}
			m := ctlMsg{kind: f[0]}
			if len(f) > 1 {
				m.status, _ = strconv.Atoi(f[1])
			}
			msgs <- m
		}
		close(msgs)
	}()

	sigc := make(chan os.Signal, 4)
	notifyUnlessIgnored(sigc, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigc)
	var timeout <-chan time.Time
	if r.o.Timeout > 0 {
		t := time.NewTimer(r.o.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	var lingering <-chan time.Time
	// stop asks the tree to end: SIGTERM to every process (whole), or to
	// every process but the target's own, which got the user's signal;
	// the grace period starts once.
	var grace <-chan time.Time
	stop := func(whole bool) {
		cmd := []byte{stopOthers}
		if whole {
			cmd[0] = stopAll
		}
		lifeW.Write(cmd)
		if grace == nil {
			grace = time.After(r.o.grace())
		}
	}
	mainDone, done := false, false
	var ctxErr error
	ctxDone := r.ctx.Done()
	for !done {
		select {
		case m, ok := <-msgs:
			switch {
			case !ok:
				done = true // the keeper is gone
			case m.kind == "main":
				mainDone = true
				res.ExitCode = m.status
				if grace == nil {
					lingering = time.After(time.Second)
				}
			case m.kind == "done":
				done = true
			}
		case <-lingering:
			if r.o.Warnf != nil {
				r.o.Warnf("%s exited (status %d); waiting for the processes it left running (Ctrl-C stops them)", r.argv[0], res.ExitCode)
			}
		case sig := <-sigc:
			if res.Interrupted || grace != nil {
				res.Killed = true
				kill()
				continue
			}
			res.Interrupted, res.Signal = true, sig
			if !mainDone && (sig == syscall.SIGTERM || !stopper.InForeground()) {
				unix.PidfdSendSignal(mainFD, sig.(syscall.Signal), nil, 0)
			}
			stop(mainDone)
		case <-timeout:
			if grace != nil {
				continue // already stopping
			}
			res.TimedOut = true
			if r.o.Warnf != nil {
				r.o.Warnf("timeout after %v: stopping %s and every process it started (SIGTERM, then SIGKILL after %v)", r.o.Timeout, r.argv[0], r.o.grace())
			}
			stop(true)
		case <-grace:
			if r.o.Warnf != nil {
				r.o.Warnf("processes of %s still ran %v after SIGTERM: killing them (SIGKILL)", r.argv[0], r.o.grace())
			}
			res.Killed = true
			kill()
		case <-ctxDone:
			ctxErr = r.ctx.Err()
			ctxDone = nil
			kill()
		}
	}
	keeper.Wait()
	err := sup.wait()
	res.Calls = sup.calls()
	if ctxErr != nil {
		return ctxErr
	}
	return err
}

// grace is Options.Grace, or DefaultGrace.
func (o Options) grace() time.Duration {
	if o.Grace > 0 {
		return o.Grace
	}
	return DefaultGrace
}

// takeFD copies fd number fd of process pid into this process.
func takeFD(pid, fd int) (int, error) {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1, fmt.Errorf("pidfd_open: %w", err)
	}
	defer unix.Close(pidfd)
	n, err := unix.PidfdGetfd(pidfd, fd, 0)
	if err != nil {
		return -1, fmt.Errorf("pidfd_getfd: %w", err)
	}
	unix.CloseOnExec(n)
	return n, nil
}

// progBytes serializes a filter for the helper's command line.
func progBytes(prog []unix.SockFilter) []byte {
	n := len(prog) * int(unsafe.Sizeof(unix.SockFilter{}))
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(&prog[0])), n)...)
}

// progFromBytes is progBytes's inverse.
func progFromBytes(b []byte) ([]unix.SockFilter, error) {
	sz := int(unsafe.Sizeof(unix.SockFilter{}))
	if len(b) == 0 || len(b)%sz != 0 {
		return nil, fmt.Errorf("seccomp filter of %d bytes is not a whole number of %d-byte instructions", len(b), sz)
	}
	prog := make([]unix.SockFilter, len(b)/sz)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&prog[0])), len(b)), b)
	return prog, nil
}

// notifier is the default mode's supervisor.
//
// It receives in one of two ways, and switches as the traced tree goes:
//   - While one process makes the calls (a test runner, cat after cat):
//     one receiver, with the synchronous wake-up (notifSetFlags): the
//     stopped call switches straight to the receiver on its own CPU and
//     back, the cheapest round trip there is.
//   - While several processes make calls at once (make -j2's
//     compilers): one receiver pinned to each of the first two CPUs this
//     process may use, without the flag. With it, a call made while the
//     receiver was busy on the other CPU is answered there and its
//     caller woken there: the compilers end up sharing one CPU while the
//     other idles. Without it each caller stays on its CPU, and the
//     receiver pinned there answers it; the other one wakes for nothing,
//     the cost of this mode (every receiver blocked in NOTIF_RECV wakes
//     at every call), which the first way avoids.
//
// bench/floor.sh measures both ways on the same workloads (the README's
// Performance section has the numbers). The watch decides every
// modeTick from which processes made calls meanwhile (callerWindow):
// several in parallelTicks windows in a row switch to pinned receivers,
// one (or none) in serialTicks windows in a row switch back.
type notifier struct {
	s  *session
	fd int
	wg sync.WaitGroup
	// adapt: the kernel took the synchronous wake-up, so the notifier
	// may switch between the two ways. Without it, one receiver.
	adapt bool

	mu    sync.Mutex
	err   error
	live  int           // receivers that have not returned
	fatal func()        // kills the tree: a receiver failed
	done  chan struct{} // closed by wait: the watch stops

	// pinned is the mode; cpus the CPUs the receivers are pinned to in
	// it, the first receiver's thread on cpus[0] (firstTID), the pinned
	// helper on cpus[1], parked on wake in the other mode.
	pinned   atomic.Bool
	cpus     []int
	all      unix.CPUSet // the CPUs this process may use
	firstTID atomic.Int32
	wake     chan struct{}
	quit     chan struct{} // closed when the first receiver returns
}

// Switching receiving modes (see notifier).
const (
	modeTick      = 20 * time.Millisecond
	parallelTicks = 2
	serialTicks   = 3
)

func (n *notifier) start(fatal func()) {
	n.fatal, n.done = fatal, make(chan struct{})
	n.wake, n.quit = make(chan struct{}, 1), make(chan struct{})
	if n.adapt && unix.SchedGetaffinity(0, &n.all) == nil {
		for cpu := 0; cpu < len(n.all)*64 && len(n.cpus) < 2; cpu++ {
			if n.all.IsSet(cpu) {
				n.cpus = append(n.cpus, cpu)
			}
		}
	}
	n.mu.Lock()
	n.spawn(false)
	if len(n.cpus) == 2 {
		n.live++
		n.wg.Add(1)
		go n.helper(n.cpus[1])
	}
	n.mu.Unlock()
	go n.watch()
}

// spawn starts a receiver; an extra one (from watch) returns once it is
// no longer needed (see serve). n.mu is held.
func (n *notifier) spawn(extra bool) {
	n.live++
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		// A receiver keeps its thread: the synchronous wake-up
		// switches from the stopped thread to the thread blocked in
		// NOTIF_RECV, a pinned receiver is a thread, and a goroutine
		// that moves between threads adds the runtime's hand-offs
		// (futex wake-ups, context switches) to every call.
		runtime.LockOSThread()
		var enough func() bool
		if extra {
			enough = func() bool { return n.s.waiting.Load() > 0 }
		} else {
			n.firstTID.Store(int32(unix.Gettid()))
			defer close(n.quit)
		}
		_, err := n.s.serve(n.fd, enough)
		n.ended(err)
	}()
}

// helper is the receiver pinned to cpu, which receives only in the
// pinned mode and is parked in the other. It returns when the tree is
// gone. n.wg and n.live count it.
func (n *notifier) helper(cpu int) {
	defer n.wg.Done()
	runtime.LockOSThread()
	var one unix.CPUSet
	one.Set(cpu)
	unix.SchedSetaffinity(0, &one)
	for {
		select {
		case <-n.wake:
		case <-n.quit:
			n.ended(nil)
			return
		}
		gone, err := n.s.serve(n.fd, func() bool { return !n.pinned.Load() })
		if gone || err != nil {
			n.ended(err)
			return
		}
	}
}

// ended records that a receiver returned, with err.
func (n *notifier) ended(err error) {
	n.mu.Lock()
	n.live--
	if err != nil && n.err == nil {
		n.err = fmt.Errorf("seccomp listener: %w", err)
	}
	n.mu.Unlock()
	if err != nil {
		n.fatal()
	}
}

// setPinned switches the receiving mode (see notifier).
func (n *notifier) setPinned(on bool) {
	tid := int(n.firstTID.Load())
	if on {
		if notifSetFlags(n.fd, 0) != nil {
			return
		}
		var one unix.CPUSet
		one.Set(n.cpus[0])
		unix.SchedSetaffinity(tid, &one)
		n.pinned.Store(true)
		select {
		case n.wake <- struct{}{}:
		default:
		}
		return
	}
	// The helper parks after its next call.
	n.pinned.Store(false)
	unix.SchedSetaffinity(tid, &n.all)
	notifSetFlags(n.fd, unix.SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)
}

// watch chooses the receiving mode every modeTick (see notifier), and
// starts another receiver when every receiver has been busy for two
// ticks of stuckAfter in a row and no call was received meanwhile (see
// maxReceivers). A new receiver is only started while another still runs,
// so wait's WaitGroup never goes from zero back up.
func (n *notifier) watch() {
	t := time.NewTicker(modeTick)
	defer t.Stop()
	last := n.s.n.Load()
	lastCheck := time.Now()
	ticks, parallel, serial := 0, 0, 0
	for {
		select {
		case <-n.done:
			return
		case <-t.C:
		}
		if len(n.cpus) == 2 {
			if n.s.callers.take() {
				parallel, serial = parallel+1, 0
			} else {
				parallel, serial = 0, serial+1
			}
			switch pinned := n.pinned.Load(); {
			case !pinned && parallel >= parallelTicks:
				n.setPinned(true)
			case pinned && serial >= serialTicks:
				n.setPinned(false)
			}
		}
		if time.Since(lastCheck) < stuckAfter {
			continue
		}
		lastCheck = time.Now()
		got := n.s.n.Load()
		if got == last && n.s.waiting.Load() == 0 {
			ticks++
		} else {
			ticks = 0
		}
		last = got
		n.mu.Lock()
		if ticks >= 2 && n.live > 0 && n.live < maxReceivers {
			n.spawn(true)
			ticks = 0
		}
		n.mu.Unlock()
	}
}

func (n *notifier) wait() error {
	n.wg.Wait()
	close(n.done)
	if n.err != nil {
		return n.err
	}
	return n.s.recordErr()
}

func (n *notifier) calls() uint64 { return n.s.n.Load() }
func (n *notifier) stop()         {}
