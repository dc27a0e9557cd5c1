package audit

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/landlearn/landlearn/learn"
)

func TestDenialObservations(t *testing.T) {
	dir := t.TempDir()
	base := Denial{Serial: 9, PID: 7, Exe: "/usr/bin/app", SyscallName: "openat", Port: -1, Joined: true}

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
	for _, d := range []Denial{fsd, netd, sig, pt, gone} {
		got = append(got, d.Observations()...)
	}
	if len(got) != 5 {
		t.Fatalf("got %d observations: %+v", len(got), got)
	}
	if o := got[0]; o.Path != dir || o.Type != learn.TypeDir || !slices.Equal(o.Access, []string{"make_reg", "refer"}) || o.Seq != 9 || o.PID != 7 || o.Syscall != "openat" {
		t.Errorf("fs: %+v", o)
	}
	if o := got[1]; o.Port == nil || *o.Port != 443 || !slices.Equal(o.Access, []string{"connect_tcp"}) {
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

// tree is a small working directory: a file, a subdirectory with a file,
// a symlink and a fifo.
func tree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "f"), []byte("one"), 0o640))
	must(t, os.Mkdir(filepath.Join(dir, "sub"), 0o750))
	must(t, os.WriteFile(filepath.Join(dir, "sub", "g"), []byte("two"), 0o600))
	must(t, os.Symlink("sub/g", filepath.Join(dir, "link")))
	must(t, syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// listing describes a tree: path, mode, content or link target.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		must(t, err)
		fi, err := os.Lstat(p)
		must(t, err)
		rel, _ := filepath.Rel(dir, p)
		s := rel + " " + fi.Mode().String()
		switch {
		case fi.Mode().IsRegular():
			data, _ := os.ReadFile(p)
			s += " " + string(data)
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			s += " -> " + target
		}
		out = append(out, s)
		return nil
	})
	return out
}

func TestSnapshotRestore(t *testing.T) {
	dir := tree(t)
	want := listing(t, dir)
	s, err := takeSnapshot(dir, true, MaxResetSize)
	if err != nil {
		t.Fatal(err)
	}
	defer s.remove()
	// What a run might do: write, create, delete, chmod.
	must(t, os.WriteFile(filepath.Join(dir, "f"), []byte("changed"), 0o640))
	must(t, os.MkdirAll(filepath.Join(dir, "new", "deeper"), 0o755))
	must(t, os.Remove(filepath.Join(dir, "sub", "g")))
	must(t, os.Chmod(filepath.Join(dir, "sub"), 0o700))
	must(t, os.Chmod(dir, 0o700))

	if !s.created(filepath.Join(dir, "new", "deeper")) || s.created(filepath.Join(dir, "sub")) || s.created("/etc/passwd") {
		t.Error("created() is wrong")
	}
	if got := s.topCreated(filepath.Join(dir, "new", "deeper", "x")); got != filepath.Join(dir, "new") {
		t.Errorf("topCreated = %q, want %s/new", got, dir)
	}
	if got := s.topCreated(filepath.Join(dir, "f")); got != "" {
		t.Errorf("topCreated of an old file = %q", got)
	}
	fi, _ := os.Stat(dir)
	mode := fi.Mode()
	must(t, s.restore())
	if got := listing(t, dir); !slices.Equal(got, want) {
		t.Errorf("after restore:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if fi, _ := os.Stat(dir); fi.Mode() == mode {
		t.Errorf("the directory's own mode stayed %v", mode)
	}
}

func TestSnapshotTooBig(t *testing.T) {
	dir := tree(t)
	if _, err := takeSnapshot(dir, true, 2); !errors.Is(err, ErrTooBig) || !strings.Contains(err.Error(), "--no-reset") {
		t.Errorf("err = %v, want ErrTooBig suggesting --no-reset", err)
	}
	s, err := takeSnapshot(dir, false, 2)
	if err != nil || s.copy != "" {
		t.Errorf("without reset: %v, copy %q", err, s.copy)
	}
}

func TestMarkCreated(t *testing.T) {
	dir := tree(t)
	s, err := takeSnapshot(dir, false, MaxResetSize)
	if err != nil {
		t.Fatal(err)
	}
	x := filepath.Join(dir, "x")
	must(t, os.Mkdir(x, 0o755))
	obs := Rounds{}.mark([]learn.Observation{
		{Seq: 3, Path: x, Type: learn.TypeDir, Access: []string{"make_reg"}},
		{Seq: 4, Path: filepath.Join(dir, "f"), Type: learn.TypeFile, Access: []string{"read_file"}},
	}, s)
	if len(obs) != 3 {
		t.Fatalf("got %+v", obs)
	}
	implied := obs[0]
	if implied.Path != dir || !slices.Equal(implied.Access, []string{"make_dir"}) || implied.Dst != x || !implied.Created {
		t.Errorf("implied creation: %+v", implied)
	}
	if !obs[1].Created || obs[2].Created {
		t.Errorf("created flags: %+v", obs[1:])
	}
}

func TestObservationKeys(t *testing.T) {
	o := learn.Observation{Path: "/a", Access: []string{"read_file", "write_file"}}
	known := map[string]bool{"path /a read_file": true}
	if got := newKeys(o, known); !slices.Equal(got, []string{"path /a write_file"}) {
		t.Errorf("newKeys = %v", got)
	}
	p := learn.Observation{Port: learn.PortPtr(0), Access: []string{"bind_tcp"}}
	if got := observationKeys(p); !slices.Equal(got, []string{"port 0 bind_tcp"}) {
		t.Errorf("port keys = %v", got)
	}
}
