package netlink

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/testkit"
)

// Close ends a Next that waits for a record: a netlink socket has no
// shutdown(2), and closing it does not wake a blocked recvfrom(2). The
// socket joins no group, so that no record of the machine's wakes Next
// instead, and the test closes the reader once its thread sleeps in poll.
func TestCloseWakesNext(t *testing.T) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_AUDIT)
	if err != nil {
		testkit.Skip(t, "no audit netlink socket: %v", err)
	}
	if _, err := bind(fd, 0); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	r, err := newReader(fd)
	if err != nil {
		t.Fatal(err)
	}
	tid := make(chan int, 1)
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid <- unix.Gettid()
		for {
			if _, _, err := r.Next(); err != nil && !errors.Is(err, unix.ENOBUFS) {
				done <- err
				return
			}
		}
	}()
	waitInPoll(t, <-tid)
	closed := make(chan error, 1)
	go func() { closed <- r.Close() }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Next after Close: %v, want ErrClosed", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Close did not end a waiting Next")
	}
	if err := <-closed; err != nil {
		t.Error(err)
	}
	if _, _, err := r.Next(); !errors.Is(err, ErrClosed) {
		t.Errorf("Next on a closed reader: %v, want ErrClosed", err)
	}
}

// waitInPoll waits until thread tid sleeps in poll(2) or ppoll(2), as
// /proc/self/task/TID/syscall tells.
func waitInPoll(t *testing.T, tid int) {
	t.Helper()
	path := "/proc/self/task/" + strconv.Itoa(tid) + "/syscall"
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		nr, _, _ := strings.Cut(string(b), " ")
		if nr == strconv.Itoa(unix.SYS_POLL) || nr == strconv.Itoa(unix.SYS_PPOLL) {
			return
		}
	}
	t.Fatal("the reader's thread never waited in poll")
}
