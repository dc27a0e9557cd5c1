package live

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/landlearn/landlearn/internal/command"
	"github.com/landlearn/landlearn/learn/audit"
)

// Timeouts of a Listener. They bound how long landlearn waits for the
// kernel before saying what is wrong; nothing is decided by them when the
// kernel answers.
var (
	// fenceTimeout bounds the wait for a fence record (see sendFence).
	// Missing it means the reader sees nothing.
	fenceTimeout = 10 * time.Second
	// deallocTimeout bounds the wait, after the command exits, for the
	// LANDLOCK_DOMAIN deallocated record of its domains, which carries
	// the kernel's denial count (the exact check for lost records). A
	// domain that outlives it is still held by a process the command left
	// behind.
	deallocTimeout = 3 * time.Second
)

// window is what a Listener collects between a start and an end fence.
type window struct {
	start   uint64            // serial of the start fence; 0 until it is seen
	fences  map[string]uint64 // nonce → serial
	serials serialSet
	// early are the serials delivered before start was known: the
	// kernel queues events in the order they end, not in serial order,
	// so an event numbered after the start fence can arrive before it
	// (and before begin has read the fence's serial).
	early    []uint64
	landlock map[uint64]bool // serials of events with a Landlock record
	parent   map[int]int     // pid → ppid, from SYSCALL records and /proc
	corr     *audit.Correlator
	unparsed int // Landlock records that did not parse
	overrun  int // Listener.overrun when the window opened
}

// recordAncestors notes pid's ancestors from /proc while they still run,
// to tell later whether a domain's creator descends from the command.
func (w *window) recordAncestors(pid int) {
	for range 64 {
		if _, ok := w.parent[pid]; ok || pid <= 1 {
			return
		}
		ppid, ok := readPPid(pid)
		if !ok {
			return
		}
		w.parent[pid] = ppid
		pid = ppid
	}
}

// descends says whether pid is root or one of its descendants, as far as
// the window knows.
func (w *window) descends(pid, root int) bool {
	for range 64 {
		if pid == root {
			return true
		}
		next, ok := w.parent[pid]
		if !ok || next <= 1 {
			return false
		}
		pid = next
	}
	return false
}

// wait blocks until cond (called with l.mu held) holds, the receive loop
// fails, ctx is done, or timeout passes (then it returns errTimeout).
func (l *Listener) wait(ctx context.Context, timeout time.Duration, cond func() bool) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		l.mu.Lock()
		ok, err, ch := cond(), l.err, l.changed
		l.mu.Unlock()
		if ok {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return errTimeout
		}
	}
}

var errTimeout = errors.New("timed out")

func newNonce() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// fence sends a fence and waits for it to come back; it returns its
// serial.
func (l *Listener) fence(ctx context.Context) (uint64, error) {
	nonce := newNonce()
	if err := l.sendFence(nonce); err != nil {
		return 0, err
	}
	var serial uint64
	err := l.wait(ctx, fenceTimeout, func() bool {
		serial = l.win.fences[nonce]
		return serial != 0
	})
	if errors.Is(err, errTimeout) {
		return 0, fmt.Errorf("%w: the audit reader sees nothing: a record landlearn logged did not come back on the audit multicast group within %v (is audit enabled? `auditctl -s`)", audit.ErrNoAudit, fenceTimeout)
	}
	return serial, err
}

// begin opens a window: from the start fence on, records are kept.
func (l *Listener) begin(ctx context.Context) (lost uint32, err error) {
	l.mu.Lock()
	if l.win != nil {
		l.mu.Unlock()
		return 0, errors.New("audit listener: a window is already open")
	}
	l.win = &window{fences: map[string]uint64{}, landlock: map[uint64]bool{}, parent: map[int]int{}, corr: audit.NewCorrelator(), overrun: l.overrun}
	l.mu.Unlock()
	st, err := l.status()
	if err != nil {
		l.abort()
		return 0, err
	}
	if st.Enabled == 0 {
		l.abort()
		return 0, fmt.Errorf("%w: audit is disabled (enabled=0): landlearn switches it on through session.Acquire; is another tool switching it off?", audit.ErrNoAudit)
	}
	start, err := l.fence(ctx)
	if err != nil {
		l.abort()
		return 0, err
	}
	l.mu.Lock()
	l.win.open(start)
	l.mu.Unlock()
	return st.Lost, nil
}

// open starts counting serials after start, the start fence's, with the
// ones that arrived before it was known.
func (w *window) open(start uint64) {
	w.start = start
	w.serials = newSerialSet(start)
	for _, s := range w.early {
		if s > start {
			w.serials.add(s)
		}
	}
	w.early = nil
}

