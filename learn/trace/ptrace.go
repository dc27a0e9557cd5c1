package trace

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Accurate mode: ptrace + SECCOMP_RET_TRACE, with the filter of the
// default mode. The tracer sees a call at its seccomp stop (prepareCall, as
// in the default mode), lets it run to its syscall-exit stop, and gives
// Finish the real return value and, for an open, the real path of the
// new fd. It costs two stops per filtered call instead of one wake-up,
// and every ptrace request must come from the thread that attached, so
// one locked OS thread does all the work.
//
// Without a filter: when the tracee already runs under a seccomp
// supervisor (a listener: SECCOMP_RET_USER_NOTIF takes precedence over
// SECCOMP_RET_TRACE, so its calls would never stop for this tracer), no
// filter is installed; every call stops at entry and exit
// (PTRACE_SYSCALL) and the tracer runs the filter program itself
// (runFilter) to pick the calls to look at. Correct, and slow.
//
// Restarted calls: a call interrupted by a signal exits with one of the
// kernel-internal ERESTART* values and enters the filter again when it
// is restarted; the interrupted attempt is dropped.

const (
	// Kernel-internal errnos a tracer sees at syscall exit when the call
	// will be restarted (include/linux/errno.h).
	errRestartSys         = 512
	errRestartNoIntr      = 513
	errRestartNoHand      = 514
	errRestartRestartBlck = 516

	ptraceOptions = unix.PTRACE_O_TRACESECCOMP | unix.PTRACE_O_EXITKILL |
		unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK | unix.PTRACE_O_TRACECLONE |
		unix.PTRACE_O_TRACEEXEC | unix.PTRACE_O_TRACESYSGOOD
)

// ptraceSyscallInfo is struct ptrace_syscall_info; the union holds, at
// a seccomp stop, nr and args, and at an exit stop, rval and is_error.
type ptraceSyscallInfo struct {
	Op    uint8
	_     [3]uint8
	Arch  uint32
	IP    uint64
	SP    uint64
	Union [8]uint64
}

// ptracer is the accurate mode's supervisor.
type ptracer struct {
	s *session
	// prog is set when no filter is installed: the tracer evaluates it.
	prog    []unix.SockFilter
	attachc chan attachReq
	quit    chan struct{}
	done    chan error
}

type attachReq struct {
	pid   int
	tree  procTree
	reply chan error
}

// inFlight is a call between its seccomp stop and its exit stop.
type inFlight struct {
	c       sysCall
	t       *procTracee
	pending prepared
	newFD   bool
}

func newPtracer(s *session, prog []unix.SockFilter) *ptracer {
	p := &ptracer{s: s, prog: prog, attachc: make(chan attachReq), quit: make(chan struct{}), done: make(chan error, 1)}
	go p.loop()
	return p
}

// attach seizes the helper, which waits for "go" with the filter
// installed: from then on every filtered call of it and of its
// descendants stops for this tracer.
func (p *ptracer) attach(pid int, tree procTree) error {
	r := attachReq{pid: pid, tree: tree, reply: make(chan error)}
	p.attachc <- r
	return <-r.reply
}

// start: serving began at attach. A fatal error ends the tracing
// thread, and PTRACE_O_EXITKILL kills every tracee with it.
func (p *ptracer) start(func()) {}
func (p *ptracer) wait() error {
	if err := <-p.done; err != nil {
		return err
	}
	return p.s.recordErr()
}
func (p *ptracer) calls() uint64 { return p.s.n.Load() }

// stop ends the tracing thread if nothing was attached.
func (p *ptracer) stop() { close(p.quit) }

// loop owns the tracing thread. It never unlocks it: the thread ends
// with the goroutine, and nothing else ever runs on a thread that is a
// tracer.
func (p *ptracer) loop() {
	runtime.LockOSThread()
	var r attachReq
	select {
	case r = <-p.attachc:
	case <-p.quit:
		return
	}
	p.s.tree = r.tree
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SEIZE, uintptr(r.pid), 0, ptraceOptions, 0, 0)
	if errno != 0 {
		r.reply <- fmt.Errorf("ptrace(PTRACE_SEIZE, %d): %w", r.pid, errno)
		return
	}
	if p.prog != nil {
		// Stop it, so the first resume can be PTRACE_SYSCALL.
		unix.PtraceInterrupt(r.pid)
	}
	r.reply <- nil
	p.done <- p.serve()
}

