package session

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/landlearn/landlearn/internal/procfs"

	libaudit "github.com/elastic/go-libaudit/v2"

	"github.com/landlearn/landlearn/internal/testkit"
)

// fakeAudit is the kernel's enabled flag and backlog limit, for the
// bookkeeping tests; the real kernel is in TestEnableRealKernel.
type fakeAudit struct {
	st libaudit.AuditStatus
}

func (f *fakeAudit) Status() (*libaudit.AuditStatus, error) { s := f.st; return &s, nil }
func (f *fakeAudit) SetEnabled(on bool) error {
	if f.st.Enabled == 2 {
		return syscall.EPERM
	}
	f.st.Enabled = 0
	if on {
		f.st.Enabled = 1
	}
	return nil
}
func (f *fakeAudit) SetBacklogLimit(n uint32) error {
	f.st.BacklogLimit = n
	return nil
}
func (f *fakeAudit) Close() error { return nil }

func fakeCoordinators(t *testing.T, k *fakeAudit, alive map[int]bool, pids ...int) []*coordinator {
	dir := t.TempDir()
	var cs []*coordinator
	for _, pid := range pids {
		cs = append(cs, &coordinator{
			lock:  filepath.Join(dir, "lock"),
			state: filepath.Join(dir, "state"),
			self:  user{PID: pid, Start: 1},
			dial:  func() (controller, error) { return k, nil },
			alive: func(u user) bool { return alive[u.PID] },
		})
	}
	return cs
}

func TestCoordinatorLastOneRestores(t *testing.T) {
	k := &fakeAudit{st: libaudit.AuditStatus{Enabled: 0, BacklogLimit: 64}}
	alive := map[int]bool{1: true, 2: true}
	cs := fakeCoordinators(t, k, alive, 1, 2)
	notices, err := cs[0].join()
	if err != nil {
		t.Fatal(err)
	}
	if k.st.Enabled != 1 || k.st.BacklogLimit != wantBacklog || len(notices) != 2 {
		t.Fatalf("after first join: %+v, notices %q", k.st, notices)
	}
	if _, err := cs[1].join(); err != nil {
		t.Fatal(err)
	}
	if err := cs[0].leave(); err != nil {
		t.Fatal(err)
	}
	if k.st.Enabled != 1 {
		t.Fatal("the first user to leave switched audit off under the second")
	}
	if err := cs[1].leave(); err != nil {
		t.Fatal(err)
	}
	if k.st.Enabled != 0 || k.st.BacklogLimit != 64 {
		t.Fatalf("after the last leave: %+v, want enabled 0, backlog 64", k.st)
	}
	if _, err := os.Stat(cs[0].state); !os.IsNotExist(err) {
		t.Errorf("state file left behind: %v", err)
	}
}

// A user killed with SIGKILL never leaves: the next one takes over and
// restores what the dead one found.
func TestCoordinatorCrashedUser(t *testing.T) {
	k := &fakeAudit{st: libaudit.AuditStatus{Enabled: 0, BacklogLimit: 64}}
	alive := map[int]bool{1: true, 2: true}
	cs := fakeCoordinators(t, k, alive, 1, 2)
	if _, err := cs[0].join(); err != nil {
		t.Fatal(err)
	}
	alive[1] = false
	if _, err := cs[1].join(); err != nil {
		t.Fatal(err)
	}
	if err := cs[1].leave(); err != nil {
		t.Fatal(err)
	}
	if k.st.Enabled != 0 || k.st.BacklogLimit != 64 {
		t.Fatalf("after the crash and the next run: %+v, want enabled 0, backlog 64", k.st)
	}
}

func TestCoordinatorLeavesOthersChanges(t *testing.T) {
	k := &fakeAudit{st: libaudit.AuditStatus{Enabled: 0, BacklogLimit: 64}}
	cs := fakeCoordinators(t, k, map[int]bool{1: true}, 1)
	if _, err := cs[0].join(); err != nil {
		t.Fatal(err)
	}
	// auditd starts meanwhile: it registers and sets its own backlog.
	k.st.PID = 999
	k.st.BacklogLimit = 16384
	if err := cs[0].leave(); err != nil {
		t.Fatal(err)
	}
	if k.st.Enabled != 1 || k.st.BacklogLimit != 16384 {
		t.Fatalf("%+v: audit must stay on for auditd, with its backlog", k.st)
	}
}

