package audit

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func correlate(t *testing.T, logs ...string) *Correlator {
	t.Helper()
	c := NewCorrelator()
	for i, l := range logs {
		if err := c.ReadLog(strings.NewReader(l), "log"+string(rune('0'+i))); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestCorrelatorAdminGuide(t *testing.T) {
	c := correlate(t, adminGuideSignal, adminGuideFS)
	ds := c.Denials()
	if len(ds) != 3 {
		t.Fatalf("got %d denials, want 3: %+v", len(ds), ds)
	}
	// Sorted by time: the fs sample (…221) comes before the signal one (…268).
	d := ds[0]
	if d.Path != "/dev/tty" || d.PID != 289 || d.PPID != 272 || d.UID != 0 || d.Comm != "sh" ||
		d.Syscall != 257 || d.SyscallName != "openat" || d.Exit != -13 || !d.Joined || d.Domain != "1a6fdc679" ||
		d.Dev != "devtmpfs" || d.Ino != 9 || d.Source != "log1:1" {
		t.Errorf("denial 0 = %+v", d)
	}
	d = ds[2]
	if d.Opid != 1 || d.Ocomm != "systemd" || d.Syscall != 62 || d.SyscallName != "kill" || d.Port != -1 {
		t.Errorf("denial 2 = %+v", d)
	}
	if got, want := d.FixRule(), "remove signal from handled.scoped"; !strings.HasPrefix(got, want) {
		t.Errorf("FixRule = %q, want prefix %q", got, want)
	}
	if got, want := ds[1].FixRule(), "- path: /etc/passwd\n  access: [write_file]"; got != want {
		t.Errorf("FixRule = %q, want %q", got, want)
	}

	doms := c.Domains()
	if len(doms) != 2 {
		t.Fatalf("got %d domains, want 2: %+v", len(doms), doms)
	}
	fs := doms[0]
	if fs.ID != "1a6fdc679" || !fs.Allocated || fs.Mode != "enforcing" || fs.PID != 289 || fs.Exe != "/root/sandboxer" ||
		fs.Comm != "sandboxer" || !fs.Deallocated || fs.Denials != 2 || fs.Logged != 2 ||
		!fs.AllocatedAt.Equal(time.UnixMilli(1729738800221)) || !fs.DeallocatedAt.Equal(time.UnixMilli(1729738800261)) {
		t.Errorf("domain 0 = %+v", fs)
	}
	st := c.Stats()
	if st.Lines != 13 || st.Records != 13 || st.Landlock != 7 || st.ByType["SYSCALL"] != 3 || st.Unjoined != 0 || len(st.Skipped) != 0 {
		t.Errorf("stats = %+v", st)
	}
}

// The logs in testdata/audit were recorded on this project's machines
// from real Landlock denials (testdata/audit/README.md): the same run
// through auditd's RAW and ENRICHED formats, ausearch and journald.
func TestCorrelatorRecordedLogs(t *testing.T) {
	for _, tc := range []struct {
		file                       string
		denials, domains, unjoined int
		host                       string
		notAudit                   int
	}{
		{"raw.log", 52, 2, 0, "", 0},
		{"enriched.log", 52, 2, 0, "ci-runner-1", 0},
		{"ausearch-raw.log", 52, 2, 0, "", 0},
		{"ausearch.log", 52, 2, 0, "ci-runner-1", 0},
		{"journal.json", 52, 2, 0, "web-1", 2}, // a kernel and a stdout entry
		{"dmesg.log", 3, 1, 0, "", 0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c := NewCorrelator()
			readTestdata(t, c, tc.file)
			ds, doms, st := c.Denials(), c.Domains(), c.Stats()
			if len(ds) != tc.denials || len(doms) != tc.domains || st.Unjoined != tc.unjoined {
				t.Errorf("%d denials, %d domains, %d unjoined; want %d, %d, %d (stats %+v)",
					len(ds), len(doms), st.Unjoined, tc.denials, tc.domains, tc.unjoined, st)
			}
			if st.Skipped["not-audit"] != tc.notAudit {
				t.Errorf("skipped %d lines as not-audit, want %d", st.Skipped["not-audit"], tc.notAudit)
			}
			delete(st.Skipped, "not-audit")
			for k, n := range st.Skipped {
				t.Errorf("skipped %d lines: %s (first: %s)", n, k, st.FirstSkipped)
			}
			for _, d := range ds {
				if d.Host != tc.host {
					t.Fatalf("host = %q, want %q", d.Host, tc.host)
				}
			}
		})
	}
}

func readTestdata(t *testing.T, c *Correlator, name string) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "audit", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := c.ReadLog(f, name); err != nil {
		t.Fatal(err)
	}
}

