package live

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/learn/audit"
)

func TestSerialSet(t *testing.T) {
	s := newSerialSet(10)
	for _, n := range []uint64{9, 11, 13, 12, 16, 10} {
		s.add(n)
	}
	// Seen above 10: 11, 12, 13, 16. Missing below 17: 14, 15.
	if got := s.missing(17); got != 2 {
		t.Errorf("missing(17) = %d, want 2", got)
	}
	if got := s.missing(14); got != 0 {
		t.Errorf("missing(14) = %d, want 0", got)
	}
	s.add(14)
	s.add(15)
	if got := s.missing(17); got != 0 || s.next != 17 || len(s.above) != 0 {
		t.Errorf("after filling the gap: missing %d, next %d, above %v", got, s.next, s.above)
	}
}

func TestHeaderSerial(t *testing.T) {
	for msg, want := range map[string]uint64{
		"audit(1700000000.123:17): domain=1 blockers=fs.read_file": 17,
		"audit(1700000000.123:18446744073709551615): x":            18446744073709551615,
		"audit(1700000000.123): no serial":                         0,
		"type=1423 audit(1700000000.123:17): not a payload":        0,
		"audit(1700000000.123:abc): bad":                           0,
		"audit(":                                                   0,
	} {
		got, ok := headerSerial(msg)
		if got != want || ok != (want != 0) {
			t.Errorf("headerSerial(%q) = %d, %v; want %d", msg, got, ok, want)
		}
	}
}

func TestFenceNonce(t *testing.T) {
	msg := `audit(1700000000.123:17): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='landlearn: reader check landlearn-fence-0a1b2c3d4e5f6071'`
	if got, ok := fenceNonce(msg); !ok || got != "0a1b2c3d4e5f6071" {
		t.Errorf("fenceNonce = %q, %v", got, ok)
	}
	if _, ok := fenceNonce("audit(1.2:3): msg='someone else'"); ok {
		t.Error("a foreign user record taken for a fence")
	}
}

// feed builds a listener without sockets whose window opened at serial
// start, and delivers msgs to it (type, payload).
func feed(start uint64, msgs ...any) *Listener {
	l := &Listener{changed: make(chan struct{})}
	l.win = &window{fences: map[string]uint64{}, landlock: map[uint64]bool{}, parent: map[int]int{}, corr: audit.NewCorrelator()}
	if start != 0 {
		l.win.open(start)
	}
	for i := 0; i < len(msgs); i += 2 {
		l.deliver(msgs[i].(int), msgs[i+1].(string))
	}
	return l
}

const (
	accessRec   = `audit(1700000000.100:%d): domain=1a2b3c blockers=fs.read_file path="/srv/secret" dev="vda" ino=5`
	allocRec    = `audit(1700000000.100:%d): domain=1a2b3c status=allocated mode=enforcing pid=42 uid=0 exe="/usr/bin/landlearn" comm="landlearn"`
	syscallRec  = `audit(1700000000.100:%d): arch=c000003e syscall=257 success=no exit=-13 a0=ffffff9c a1=7ffd a2=0 a3=0 items=0 ppid=1 pid=42 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=1 comm="cat" exe="/usr/bin/cat" key=(null)`
	deallocRec  = `audit(1700000000.200:%d): domain=1a2b3c status=deallocated denials=%d`
	unrelated   = `audit(1700000000.100:%d): pid=7 uid=0 msg='something else'`
	otherAccess = `audit(1700000000.100:%d): domain=ffff blockers=fs.write_file path="/elsewhere" dev="vda" ino=6`
	otherAlloc  = `audit(1700000000.100:%d): domain=ffff status=allocated mode=enforcing pid=99 uid=0 exe="/usr/bin/other" comm="other"`
)

