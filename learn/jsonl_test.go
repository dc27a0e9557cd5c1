package learn

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/policy"
)

func TestRoundTrip(t *testing.T) {
	in := []Observation{
		{Seq: 7, Syscall: "openat", PID: 812, Exe: "/usr/bin/cat", Path: "/etc/hostname", Type: TypeFile, FS: policy.FSReadFile},
		{Seq: 9, Syscall: "renameat2", PID: 812, Exe: "/usr/bin/mv", Path: "/w/d", Type: TypeDir, FS: policy.FSRemoveFile | policy.FSRefer, Src: "/w/d/f", Dst: "/w/g"},
		{Seq: 12, Syscall: "bind", PID: 813, Exe: "/usr/bin/python3.11", Port: PortPtr(0), Net: policy.NetBindTCP},
		{Seq: 15, Syscall: "kill", PID: 813, Exe: "/usr/bin/dash", Scope: "signal", Target: float64(1)},
		{Seq: 16, Syscall: "io_uring_setup", PID: 813, Exe: "/usr/bin/app", Warning: "io_uring: accesses through it are not traced"},
		{Seq: 17, Syscall: "openat", PID: 813, Path: "/tmp/a \"quoted\" <path>", Type: TypeFile, FS: policy.FSWriteFile, Created: true},
		// A newer tracer's right: kept by name, after the known ones.
		{Seq: 18, Syscall: "openat", PID: 813, Path: "/srv/s", Type: TypeSock, FS: policy.FSReadFile, Unknown: []string{"resolve_unix_v2"}},
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "run.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := NewWriter(f)
	for _, o := range in {
		if err := w.Record(o); err != nil {
			t.Fatal(err)
		}
	}
	if w.Count() != len(in) {
		t.Fatalf("Count = %d, want %d", w.Count(), len(in))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	out, err := ReadAll(f, f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip changed the observations:\n got %+v\nwant %+v", out, in)
	}
}

// The access list is one list of names; decoding sorts them by kind and
// keeps what it does not know, in order.
func TestAccessNames(t *testing.T) {
	line := `{"seq":1,"path":"/a","access":["fs.read_file","signal","bind_tcp","x_new","execute"]}`
	o, err := ReadAll(strings.NewReader(line), "a.jsonl")
	if err != nil || len(o) != 1 {
		t.Fatal(err)
	}
	if o[0].FS != policy.FSReadFile|policy.FSExecute || o[0].Net != policy.NetBindTCP || !reflect.DeepEqual(o[0].Unknown, []string{"signal", "x_new"}) {
		t.Errorf("decoded %+v", o[0])
	}
	if got := o[0].AccessNames(); !reflect.DeepEqual(got, []string{"execute", "read_file", "bind_tcp", "signal", "x_new"}) {
		t.Errorf("AccessNames = %q", got)
	}
}

// Port 0 is a real port (an ephemeral bind) and must survive the trip.
func TestPortZeroIsWritten(t *testing.T) {
	var b strings.Builder
	if err := NewWriter(&b).Record(Observation{Seq: 1, Port: PortPtr(0), Net: policy.NetBindTCP}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"port":0`) {
		t.Fatalf("port 0 was dropped: %s", b.String())
	}
}

func TestBadLines(t *testing.T) {
	for _, tc := range []struct {
		name, input string
		line        int
		msg         string
	}{
		{"truncated", "{\"seq\":1,\"path\":\"/a\",\"access\":[\"read_file\"]}\n{\"seq\":2,\"pa", 2, "not an observation"},
		{"unknown key", "\n\n{\"seq\":1,\"path\":\"/a\",\"acess\":[\"read_file\"]}\n", 3, "unknown field"},
		{"no object", "{\"seq\":1,\"access\":[\"read_file\"]}\n", 1, "none of path, port, scope or warning"},
		{"two values", "{\"seq\":1,\"path\":\"/a\"} {\"seq\":2}\n", 1, "more than one JSON value"},
		{"not json", "openat(\"/etc/hostname\") = 3\n", 1, "not an observation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadAll(strings.NewReader(tc.input), "run.jsonl")
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a *LineError", err)
			}
			if le.File != "run.jsonl" || le.Line != tc.line || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %q (line %d), want run.jsonl:%d: ...%s...", err, le.Line, tc.line, tc.msg)
			}
		})
	}
}

func TestSkipBad(t *testing.T) {
	r := NewReader(strings.NewReader("garbage\n{\"seq\":1,\"path\":\"/a\",\"access\":[\"read_file\"]}\n{\"seq\":2\n"), "x")
	r.SkipBad = true
	var n int
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 || r.Skipped != 2 {
		t.Fatalf("read %d, skipped %d; want 1 and 2", n, r.Skipped)
	}
}

// FuzzReader: whatever the bytes, the reader returns observations or a
// *LineError, never panics, and what it accepts writes back to an
// observation that reads the same.
func FuzzReader(f *testing.F) {
	f.Add(`{"seq":7,"syscall":"openat","pid":812,"exe":"/usr/bin/cat","path":"/etc/hostname","type":"file","access":["read_file"]}`)
	f.Add(`{"seq":12,"port":8080,"access":["bind_tcp"]}` + "\n" + `{"seq":15,"scope":"signal","target":1}`)
	f.Add(`{"seq":16,"warning":"io_uring"}` + "\n\n{")
	f.Fuzz(func(t *testing.T, s string) {
		rd := NewReader(strings.NewReader(s), "fuzz")
		for {
			o, err := rd.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				var le *LineError
				if !errors.As(err, &le) {
					t.Fatalf("error %v is not a *LineError", err)
				}
				return
			}
			var b strings.Builder
			if err := NewWriter(&b).Record(o); err != nil {
				t.Fatalf("accepted observation does not encode: %v", err)
			}
			back, err := ReadAll(strings.NewReader(b.String()), "again")
			if err != nil || len(back) != 1 {
				t.Fatalf("re-read of %q: %v", b.String(), err)
			}
		}
	})
}
