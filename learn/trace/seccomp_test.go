package trace

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestNotifSyncWakeUp checks that the listener accepts the synchronous
// wake-up flag on a kernel that has it (6.6+). The ioctl takes the flags
// by value; passing a pointer is EINVAL, which the tracer ignores (it
// only costs speed), so only a test can tell: for a while every run paid
// the slow round trip.
func TestNotifSyncWakeUp(t *testing.T) {
	requireTracing(t)
	type result struct {
		fd  int
		err error
	}
	done := make(chan result)
	go func() {
		// The filter stays on this thread, which dies with the
		// goroutine: it stays locked.
		runtime.LockOSThread()
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			done <- result{-1, err}
			return
		}
		// Stop nothing this thread calls: return ALLOW for every call
		// but an unused one, which goes to the listener.
		prog := []unix.SockFilter{
			{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0},
			{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: unix.SYS_ACCT, Jt: 0, Jf: 1},
			{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_USER_NOTIF},
			{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
		}
		fd, err := installFilter(prog)
		done <- result{fd, err}
	}()
	r := <-done
	if r.err != nil {
		t.Fatalf("install a filter with a listener: %v", r.err)
	}
	defer unix.Close(r.fd)
	// requireTracing skipped kernels before 6.6, which have no
	// SECCOMP_IOCTL_NOTIF_SET_FLAGS.
	if err := notifSetFlags(r.fd, unix.SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP); err != nil {
		t.Fatalf("SECCOMP_IOCTL_NOTIF_SET_FLAGS(SYNC_WAKE_UP): %v", err)
	}
}