// serve handles stops until no tracee is left. __WNOTHREAD: only this
// thread's tracees, never the keeper, which os/exec waits for.
func (p *ptracer) serve() error {
	flight := map[int]*inFlight{}
	resume := func(tid, sig int) {
		req := unix.PTRACE_CONT
		if flight[tid] != nil || p.prog != nil {
			req = unix.PTRACE_SYSCALL
		}
		unix.Syscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), 0, uintptr(sig), 0, 0)
	}
	for {
		var ws unix.WaitStatus
		tid, err := unix.Wait4(-1, &ws, unix.WALL|unix.WNOTHREAD, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.ECHILD) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("wait for tracees: %w", err)
		}
		switch {
		case ws.Exited() || ws.Signaled():
			// Killed in the middle of a call (exit_group by another
			// thread, SIGKILL): the prediction is all there is.
			if f := flight[tid]; f != nil {
				delete(flight, tid)
				p.s.record(tid, &f.c, f.pending.Finish(nil))
			}
			continue
		case !ws.Stopped():
			continue
		}
		sig := ws.StopSignal()
		event := int(ws) >> 16
		switch {
		case sig == unix.SIGTRAP|0x80: // syscall-entry (without filter) or -exit stop
			var info ptraceSyscallInfo
			if getSyscallInfo(tid, &info) == nil {
				switch info.Op {
				case unix.PTRACE_SYSCALL_INFO_ENTRY:
					if p.prog != nil && p.wanted(&info) {
						p.entryStop(tid, &info, flight)
					}
				case unix.PTRACE_SYSCALL_INFO_EXIT:
					p.exitStop(tid, &info, flight)
				}
			}
			resume(tid, 0)
		case sig == unix.SIGTRAP && event == unix.PTRACE_EVENT_SECCOMP:
			var info ptraceSyscallInfo
			if getSyscallInfo(tid, &info) == nil && info.Op == unix.PTRACE_SYSCALL_INFO_SECCOMP {
				p.entryStop(tid, &info, flight)
			}
			resume(tid, 0)
		case sig == unix.SIGTRAP && event == unix.PTRACE_EVENT_EXEC:
			// An exec from a thread that is not the leader: the thread
			// takes the leader's id, and its call in flight moves along.
			if old, err := unix.PtraceGetEventMsg(tid); err == nil && int(old) != tid {
				if f := flight[int(old)]; f != nil {
					delete(flight, int(old))
					flight[tid] = f
				}
			}
			resume(tid, 0)
		case sig == unix.SIGTRAP && event != 0: // fork, vfork, clone
			resume(tid, 0)
		case event == unix.PTRACE_EVENT_STOP:
			if sig == unix.SIGSTOP || sig == unix.SIGTSTP || sig == unix.SIGTTIN || sig == unix.SIGTTOU {
				// Group stop: stay stopped until SIGCONT, as without a tracer.
				unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_LISTEN, uintptr(tid), 0, 0, 0, 0)
				continue
			}
			resume(tid, 0) // a new tracee's first stop
		default:
			resume(tid, int(sig)) // signal-delivery stop: deliver it
		}
	}
}

func getSyscallInfo(tid int, info *ptraceSyscallInfo) error {
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GET_SYSCALL_INFO, uintptr(tid), unsafe.Sizeof(*info), uintptr(unsafe.Pointer(info)), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// wanted runs the filter program on a call at its entry stop.
func (p *ptracer) wanted(info *ptraceSyscallInfo) bool {
	d := seccompData{Nr: int32(info.Union[0]), Arch: info.Arch, IP: info.IP}
	copy(d.Args[:], info.Union[1:7])
	return runFilter(p.prog, &d)&unix.SECCOMP_RET_ACTION_FULL == unix.SECCOMP_RET_TRACE
}

// entryStop looks at a call before it runs: info is from its seccomp
// stop, or its entry stop when there is no filter (same layout).
func (p *ptracer) entryStop(tid int, info *ptraceSyscallInfo, flight map[int]*inFlight) {
	p.s.n.Add(1)
	arch, ok := archOf(info.Arch, int32(info.Union[0]))
	if !ok {
		return
	}
	t := newProcTracee(tid, p.s, nil) // accurate mode walks every path in full
	c := sysCall{Seq: p.s.seq.Add(1), TID: tid, PID: t.tgid(), Arch: arch, Nr: int(info.Union[0])}
	copy(c.Args[:], info.Union[1:7])
	e := lookupSyscall(arch, c.Nr)
	if pend := p.s.prepare(&c, t, e); pend != nil {
		flight[tid] = &inFlight{c: c, t: t, pending: pend, newFD: e != nil && e.opensFD()}
	}
}

// exitStop finishes a call with its result.
func (p *ptracer) exitStop(tid int, info *ptraceSyscallInfo, flight map[int]*inFlight) {
	f := flight[tid]
	if f == nil {
		return
	}
	delete(flight, tid)
	ret := int64(info.Union[0])
	switch -ret {
	case errRestartSys, errRestartNoIntr, errRestartNoHand, errRestartRestartBlck:
		return // it enters the filter again when restarted
	}
	res := callResult{Ret: ret}
	if ret >= 0 && f.newFD {
		res.FDPath, _ = f.t.FDPath(int(ret))
	}
	p.s.record(tid, &f.c, f.pending.Finish(&res))
}
