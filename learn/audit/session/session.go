package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"

	"github.com/landlearn/landlearn/internal/procfs"

	libaudit "github.com/elastic/go-libaudit/v2"

	"github.com/landlearn/landlearn/learn/audit/internal/netlink"
)

// Where landlearn processes coordinate their use of the audit subsystem.
// The lock guards the state file; it is held only while a process joins or
// leaves, never while a program runs, so concurrent sessions do not wait
// for each other. StatePath lists the processes using audit and what the
// first of them changed.
const (
	lockPath  = "/run/lock/landlearn-audit.lock"
	StatePath = "/run/lock/landlearn-audit.state"
)

// wantBacklog is the backlog limit a session raises the kernel's to when
// it is lower. Landlock logs from atomic context: when the backlog is full
// its records are dropped at once, not waited for, and the kernel default
// (64) fills up with one busy compiler.
const wantBacklog = 8192

// Session is this process's use of the audit subsystem: while one is open,
// audit is enabled and the backlog is at least wantBacklog (8192). The kernel's
// enabled flag and backlog limit are global, so every landlearn process
// (and every test binary) registers in a shared state file under a file
// lock; the last one to leave restores what the first one found. A process
// killed with SIGKILL stays listed until the next landlearn notices that
// it is gone (its pid and start time no longer match) and takes its
// place, so the original state is restored one run later.
type Session struct {
	once sync.Once
	err  error
	// Notices are things the user should know (audit was switched on, the
	// backlog was raised); print them on stderr.
	Notices []string
}

// inProcess counts this process's open sessions: the state file lists a
// process once, however many sessions its goroutines hold.
var inProcess struct {
	mu      sync.Mutex
	n       int
	notices []string
}

// Acquire opens a session: it enables audit and raises the backlog limit
// if needed. It needs CAP_AUDIT_CONTROL when audit is off or the backlog
// low; the error then names what is missing. Release the session when
// done, also on Ctrl-C.
func Acquire() (*Session, error) {
	inProcess.mu.Lock()
	defer inProcess.mu.Unlock()
	if inProcess.n == 0 {
		notices, err := defaultCoordinator().join()
		if err != nil {
			return nil, err
		}
		inProcess.notices = notices
	}
	inProcess.n++
	return &Session{Notices: inProcess.notices}, nil
}

// Release closes the session; the last session of the last landlearn
// process restores the enabled flag and the backlog limit. Calling it
// again does nothing.
func (s *Session) Release() error {
	s.once.Do(func() {
		inProcess.mu.Lock()
		defer inProcess.mu.Unlock()
		inProcess.n--
		if inProcess.n == 0 {
			s.err = defaultCoordinator().leave()
		}
	})
	return s.err
}

// Recover restores the audit settings that landlearn processes which no
// longer run had changed, when no running one uses audit: a landlearn
// killed with SIGKILL could not restore them itself. It reports whether
// it restored anything. Commands call it when they start; it does nothing
// in a process that holds a session.
func Recover() (bool, error) {
	if _, err := os.Stat(StatePath); err != nil {
		return false, nil
	}
	inProcess.mu.Lock()
	defer inProcess.mu.Unlock()
	if inProcess.n > 0 {
		return false, nil
	}
	c := defaultCoordinator()
	restored := false
	err := c.locked(func(st *sharedState) error {
		if len(st.Users) > 0 || !st.changed() {
			return nil
		}
		restored = true
		return c.leaveState(st)
	})
	return restored, err
}

// Enabled reports whether the kernel's audit is on (AUDIT_GET; it needs
// CAP_AUDIT_CONTROL). Landlock logs nothing while it is off, also for
// domains created with logging on (landlearn run --log).
func Enabled() (bool, error) {
	c, err := netlink.Dial()
	if err != nil {
		return false, err
	}
	defer c.Close()
	st, err := c.Status()
	if err != nil {
		return false, err
	}
	return st.Enabled != 0, nil
}

// controller is the part of the audit control socket that the
// coordinator uses (an interface so that the bookkeeping can be tested
// without changing the machine's audit state).
type controller interface {
	Status() (*libaudit.AuditStatus, error)
	SetEnabled(bool) error
	SetBacklogLimit(uint32) error
	Close() error
}

// user identifies a process across pid reuse.
type user struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"` // /proc/PID/stat field 22, clock ticks after boot
}

// sharedState is the state file: who uses audit, and what the first of
// them found and changed.
type sharedState struct {
	Users         []user `json:"users"`
	EnabledBefore uint32 `json:"enabled_before"`
	SetEnabled    bool   `json:"set_enabled,omitempty"`
	BacklogBefore uint32 `json:"backlog_before"`
	SetBacklog    uint32 `json:"set_backlog,omitempty"`
}

func (s *sharedState) changed() bool { return s.SetEnabled || s.SetBacklog != 0 }

type coordinator struct {
	lock, state string
	self        user
	dial        func() (controller, error)
	alive       func(user) bool
}

