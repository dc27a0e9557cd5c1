package learn

import (
	"reflect"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/policy"
)

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

// A name that is not valid UTF-8 never comes back as another name: the
// Writer and Memory turn its observation into a warning that names it
// quoted, and the other strings keep their bad bytes as \xNN text.
func TestValidUTF8(t *testing.T) {
	bad := Observation{Seq: 3, Syscall: "openat", PID: 9, Exe: "/usr/bin/\xffcat", Path: "/tmp/x/caf\xe9", Type: TypeFile, FS: policy.FSReadFile}
	var b strings.Builder
	w := NewWriter(&b)
	var m Memory
	for _, o := range []Observation{
		bad,
		{Seq: 4, Syscall: "renameat2", Path: "/tmp/x", Type: TypeDir, FS: policy.FSMakeReg, Src: "/tmp/a", Dst: "/tmp/x/\xe9t\xe9"},
		{Seq: 5, Syscall: "openat", Exe: "/opt/\xfe", Path: "/tmp/ok", Type: TypeFile, FS: policy.FSReadFile, Warning: "w\xff"},
	} {
		if err := w.Record(o); err != nil {
			t.Fatal(err)
		}
		m.Record(o)
	}
	got, err := ReadAll(strings.NewReader(b.String()), "x")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m.All()) {
		t.Errorf("the file and Memory disagree:\n%+v\n%+v", got, m.All())
	}
	if got[0].Path != "" || got[0].FS != 0 || got[0].Exe != `/usr/bin/\xffcat` ||
		got[0].Warning != `openat: "/tmp/x/caf\xe9" is not valid UTF-8, which the observations and the policy cannot hold exactly: no rule is learned for it (rename it, or grant its directory by hand)` {
		t.Errorf("bad path: %+v", got[0])
	}
	if got[1].Path != "" || !strings.Contains(got[1].Warning, `"/tmp/x/\xe9t\xe9"`) {
		t.Errorf("bad dst: %+v", got[1])
	}
	if got[2].Path != "/tmp/ok" || got[2].Exe != `/opt/\xfe` || got[2].Warning != `w\xff` {
		t.Errorf("bad exe and warning: %+v", got[2])
	}
	if strings.Contains(b.String(), "\uFFFD") {
		t.Errorf("the file holds U+FFFD:\n%s", b.String())
	}
}
