package minimize

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

	"github.com/landlearn/landlearn/learn"
)

// lines that the fast decoder must take, and lines it must leave to the
// strict decoder (which may accept them or not).
var decoderSeeds = []string{
	`{"seq":7,"syscall":"openat","pid":812,"exe":"/usr/bin/cat","path":"/etc/hostname","type":"file","access":["read_file"]}`,
	`{"seq":9,"syscall":"renameat2","pid":812,"exe":"/usr/bin/mv","path":"/w/d","type":"dir","access":["remove_file","refer"],"src":"/w/d/f","dst":"/w/g"}`,
	`{"seq":12,"syscall":"bind","pid":813,"exe":"/usr/bin/python3.11","port":8080,"access":["bind_tcp"]}`,
	`{"seq":15,"syscall":"kill","pid":813,"exe":"/usr/bin/dash","scope":"signal","target":1}`,
	`{"seq":16,"syscall":"io_uring_setup","pid":813,"exe":"/usr/bin/app","warning":"io_uring: accesses through it are not traced"}`,
	`{"seq":1,"path":"/a","created":true,"deleted":false,"access":[]}`,
	` { "seq" : 1 , "path" : "/é" , "access" : [ "read_file" ] } `,
	`{"seq":1,"port":0,"access":["bind_tcp"]}`,
	`{"seq":1,"scope":"abstract_unix_socket","target":"@sock"}`,
	// Keys out of learn.Writer's order, twice (the last wins), and a
	// string that starts as a cached one (openat) and goes on:
	`{"path":"/a","seq":1,"exe":"/usr/bin/cat","seq":2,"exe":"/usr/bin/mv","access":["read_file"]}`,
	`{"seq":1,"syscall":"openatx","pid":5,"exe":"/usr/bin/catx","path":"/a","type":"filex","access":["read_file"]}`,
	// Left to the strict decoder:
	`{"seq":1,"path":"/a\"b","access":["read_file"]}`,
	`{"seq":1,"syscall":"openat\"","path":"/a"}`,
	`{"seq":1,"path":"/a\u00e9","access":["read_file"]}`,
	`{"SEQ":1,"path":"/a"}`,
	`{"seq":1,"path":null,"port":80}`,
	`{"seq":1.0,"path":"/a"}`,
	`{"seq":01,"path":"/a"}`,
	`{"seq":-1,"path":"/a"}`,
	`{"seq":1,"port":65536,"access":["bind_tcp"]}`,
	`{"seq":1,"path":"/a","extra":1}`,
	`{"seq":1}`,
	`{"seq":1,"path":"/a"} {}`,
	`{"seq":1,"path":"/a",}`,
	`{"seq":1,"path":"/a","target":-3}`,
	`{"seq":1,"path":"/a","target":1.5}`,
	`{"seq":1,"path":"/a","created":1}`,
	"{\"seq\":1,\"path\":\"/\xff\"}",
	`{"seq":99999999999999999999999,"path":"/a"}`,
	`[1]`,
	`{`,
}

// The fast decoder is only an accelerator: whatever it accepts, the
// strict decoder accepts as the same observation.
func checkFastMatchesStrict(t *testing.T, line string) {
	if strings.Contains(line, "\n") {
		return // decodeChunk splits lines first: the decoders never see one
	}
	// A new decoder, and one that decoded the seeds before: their
	// syscalls, executables and types are cached, and compared with.
	seen := newDecoder()
	for _, l := range decoderSeeds {
		seen.fast([]byte(l), &learn.Observation{})
	}
	for _, d := range []*decoder{newDecoder(), seen} {
		var o learn.Observation
		if !d.fast([]byte(line), &o) {
			continue
		}
		want, err := learn.NewReader(strings.NewReader(line), "x").Next()
		if err != nil {
			t.Fatalf("fast decoder accepted a line the strict one refuses (%v): %q", err, line)
		}
		if !reflect.DeepEqual(o, want) {
			t.Fatalf("line %q\nfast   %+v\nstrict %+v", line, o, want)
		}
	}
}

