package learn

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/policy"
)

// jsonLine is what encoding/json writes for o, as the Writer's fallback.
func jsonLine(t *testing.T, o Observation) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(o); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestAppendLineMatchesJSON(t *testing.T) {
	port := uint16(0)
	high := uint16(65535)
	fixed := []Observation{
		{},
		{Seq: 1, Syscall: "openat", PID: 812, Exe: "/usr/bin/cat", Path: "/etc/hostname", Type: "file", FS: policy.FSReadFile},
		{Seq: 2, Syscall: "openat", PID: -1, Path: "/tmp", Type: "dir", FS: policy.FSMakeReg, Created: true, Dst: "/tmp/x"},
		{Seq: 3, Syscall: "unlink", Path: "/tmp", Type: "dir", FS: policy.FSRemoveFile, Deleted: true, Src: "/tmp/x"},
		{Seq: 4, Syscall: "bind", Port: &port, Net: policy.NetBindTCP},
		{Seq: 5, Syscall: "connect", Port: &high},
		{Seq: 6, Syscall: "connect", Port: &high, Net: policy.NetConnectTCP, FS: policy.FSReadFile, Unknown: []string{"bind_udp2", "signal"}},
		{Seq: 6, Syscall: "kill", Scope: "signal", Target: 4242},
		{Seq: 7, Syscall: "connect", Scope: "abstract_unix_socket", Target: "@x"},
		{Seq: 8, Syscall: "io_uring_setup", Warning: "io_uring: accesses through it are not traced"},
		{Seq: 9, Path: "/tmp/a \"quoted\" name", Type: "file"},
		{Seq: 10, Path: "/tmp/back\\slash\n", Type: "file"},
		{Seq: 11, Path: "/tmp/caf\u00e9/\u2028", Type: "file"},
		{Seq: 12, Path: "/tmp/bad\xffutf8", Type: "file"},
		{Seq: 13, Path: "/tmp/<html>&amp;", Type: "file"},
		{Seq: 18446744073709551615, Syscall: "x32", PID: 2147483647},
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "/", " ", "\"", "\\", "\x00", "\x1f", "\x7f", "é", "<", "&", "\u2029", "\xfe", "~"}
	str := func() string {
		var b []byte
		for range r.IntN(6) {
			// Mostly plain characters, so that both paths are taken.
			if r.IntN(40) == 0 {
				b = append(b, alphabet[r.IntN(len(alphabet))]...)
			} else {
				b = append(b, byte('a'+r.IntN(26)))
			}
		}
		return string(b)
	}
	for i := range 5000 {
		o := Observation{Seq: r.Uint64(), Syscall: str(), PID: r.IntN(3) - 1, Exe: str(), Path: str(), Type: str(),
			Created: r.IntN(2) == 0, Deleted: r.IntN(2) == 0, Src: str(), Dst: str(), Scope: str(), Warning: str()}
		o.FS = policy.FSAccess(r.Uint64()) & policy.AllFS(policy.NewestABI)
		o.Net = policy.NetAccess(r.Uint64()) & policy.AllNet(policy.NewestABI)
		if r.IntN(4) == 0 {
			o.Unknown = append(o.Unknown, str())
		}
		if i%3 == 0 {
			o.Port = new(uint16)
			*o.Port = uint16(r.Uint32())
		}
		fixed = append(fixed, o)
	}
	fast := 0
	for _, o := range fixed {
		want := jsonLine(t, o)
		got, ok := appendLine(nil, &o, map[[2]uint64]string{})
		if !ok {
			continue
		}
		fast++
		if !bytes.Equal(got, want) {
			t.Fatalf("appendLine(%+v)\n got %s\nwant %s", o, got, want)
		}
	}
	if fast < 100 {
		t.Fatalf("only %d of %d observations took the fast path", fast, len(fixed))
	}
	// And the Writer writes encoding/json's bytes (of what ValidUTF8 makes
	// of the observation) whichever path it takes.
	var out, want bytes.Buffer
	w := NewWriter(&out)
	for _, o := range fixed {
		if err := w.Record(o); err != nil {
			t.Fatal(err)
		}
		want.Write(jsonLine(t, ValidUTF8(o)))
	}
	if !bytes.Equal(out.Bytes(), want.Bytes()) {
		t.Fatal("the Writer's lines differ from encoding/json's")
	}
}

func BenchmarkWriterRecord(b *testing.B) {
	o := Observation{Seq: 123456, Syscall: "openat", PID: 81234, Exe: "/usr/bin/cat", Path: "/usr/share/doc/bash/copyright", Type: "file", FS: policy.FSReadFile}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for b.Loop() {
		buf.Reset()
		w.Record(o)
	}
}

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
