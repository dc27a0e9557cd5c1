package learn

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/policy"
)

// obsN is the n-th of a run of test observations.
func obsN(n int) Observation {
	return Observation{Seq: uint64(n), Syscall: "openat", PID: 812, Exe: "/usr/bin/cat",
		Path: fmt.Sprintf("/srv/data/%06d", n), Type: TypeFile, FS: policy.FSReadFile}
}

// A mapped file holds, once closed, exactly what write(2) would have
// written: the same bytes, over several chunks, and no padding.
func TestFileWriterSameBytes(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "run.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := NewFileWriter(f)
	if w.m == nil {
		testkit.Skip(t, "the file cannot be mapped here (no fallocate?)")
	}
	var want bytes.Buffer
	ref := NewWriter(&want)
	h := Header{Version: FormatVersion, Argv: []string{"make"}, Cwd: "/w", Vars: policy.Vars{"PWD": "/w"}}
	for _, x := range []*Writer{w, ref} {
		if err := x.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	n := 3 * mapChunk / 100 // lines of about 120 bytes: three chunks and more
	for i := range n {
		for _, x := range []*Writer{w, ref} {
			if err := x.Record(obsN(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("the mapped file (%d bytes) differs from write(2)'s (%d bytes)", len(got), want.Len())
	}
	if err := w.Record(obsN(0)); err == nil {
		t.Error("a Record after Close succeeded")
	}
}

// Where the file cannot be mapped, lines go with write(2).
func TestFileWriterFallsBack(t *testing.T) {
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer pw.Close()
	wo, err := os.OpenFile(filepath.Join(t.TempDir(), "wo.jsonl"), os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer wo.Close()
	for _, f := range []*os.File{pw, wo} {
		w := NewFileWriter(f)
		if w.m != nil {
			t.Errorf("%s is mapped", f.Name())
		}
		if err := w.Record(obsN(1)); err != nil {
			t.Errorf("%s: %v", f.Name(), err)
		}
		w.Close()
	}
	if b, _ := os.ReadFile(wo.Name()); !strings.Contains(string(b), `"seq":1,`) {
		t.Errorf("the write-only file holds %q", b)
	}
}

// envKilledWriter makes the test binary write lines to the file it
// names with a NewFileWriter, then kill itself (TestMain).
const envKilledWriter = "LANDLEARN_TEST_KILLED_WRITER"

func TestMain(m *testing.M) {
	if p := os.Getenv(envKilledWriter); p != "" {
		f, err := os.Create(p)
		if err != nil {
			os.Exit(2)
		}
		w := NewFileWriter(f)
		w.WriteHeader(Header{Version: FormatVersion, Argv: []string{"x"}})
		n, _ := strconv.Atoi(os.Getenv(envKilledWriter + "_N"))
		for i := range n {
			w.Record(obsN(i))
		}
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
	}
	os.Exit(m.Run())
}

// A writer killed with SIGKILL leaves every line it wrote, then NUL
// padding, and the Reader reads the lines back.
func TestFileWriterKilled(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "run.jsonl")
	const n = 12345 // more than a chunk
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), envKilledWriter+"="+p, envKilledWriter+"_N="+strconv.Itoa(n))
	if err := cmd.Run(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("the writer ended with %v, want killed", err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 || b[len(b)-1] != 0 {
		testkit.Skip(t, "no padding: the file was not mapped here (no fallocate?)")
	}
	obs, err := ReadAll(bytes.NewReader(b), p)
	if err != nil {
		t.Fatalf("the file of a killed writer does not read back: %v", err)
	}
	if len(obs) != n || obs[n-1].Path != obsN(n-1).Path {
		t.Errorf("read %d observations back, want %d", len(obs), n)
	}
}

// NUL padding: a line cut by the kill before it is dropped, and a run
// put after it (cat a.jsonl b.jsonl) reads.
func TestReaderSkipsPadding(t *testing.T) {
	var one, two bytes.Buffer
	w1, w2 := NewWriter(&one), NewWriter(&two)
	w1.WriteHeader(Header{Version: FormatVersion, Argv: []string{"a"}})
	w1.Record(obsN(1))
	w1.Record(obsN(2))
	w2.WriteHeader(Header{Version: FormatVersion, Argv: []string{"b"}})
	w2.Record(obsN(3))
	cut := one.Bytes()[:one.Len()-20] // the last line, cut by the kill
	pad := make([]byte, 5000)
	for _, tc := range []struct {
		name string
		file []byte
		runs []int // observations per run
	}{
		{"padding", append(append([]byte(nil), one.Bytes()...), pad...), []int{2}},
		{"cut line", append(append([]byte(nil), cut...), pad...), []int{1}},
		{"then another run", append(append(append([]byte(nil), cut...), pad...), two.Bytes()...), []int{1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rd := NewReader(bytes.NewReader(tc.file), "run.jsonl")
			var got []int
			for run := range rd.Runs() {
				k := 0
				for range run.Observations() {
					k++
				}
				got = append(got, k)
			}
			if err := rd.Err(); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.runs) {
				t.Errorf("observations per run %v, want %v", got, tc.runs)
			}
		})
	}
}