func TestFastDecoderMatchesStrict(t *testing.T) {
	took := 0
	for _, l := range decoderSeeds {
		checkFastMatchesStrict(t, l)
		var o learn.Observation
		if newDecoder().fast([]byte(l), &o) {
			took++
		}
	}
	if took != 11 {
		t.Errorf("fast decoder took %d seed lines, want the 11 plain ones", took)
	}
}

func FuzzFastDecoder(f *testing.F) {
	for _, l := range decoderSeeds {
		f.Add(l)
	}
	f.Fuzz(checkFastMatchesStrict)
}

// ReadRun and learn.ReadAll agree on the observations and on errors.
func TestReadRunMatchesReadAll(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "minimize", "build.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	// Many chunks: repeat the run past ReadRun's 1 MiB chunk size.
	var big bytes.Buffer
	for big.Len() < 3<<20 {
		big.Write(data)
		big.WriteString("\n") // blank lines count as lines
	}
	all, err := learn.ReadAll(bytes.NewReader(big.Bytes()), "big")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Minimize(all, Options{Vars: goldenVars})
	b := New(Options{Vars: goldenVars})
	if _, err := ReadRun(b, bytes.NewReader(big.Bytes()), "big", false); err != nil {
		t.Fatal(err)
	}
	got, rep := b.Policy()
	if yamlOf(t, got) != yamlOf(t, want) || rep.Observations != len(all) {
		t.Errorf("ReadRun and ReadAll differ (%d vs %d observations)", rep.Observations, len(all))
	}

	// A bad line deep in the file: same file:line as learn's reader.
	lines := strings.Split(big.String(), "\n")
	bad := len(lines) - 7
	lines[bad] = `{"seq":1,"path":"/a","bogus":true}`
	text := strings.Join(lines, "\n")
	_, wantErr := learn.ReadAll(strings.NewReader(text), "big")
	_, gotErr := ReadRun(New(Options{}), strings.NewReader(text), "big", false)
	var le *learn.LineError
	if !errors.As(gotErr, &le) || gotErr.Error() != wantErr.Error() || le.Line != bad+1 {
		t.Errorf("error %v, want %v (line %d)", gotErr, wantErr, bad+1)
	}
	skipped, err := ReadRun(New(Options{}), strings.NewReader(text), "big", true)
	if err != nil || skipped != 1 {
		t.Errorf("skipBad: %d skipped, %v", skipped, err)
	}
	// Reading fails: the error says so.
	if _, err := ReadRun(New(Options{}), io.MultiReader(strings.NewReader(decoderSeeds[0]+"\n"), errReader{}), "r", false); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("read error: %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, fmt.Errorf("disk on fire") }

// BenchmarkReadRun measures decoding plus minimizing, per observation,
// on a build-like run (go test -bench ReadRun ./minimize).
func BenchmarkReadRun(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "minimize", "build.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	var in bytes.Buffer
	for i := 0; in.Len() < 8<<20; i++ {
		// Vary the paths so that the maps grow as in a real run.
		in.Write(bytes.ReplaceAll(data, []byte("/proj/"), fmt.Appendf(nil, "/proj%d/", i%500)))
	}
	lines := bytes.Count(in.Bytes(), []byte{'\n'})
	b.SetBytes(int64(in.Len()))
	b.ResetTimer()
	for range b.N {
		bd := New(Options{Vars: goldenVars, Collapse: DefaultCollapse})
		if _, err := ReadRun(bd, bytes.NewReader(in.Bytes()), "bench", false); err != nil {
			b.Fatal(err)
		}
		bd.Policy()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*lines), "ns/obs")
}

// BenchmarkAdd measures the Builder alone, on decoded observations.
func BenchmarkAdd(b *testing.B) {
	obs := readRunB(b, "build.jsonl")
	b.ResetTimer()
	for range b.N {
		bd := New(Options{Vars: goldenVars})
		for i := range 1000 {
			for _, o := range obs {
				if o.Path != "" && i%10 != 0 {
					o.Path += fmt.Sprint(i % 100)
				}
				bd.Add(o)
			}
		}
		bd.Policy()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000*len(obs)), "ns/obs")
}

func readRunB(b *testing.B, name string) []learn.Observation {
	f, err := os.Open(filepath.Join("..", "testdata", "minimize", name))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	obs, err := learn.ReadAll(f, name)
	if err != nil {
		b.Fatal(err)
	}
	return obs
}
