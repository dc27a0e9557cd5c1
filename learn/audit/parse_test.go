package audit

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The sample lines of the kernel's Documentation/admin-guide/LSM/landlock.rst.
const adminGuideSignal = `type=LANDLOCK_ACCESS msg=audit(1729738800.268:30): domain=1a6fdc66f blockers=scope.signal opid=1 ocomm="systemd"
type=LANDLOCK_DOMAIN msg=audit(1729738800.268:30): domain=1a6fdc66f status=allocated mode=enforcing pid=286 uid=0 exe="/root/sandboxer" comm="sandboxer"
type=SYSCALL msg=audit(1729738800.268:30): arch=c000003e syscall=62 success=no exit=-1 [..] ppid=272 pid=286 auid=0 uid=0 gid=0 [...] comm="kill" [...]
type=PROCTITLE msg=audit(1729738800.268:30): proctitle=6B696C6C0031
type=LANDLOCK_DOMAIN msg=audit(1729738800.324:31): domain=1a6fdc66f status=deallocated denials=1
`

const adminGuideFS = `type=LANDLOCK_ACCESS msg=audit(1729738800.221:33): domain=1a6fdc679 blockers=fs.write_file path="/dev/tty" dev="devtmpfs" ino=9
type=LANDLOCK_DOMAIN msg=audit(1729738800.221:33): domain=1a6fdc679 status=allocated mode=enforcing pid=289 uid=0 exe="/root/sandboxer" comm="sandboxer"
type=SYSCALL msg=audit(1729738800.221:33): arch=c000003e syscall=257 success=no exit=-13 [...] ppid=272 pid=289 auid=0 uid=0 gid=0 [...] comm="sh" [...]
type=PROCTITLE msg=audit(1729738800.221:33): proctitle=7368002D63006563686F203E202F6574632F706173737764
type=LANDLOCK_ACCESS msg=audit(1729738800.221:34): domain=1a6fdc679 blockers=fs.write_file path="/etc/passwd" dev="vda2" ino=143821
type=SYSCALL msg=audit(1729738800.221:34): arch=c000003e syscall=257 success=no exit=-13 [...] ppid=272 pid=289 auid=0 uid=0 gid=0 [...] comm="sh" [...]
type=PROCTITLE msg=audit(1729738800.221:34): proctitle=7368002D63006563686F203E202F6574632F706173737764
type=LANDLOCK_DOMAIN msg=audit(1729738800.261:35): domain=1a6fdc679 status=deallocated denials=2
`

func TestParseLineAdminGuide(t *testing.T) {
	for _, l := range strings.Split(strings.TrimSpace(adminGuideSignal+adminGuideFS), "\n") {
		if _, err := ParseLine(l); err != nil {
			t.Errorf("ParseLine(%q): %v", l, err)
		}
	}
	r, err := ParseLine(strings.Split(adminGuideSignal, "\n")[0])
	if err != nil {
		t.Fatal(err)
	}
	want := Record{
		Type: 1423, TypeName: "LANDLOCK_ACCESS", Time: time.UnixMilli(1729738800268).UTC(), Serial: 30,
		Fields: map[string]string{"domain": "1a6fdc66f", "blockers": "scope.signal", "opid": "1", "ocomm": "systemd"},
	}
	checkRecord(t, r, want)
	r, _ = ParseLine(strings.Split(adminGuideSignal, "\n")[3])
	if got := r.Fields["proctitle"]; got != "kill\x001" {
		t.Errorf("proctitle = %q, want kill\\x001", got)
	}
}

func checkRecord(t *testing.T, got, want Record) {
	t.Helper()
	if got.Type != want.Type || got.TypeName != want.TypeName || !got.Time.Equal(want.Time) ||
		got.Serial != want.Serial || got.Host != want.Host {
		t.Errorf("header = %d %s %v %d %q, want %d %s %v %d %q", got.Type, got.TypeName, got.Time, got.Serial, got.Host,
			want.Type, want.TypeName, want.Time, want.Serial, want.Host)
	}
	for k, v := range want.Fields {
		if got.Fields[k] != v {
			t.Errorf("field %s = %q, want %q", k, got.Fields[k], v)
		}
	}
	if len(got.Fields) != len(want.Fields) {
		t.Errorf("fields = %q, want %q", got.Fields, want.Fields)
	}
	for k, v := range want.Interp {
		if got.Interp[k] != v {
			t.Errorf("interp %s = %q, want %q", k, got.Interp[k], v)
		}
	}
}

func TestParseLineErrors(t *testing.T) {
	for _, tc := range []struct {
		line string
		want error
	}{
		{"", ErrBlank},
		{"----", ErrBlank},
		{"time->Fri Nov 27 05:00:00 2026", ErrBlank},
		{"hello world", ErrNotAudit},
		{"type=UNKNOWN[1423] msg=audit(1700000000.123:17", ErrTruncated},
		{`type=UNKNOWN[1423] msg=audit(1700000000.123:17): domain=1 blockers=fs.read_file path="/et`, ErrTruncated},
		{`type=UNKNOWN[1423] msg=audit(1700000000.123:17): domain=1`, ErrTruncated},
		{`type=UNKNOWN[1423] msg=audit(1700000000.123:17): domain=1 blockers=fs.read_file path=2F74ZZ`, ErrBadHex},
		{`type=UNKNOWN[1423] msg=audit(1700000000.123:17): domain=1 blockers=fs.read_file path=2F7`, ErrBadHex},
		{`type=UNKNOWN[1423] msg=audit(x.123:17): domain=1 blockers=fs.read_file`, ErrMalformed},
		{`type=UNKNOWN[1423] msg=audit(1700000000.123:y): domain=1 blockers=fs.read_file`, ErrMalformed},
		{`type=LANDLOCK_ACCESS msg=audit(11/27/2026 05:00:00.123:17) : domain=1 blockers=fs.read_file`, ErrInterpreted},
		{`{"MESSAGE":"hello","_TRANSPORT":"stdout"}`, ErrNotAudit},
		{`{"MESSAGE":"AUDIT1423 domain=1 blo`, ErrTruncated},
	} {
		_, err := ParseLine(tc.line)
		if !errors.Is(err, tc.want) {
			t.Errorf("ParseLine(%q) = %v, want %v", tc.line, err, tc.want)
		}
	}
}
