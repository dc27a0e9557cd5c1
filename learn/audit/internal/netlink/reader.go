package netlink

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/learn/audit"
)

// ErrClosed is returned by Reader.Next once Close was called.
var ErrClosed = errors.New("audit reader closed")

// Reader receives the records the kernel sends to the multicast group
// AUDIT_NLGRP_READLOG: a copy of every record, whoever else reads them.
// Joining the group does not make the process the audit daemon, so a
// running auditd keeps receiving everything and several readers can
// listen at once. The kernel sends one record per datagram.
type Reader struct {
	fd      int
	wake    [2]int // a pipe: Close writes to it to end a blocked Next
	closing atomic.Bool
	mu      sync.Mutex // held by Next; Close takes it to close the sockets
	closed  bool
	buf     []byte
}

// OpenReader joins the multicast group, which needs CAP_AUDIT_READ, with
// a receive buffer of rcvbuf bytes: the kernel drops the records that do
// not fit, and Next then reports unix.ENOBUFS.
func OpenReader(rcvbuf int) (*Reader, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_AUDIT)
	if err != nil {
		return nil, fmt.Errorf("open the audit multicast group: %w", explainOpen(err))
	}
	if _, err := bind(fd, 1<<(unix.AUDIT_NLGRP_READLOG-1)); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, fmt.Errorf("%w: open the audit multicast group: %v: it needs CAP_AUDIT_READ (run as root)", audit.ErrNoAudit, err)
		}
		return nil, fmt.Errorf("open the audit multicast group: %w", explainOpen(err))
	}
	// SO_RCVBUFFORCE exceeds net.core.rmem_max (CAP_NET_ADMIN); without
	// it the kernel caps SO_RCVBUF there.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf); err != nil {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf)
	}
	return newReader(fd)
}

// newReader reads the netlink socket fd, which it owns from now on.
func newReader(fd int) (*Reader, error) {
	r := &Reader{fd: fd, buf: make([]byte, bufSize)}
	if err := unix.Pipe2(r.wake[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("pipe: %w", err)
	}
	return r, nil
}

// Next returns the next record's type and payload ("audit(...): fields",
// valid until the next call). It blocks until one arrives, or returns
// ErrClosed once Close is called. unix.ENOBUFS means that records were
// dropped because the receive buffer was full; the Reader stays usable.
// Next is for one goroutine at a time.
func (r *Reader) Next() (typ uint16, payload []byte, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		if r.closed || r.closing.Load() {
			return 0, nil, ErrClosed
		}
		n, from, err := unix.Recvfrom(r.fd, r.buf, unix.MSG_DONTWAIT)
		switch {
		case errors.Is(err, unix.EAGAIN):
			if err := r.wait(); err != nil {
				return 0, nil, err
			}
			continue
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return 0, nil, err
		}
		if nl, ok := from.(*unix.SockaddrNetlink); !ok || nl.Pid != 0 {
			return 0, nil, errors.New("a message on the audit multicast group was not from the kernel")
		}
		if n < unix.NLMSG_HDRLEN {
			return 0, nil, fmt.Errorf("%d bytes received: too short for a netlink header", n)
		}
		// One record per datagram, as the kernel sends them: the payload
		// is the rest of it.
		typ = binary.NativeEndian.Uint16(r.buf[4:6])
		return typ, r.buf[unix.NLMSG_HDRLEN:n], nil
	}
}

// wait blocks until the socket is readable or Close is called.
func (r *Reader) wait() error {
	fds := []unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN}, {Fd: int32(r.wake[0]), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("poll the audit socket: %w", err)
		}
		return nil
	}
}

// Close ends a blocked Next and closes the socket.
func (r *Reader) Close() error {
	if r.closing.Swap(true) {
		return nil
	}
	unix.Write(r.wake[1], []byte{0})
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	unix.Close(r.wake[0])
	unix.Close(r.wake[1])
	return unix.Close(r.fd)
}
