package netlink

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"syscall"

	libaudit "github.com/elastic/go-libaudit/v2"
	"golang.org/x/sys/unix"
)

// bufSize holds the largest message the kernel sends: a netlink header
// and an audit record of at most MAX_AUDIT_MESSAGE_LENGTH bytes.
const bufSize = unix.NLMSG_HDRLEN + libaudit.AuditMessageMaxLength

// Control is a unicast audit socket for commands: AUDIT_GET (the
// status), AUDIT_SET (the enabled flag, the backlog limit) and AUDIT_USER
// (a record of landlearn's own). The kernel answers on this socket only,
// so replies never mix with records. It is safe for concurrent use: one
// request at a time.
type Control struct {
	mu   sync.Mutex
	fd   int
	port uint32 // the socket's netlink port id, which the kernel answers
	seq  uint32
	buf  []byte
}

// Dial opens a control socket. Opening needs no privilege; the commands
// need CAP_AUDIT_CONTROL (AUDIT_GET, AUDIT_SET) or CAP_AUDIT_WRITE
// (AUDIT_USER), and their errors say so.
func Dial() (*Control, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_AUDIT)
	if err != nil {
		return nil, fmt.Errorf("open the audit control socket: %w", explainOpen(err))
	}
	port, err := bind(fd, 0)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("open the audit control socket: %w", explainOpen(err))
	}
	return &Control{fd: fd, port: port, buf: make([]byte, bufSize)}, nil
}

// bind binds fd to the multicast groups (a bit mask, 0 for none) and
// returns the port id the kernel assigned.
func bind(fd int, groups uint32) (uint32, error) {
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		return 0, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0, err
	}
	nl, ok := sa.(*unix.SockaddrNetlink)
	if !ok {
		return 0, fmt.Errorf("getsockname: %T is not a netlink address", sa)
	}
	return nl.Pid, nil
}

// Close closes the socket.
func (c *Control) Close() error {
	return unix.Close(c.fd)
}

// Status reads the kernel's audit status (AUDIT_GET): the enabled flag,
// the backlog limit, the lost counter, the audit daemon's pid.
func (c *Control) Status() (*libaudit.AuditStatus, error) {
	var st *libaudit.AuditStatus
	err := c.request(unix.AUDIT_GET, 0, nil, func(m syscall.NetlinkMessage) (bool, error) {
		switch m.Header.Type {
		case unix.NLMSG_ERROR: // nil: an ack, read on
			err := libaudit.ParseNetlinkError(m.Data)
			return err != nil, err
		case unix.AUDIT_GET:
			st = &libaudit.AuditStatus{}
			return true, st.FromWireFormat(m.Data)
		}
		return false, nil
	})
	if err != nil {
		return nil, explainOpen(err)
	}
	return st, nil
}

// SetEnabled switches audit on or off (AUDIT_SET of the enabled flag).
func (c *Control) SetEnabled(on bool) error {
	st := libaudit.AuditStatus{Mask: libaudit.AuditStatusEnabled}
	if on {
		st.Enabled = 1
	}
	return explainControl(c.set(st))
}

// SetBacklogLimit sets how many records the kernel queues before it
// drops them (AUDIT_SET of the backlog limit).
func (c *Control) SetBacklogLimit(n uint32) error {
	return explainControl(c.set(libaudit.AuditStatus{Mask: libaudit.AuditStatusBacklogLimit, BacklogLimit: n}))
}

func (c *Control) set(st libaudit.AuditStatus) error {
	var data bytes.Buffer
	if err := binary.Write(&data, binary.NativeEndian, st); err != nil {
		return err
	}
	return c.request(unix.AUDIT_SET, unix.NLM_F_ACK, data.Bytes(), ack)
}

// User logs an AUDIT_USER record whose msg= is text. The kernel queues it
// behind every record logged before it, and sends it to the multicast
// group like them (only while audit is enabled).
func (c *Control) User(text string) error {
	if err := c.request(unix.AUDIT_USER, unix.NLM_F_ACK, append([]byte(text), 0), ack); err != nil {
		return explainUser(err)
	}
	return nil
}

// ack handles the reply to a request sent with NLM_F_ACK.
func ack(m syscall.NetlinkMessage) (bool, error) {
	if m.Header.Type != unix.NLMSG_ERROR {
		return false, nil
	}
	return true, libaudit.ParseNetlinkError(m.Data)
}

// request sends one message and passes the kernel's replies to it to
// handle until handle says it had the last one it wanted. The kernel
// answers within the send or from a worker right after it, so the reads
// block.
func (c *Control) request(typ, flags uint16, data []byte, handle func(syscall.NetlinkMessage) (done bool, err error)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	seq := c.seq
	msg := make([]byte, unix.NLMSG_HDRLEN+len(data))
	binary.NativeEndian.PutUint32(msg[0:], uint32(len(msg)))
	binary.NativeEndian.PutUint16(msg[4:], typ)
	binary.NativeEndian.PutUint16(msg[6:], unix.NLM_F_REQUEST|flags)
	binary.NativeEndian.PutUint32(msg[8:], seq)
	binary.NativeEndian.PutUint32(msg[12:], c.port)
	copy(msg[unix.NLMSG_HDRLEN:], data)
	kernel := &unix.SockaddrNetlink{Family: unix.AF_NETLINK}
	for {
		err := unix.Sendto(c.fd, msg, 0, kernel)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		break
	}
	for {
		n, from, err := unix.Recvfrom(c.fd, c.buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		if nl, ok := from.(*unix.SockaddrNetlink); !ok || nl.Pid != 0 {
			continue // not from the kernel
		}
		msgs, err := syscall.ParseNetlinkMessage(c.buf[:n])
		if err != nil {
			return fmt.Errorf("parse the kernel's reply: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Seq != seq {
				continue
			}
			if done, err := handle(m); done || err != nil {
				return err
			}
		}
	}
}
