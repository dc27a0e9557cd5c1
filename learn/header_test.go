package learn

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/policy"
)

// runsOf reads text and returns each run's header and paths.
func runsOf(t *testing.T, text string) (heads []*Header, paths [][]string) {
	t.Helper()
	rd := NewReader(strings.NewReader(text), "run.jsonl")
	for run := range rd.Runs() {
		heads = append(heads, run.Header)
		var ps []string
		for o := range run.Observations() {
			ps = append(ps, o.Path)
		}
		paths = append(paths, ps)
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	return heads, paths
}

// A file starts with its run's header; files can be concatenated, and a
// header then starts the next run.
func TestHeaderStartsRuns(t *testing.T) {
	h1 := Header{Version: FormatVersion, Argv: []string{"make", "-j2"}, Cwd: "/home/dev/proj",
		Vars: policy.Vars{"HOME": "/home/dev", "PWD": "/home/dev/proj", "TMPDIR": "/tmp"}, Data: []string{"/home/dev/proj/data"}}
	h2 := Header{Version: FormatVersion, Argv: []string{"true"}, Cwd: "/", Vars: policy.Vars{}}
	var b strings.Builder
	w := NewWriter(&b)
	w.WriteHeader(h1)
	w.Record(Observation{Seq: 1, Path: "/a"})
	w.Record(Observation{Seq: 2, Path: "/b"})
	w.WriteHeader(h2)
	w.WriteHeader(h1)
	w.Record(Observation{Seq: 1, Path: "/c"})
	first := strings.SplitN(b.String(), "\n", 2)[0]
	if want := `{"landlearn":"observations","version":2,"argv":["make","-j2"],"cwd":"/home/dev/proj","vars":{"HOME":"/home/dev","PWD":"/home/dev/proj","TMPDIR":"/tmp"},"data":["/home/dev/proj/data"]}`; first != want {
		t.Errorf("header line\n got %s\nwant %s", first, want)
	}
	heads, paths := runsOf(t, b.String())
	if !reflect.DeepEqual(heads, []*Header{&h1, &h2, &h1}) || !reflect.DeepEqual(paths, [][]string{{"/a", "/b"}, nil, {"/c"}}) {
		t.Errorf("runs %+v, paths %q", heads, paths)
	}
	// Observations from the start are a run without a header, as are
	// files written before format version 2.
	heads, paths = runsOf(t, `{"seq":1,"path":"/old"}`+"\n"+b.String())
	if len(heads) != 4 || heads[0] != nil || !reflect.DeepEqual(paths[0], []string{"/old"}) {
		t.Errorf("runs %+v, paths %q", heads, paths)
	}
	if heads, paths = runsOf(t, ""); len(heads) != 1 || heads[0] != nil || paths[0] != nil {
		t.Errorf("empty file: runs %+v, paths %q", heads, paths)
	}
}

// NewHeader records this process: its working directory and variables,
// and the command as it can be written.
func TestNewHeader(t *testing.T) {
	h, warnings := NewHeader([]string{"cat", "caf\xe9"}, nil)
	wd, _ := os.Getwd()
	if h.Version != FormatVersion || h.Cwd != wd || h.Vars["PWD"] != wd || h.Vars["HOME"] == "" || len(warnings) != 0 ||
		!reflect.DeepEqual(h.Argv, []string{"cat", `"caf\xe9"`}) {
		t.Errorf("header %+v, warnings %q", h, warnings)
	}
	if _, err := (Header{Version: 2, Cwd: "/tmp/caf\xe9"}).MarshalJSON(); err == nil {
		t.Error("a cwd that is not UTF-8 was written")
	}
}
