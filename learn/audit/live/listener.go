package live

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"

	libaudit "github.com/elastic/go-libaudit/v2"
	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/learn/audit"
	"github.com/landlearn/landlearn/learn/audit/internal/netlink"
)

// typeUser is AUDIT_USER, the record type of the fences a Listener sends
// itself (see Listener.fence).
const typeUser = 1005

// receiveBuffer is the multicast socket's receive buffer. The kernel
// drops what does not fit (and the next read fails with ENOBUFS); 8 MiB
// holds some 30000 Landlock records.
const receiveBuffer = 8 << 20

// Listener reads the kernel's audit records live from the netlink
// multicast group (AUDIT_NLGRP_READLOG, CAP_AUDIT_READ) with go-libaudit's
// multicast client. Unlike the unicast reader, it never takes the audit
// PID: a running auditd keeps receiving everything, and several landlearn
// processes can listen at once. A second, unicast client reads the status
// (the lost counter) and sends the fences; it never calls SetPID.
//
// A Listener keeps only what landlearn needs (Landlock records, the
// SYSCALL records of their events, its own fences) and tracks every
// serial it sees, so that a gap (a record the kernel dropped) is noticed.
type Listener struct {
	mc    *libaudit.AuditClient
	ctlMu sync.Mutex
	ctl   *libaudit.AuditClient
	fd    int
	wake  [2]int // a pipe: writing to it stops the receive loop
	done  chan struct{}

	mu      sync.Mutex
	changed chan struct{} // closed and replaced at every delivery
	win     *window       // nil between windows
	overrun int           // ENOBUFS seen, ever
	err     error         // what ended the receive loop
}

// Listen opens the multicast reader. It needs CAP_AUDIT_READ for the
// multicast group and CAP_AUDIT_CONTROL (or CAP_AUDIT_WRITE) for the
// status and the fences: run landlearn as root. Close it when done.
func Listen() (*Listener, error) {
	mc, err := libaudit.NewMulticastAuditClient(nil)
	if err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
			return nil, fmt.Errorf("%w: open the audit multicast group: %v: it needs CAP_AUDIT_READ (run as root)", audit.ErrNoAudit, err)
		}
		return nil, fmt.Errorf("open the audit multicast group: %w", netlink.ExplainOpen(err))
	}
	fd, err := netlinkFD(mc)
	if err != nil {
		mc.Close()
		return nil, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, receiveBuffer); err != nil {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, receiveBuffer)
	}
	ctl, err := libaudit.NewAuditClient(nil)
	if err != nil {
		mc.Close()
		return nil, fmt.Errorf("open the audit control socket: %w", netlink.ExplainOpen(err))
	}
	l := &Listener{mc: mc, ctl: ctl, fd: fd, done: make(chan struct{}), changed: make(chan struct{})}
	if err := unix.Pipe2(l.wake[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		mc.Close()
		ctl.Close()
		return nil, fmt.Errorf("pipe: %w", err)
	}
	go l.receive()
	return l, nil
}

// netlinkFD returns the multicast socket's descriptor. go-libaudit keeps
// it unexported, and its blocking Receive cannot be interrupted (close(2)
// does not wake a recvfrom(2) on a netlink socket, which has no
// shutdown(2)): the descriptor is needed to poll(2) it together with a
// wake-up pipe, and to enlarge its receive buffer. The go.mod pins
// go-libaudit v2.6.2, whose NetlinkClient has `fd int`; a test checks it.
func netlinkFD(c *libaudit.AuditClient) (int, error) {
	nc, ok := c.Netlink.(*libaudit.NetlinkClient)
	if ok && nc != nil {
		v := reflect.ValueOf(nc).Elem().FieldByName("fd")
		if v.IsValid() && v.Kind() == reflect.Int {
			return int(v.Int()), nil
		}
	}
	return -1, errors.New("go-libaudit's NetlinkClient has no fd field any more: update learn/audit.netlinkFD")
}

