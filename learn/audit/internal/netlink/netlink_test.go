package netlink_test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/learn/audit/audittest"
	"github.com/landlearn/landlearn/learn/audit/internal/netlink"
)

// setup switches audit on through the shared session (user records are
// only logged while it is on) and opens a control socket.
func setup(t *testing.T) *netlink.Control {
	t.Helper()
	testkit.RequireRoot(t, "the audit multicast group and commands need CAP_AUDIT_READ, CAP_AUDIT_CONTROL and CAP_AUDIT_WRITE")
	audittest.Session(t)
	c, err := netlink.Dial()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func openReader(t *testing.T, rcvbuf int) *netlink.Reader {
	t.Helper()
	r, err := netlink.OpenReader(rcvbuf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func nonce(t *testing.T) string {
	b := make([]byte, 8)
	rand.Read(b)
	return "landlearn-netlink-test-" + hex.EncodeToString(b)
}

// readUntil reads r until a record contains want, and returns it and the
// errors Next returned on the way. It fails t when Next fails otherwise,
// or when nothing comes for a minute (the kernel sends a user record at
// once).
func readUntil(t *testing.T, r *netlink.Reader, want string) (typ uint16, payload string, errs []error) {
	t.Helper()
	type result struct {
		typ     uint16
		payload string
		errs    []error
		err     error
	}
	done := make(chan result, 1)
	go func() {
		var res result
		for {
			typ, p, err := r.Next()
			switch {
			case errors.Is(err, unix.ENOBUFS):
				res.errs = append(res.errs, err)
				continue
			case err != nil:
				res.err = err
				done <- res
				return
			}
			if strings.Contains(string(p), want) {
				res.typ, res.payload = typ, string(p)
				done <- res
				return
			}
		}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			t.Fatalf("Next: %v", res.err)
		}
		return res.typ, res.payload, res.errs
	case <-time.After(time.Minute):
		r.Close()
		t.Fatalf("the user record %s did not come back on the multicast group", want)
	}
	panic("unreachable")
}

// A user record logged on the control socket comes back on the multicast
// group, and neither socket takes the audit PID: a running auditd keeps
// the log.
func TestUserRecordReachesReader(t *testing.T) {
	c := setup(t)
	before, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	r := openReader(t, 1<<20)
	n := nonce(t)
	if err := c.User("landlearn: test " + n); err != nil {
		t.Fatal(err)
	}
	typ, payload, _ := readUntil(t, r, n)
	if typ != unix.AUDIT_USER || !strings.HasPrefix(payload, "audit(") || !strings.Contains(payload, "msg='landlearn: test "+n) {
		t.Errorf("type %d payload %q: want an AUDIT_USER record carrying the text", typ, payload)
	}
	after, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	if after.PID != before.PID || after.Enabled == 0 {
		t.Errorf("audit pid %d → %d, enabled %d: the reader must not register as the audit daemon", before.PID, after.PID, after.Enabled)
	}
}

// Records that do not fit in the receive buffer are reported as ENOBUFS,
// not lost silently. A second reader with room for them all tells when
// the kernel has offered every record to both.
func TestReaderReportsOverflow(t *testing.T) {
	c := setup(t)
	small := openReader(t, 1) // the kernel raises it to its minimum, a few records
	big := openReader(t, 8<<20)
	n := nonce(t)
	for i := range 200 {
		if err := c.User("landlearn: flood " + n + " " + strings.Repeat("x", i%64)); err != nil {
			t.Fatal(err)
		}
	}
	last := nonce(t)
	if err := c.User("landlearn: last " + last); err != nil {
		t.Fatal(err)
	}
	if _, _, errs := readUntil(t, big, last); len(errs) > 0 {
		t.Fatalf("the 8 MiB reader overflowed too: %v", errs)
	}
	_, _, err := small.Next()
	if !errors.Is(err, unix.ENOBUFS) {
		t.Errorf("Next on the overflowed reader: %v, want ENOBUFS", err)
	}
	if _, _, err := small.Next(); err != nil {
		t.Errorf("Next after ENOBUFS: %v, want the records that fitted", err)
	}
}
