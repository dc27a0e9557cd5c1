package learn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/landlearn/landlearn/internal/testkit"
)

// lineByLine decodes text one line at a time with the strict decoder: what
// the Reader must yield, whatever its chunks and decoders.
func lineByLine(t *testing.T, text string) []Observation {
	t.Helper()
	var out []Observation
	for i, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		o, h, err := decodeLine([]byte(l))
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if h == nil {
			out = append(out, o)
		}
	}
	return out
}

// readAll is ReadAll with a chunk size and reader of the test's choosing.
func readAll(r io.Reader, size int, skipBad bool) ([]Observation, *Reader) {
	rd := newReader(r, "run.jsonl", size)
	rd.SkipBad = skipBad
	var out []Observation
	for run := range rd.Runs() {
		for o := range run.Observations() {
			c := *o
			c.Path, c.Src, c.Dst = strings.Clone(c.Path), strings.Clone(c.Src), strings.Clone(c.Dst)
			out = append(out, c)
		}
	}
	return out, rd
}

// buildRun is the repository's sample build, repeated until it is n bytes.
func buildRun(t *testing.T, n int) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "minimize", "build.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for b.Len() < n {
		b.Write(data)
		b.WriteString("\n") // blank lines count as lines
	}
	return b.String()
}

// Chunks of any size, lines longer than a chunk, readers that return a
// few bytes at a time: the observations of the lines, in order.
func TestReaderChunks(t *testing.T) {
	text := buildRun(t, 200<<10)
	long := `{"seq":2,"syscall":"openat","pid":812,"exe":"/usr/bin/cat","path":"/d/` + strings.Repeat("x", 3000) + `","type":"file","access":["read_file"]}` + "\n"
	text = long + text + long + long + text[:len(text)-1] // and no final newline
	want := lineByLine(t, text)
	for _, size := range []int{64, 1000, 4096, 64 << 10, chunkSize} {
		for name, r := range map[string]func() io.Reader{
			"whole":    func() io.Reader { return strings.NewReader(text) },
			"half":     func() io.Reader { return iotest.HalfReader(strings.NewReader(text)) },
			"one byte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(text)) },
		} {
			if name == "one byte" && size != 1000 {
				continue // slow; one size is enough
			}
			got, rd := readAll(r(), size, false)
			if rd.Err() != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("chunks of %d, %s reader: %d observations (%v), want %d", size, name, len(got), rd.Err(), len(want))
			}
		}
	}
}

// The strings of an observation share the Reader's buffers, which are
// used again for later chunks: a string kept without a copy changes. So
// a consumer must copy what it keeps, and ReadAll does.
func TestReaderReusesChunks(t *testing.T) {
	var text strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&text, `{"seq":%d,"path":"/w/file%04d","access":["read_file"]}`+"\n", i, i)
	}
	rd := newReader(strings.NewReader(text.String()), "run.jsonl", 1024)
	var kept []string // without a copy
	n := 0
	for run := range rd.Runs() {
		for o := range run.Observations() {
			if want := fmt.Sprintf("/w/file%04d", n); o.Path != want {
				t.Fatalf("observation %d: path %q, want %q", n, o.Path, want)
			}
			kept = append(kept, o.Path)
			n++
		}
	}
	changed := 0
	for i, p := range kept {
		if p != fmt.Sprintf("/w/file%04d", i) {
			changed++
		}
	}
	if n != 2000 || changed == 0 {
		t.Errorf("%d observations, %d kept paths changed: the Reader does not reuse its chunks", n, changed)
	}
	all, err := ReadAll(strings.NewReader(text.String()), "run.jsonl")
	if err != nil || len(all) != 2000 || all[0].Path != "/w/file0000" || all[1999].Path != "/w/file1999" {
		t.Errorf("ReadAll: %d observations, %v", len(all), err)
	}
}

