package live

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

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
// multicast group (AUDIT_NLGRP_READLOG, CAP_AUDIT_READ), on a socket of
// its own. Unlike a unicast reader, it never takes the audit PID: a
// running auditd keeps receiving everything, and several landlearn
// processes can listen at once. A second, unicast socket reads the status
// (the lost counter) and sends the fences.
//
// A Listener keeps only what landlearn needs (Landlock records, the
// SYSCALL records of their events, its own fences) and tracks every
// serial it sees, so that a gap (a record the kernel dropped) is noticed.
type Listener struct {
	rd   *netlink.Reader
	ctl  *netlink.Control
	done chan struct{} // closed when the receive loop ends

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
	rd, err := netlink.OpenReader(receiveBuffer)
	if err != nil {
		return nil, err
	}
	ctl, err := netlink.Dial()
	if err != nil {
		rd.Close()
		return nil, err
	}
	l := &Listener{rd: rd, ctl: ctl, done: make(chan struct{}), changed: make(chan struct{})}
	go l.receive()
	return l, nil
}

// Close stops the receive loop and closes both sockets.
func (l *Listener) Close() error {
	err := l.rd.Close()
	<-l.done
	return errors.Join(err, l.ctl.Close())
}

// receive is the loop that reads the multicast socket until Close.
func (l *Listener) receive() {
	defer close(l.done)
	for {
		typ, msg, err := l.rd.Next()
		switch {
		case errors.Is(err, netlink.ErrClosed):
			return
		case errors.Is(err, unix.ENOBUFS):
			l.mu.Lock()
			l.overrun++
			l.mu.Unlock()
			continue
		case err != nil:
			l.fail(fmt.Errorf("read the audit socket: %w", err))
			return
		}
		l.deliver(int(typ), string(msg))
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
	if err := l.ctl.User("landlearn: reader check " + fencePrefix + nonce); err != nil {
		return fmt.Errorf("send an audit fence: %w", err)
	}
	return nil
}

// status reads the kernel's audit status.
func (l *Listener) status() (*libaudit.AuditStatus, error) {
	st, err := l.ctl.Status()
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
