package rounds

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/learn/audit"
	"github.com/landlearn/landlearn/learn/audit/workdir"
	"github.com/landlearn/landlearn/policy"
)

func TestDenialObservations(t *testing.T) {
	dir := t.TempDir()
	base := audit.Denial{Serial: 9, PID: 7, Exe: "/usr/bin/app", SyscallName: "openat", Port: -1, Joined: true}

	fsd := base
	fsd.Blockers, fsd.Path = []string{"fs.make_reg", "fs.refer"}, dir
	netd := base
	netd.Blockers, netd.Port = []string{"net.connect_tcp"}, 443
	sig := base
	sig.Blockers, sig.Opid, sig.Ocomm = []string{"scope.signal"}, 1, "init"
	pt := base
	pt.Blockers, pt.Opid = []string{"ptrace"}, 1
	gone := base
	gone.Blockers, gone.Path = []string{"fs.read_file"}, dir+"/tmpfile (deleted)"

	var got []learn.Observation
	for _, d := range []audit.Denial{fsd, netd, sig, pt, gone} {
		got = append(got, d.Observations()...)
	}
	if len(got) != 5 {
		t.Fatalf("got %d observations: %+v", len(got), got)
	}
	if o := got[0]; o.Path != dir || o.Type != learn.TypeDir || o.FS != policy.FSMakeReg|policy.FSRefer || o.Seq != 9 || o.PID != 7 || o.Syscall != "openat" {
		t.Errorf("fs: %+v", o)
	}
	if o := got[1]; o.Port == nil || *o.Port != 443 || o.Net != policy.NetConnectTCP {
		t.Errorf("net: %+v", o)
	}
	if o := got[2]; o.Scope != "signal" || o.Target != 1 {
		t.Errorf("scope: %+v", o)
	}
	if o := got[3]; !strings.HasPrefix(o.Warning, "ptrace denied by Landlock") {
		t.Errorf("ptrace: %+v", o)
	}
	if o := got[4]; o.Path != dir+"/tmpfile" || !o.Deleted || o.Type != learn.TypeFile {
		t.Errorf("deleted: %+v", o)
	}
}

func TestMarkCreated(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("one"), 0o640); err != nil {
		t.Fatal(err)
	}
	s, err := workdir.TakeSnapshot(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	x := filepath.Join(dir, "x")
	if err := os.Mkdir(x, 0o755); err != nil {
		t.Fatal(err)
	}
	obs := Rounds{}.mark([]learn.Observation{
		{Seq: 3, Path: x, Type: learn.TypeDir, FS: policy.FSMakeReg},
		{Seq: 4, Path: filepath.Join(dir, "f"), Type: learn.TypeFile, FS: policy.FSReadFile},
	}, s)
	if len(obs) != 3 {
		t.Fatalf("got %+v", obs)
	}
	implied := obs[0]
	if implied.Path != dir || implied.FS != policy.FSMakeDir || implied.Dst != x || !implied.Created {
		t.Errorf("implied creation: %+v", implied)
	}
	if !obs[1].Created || obs[2].Created {
		t.Errorf("created flags: %+v", obs[1:])
	}
}

func TestObservationKeys(t *testing.T) {
	o := learn.Observation{Path: "/a", FS: policy.FSReadFile | policy.FSWriteFile}
	known := map[string]bool{"path /a read_file": true}
	if got := newKeys(o, known); !slices.Equal(got, []string{"path /a write_file"}) {
		t.Errorf("newKeys = %v", got)
	}
	p := learn.Observation{Port: learn.PortPtr(0), Net: policy.NetBindTCP}
	if got := observationKeys(p); !slices.Equal(got, []string{"port 0 bind_tcp"}) {
		t.Errorf("port keys = %v", got)
	}
}
