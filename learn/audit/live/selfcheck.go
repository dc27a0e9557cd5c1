package live

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/kernel"
	"github.com/landlearn/landlearn/learn/audit"
)

// Supported returns nil when the running kernel's Landlock logs denials
// to audit, or an error wrapping audit.ErrNoAudit that says why not: no
// Landlock, or an ABI older than kernel.LogABI.
func Supported() error {
	k, err := kernel.Running()
	if err != nil {
		return fmt.Errorf("%w: %v", audit.ErrNoAudit, err)
	}
	if k.ABI < kernel.LogABI {
		return fmt.Errorf("%w: Landlock ABI %d cannot log denials; audit logging needs ABI %d (Linux 6.15)", audit.ErrNoAudit, k.ABI, kernel.LogABI)
	}
	return nil
}

// SelfCheck proves that the listener sees Landlock denials before
// anybody trusts its silence: a domain that denies nothing logs nothing,
// so "no denials" and "a reader that sees nothing" look alike. It
// restricts one throwaway OS thread of this process (read_file handled,
// nothing granted), makes it open a fresh temporary file, and waits for
// that denial's record. The thread is never given back to the Go runtime,
// which ends it; the rest of the process stays unrestricted.
func (l *Listener) SelfCheck(ctx context.Context) error {
	if err := Supported(); err != nil {
		return err
	}
	f, err := os.CreateTemp("", "landlearn-selfcheck-*")
	if err != nil {
		return fmt.Errorf("self-check: %w", err)
	}
	path := f.Name()
	f.Close()
	defer os.Remove(path)

	lostBefore, err := l.begin(ctx)
	if err != nil {
		return err
	}
	defer l.abort()
	if err := denyInThrowawayThread(path); err != nil {
		return err
	}
	c, err := l.end(ctx, lostBefore)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	mine := map[string]bool{}
	for _, d := range c.corr.Domains() {
		if d.Allocated && d.PID == os.Getpid() {
			mine[d.ID] = true
		}
	}
	for _, d := range c.corr.Denials() {
		if mine[d.Domain] && d.Path == path {
			return nil
		}
	}
	if reasons := c.loss(); len(reasons) > 0 {
		return fmt.Errorf("%w: self-check: the deliberate denial's record did not arrive: %s", ErrLost, strings.Join(reasons, "; "))
	}
	return fmt.Errorf("%w: the audit reader sees nothing of Landlock: a deliberate denial (reading %s in a throwaway domain) was not logged, although audit records arrive; check that no audit rule excludes LANDLOCK_ACCESS (type 1423)", audit.ErrNoAudit, path)
}

// denyInThrowawayThread makes one OS thread open path for reading under
// a Landlock domain that grants nothing, and ends that thread.
func denyInThrowawayThread(path string) error {
	errc := make(chan error, 1)
	go func() {
		// No UnlockOSThread: the runtime ends this thread with the
		// goroutine instead of reusing a restricted thread.
		runtime.LockOSThread()
		errc <- restrictedOpen(path)
	}()
	return <-errc
}

func restrictedOpen(path string) error {
	attr := unix.LandlockRulesetAttr{Handled_access_fs: unix.LANDLOCK_ACCESS_FS_READ_FILE}
	// The kernel takes the struct up to its own size; the fields newer
	// than the running ABI are zero, which it accepts.
	fd, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr), 0)
	if errno != 0 {
		return fmt.Errorf("self-check: landlock_create_ruleset: %w", errno)
	}
	defer unix.Close(int(fd))
	// no_new_privs on this thread only (prctl acts on the calling task);
	// root would not need it, other users do.
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("self-check: set no_new_privs: %w", err)
	}
	if _, _, errno := unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, fd, 0, 0); errno != 0 {
		return fmt.Errorf("self-check: landlock_restrict_self: %w", errno)
	}
	g, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		unix.Close(g)
		return fmt.Errorf("self-check: %s opened under a domain that grants nothing: Landlock does not enforce", path)
	}
	if !errors.Is(err, unix.EACCES) {
		return fmt.Errorf("self-check: open %s: want EACCES from Landlock, got %w", path, err)
	}
	return nil
}
