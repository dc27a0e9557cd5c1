package minimize

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/emit"
	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// Synthetic observations, shaped as the README's "Observations" shows them.

const testPID = 812

func open(path string, rights ...string) learn.Observation {
	return learn.Observation{Syscall: "openat", PID: testPID, Exe: "/usr/bin/app", Path: path, Type: learn.TypeFile, FS: acc(rights...)}
}

func openDir(path string) learn.Observation {
	return learn.Observation{Syscall: "openat", PID: testPID, Exe: "/usr/bin/app", Path: path, Type: learn.TypeDir, FS: policy.FSReadDir}
}

// create is an O_CREAT open that creates path: make_reg on the parent and
// the open's rights on the new file.
func create(path string, rights ...string) []learn.Observation {
	parent := path[:strings.LastIndexByte(path, '/')]
	if parent == "" {
		parent = "/"
	}
	return []learn.Observation{
		{Syscall: "openat", PID: testPID, Exe: "/usr/bin/app", Path: parent, Type: learn.TypeDir, FS: policy.FSMakeReg, Created: true, Dst: path},
		{Syscall: "openat", PID: testPID, Exe: "/usr/bin/app", Path: path, Type: learn.TypeFile, FS: acc(rights...), Created: true},
	}
}

func mkdir(path string) learn.Observation {
	parent := path[:strings.LastIndexByte(path, '/')]
	return learn.Observation{Syscall: "mkdir", PID: testPID, Exe: "/usr/bin/app", Path: parent, Type: learn.TypeDir, FS: policy.FSMakeDir, Created: true, Dst: path}
}

// rename moves a regular file src to dst, as the tracer reports it.
func rename(src, dst string, replaces bool) []learn.Observation {
	sp := src[:strings.LastIndexByte(src, '/')]
	dp := dst[:strings.LastIndexByte(dst, '/')]
	mk := policy.FSMakeReg
	if replaces {
		mk |= policy.FSRemoveFile
	}
	if sp == dp {
		return []learn.Observation{{Syscall: "renameat2", PID: testPID, Exe: "/usr/bin/mv", Path: sp, Type: learn.TypeDir,
			FS: policy.FSRemoveFile | mk, Src: src, Dst: dst}}
	}
	return []learn.Observation{
		{Syscall: "renameat2", PID: testPID, Exe: "/usr/bin/mv", Path: sp, Type: learn.TypeDir, FS: policy.FSRemoveFile | policy.FSRefer, Src: src, Dst: dst},
		{Syscall: "renameat2", PID: testPID, Exe: "/usr/bin/mv", Path: dp, Type: learn.TypeDir, FS: mk | policy.FSRefer, Src: src, Dst: dst},
	}
}

func port(p uint16, right string) learn.Observation {
	net, err := policy.ParseNet([]string{right})
	if err != nil {
		panic(err)
	}
	return learn.Observation{Syscall: "connect", PID: testPID, Exe: "/usr/bin/curl", Port: learn.PortPtr(p), Net: net}
}

func cat(parts ...any) []learn.Observation {
	var out []learn.Observation
	for i, p := range parts {
		switch v := p.(type) {
		case learn.Observation:
			out = append(out, v)
		case []learn.Observation:
			out = append(out, v...)
		default:
			panic(i)
		}
	}
	for i := range out {
		out[i].Seq = uint64(i + 1)
	}
	return out
}

func acc(names ...string) policy.FSAccess {
	a, err := policy.ParseFS(names)
	if err != nil {
		panic(err)
	}
	return a
}

// grants returns the fs rules of p as path -> rights.
func grants(p *policy.Policy) map[string]policy.FSAccess {
	m := map[string]policy.FSAccess{}
	for _, r := range p.FS {
		m[r.Path] = r.Access
	}
	return m
}

func wantGrants(t *testing.T, p *policy.Policy, want map[string]policy.FSAccess) {
	t.Helper()
	got := grants(p)
	for path, a := range want {
		if got[path] != a {
			t.Errorf("rule %s: got %s, want %s", path, got[path], a)
		}
	}
	for path, a := range got {
		if _, ok := want[path]; !ok {
			t.Errorf("unexpected rule %s %s", path, a)
		}
	}
	if t.Failed() {
		t.Logf("policy:\n%s", yamlOf(t, p))
	}
}

func yamlOf(t *testing.T, p *policy.Policy) string {
	t.Helper()
	var b bytes.Buffer
	if err := emit.YAML(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// sound checks rule 1 on the finished policy: every observed fs access is
// allowed where the observation says, or (for created and generalized
// objects) on the directory the minimizer lifted it to.
func sound(t *testing.T, obs []learn.Observation, p *policy.Policy, vars policy.Vars) {
	t.Helper()
	ep, err := p.Expand(vars)
	if err != nil {
		t.Fatalf("expand: %v", err)
	}
	root := ""
	if len(obs) > 0 {
		root = fmt.Sprintf("/proc/%d/", obs[0].PID)
	}
	for _, o := range obs {
		if root != "" && fmt.Sprintf("/proc/%d/", o.PID) == root {
			// run execs in place: the root process's /proc/PID is /proc/self.
			if rest, ok := strings.CutPrefix(o.Path, root); ok {
				o.Path = "/proc/self/" + rest
			}
		}
		switch {
		case o.Path != "":
			if m := ep.MissingFS(o.Path, o.FS); m != 0 {
				t.Errorf("unsound: %s needs %s on %s", o.Syscall, m, o.Path)
			}
		case o.Port != nil:
			if m := ep.MissingNet(*o.Port, o.Net); m != 0 {
				t.Errorf("unsound: port %d needs %v", *o.Port, m.Names())
			}
		}
	}
}

func bytesReader(s string) *strings.Reader { return strings.NewReader(s) }