// Bad lines are named by file and line, the same at any chunk size, and
// are never taken for other observations.
func TestBadLines(t *testing.T) {
	good := `{"seq":1,"path":"/a","access":["read_file"]}`
	for _, tc := range []struct {
		name, input string
		line        int
		msg         string
	}{
		{"truncated", good + "\n{\"seq\":2,\"pa", 2, "not an observation"},
		{"unknown key", "\n\n{\"seq\":1,\"path\":\"/a\",\"acess\":[\"read_file\"]}\n", 3, "unknown field"},
		{"no object", "{\"seq\":1,\"access\":[\"read_file\"]}\n", 1, "none of path, port, scope or warning"},
		{"two values", "{\"seq\":1,\"path\":\"/a\"} {\"seq\":2}\n", 1, "more than one JSON value"},
		{"not json", "openat(\"/etc/hostname\") = 3\n", 1, "not an observation"},
		{"NUL", good + "\n" + `{"seq":2,"path":"/tmp/a\u0000b","access":["read_file"]}`, 2, `path "/tmp/a\x00b" holds a NUL byte`},
		{"NUL in dst", `{"seq":2,"path":"/tmp","dst":"/tmp/\u0000","access":["make_reg"]}`, 1, "dst"},
		{"PATH_MAX", good + "\n" + good + "\n" + `{"seq":3,"path":"/` + strings.Repeat("a", 4095) + `","access":["read_file"]}`, 3, "path is 4096 bytes long"},
		{"not UTF-8", `{"seq":1,"path":"/tmp/caf` + "\xe9" + `","access":["read_file"]}`, 1, "not valid UTF-8 at byte 26"},
		{"lone surrogate", `{"seq":1,"path":"/tmp/\udc80","access":["read_file"]}`, 1, `\udc80 is half of a UTF-16 surrogate pair`},
		{"newer format", `{"landlearn":"observations","version":3,"argv":[],"cwd":"/","vars":{}}`, 1, "version 3 is newer than this landlearn reads (2)"},
		{"bad header", `{"landlearn":"traces","version":2,"argv":[],"cwd":"/","vars":{}}`, 1, `not an observations header: "landlearn" is "traces"`},
		{"relative var", `{"landlearn":"observations","version":2,"argv":[],"cwd":"/","vars":{"HOME":"home"}}`, 1, `${HOME} "home" is not an absolute path`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, size := range []int{16, chunkSize} {
				_, rd := readAll(strings.NewReader(tc.input), size, false)
				err := rd.Err()
				var le *LineError
				if !errors.As(err, &le) {
					t.Fatalf("err = %v, want a *LineError", err)
				}
				if le.File != "run.jsonl" || le.Line != tc.line || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("err = %q (line %d), want run.jsonl:%d: ...%s...", err, le.Line, tc.line, tc.msg)
				}
				_, rd = readAll(strings.NewReader(tc.input), size, true)
				if tc.name == "newer format" {
					// Never skipped: the lines after it may mean
					// something this landlearn does not know.
					if !errors.Is(rd.Err(), ErrNewerFormat) {
						t.Errorf("SkipBad of a newer header: %v, want ErrNewerFormat", rd.Err())
					}
					continue
				}
				if rd.Err() != nil || rd.Skipped != 1 {
					t.Errorf("SkipBad: %v, %d skipped", rd.Err(), rd.Skipped)
				}
			}
		})
	}
}