func defaultCoordinator() *coordinator {
	return &coordinator{
		lock:  lockPath,
		state: StatePath,
		self:  selfUser(),
		dial: func() (controller, error) {
			c, err := netlink.Dial()
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		alive: processAlive,
	}
}

// join registers c.self and switches audit on; it returns notices.
func (c *coordinator) join() ([]string, error) {
	var notices []string
	err := c.locked(func(st *sharedState) error {
		var err error
		if notices, err = c.joinState(st); err != nil {
			// Undo what was changed before the failure, unless others
			// use it.
			return errors.Join(err, c.leaveState(st))
		}
		return nil
	})
	return notices, err
}

// joinState is join on a state already read under the lock.
func (c *coordinator) joinState(st *sharedState) (notices []string, err error) {
	ctl, err := c.dial()
	if err != nil {
		return nil, err
	}
	defer ctl.Close()
	status, err := ctl.Status()
	if err != nil {
		return nil, fmt.Errorf("read the audit status: %w", err)
	}
	if len(st.Users) == 0 && !st.changed() {
		st.EnabledBefore = status.Enabled
		st.BacklogBefore = status.BacklogLimit
	}
	if status.Enabled == 0 {
		if err := ctl.SetEnabled(true); err != nil {
			return notices, fmt.Errorf("audit is off and switching it on failed: %w", err)
		}
		st.SetEnabled = true
		notices = append(notices, "audit was off: switched it on for this run (restored when landlearn exits)")
	}
	if status.Enabled != 2 && status.BacklogLimit != 0 && status.BacklogLimit < wantBacklog {
		if err := ctl.SetBacklogLimit(wantBacklog); err != nil {
			return notices, fmt.Errorf("raise the audit backlog limit from %d to %d: %w", status.BacklogLimit, wantBacklog, err)
		}
		if st.SetBacklog == 0 {
			st.BacklogBefore = status.BacklogLimit
		}
		st.SetBacklog = wantBacklog
		notices = append(notices, fmt.Sprintf("raised the audit backlog limit from %d to %d for this run", status.BacklogLimit, wantBacklog))
	}
	st.Users = append(st.Users, c.self)
	return notices, nil
}

// leave unregisters c.self; when nobody is left it restores what the
// first user changed, unless someone else changed it since: audit stays
// on when an audit daemon registered meanwhile, and a backlog limit that
// is no longer ours is left alone.
func (c *coordinator) leave() error { return c.locked(c.leaveState) }

// leaveState is leave on a state already read under the lock.
func (c *coordinator) leaveState(st *sharedState) error {
	st.Users = slices.DeleteFunc(st.Users, func(u user) bool { return u == c.self })
	if len(st.Users) > 0 || !st.changed() {
		return nil
	}
	ctl, err := c.dial()
	if err != nil {
		return err
	}
	defer ctl.Close()
	status, err := ctl.Status()
	if err != nil {
		return fmt.Errorf("read the audit status: %w", err)
	}
	if st.SetBacklog != 0 && status.BacklogLimit == st.SetBacklog {
		if err := ctl.SetBacklogLimit(st.BacklogBefore); err != nil {
			return fmt.Errorf("restore the audit backlog limit to %d: %w", st.BacklogBefore, err)
		}
	}
	st.SetBacklog = 0
	if st.SetEnabled && status.Enabled == 1 && status.PID == 0 && st.EnabledBefore == 0 {
		if err := ctl.SetEnabled(false); err != nil {
			return fmt.Errorf("switch audit back off: %w", err)
		}
	}
	st.SetEnabled = false
	return nil
}

// locked runs f on the state file under the lock, with c.self and dead
// processes already removed from the users, and writes back what f left
// (removing the file when nobody uses audit and nothing is to restore).
// The state is written back even when f fails half-way, so that what was
// changed is restored later.
func (c *coordinator) locked(f func(*sharedState) error) error {
	if err := os.MkdirAll(filepath.Dir(c.lock), 0o755); err != nil {
		return fmt.Errorf("audit lock: %w", err)
	}
	lf, err := os.OpenFile(c.lock, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("audit lock: %w", err)
	}
	defer lf.Close()
	for {
		err = syscall.Flock(int(lf.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("lock %s: %w", c.lock, err)
	}
	defer syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)

	st, err := c.read()
	if err != nil {
		return err
	}
	st.Users = slices.DeleteFunc(st.Users, func(u user) bool { return u == c.self || !c.alive(u) })
	ferr := f(st)
	if err := c.write(st); err != nil {
		return errors.Join(ferr, err)
	}
	return ferr
}

func (c *coordinator) read() (*sharedState, error) {
	st := &sharedState{}
	data, err := os.ReadFile(c.state)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the audit state file: %w", err)
	}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("%s: %v; it records what audit settings landlearn changed: check `auditctl -s` and remove the file", c.state, err)
	}
	return st, nil
}

func (c *coordinator) write(st *sharedState) error {
	if len(st.Users) == 0 && !st.changed() {
		if err := os.Remove(c.state); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove the audit state file: %w", err)
		}
		return nil
	}
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp := c.state + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write the audit state file: %w", err)
	}
	if err := os.Rename(tmp, c.state); err != nil {
		return fmt.Errorf("write the audit state file: %w", err)
	}
	return nil
}

func selfUser() user {
	pid := os.Getpid()
	start, _ := procfs.StartTime(pid)
	return user{PID: pid, Start: start}
}

// processAlive says whether u still runs: same pid, same start time.
func processAlive(u user) bool {
	start, err := procfs.StartTime(u.PID)
	return err == nil && start == u.Start
}