func (l *Listener) abort() {
	l.mu.Lock()
	l.win = nil
	l.mu.Unlock()
}

// capture is what one window saw.
type capture struct {
	corr    *audit.Correlator
	window  *window
	end     uint64
	lost    uint32 // growth of the kernel's lost counter
	overrun int    // ENOBUFS on the socket
	missing uint64 // serials never seen
}

// loss lists why records may be missing from the capture.
func (c *capture) loss() []string {
	var reasons []string
	if c.overrun > 0 {
		reasons = append(reasons, fmt.Sprintf("the multicast socket overflowed %d times (ENOBUFS)", c.overrun))
	}
	if c.missing > 0 {
		reasons = append(reasons, fmt.Sprintf("%d audit events between the start and the end of the run never arrived (serial gaps)", c.missing))
	}
	if c.lost > 0 {
		reasons = append(reasons, fmt.Sprintf("the kernel's lost counter grew by %d (backlog limit or rate limit; see `auditctl -s`)", c.lost))
	}
	if c.window.unparsed > 0 {
		reasons = append(reasons, fmt.Sprintf("%d Landlock records did not parse", c.window.unparsed))
	}
	return reasons
}

// end closes the window after an end fence and returns what it saw.
// The window stays open, for late records such as deallocations: the
// caller closes it with abort.
func (l *Listener) end(ctx context.Context, lostBefore uint32) (*capture, error) {
	end, err := l.fence(ctx)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	missing := l.win.serials.missing(end)
	l.mu.Unlock()
	if missing > 0 {
		// An event whose serial is below the fence's may still have been
		// on its way into the queue: a second fence settles it.
		if _, err := l.fence(ctx); err != nil {
			return nil, err
		}
	}
	st, err := l.status()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return &capture{
		corr:    l.win.corr,
		window:  l.win,
		end:     end,
		lost:    st.Lost - lostBefore,
		overrun: l.overrun - l.win.overrun,
		missing: l.win.serials.missing(end),
	}, nil
}

// Run is what one command did under a logging Landlock domain, as the
// audit log tells it.
type Run struct {
	// PID is the command's pid, which created the domain.
	PID int
	// ExitCode is the command's end as a shell reports it (128+N for
	// signal N).
	ExitCode int
	// Domain is the command's domain; nil when it denied nothing (a
	// domain that denies nothing logs nothing) and the sandbox did not
	// mark it (enforce.Options.Mark).
	Domain *audit.Domain
	// Denials are the denials of Domain, but the mark.
	Denials []audit.Denial
	// Nested are domains that processes of the command created
	// themselves, and NestedDenials theirs: the kernel attributes a
	// denial to the youngest domain that denies it, so a program's own
	// sandbox can hide a denial of the policy's.
	Nested        []audit.Domain
	NestedDenials []audit.Denial
	// Loss is non-nil when records may have been lost: then an empty
	// Denials proves nothing. It wraps ErrLost.
	Loss error
	// Lingering lists domains whose deallocation did not arrive within
	// a few seconds: processes of the command still hold them.
	Lingering []string
}

// ErrLost is wrapped by Run.Loss.
var ErrLost = errors.New("audit records were lost")

// Command is what Observe runs: a command whose own process creates a
// logging Landlock domain (enforce.Command with Options.Log and
// Options.Mark, below a keeper.Tree), not yet started. Exec adapts an
// *exec.Cmd.
type Command interface {
	Start() error
	// Pid is the command's own pid, once started: the creator named by
	// its domain's LANDLOCK_DOMAIN record.
	Pid() int
	// Wait waits for the command's own process and returns its exit
	// status as a shell shows it (128+N for signal N).
	Wait() (int, error)
	// Kill ends the command and what it started, at once.
	Kill()
}

// Exec is an *exec.Cmd as a Command; Kill ends its own process only.
func Exec(c *exec.Cmd) Command { return execCommand{c} }

type execCommand struct{ c *exec.Cmd }

func (e execCommand) Start() error { return e.c.Start() }
func (e execCommand) Pid() int     { return e.c.Process.Pid }
func (e execCommand) Kill()        { e.c.Process.Kill() }
func (e execCommand) Wait() (int, error) {
	err := e.c.Wait()
	if e.c.ProcessState == nil {
		return 0, err
	}
	return command.ExitCode(e.c.ProcessState), nil
}

