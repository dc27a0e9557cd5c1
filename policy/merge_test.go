package policy

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestCloneIsDeep(t *testing.T) {
	p := mustLoad(t, designExample)
	q := p.Clone()
	q.FS[0].Path = "/changed"
	q.Net[0].Port = 1
	q.FS = append(q.FS, FSRule{Path: "/x"})
	if p.FS[0].Path != "/usr" || p.Net[0].Port != 443 || len(p.FS) != 2 {
		t.Errorf("Clone shares rules: %+v", p)
	}
}

func TestSort(t *testing.T) {
	p := New(KernelABI)
	p.FS = []FSRule{{Path: "/usr/lib", Line: 1}, {Path: "${HOME}/x", Line: 2}, {Path: "/etc", Line: 3}, {Path: "/usr", Line: 4}}
	p.Net = []NetRule{{Port: 443}, {Port: 80}, {Port: 0}}
	p.Sort()
	var got []string
	for _, r := range p.FS {
		got = append(got, r.Path)
	}
	for _, r := range p.Net {
		got = append(got, fmt.Sprint(r.Port))
	}
	// Byte order: "$" sorts before "/", so variables come first.
	if want := "${HOME}/x /etc /usr /usr/lib 0 80 443"; strings.Join(got, " ") != want {
		t.Errorf("Sort = %v", got)
	}
}

func TestMerge(t *testing.T) {
	a := mustLoad(t, `# a's comment
version: 1
abi: 4
handled:
  fs: [read_file, execute, write_file]
  net: [connect_tcp]
  scoped: []
fs:
  - path: /usr
    access: [read_file]
    optional: true
  - path: /etc
    access: [read_file]
net:
  - port: 443
    access: [connect_tcp]
`)
	b := mustLoad(t, `version: 1
abi: 6
compat: strict
handled:
  fs: [read_file, execute]
  net: [bind_tcp]
  scoped: [signal]
fs:
  - path: /usr/
    access: [execute]
    optional: true
  - path: /opt
    access: [read_file]
net:
  - port: 8080
    access: [bind_tcp]
`)
	m := Merge(a, b)
	if m.ABI != 6 || m.Compat != Strict || m.Comment != "a's comment" {
		t.Errorf("header = abi %d compat %s comment %q", m.ABI, m.Compat, m.Comment)
	}
	want := Handled{
		FS:     FSReadFile | FSExecute | FSWriteFile,
		Net:    NetConnectTCP | NetBindTCP,
		Scoped: ScopeSignal,
	}
	if m.Handled != want {
		t.Errorf("handled = %+v, want %+v", m.Handled, want)
	}
	wantFS := []FSRule{
		{Path: "/usr", Access: FSReadFile | FSExecute, Optional: true, Line: 9},
		{Path: "/etc", Access: FSReadFile, Line: 12},
		{Path: "/opt", Access: FSReadFile, Line: 12},
	}
	if !reflect.DeepEqual(m.FS, wantFS) {
		t.Errorf("fs = %+v\nwant %+v", m.FS, wantFS)
	}
	if len(m.Net) != 2 || m.Net[0].Port != 443 || m.Net[1].Port != 8080 {
		t.Errorf("net = %+v", m.Net)
	}
	if err := m.Validate(); err != nil {
		t.Errorf("the merge of two valid policies does not validate: %v", err)
	}
	if len(a.FS) != 2 || a.FS[0].Access != FSReadFile {
		t.Errorf("Merge changed a: %+v", a.FS)
	}
	if Merge(nil, nil) != nil || !reflect.DeepEqual(Merge(nil, b), b) || !reflect.DeepEqual(Merge(a, nil), a) {
		t.Errorf("Merge with nil")
	}
	if len(Diff(Merge(a, a), a)) != 0 {
		t.Errorf("Merge(a, a) differs from a: %v", Diff(Merge(a, a), a))
	}
}