func TestCorrelatorJoins(t *testing.T) {
	const log = `node=b type=SYSCALL msg=audit(100.000:7): arch=c000003e syscall=257 success=no exit=-13 ppid=1 pid=20 uid=1000 comm="cat" exe="/usr/bin/cat"
node=a type=UNKNOWN[1423] msg=audit(100.000:7): domain=aa blockers=fs.read_file path="/etc/a" dev="vda" ino=1
node=b type=UNKNOWN[1423] msg=audit(100.000:7): domain=bb blockers=fs.read_file path="/etc/b" dev="vda" ino=2
node=a type=SYSCALL msg=audit(100.000:7): arch=c000003e syscall=59 success=no exit=-13 ppid=1 pid=10 uid=0 comm="sh" exe="/bin/sh"
node=a type=UNKNOWN[1423] msg=audit(400.000:7): domain=cc blockers=net.bind_tcp src=80
node=a type=UNKNOWN[1424] msg=audit(400.000:7): domain=cc status=allocated mode=enforcing pid=11 uid=0 exe="/bin/x" comm="x"
node=a type=UNKNOWN[1424] msg=audit(500.000:9): domain=cc status=deallocated denials=4
`
	c := correlate(t, log)
	ds := c.Denials()
	if len(ds) != 3 {
		t.Fatalf("%d denials", len(ds))
	}
	// Same serial on two hosts: two events, each joined with its own
	// SYSCALL record whatever the order of the lines.
	if ds[0].Host != "a" || ds[0].PID != 10 || ds[0].Exe != "/bin/sh" || ds[0].SyscallName != "execve" ||
		ds[1].Host != "b" || ds[1].PID != 20 || ds[1].UID != 1000 || ds[1].SyscallName != "openat" {
		t.Errorf("joins: %+v\n%+v", ds[0], ds[1])
	}
	// The same serial five minutes later (after a reboot) is another
	// event: it has no SYSCALL record.
	if ds[2].Domain != "cc" || ds[2].Joined || ds[2].PID != 0 || ds[2].Syscall != -1 || ds[2].Port != 80 {
		t.Errorf("reused serial: %+v", ds[2])
	}
	if st := c.Stats(); st.Unjoined != 1 {
		t.Errorf("unjoined = %d", st.Unjoined)
	}
	doms := c.Domains()
	if len(doms) != 3 || doms[0].ID != "aa" || doms[0].Allocated || doms[0].Logged != 1 ||
		doms[2].ID != "cc" || !doms[2].Allocated || doms[2].PID != 11 || !doms[2].Deallocated || doms[2].Denials != 4 {
		t.Errorf("domains: %+v", doms)
	}
}

// The output does not depend on the order the records come in.
func TestCorrelatorDeterministic(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(adminGuideSignal+adminGuideFS), "\n")
	want := correlate(t, strings.Join(lines, "\n"))
	for i := 0; i < len(lines); i++ {
		lines[i], lines[len(lines)-1-i] = lines[len(lines)-1-i], lines[i]
	}
	got := correlate(t, strings.Join(lines, "\n"))
	if !reflect.DeepEqual(stripSources(got.Denials()), stripSources(want.Denials())) || !reflect.DeepEqual(got.Domains(), want.Domains()) {
		t.Errorf("reversed input gives other results")
	}
}

func stripSources(ds []Denial) []Denial {
	for i := range ds {
		ds[i].Source = ""
	}
	return ds
}

func TestCorrelatorGarbage(t *testing.T) {
	c := NewCorrelator()
	readTestdata(t, c, "garbage.log")
	st := c.Stats()
	want := map[string]int{"bad-hex": 2, "interpreted": 1, "malformed": 1, "not-audit": 2, "truncated": 4}
	if !reflect.DeepEqual(st.Skipped, want) || st.Lines != 21 {
		t.Errorf("stats = %+v", st)
	}
	if !strings.HasPrefix(st.FirstSkipped, "garbage.log:4: hex-encoded value does not decode: field path") {
		t.Errorf("first skipped = %q", st.FirstSkipped)
	}
	ds := c.Denials()
	if len(ds) != 3 || ds[0].Path != "/etc/hostname" || ds[1].Path != "/tmp/ll-rec/rw1" || ds[2].Path != "/tmp/ll-rec/rw2" {
		t.Errorf("denials = %+v", ds)
	}
}

// A log where most events are not Landlock's (audit rules loaded) keeps
// only the events that matter, and still joins a late SYSCALL record.
func TestCorrelatorPrunes(t *testing.T) {
	c := NewCorrelator()
	for i := 0; i < 3*pruneEvery; i++ {
		sec := 1000 + i/10
		c.addLine("type=SYSCALL msg=audit("+strconv.Itoa(sec)+".000:"+strconv.Itoa(i+10)+"): arch=c000003e syscall=2 success=yes exit=3 pid=1", "")
		if i == 5 {
			c.addLine("type=UNKNOWN[1423] msg=audit(1000.000:5): domain=1 blockers=fs.read_file path=\"/x\"", "")
		}
	}
	c.addLine("type=SYSCALL msg=audit(1000.000:5): arch=c000003e syscall=257 success=no exit=-13 pid=42", "")
	if len(c.order) > pruneEvery+600 {
		t.Errorf("%d events kept", len(c.order))
	}
	ds := c.Denials()
	if len(ds) != 1 || ds[0].PID != 42 {
		t.Errorf("denials = %+v", ds)
	}
}