// Events are queued in the order they end, not in serial order: one
// numbered after the start fence may arrive before it, and before begin
// has read the fence's serial. It is no gap (verify once failed with
// "1 audit events ... never arrived (serial gaps)" under load).
func TestSerialBeforeStartFenceIsNoGap(t *testing.T) {
	l := feed(0,
		typeUser, fmt.Sprintf(unrelated, 101), // ended first, numbered after the fence
		typeUser, `audit(1700000000.100:100): pid=1 uid=0 msg='landlearn-fence-0a1b2c3d4e5f6071'`,
		typeUser, fmt.Sprintf(unrelated, 102), // before begin read the fence
	)
	start := l.win.fences["0a1b2c3d4e5f6071"]
	if start != 100 {
		t.Fatalf("fence serial %d, want 100", start)
	}
	l.win.open(start)
	l.deliver(typeUser, fmt.Sprintf(unrelated, 103))
	if n := l.win.serials.missing(104); n != 0 {
		t.Errorf("%d serials missing between 100 and 104, want 0", n)
	}
	// A real gap still counts.
	if n := l.win.serials.missing(106); n != 2 {
		t.Errorf("%d serials missing between 100 and 106, want 2 (104, 105)", n)
	}
}

func TestCollectExact(t *testing.T) {
	l := feed(100,
		audit.TypeLandlockAccess, fmt.Sprintf(accessRec, 101),
		audit.TypeLandlockDomain, fmt.Sprintf(allocRec, 101),
		audit.TypeSyscall, fmt.Sprintf(syscallRec, 101),
		typeUser, fmt.Sprintf(unrelated, 102),
		audit.TypeLandlockAccess, fmt.Sprintf(otherAccess, 103),
		audit.TypeLandlockDomain, fmt.Sprintf(otherAlloc, 103),
		audit.TypeLandlockDomain, fmt.Sprintf(deallocRec, 104, 1),
	)
	c := &capture{corr: l.win.corr, window: l.win, end: 105, missing: l.win.serials.missing(105)}
	run := &Run{PID: 42}
	l.collect(context.Background(), run, c)
	if run.Loss != nil {
		t.Errorf("loss: %v", run.Loss)
	}
	if run.Domain == nil || run.Domain.ID != "1a2b3c" || !run.Domain.Deallocated {
		t.Fatalf("domain %+v", run.Domain)
	}
	if len(run.Denials) != 1 || run.Denials[0].Path != "/srv/secret" || run.Denials[0].Exe != "/usr/bin/cat" {
		t.Errorf("denials %+v: want the one of domain 1a2b3c, joined with its SYSCALL record", run.Denials)
	}
	if len(run.Nested) != 0 || len(run.NestedDenials) != 0 {
		t.Errorf("a stranger's domain taken for a nested one: %+v", run.Nested)
	}
}

func TestCollectLoss(t *testing.T) {
	l := feed(100,
		audit.TypeLandlockAccess, fmt.Sprintf(accessRec, 101),
		audit.TypeLandlockDomain, fmt.Sprintf(allocRec, 101),
		// 102 and 103 never arrive; the kernel counted 3 denials.
		audit.TypeLandlockDomain, fmt.Sprintf(deallocRec, 104, 3),
		audit.TypeLandlockAccess, `audit(1700000000.100:105): domain=1a2b3c blockers=fs.read_file path=ZZ`,
	)
	c := &capture{corr: l.win.corr, window: l.win, end: 106, missing: l.win.serials.missing(106), lost: 2}
	run := &Run{PID: 42}
	l.collect(context.Background(), run, c)
	if !errors.Is(run.Loss, ErrLost) {
		t.Fatalf("loss %v: want ErrLost", run.Loss)
	}
	for _, want := range []string{"denied 3 accesses, 1 records arrived", "2 audit events", "lost counter grew by 2", "1 Landlock records did not parse"} {
		if !strings.Contains(run.Loss.Error(), want) {
			t.Errorf("loss %q does not say %q", run.Loss, want)
		}
	}
}

func TestCollectLingering(t *testing.T) {
	saved := deallocTimeout
	deallocTimeout = 0
	defer func() { deallocTimeout = saved }()
	l := feed(100,
		audit.TypeLandlockAccess, fmt.Sprintf(accessRec, 101),
		audit.TypeLandlockDomain, fmt.Sprintf(allocRec, 101),
	)
	c := &capture{corr: l.win.corr, window: l.win, end: 102}
	run := &Run{PID: 42}
	l.collect(context.Background(), run, c)
	if run.Loss != nil || len(run.Lingering) != 1 || run.Lingering[0] != "1a2b3c" {
		t.Errorf("loss %v, lingering %v: want domain 1a2b3c lingering, no loss", run.Loss, run.Lingering)
	}
}