// Observe runs a command between two fences and returns what its domain,
// and the domains its processes created, denied. When ctx is done the
// command is killed, and Observe returns ctx's error along with what was
// seen; stopping it more gently (keeper.Tree.Stop) is the caller's, and
// then the run ends as any other.
func (l *Listener) Observe(ctx context.Context, cmd Command) (*Run, error) {
	lostBefore, err := l.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer l.abort()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	run := &Run{PID: cmd.Pid()}
	done := make(chan struct{})
	go func() {
		run.ExitCode, _ = cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		cmd.Kill()
		<-done
	}
	// The end fence must not be cancelled by the ctx that killed the
	// command: what the command did until then is still worth reading.
	seen, err := l.end(context.WithoutCancel(ctx), lostBefore)
	if err != nil {
		return nil, err
	}
	l.collect(context.WithoutCancel(ctx), run, seen)
	if err := ctx.Err(); err != nil {
		return run, err
	}
	return run, nil
}

// collect picks the run's domains from the capture, waits for their
// deallocation records, and decides whether records may have been lost.
func (l *Listener) collect(ctx context.Context, run *Run, c *capture) {
	l.mu.Lock()
	mark, marked := c.mark(run.PID)
	main, nested := c.pick(run.PID, mark.Domain)
	l.mu.Unlock()
	ids := slices.Sorted(maps.Keys(nested))
	if main != "" {
		ids = append([]string{main}, ids...)
	}
	// The deallocation records come after the end fence: keep the
	// correlator fed until they are in.
	var domains map[string]audit.Domain
	if len(ids) > 0 {
		err := l.wait(ctx, deallocTimeout, func() bool {
			domains = domainsByID(c.corr)
			for _, id := range ids {
				if !domains[id].Deallocated {
					return false
				}
			}
			return true
		})
		if err != nil && !errors.Is(err, errTimeout) {
			run.Loss = fmt.Errorf("%w: %v", ErrLost, err)
		}
	}
	l.abort() // the correlator is ours alone from here on
	domains = domainsByID(c.corr)
	for _, d := range c.corr.Denials() {
		switch {
		case marked && d.Serial == mark.Serial && d.Domain == mark.Domain:
			// landlearn's own, not the program's
		case d.Domain == main && main != "":
			run.Denials = append(run.Denials, d)
		case nested[d.Domain]:
			run.NestedDenials = append(run.NestedDenials, d)
		}
	}
	var reasons []string
	for _, id := range ids {
		d := domains[id]
		if id == main {
			run.Domain = &d
		} else {
			run.Nested = append(run.Nested, d)
		}
		switch {
		case !d.Deallocated:
			run.Lingering = append(run.Lingering, id)
		case d.Denials > d.Logged:
			reasons = append(reasons, fmt.Sprintf("domain %s denied %d accesses, %d records arrived", id, d.Denials, d.Logged))
		}
	}
	reasons = append(reasons, c.loss()...)
	if len(reasons) > 0 && run.Loss == nil {
		run.Loss = fmt.Errorf("%w: %s", ErrLost, strings.Join(reasons, "; "))
	}
}

// mark returns the first denial of enforce.Options.Mark by pid: a ptrace
// access (process_vm_readv) that the sandbox attempts in the policy's
// domain before it execs the program.
func (c *capture) mark(pid int) (audit.Denial, bool) {
	for _, d := range c.corr.Denials() {
		if d.PID == pid && d.SyscallName == "process_vm_readv" && slices.Equal(d.Blockers, []string{"ptrace"}) {
			return d, true
		}
	}
	return audit.Denial{}, false
}

// pick returns the command's domain and those the command's processes
// created themselves: marked is the command's domain when the sandbox
// marked it (enforce.Options.Mark), and every other domain created by
// pid or its descendants is nested; the program may sandbox itself after
// the exec, in the very process that holds the policy's domain. Without
// a mark, the domain pid created first (domain ids grow) is the command's.
func (c *capture) pick(pid int, marked string) (main string, nested map[string]bool) {
	nested = map[string]bool{}
	main = marked
	var own []string
	for _, d := range c.corr.Domains() {
		switch {
		case !d.Allocated || d.ID == main:
		case d.PID == pid && marked == "":
			own = append(own, d.ID)
		case d.PID == pid || c.window.descends(d.PID, pid):
			nested[d.ID] = true
		}
	}
	if len(own) > 0 {
		slices.SortFunc(own, func(a, b string) int { return cmp.Compare(domainNumber(a), domainNumber(b)) })
		main = own[0]
		for _, id := range own[1:] {
			nested[id] = true
		}
	}
	return main, nested
}

// domainNumber is a domain id's value (the kernel prints it in hex).
func domainNumber(id string) uint64 {
	n, _ := strconv.ParseUint(id, 16, 64)
	return n
}

func domainsByID(c *audit.Correlator) map[string]audit.Domain {
	m := map[string]audit.Domain{}
	for _, d := range c.Domains() {
		m[d.ID] = d
	}
	return m
}
