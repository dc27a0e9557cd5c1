package minimize

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/landlearn/landlearn/learn"
)

// readRunText is ReadRun of text, as landlearn minimize reads a file.
func readRunText(text string, o Options, skipBad bool) (*Builder, *learn.Reader, error) {
	b := New(o)
	rd := learn.NewReader(strings.NewReader(text), "run.jsonl")
	rd.SkipBad = skipBad
	return b, rd, ReadRun(b, rd)
}

// ReadRun gives the policy of the observations, however many chunks the
// file takes, and passes on the Reader's verdict on bad lines.
func TestReadRunMatchesMinimize(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "minimize", "build.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var big bytes.Buffer
	for big.Len() < 3<<20 {
		big.Write(data)
	}
	all, err := learn.ReadAll(bytes.NewReader(big.Bytes()), "big")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Minimize(all, Options{Vars: goldenVars})
	b, _, err := readRunText(big.String(), Options{Vars: goldenVars}, false)
	if err != nil {
		t.Fatal(err)
	}
	got, rep := b.Policy()
	if yamlOf(t, got) != yamlOf(t, want) || rep.Observations != len(all) || rep.Runs != 1 {
		t.Errorf("ReadRun and Minimize differ (%d vs %d observations, %d runs)", rep.Observations, len(all), rep.Runs)
	}

	text := big.String() + `{"seq":1,"path":"/a\u0000b","access":["read_file"]}` + "\n" + string(data)
	_, _, err = readRunText(text, Options{}, false)
	var le *learn.LineError
	if !errors.As(err, &le) || le.Line != strings.Count(big.String(), "\n")+1 || !strings.Contains(err.Error(), "NUL") {
		t.Errorf("error %v", err)
	}
	one, err := learn.ReadAll(bytes.NewReader(data), "one")
	if err != nil {
		t.Fatal(err)
	}
	b, rd, err := readRunText(text, Options{}, true)
	if _, rep := b.Policy(); err != nil || rd.Skipped != 1 || rep.Observations != len(all)+len(one) {
		t.Errorf("--skip-bad: %v, %d skipped, %d observations, want %d", err, rd.Skipped, rep.Observations, len(all)+len(one))
	}
}

// Files of several runs, concatenated: a run per header.
func TestReadRunRuns(t *testing.T) {
	var b strings.Builder
	w := learn.NewWriter(&b)
	for range 2 {
		w.WriteHeader(learn.Header{Version: learn.FormatVersion, Argv: []string{"cat"}, Cwd: "/w", Vars: goldenVars})
		w.Record(open("/w/f", "read_file"))
	}
	bd, _, err := readRunText(b.String(), Options{Vars: goldenVars}, false)
	if _, rep := bd.Policy(); err != nil || rep.Runs != 2 || rep.Observations != 2 {
		t.Errorf("%v: %d runs, %d observations", err, rep.Runs, rep.Observations)
	}
}

// addBorrowed adds o to b the way ReadRun hands observations over, only
// stricter: its Path, Src and Dst share a buffer that is overwritten as
// soon as add returns. A path the Builder kept without copying it (own)
// then shows as 0xff bytes in the policy, or no longer matches itself.
func addBorrowed(b *Builder, o learn.Observation) {
	buf := []byte(o.Path + o.Src + o.Dst)
	view := func(off, n int) string {
		if n == 0 {
			return ""
		}
		return unsafe.String(&buf[off], n)
	}
	p, s, d := len(o.Path), len(o.Src), len(o.Dst)
	o.Path, o.Src, o.Dst = view(0, p), view(p, s), view(p+s, d)
	b.add(&o)
	for i := range buf {
		buf[i] = 0xff
	}
}

// The Builder copies every string it keeps: observations whose memory is
// reused once added give the policy and report of the same observations
// kept whole. A path updated after it was first kept (seen as a
// directory, then as a file) must stay a copy too: assigning to a map
// entry replaces its key, and a key that shares reused memory no longer
// matches its path, which then counts twice.
func TestBuilderCopiesWhatItKeeps(t *testing.T) {
	updated := cat(openDir("/w/x"), open("/w/x", "read_file"))
	for i := range 100 {
		updated = append(updated, open(fmt.Sprintf("/w/filler%d", i), "read_file"))
	}
	updated = append(updated, open("/w/x", "read_file"))
	for name, obs := range map[string][]learn.Observation{
		"build":   readRun(t, "build.jsonl"),
		"updated": updated,
	} {
		o := Options{Vars: goldenVars, Collapse: DefaultCollapse}
		want, wantRep := Minimize(obs, o)
		b := New(o)
		b.StartRun(nil)
		for _, ob := range obs {
			addBorrowed(b, ob)
		}
		got, rep := b.Policy()
		if yamlOf(t, got) != yamlOf(t, want) || rep.PathsObserved != wantRep.PathsObserved || rep.FilesObserved != wantRep.FilesObserved {
			t.Errorf("%s: with reused memory, %d paths and %d files observed, want %d and %d; policy:\n%s\nwant:\n%s", name,
				rep.PathsObserved, rep.FilesObserved, wantRep.PathsObserved, wantRep.FilesObserved, yamlOf(t, got), yamlOf(t, want))
		}
	}
}

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
		if err := ReadRun(bd, learn.NewReader(bytes.NewReader(in.Bytes()), "bench")); err != nil {
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
