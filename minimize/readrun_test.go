package minimize

import (
	"flag"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/landlearn/landlearn/learn"
)

// Lines longer than ReadRun's chunks, and readers that return a few
// bytes at a time: the same policy as learn.ReadAll's observations.
func TestReadRunLongLines(t *testing.T) {
	var text strings.Builder
	for i := range 3 {
		text.WriteString(decoderSeeds[0] + "\n")
		long := "/d/" + strings.Repeat("x", (i+1)*chunkSize) // 1, 2, 3 chunks
		text.WriteString(`{"seq":2,"syscall":"openat","pid":812,"exe":"/usr/bin/cat","path":"` + long + `","type":"file","access":["read_file"]}` + "\n")
	}
	text.WriteString(decoderSeeds[1]) // no final newline
	all, err := learn.ReadAll(strings.NewReader(text.String()), "long")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Minimize(all, Options{Vars: goldenVars})
	readers := map[string]io.Reader{
		"whole":    strings.NewReader(text.String()),
		"half":     iotest.HalfReader(strings.NewReader(text.String())),
		"one byte": iotest.OneByteReader(strings.NewReader(text.String())),
	}
	for name, r := range readers {
		b := New(Options{Vars: goldenVars})
		if _, err := ReadRun(b, r, "long", false); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, rep := b.Policy()
		if yamlOf(t, got) != yamlOf(t, want) || rep.Observations != len(all) {
			t.Errorf("%s: ReadRun and ReadAll differ (%d vs %d observations)", name, rep.Observations, len(all))
		}
	}
}

// Every test of the package runs with poisoned chunk buffers: a path
// that the Builder keeps without copying it from ReadRun's chunk would
// show in the golden policies as 0xff bytes. Not when benchmarking: the
// poisoning would be timed.
func TestMain(m *testing.M) {
	flag.Parse()
	poisonChunks = flag.Lookup("test.bench").Value.String() == ""
	os.Exit(m.Run())
}

// A path the Builder updates after it first kept it (seen as a
// directory, then as a file) must stay a copy: assigning to a map entry
// replaces its key, and a key that shares a poisoned chunk no longer
// matches its path, which then counts twice.
func TestReadRunKeepsUpdatedPaths(t *testing.T) {
	line := func(path, typ, right string) string {
		return `{"seq":1,"syscall":"openat","pid":812,"exe":"/usr/bin/cat","path":"` + path + `","type":"` + typ + `","access":["` + right + `"]}` + "\n"
	}
	var text strings.Builder
	text.WriteString(line("/w/x", "dir", "read_dir"))
	text.WriteString(line("/w/x", "file", "read_file"))
	for text.Len() < 3*chunkSize { // the next lines in other chunks
		text.WriteString(line("/w/filler", "file", "read_file"))
	}
	text.WriteString(line("/w/x", "file", "read_file"))
	all, err := learn.ReadAll(strings.NewReader(text.String()), "run")
	if err != nil {
		t.Fatal(err)
	}
	_, want := Minimize(all, Options{Vars: goldenVars})
	b := New(Options{Vars: goldenVars})
	if _, err := ReadRun(b, strings.NewReader(text.String()), "run", false); err != nil {
		t.Fatal(err)
	}
	_, rep := b.Policy()
	if rep.PathsObserved != want.PathsObserved || rep.FilesObserved != want.FilesObserved {
		t.Errorf("paths, files observed = %d, %d; want %d, %d", rep.PathsObserved, rep.FilesObserved, want.PathsObserved, want.FilesObserved)
	}
}