// A line longer than any observation or header is named, and skipped
// with SkipBad without being read into memory whole.
func TestOverlongLine(t *testing.T) {
	good := `{"seq":1,"path":"/a","access":["read_file"]}` + "\n"
	input := func() io.Reader {
		return io.MultiReader(strings.NewReader(good), strings.NewReader(`{"seq":2,"path":"/`),
			io.LimitReader(repeatReader('a'), maxLine+10), strings.NewReader("\"}\n"+good+good))
	}
	got, rd := readAll(input(), chunkSize, false)
	var le *LineError
	if !errors.As(rd.Err(), &le) || le.Line != 2 || !strings.Contains(le.Error(), "run.jsonl:2: line is longer than 16 MiB") || len(got) != 1 {
		t.Fatalf("%d observations, err %v", len(got), rd.Err())
	}
	got, rd = readAll(input(), chunkSize, true)
	if rd.Err() != nil || rd.Skipped != 1 || len(got) != 3 {
		t.Fatalf("SkipBad: %d observations, %d skipped, err %v", len(got), rd.Skipped, rd.Err())
	}
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// The first bad line in the file is the one reported, however the
// chunks were shared among the decoders.
func TestBadLineDeepInAFile(t *testing.T) {
	lines := strings.Split(buildRun(t, 3<<20), "\n")
	bad := len(lines) - 7
	lines[bad] = `{"seq":1,"path":"/a","bogus":true}`
	lines[bad+3] = `{"seq":1,"path":"/b","bogus":true}`
	text := strings.Join(lines, "\n")
	_, rd := readAll(strings.NewReader(text), chunkSize, false)
	var le *LineError
	if !errors.As(rd.Err(), &le) || le.Line != bad+1 {
		t.Errorf("error %v, want line %d", rd.Err(), bad+1)
	}
	got, rd := readAll(strings.NewReader(text), chunkSize, true)
	if rd.Err() != nil || rd.Skipped != 2 || len(got) != len(lineByLine(t, strings.Join(append(lines[:bad:bad], lines[bad+1:bad+3]...), "\n")))+len(lineByLine(t, strings.Join(lines[bad+4:], "\n"))) {
		t.Errorf("SkipBad: %d observations, %d skipped, %v", len(got), rd.Skipped, rd.Err())
	}
}

// A read error ends the runs and says so, after the lines read before.
func TestReadError(t *testing.T) {
	good := `{"seq":1,"path":"/a","access":["read_file"]}` + "\n"
	got, rd := readAll(io.MultiReader(strings.NewReader(good+good), iotest.ErrReader(errors.New("disk on fire"))), chunkSize, false)
	if err := rd.Err(); err == nil || err.Error() != "read run.jsonl: disk on fire" || len(got) != 2 {
		t.Errorf("%d observations, err %v", len(got), err)
	}
}

// A consumer may stop early: the Reader's goroutines stop too, and the
// rest of a run left unread is skipped.
func TestReaderStopsEarly(t *testing.T) {
	text := buildRun(t, 2<<20)
	rd := NewReader(strings.NewReader(text), "run.jsonl")
	n := 0
	for run := range rd.Runs() {
		for range run.Observations() {
			if n++; n == 10 {
				break
			}
		}
	}
	if n != 10 || rd.Err() != nil {
		t.Errorf("%d observations, %v", n, rd.Err())
	}
	rd = NewReader(strings.NewReader(text), "run.jsonl")
	for range rd.Runs() {
		break
	}
}

// FuzzReader: whatever the bytes, the reader yields observations or ends
// with a *LineError, never panics, and what it accepts writes back to an
// observation that reads the same.
func FuzzReader(f *testing.F) {
	f.Add(`{"seq":7,"syscall":"openat","pid":812,"exe":"/usr/bin/cat","path":"/etc/hostname","type":"file","access":["read_file"]}`)
	f.Add(`{"seq":12,"port":8080,"access":["bind_tcp"]}` + "\n" + `{"seq":15,"scope":"signal","target":1}`)
	f.Add(`{"seq":16,"warning":"io_uring"}` + "\n\n{")
	f.Add(`{"landlearn":"observations","version":2,"argv":["make"],"cwd":"/w","vars":{"HOME":"/root"}}` + "\n" +
		`{"seq":1,"path":"/a\u00e9\ud83d\ude00","access":["read_file","x"]}` + "\n" + `{"landlearn":"observations","version":2,"argv":[],"cwd":"/","vars":{}}`)
	f.Fuzz(func(t *testing.T, s string) {
		for _, size := range []int{7, chunkSize} {
			rd := newReader(strings.NewReader(s), "fuzz", size)
			for run := range rd.Runs() {
				if run.Header != nil {
					var b bytes.Buffer
					if err := NewWriter(&b).WriteHeader(*run.Header); err != nil {
						t.Fatalf("accepted header does not encode: %v", err)
					}
				}
				for o := range run.Observations() {
					var b strings.Builder
					if err := NewWriter(&b).Record(*o); err != nil {
						t.Fatalf("accepted observation does not encode: %v", err)
					}
					back, err := ReadAll(strings.NewReader(b.String()), "again")
					if err != nil || len(back) != 1 {
						t.Fatalf("re-read of %q: %v", b.String(), err)
					}
				}
			}
			if err := rd.Err(); err != nil {
				var le *LineError
				if !errors.As(err, &le) {
					t.Fatalf("error %v is not a *LineError", err)
				}
			}
		}
	})
}

// BenchmarkReader measures reading and decoding alone, on a build-like
// run (go test -bench Reader ./learn).
func BenchmarkReader(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "minimize", "build.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	var in bytes.Buffer
	for i := 0; in.Len() < 8<<20; i++ {
		in.Write(bytes.ReplaceAll(data, []byte("/proj/"), fmt.Appendf(nil, "/proj%d/", i%500)))
	}
	benchRead(b, in.Bytes())
}

// BenchmarkReaderFile is BenchmarkReader on the JSONL file named by
// $LANDLEARN_BENCH_JSONL (KEEP=1 bench/minimize.sh keeps one): the
// decoding half of minimize's BenchmarkReadRunFile.
func BenchmarkReaderFile(b *testing.B) {
	name := os.Getenv("LANDLEARN_BENCH_JSONL")
	if name == "" {
		testkit.Skip(b, "LANDLEARN_BENCH_JSONL is not set")
	}
	data, err := os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	benchRead(b, data)
}

func benchRead(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	n := 0
	for range b.N {
		rd := NewReader(bytes.NewReader(data), "bench")
		for run := range rd.Runs() {
			for range run.Observations() {
				n++
			}
		}
		if err := rd.Err(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/obs")
}