func TestCoordinatorAlreadyOn(t *testing.T) {
	k := &fakeAudit{st: libaudit.AuditStatus{Enabled: 1, BacklogLimit: 0}}
	cs := fakeCoordinators(t, k, map[int]bool{1: true}, 1)
	notices, err := cs[0].join()
	if err != nil {
		t.Fatal(err)
	}
	if len(notices) != 0 || k.st.BacklogLimit != 0 {
		t.Errorf("changed an enabled, unlimited audit: %+v, %q", k.st, notices)
	}
	if err := cs[0].leave(); err != nil {
		t.Fatal(err)
	}
	if k.st.Enabled != 1 {
		t.Error("switched off an audit it did not switch on")
	}
}

func TestCoordinatorLocked(t *testing.T) {
	k := &fakeAudit{st: libaudit.AuditStatus{Enabled: 2, BacklogLimit: 64}}
	cs := fakeCoordinators(t, k, map[int]bool{1: true}, 1)
	if _, err := cs[0].join(); err != nil {
		t.Fatalf("immutable, enabled audit: %v", err)
	}
	if err := cs[0].leave(); err != nil {
		t.Fatal(err)
	}
}

func TestStartTime(t *testing.T) {
	cmd := exec.Command("sleep", "10")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	u := user{PID: cmd.Process.Pid}
	var err error
	if u.Start, err = procfs.StartTime(u.PID); err != nil {
		t.Fatal(err)
	}
	if !processAlive(u) {
		t.Error("a running process is not alive")
	}
	cmd.Process.Kill()
	cmd.Wait()
	if processAlive(u) {
		t.Error("a reaped process is alive")
	}
	if processAlive(user{PID: os.Getpid(), Start: u.Start + 1_000_000}) {
		t.Error("a pid with another start time is alive")
	}
}

// TestEnableRealKernel switches the real kernel's audit on and back,
// holding the lock the whole time so that no other landlearn process or
// test package joins in between; when others are already registered it
// checks that audit stays on for them.
func TestEnableRealKernel(t *testing.T) {
	testkit.RequireRoot(t, "changing the audit state needs CAP_AUDIT_CONTROL")
	c := defaultCoordinator()
	ctl, err := c.dial()
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close()
	err = c.locked(func(st *sharedState) error {
		baseline, err := ctl.Status()
		if err != nil {
			return err
		}
		others := len(st.Users) > 0
		forcedOff := false
		if !others && baseline.Enabled == 1 && baseline.PID == 0 {
			// Exercise the off → on → off path: nobody uses audit now.
			if err := ctl.SetEnabled(false); err != nil {
				return err
			}
			forcedOff = true
			defer ctl.SetEnabled(true)
		}
		before, err := ctl.Status()
		if err != nil {
			return err
		}
		if _, err := c.joinState(st); err != nil {
			return err
		}
		on, err := ctl.Status()
		if err != nil {
			return err
		}
		if on.Enabled == 0 || (on.BacklogLimit != 0 && on.BacklogLimit < wantBacklog) {
			t.Errorf("joined: enabled=%d backlog=%d", on.Enabled, on.BacklogLimit)
		}
		if err := c.leaveState(st); err != nil {
			return err
		}
		after, err := ctl.Status()
		if err != nil {
			return err
		}
		if others {
			if after.Enabled == 0 {
				t.Error("switched audit off while other landlearn processes use it")
			}
		} else if after.Enabled != before.Enabled || after.BacklogLimit != before.BacklogLimit {
			t.Errorf("not restored: before enabled=%d backlog=%d, after enabled=%d backlog=%d (forced off: %v)",
				before.Enabled, before.BacklogLimit, after.Enabled, after.BacklogLimit, forcedOff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