// Close stops the receive loop and closes both sockets.
func (l *Listener) Close() error {
	unix.Write(l.wake[1], []byte{0})
	<-l.done
	unix.Close(l.wake[0])
	unix.Close(l.wake[1])
	l.ctlMu.Lock()
	defer l.ctlMu.Unlock()
	return errors.Join(l.mc.Close(), l.ctl.Close())
}

// receive is the loop that reads the multicast socket until Close.
func (l *Listener) receive() {
	defer close(l.done)
	fds := []unix.PollFd{{Fd: int32(l.fd), Events: unix.POLLIN}, {Fd: int32(l.wake[0]), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if err != nil && !errors.Is(err, unix.EINTR) {
			l.fail(fmt.Errorf("poll the audit socket: %w", err))
			return
		}
		if fds[1].Revents != 0 {
			return
		}
		for {
			m, err := l.mc.Receive(true)
			if errors.Is(err, syscall.EAGAIN) {
				break
			}
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			if errors.Is(err, syscall.ENOBUFS) {
				l.mu.Lock()
				l.overrun++
				l.mu.Unlock()
				continue
			}
			if err != nil {
				l.fail(fmt.Errorf("read the audit socket: %w", err))
				return
			}
			l.deliver(int(m.Type), string(m.Data))
		}
	}
}

func (l *Listener) fail(err error) {
	l.mu.Lock()
	l.err = err
	l.notify()
	l.mu.Unlock()
}

// notify wakes the waiters; l.mu must be held.
func (l *Listener) notify() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// deliver files one netlink message into the open window.
func (l *Listener) deliver(typ int, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.win == nil {
		return
	}
	serial, ok := headerSerial(msg)
	if !ok {
		return
	}
	w := l.win
	if typ == typeUser {
		if nonce, ok := fenceNonce(msg); ok {
			w.fences[nonce] = serial
			l.notify()
		}
	}
	if w.start == 0 {
		w.early = append(w.early, serial)
		return
	}
	if serial <= w.start {
		return
	}
	w.serials.add(serial)
	switch typ {
	case audit.TypeLandlockAccess, audit.TypeLandlockDomain, audit.TypeSyscall:
	default:
		return
	}
	if typ == audit.TypeSyscall && !w.landlock[serial] {
		return
	}
	r, err := audit.ParseMessage(typ, msg)
	if err != nil {
		if typ != audit.TypeSyscall {
			w.unparsed++
		}
		return
	}
	w.landlock[serial] = true
	if typ == audit.TypeSyscall {
		pid, _ := strconv.Atoi(r.Fields["pid"])
		ppid, _ := strconv.Atoi(r.Fields["ppid"])
		if pid > 0 && ppid > 0 {
			w.parent[pid] = ppid
		}
	}
	if typ == audit.TypeLandlockDomain && r.Fields["status"] == "allocated" {
		if pid, err := strconv.Atoi(r.Fields["pid"]); err == nil {
			w.recordAncestors(pid)
		}
	}
	w.corr.Add(r)
	l.notify()
}

// headerSerial reads SERIAL from the payload's "audit(SECONDS.MILLIS:SERIAL):"
// header. Every record has one, including those landlearn does not parse,
// so that gaps can be counted over all of them.
func headerSerial(msg string) (uint64, bool) {
	rest, ok := strings.CutPrefix(msg, "audit(")
	if !ok {
		return 0, false
	}
	end := strings.IndexByte(rest, ')')
	colon := strings.IndexByte(rest, ':')
	if end < 0 || colon < 0 || colon > end {
		return 0, false
	}
	n, err := strconv.ParseUint(rest[colon+1:end], 10, 64)
	return n, err == nil
}

const fencePrefix = "landlearn-fence-"

func fenceNonce(msg string) (string, bool) {
	i := strings.Index(msg, fencePrefix)
	if i < 0 {
		return "", false
	}
	s := msg[i+len(fencePrefix):]
	if j := strings.IndexAny(s, "' \""); j >= 0 {
		s = s[:j]
	}
	return s, s != ""
}

// sendFence logs an AUDIT_USER record carrying nonce. The kernel queues
// it behind every record logged before it, so when it arrives on the
// multicast group everything logged earlier has arrived too (or was
// lost, which the serials tell): a drain with no timing guess.
func (l *Listener) sendFence(nonce string) error {
	l.ctlMu.Lock()
	defer l.ctlMu.Unlock()
	msg := syscall.NetlinkMessage{
		Header: syscall.NlMsghdr{Type: typeUser, Flags: syscall.NLM_F_REQUEST | syscall.NLM_F_ACK},
		Data:   append([]byte("landlearn: reader check "+fencePrefix+nonce), 0),
	}
	seq, err := l.ctl.Netlink.Send(msg)
	if err != nil {
		return fmt.Errorf("send an audit fence: %w", err)
	}
	var ackErr error
	err = l.awaitReply(seq, func(m syscall.NetlinkMessage) bool {
		if m.Header.Type != syscall.NLMSG_ERROR {
			return false
		}
		if err := libaudit.ParseNetlinkError(m.Data); err != nil {
			if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
				ackErr = fmt.Errorf("%w: log an audit user record: %v: it needs CAP_AUDIT_WRITE (run as root)", audit.ErrNoAudit, err)
			} else {
				ackErr = fmt.Errorf("log an audit user record: %w", err)
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("send an audit fence: %w", err)
	}
	return ackErr
}

// awaitReply reads the control socket's messages until handle, given
// each one answering request seq, says it was the last one wanted.
// l.ctlMu is held.
func (l *Listener) awaitReply(seq uint32, handle func(syscall.NetlinkMessage) (done bool)) error {
	for {
		msgs, err := l.ctl.Netlink.Receive(false, syscall.ParseNetlinkMessage)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Header.Seq == seq && handle(m) {
				return nil
			}
		}
	}
}

// status reads the kernel's audit status. go-libaudit's GetStatus polls
// for the reply with 50 ms sleeps; the kernel answers AUDIT_GET from
// within the send, so a blocking read returns at once.
func (l *Listener) status() (*libaudit.AuditStatus, error) {
	l.ctlMu.Lock()
	defer l.ctlMu.Unlock()
	seq, err := l.ctl.GetStatusAsync(false)
	if err != nil {
		return nil, fmt.Errorf("read the audit status: %w", netlink.ExplainOpen(err))
	}
	var st *libaudit.AuditStatus
	var replyErr error
	err = l.awaitReply(seq, func(m syscall.NetlinkMessage) bool {
		switch m.Header.Type {
		case syscall.NLMSG_ERROR: // nil: an ack, read on
			if err := libaudit.ParseNetlinkError(m.Data); err != nil {
				replyErr = netlink.ExplainOpen(err)
				return true
			}
		case libaudit.AuditGet:
			st = &libaudit.AuditStatus{}
			replyErr = st.FromWireFormat(m.Data)
			return true
		}
		return false
	})
	if err == nil {
		err = replyErr
	}
	if err != nil {
		return nil, fmt.Errorf("read the audit status: %w", err)
	}
	return st, nil
}

// serialSet tracks which serials above a start were seen, in memory
// proportional to the gaps: contiguous serials only move a watermark.
type serialSet struct {
	next  uint64              // all serials below next were seen
	above map[uint64]struct{} // seen serials above next
}

func newSerialSet(start uint64) serialSet {
	return serialSet{next: start + 1, above: map[uint64]struct{}{}}
}

func (s *serialSet) add(n uint64) {
	switch {
	case n < s.next:
	case n == s.next:
		s.next++
		for {
			if _, ok := s.above[s.next]; !ok {
				break
			}
			delete(s.above, s.next)
			s.next++
		}
	default:
		s.above[n] = struct{}{}
	}
}

// missing counts the serials below end that were not seen.
func (s *serialSet) missing(end uint64) uint64 {
	if end <= s.next {
		return 0
	}
	n := end - s.next
	for k := range s.above {
		if k < end {
			n--
		}
	}
	return n
}

// readPPid returns PPid from /proc/PID/status.
func readPPid(pid int) (int, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "PPid:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			return n, err == nil
		}
	}
	return 0, false
}
