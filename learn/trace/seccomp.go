package trace

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Seccomp user-notification ABI (include/uapi/linux/seccomp.h) that
// x/sys/unix does not spell out.
const ioctlNotifSetFlags = 0x40082104 // SECCOMP_IOW(4, __u64), Linux 6.6

// seccompData is struct seccomp_data.
type seccompData struct {
	Nr   int32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

// seccompNotif is struct seccomp_notif. Pid is the calling thread's id.
type seccompNotif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Data  seccompData
}

// seccompNotifResp is struct seccomp_notif_resp.
type seccompNotifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// installFilter loads prog on the calling thread and returns its
// user-notification fd (SECCOMP_FILTER_FLAG_NEW_LISTENER). Only the
// calling thread gets the filter (no TSYNC): the helper locks its
// goroutine to the thread that will exec the target. no_new_privs must
// already be set on that thread.
func installFilter(prog []unix.SockFilter) (int, error) {
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	fd, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_NEW_LISTENER, uintptr(unsafe.Pointer(&fprog)))
	if errno != 0 {
		return -1, fmt.Errorf("seccomp(SET_MODE_FILTER): %w", errno)
	}
	return int(fd), nil
}

// notifRecv blocks until a notification arrives.
func notifRecv(fd int, n *seccompNotif) error {
	*n = seccompNotif{} // the kernel refuses a buffer that is not zeroed
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(n)))
	if errno != 0 {
		return errno
	}
	return nil
}

// notifContinue lets the call run as if no filter had stopped it.
func notifContinue(fd int, id uint64) error {
	r := seccompNotifResp{ID: id, Flags: unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE}
	return notifSend(fd, &r)
}

// notifFail makes the call return -errno without running.
func notifFail(fd int, id uint64, e unix.Errno) error {
	r := seccompNotifResp{ID: id, Error: -int32(e)}
	return notifSend(fd, &r)
}

func notifSend(fd int, r *seccompNotifResp) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(r)))
	if errno != 0 {
		return errno
	}
	return nil
}

// notifSetFlags sets the listener's flags. The one there is,
// SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6), asks the kernel to
// wake the receiver on the CPU of the stopped thread and switch to it
// directly, and to wake the caller on the receiver's CPU when answered:
// the stopped call and the supervisor ping-pong like a function call
// instead of two scheduler wake-ups (the README's Performance section
// has the numbers). 0 clears it. Kernels before 6.6 answer EINVAL
// (tracing needs 6.6 anyway, see Supported); the tracer warns, as it
// only costs speed.
//
// The ioctl is declared SECCOMP_IOW(4, __u64), but the kernel takes the
// flags in the argument itself, not behind a pointer
// (seccomp_notify_set_flags(filter, arg)): a pointer is EINVAL.
func notifSetFlags(fd int, flags uint64) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), ioctlNotifSetFlags, uintptr(flags))
	if errno != 0 {
		return errno
	}
	return nil
}

// errListenerBusy is what the kernel answers when a filter with a
// listener already sits in the caller's filter chain (the target runs
// under another seccomp supervisor, e.g. a nested landlearn): the
// tracer falls back to ptrace.
var errListenerBusy = errors.New("a seccomp listener already exists for this process")