func ExampleCorrelator() {
	c := NewCorrelator()
	// A log file, or ParseMessage on netlink payloads and Add.
	_ = c.ReadLog(strings.NewReader(adminGuideFS), "audit.log")
	for _, d := range c.Denials() {
		fmt.Printf("%s: %v on %s by %s (pid %d, %s)\n", d.Source, d.Blockers, d.Path, d.Comm, d.PID, d.SyscallName)
	}
	for _, d := range c.Domains() {
		fmt.Printf("domain %s created by %s (pid %d): %d denials\n", d.ID, d.Exe, d.PID, d.Denials)
	}
	// Output:
	// audit.log:1: [fs.write_file] on /dev/tty by sh (pid 289, openat)
	// audit.log:5: [fs.write_file] on /etc/passwd by sh (pid 289, openat)
	// domain 1a6fdc679 created by /root/sandboxer (pid 289): 2 denials
}

// BenchmarkReadLog reads the recorded raw log; b.N copies of it stand for
// a long audit.log.
func BenchmarkReadLog(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "audit", "raw.log"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	c := NewCorrelator()
	for b.Loop() {
		if err := c.ReadLog(bytes.NewReader(data), "raw.log"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(c.Denials()))/float64(b.N), "denials/op")
}

// TestCorrelatorStreams: a streaming Correlator hands on the same
// denials, in the same order, and tells the same domains, as one that
// keeps everything, for every recorded log format.
func TestCorrelatorStreams(t *testing.T) {
	for _, name := range []string{"raw.log", "enriched.log", "ausearch-raw.log", "ausearch.log", "journal.json", "dmesg.log"} {
		kept := NewCorrelator()
		readTestdata(t, kept, name)
		streamed := NewCorrelator()
		var got []Denial
		streamed.Stream(func(d Denial) { got = append(got, d) })
		readTestdata(t, streamed, name)
		streamed.Flush()
		if want := kept.Denials(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: streamed %d denials, kept %d, or in another order", name, len(got), len(want))
		}
		if len(streamed.Denials()) != 0 || len(streamed.order) != 0 {
			t.Errorf("%s: the streaming correlator still holds events after Flush", name)
		}
		if got, want := streamed.Domains(), kept.Domains(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: domains\n got %+v\nwant %+v", name, got, want)
		}
	}
}

// TestCorrelatorStreamHoldsLittle: however many events a log has, a
// streaming Correlator holds at most maxPending of them.
func TestCorrelatorStreamHoldsLittle(t *testing.T) {
	c := NewCorrelator()
	n := 0
	c.Stream(func(Denial) { n++ })
	most := 0
	for i := 1; i <= 5*maxPending; i++ {
		// One second apart at most: all within one event window.
		c.addLine(fmt.Sprintf(`type=UNKNOWN[1423] msg=audit(1000.%03d:%d): domain=1 blockers=fs.read_file path="/x"`, i%1000, i), "")
		c.addLine(fmt.Sprintf(`type=SYSCALL msg=audit(1000.%03d:%d): arch=c000003e syscall=257 success=no exit=-13 pid=42`, i%1000, i), "")
		most = max(most, len(c.order))
	}
	c.Flush()
	if n != 5*maxPending || most > maxPending+1 {
		t.Errorf("handed on %d denials (want %d), held up to %d events (want at most %d)", n, 5*maxPending, most, maxPending+1)
	}
}

// TestReadLogOversizedLine: a line longer than MaxLineSize is read
// through, counted as oversized and never held; the lines around it are
// read as usual.
func TestReadLogOversizedLine(t *testing.T) {
	big := strings.Repeat("x", 32*MaxLineSize)
	exact := strings.Repeat("y", MaxLineSize-1) + "\n" // the longest line kept: not a record
	log := adminGuideFS + big + "\n" + exact + adminGuideSignal + big
	c := NewCorrelator()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := c.ReadLog(strings.NewReader(log), "audit.log"); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	st := c.Stats()
	if len(c.Denials()) != 3 || st.Skipped["oversized"] != 2 || st.Skipped["not-audit"] != 1 ||
		!strings.HasPrefix(st.FirstSkipped, "audit.log:9: line too long for an audit record: longer than 1048576 bytes") {
		t.Errorf("%d denials, stats %+v", len(c.Denials()), st)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 8*MaxLineSize {
		t.Errorf("reading allocated %d bytes for lines of %d", grown, len(big))
	}
}
