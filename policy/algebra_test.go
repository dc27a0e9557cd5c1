package policy

import (
	"fmt"
	"path"
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
		FS:     Bit("read_file") | Bit("execute") | Bit("write_file"),
		Net:    Bit("connect_tcp") | Bit("bind_tcp"),
		Scoped: Bit("signal"),
	}
	if m.Handled != want {
		t.Errorf("handled = %+v, want %+v", m.Handled, want)
	}
	wantFS := []FSRule{
		{Path: "/usr", Access: Bit("read_file") | Bit("execute"), Optional: true, Line: 9},
		{Path: "/etc", Access: Bit("read_file"), Line: 12},
		{Path: "/opt", Access: Bit("read_file"), Line: 12},
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
	if len(a.FS) != 2 || a.FS[0].Access != Bit("read_file") {
		t.Errorf("Merge changed a: %+v", a.FS)
	}
	if Merge(nil, nil) != nil || !reflect.DeepEqual(Merge(nil, b), b) || !reflect.DeepEqual(Merge(a, nil), a) {
		t.Errorf("Merge with nil")
	}
	if len(Diff(Merge(a, a), a)) != 0 {
		t.Errorf("Merge(a, a) differs from a: %v", Diff(Merge(a, a), a))
	}
}

func TestDiff(t *testing.T) {
	old := mustLoad(t, `version: 1
abi: 6
handled:
  fs: all
  net: [connect_tcp]
  scoped: []
fs:
  - path: /usr
    access: [read_file, execute]
  - path: /etc
    access: [read_file]
  - path: ${HOME}/.cache
    access: [read_file]
    optional: true
  - path: /same
    access: [read_file]
net:
  - port: 443
    access: [connect_tcp]
  - port: 80
    access: [connect_tcp]
`)
	cur := mustLoad(t, `version: 1
abi: 7
compat: strict
handled:
  fs: all
  net: [connect_tcp, bind_tcp]
fs:
  # comments and order do not count
  - path: /same/
    access: [read_file]
  - path: /usr
    access: [read_file, write_file]
  - path: ${HOME}/.cache
    access: [read_file]
  - path: /var
    access: [read_dir]
net:
  - port: 8080
    access: [bind_tcp]
  - port: 443
    access: [connect_tcp]
`)
	got := Diff(old, cur)
	var lines []string
	for _, c := range got {
		lines = append(lines, fmt.Sprintf("%s @%d,%d", c, c.OldLine, c.NewLine))
	}
	want := []string{
		"changed abi: 6 -> 7 @0,0",
		"changed compat: best-effort -> strict @0,0",
		"changed handled.net: +[bind_tcp] @0,0",
		"changed handled.scoped: +[abstract_unix_socket, signal] @0,0",
		"changed fs ${HOME}/.cache: optional: true -> false @12,13",
		"removed fs /etc: -[read_file] @10,0",
		"changed fs /usr: +[write_file] -[execute] @8,11",
		"added fs /var: +[read_dir] @0,15",
		"removed net 80: -[connect_tcp] @20,0",
		"added net 8080: +[bind_tcp] @0,18",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("Diff =\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if c := got[6]; c.Kind != Changed || c.Section != "fs" || c.Key != "/usr" || c.Granted() != Bit("write_file") || c.Revoked() != Bit("execute") {
		t.Errorf("fs /usr change = %+v", c)
	}
	if d := Diff(cur, cur.Clone()); len(d) != 0 {
		t.Errorf("Diff of equal policies = %v", d)
	}
	if len(Diff(cur, old)) != len(got) {
		t.Errorf("Diff is not symmetric in size")
	}
}

func TestMissingFS(t *testing.T) {
	p := mustLoad(t, `version: 1
handled:
  fs: [execute, read_file, read_dir, write_file, make_reg]
fs:
  - path: /
    access: [read_dir]
  - path: /usr
    access: [execute, read_file, read_dir]
  - path: /usr/lib/x.so
    access: [write_file]
  - path: /home/u/work
    access: [make_reg, write_file]
`)
	for _, tc := range []struct {
		path       string
		want, miss Access
		covering   []int
	}{
		{"/usr/bin/cc", Bit("execute") | Bit("read_file"), 0, []int{0, 1}},
		{"/usr", Bit("read_dir"), 0, []int{0, 1}},
		{"/usr/lib/x.so", Bit("write_file") | Bit("read_file"), 0, []int{0, 1, 2}},
		{"/usr/lib/x.sox", Bit("write_file"), Bit("write_file"), []int{0, 1}},
		{"/usrx/bin", Bit("read_file"), Bit("read_file"), []int{0}},
		{"/home/u/work/out.o", Bit("write_file") | Bit("read_file"), Bit("read_file"), []int{0, 3}},
		{"/home/u/work/", Bit("make_reg"), 0, []int{0, 3}},
		{"/home/u/work/../x", Bit("make_reg"), Bit("make_reg"), []int{0}},
		// Unhandled rights are always allowed.
		{"/etc/hosts", Bit("truncate") | Bit("remove_file") | Bit("read_file"), Bit("read_file"), []int{0}},
	} {
		if got := p.MissingFS(tc.path, tc.want); got != tc.miss {
			t.Errorf("MissingFS(%s, %v) = %v, want %v", tc.path, tc.want, got, tc.miss)
		}
		if got := p.CoveringFS(tc.path); !reflect.DeepEqual(got, tc.covering) {
			t.Errorf("CoveringFS(%s) = %v, want %v", tc.path, got, tc.covering)
		}
	}
	if got := p.AllowedFS("/usr/lib"); got.Names(KindFS)[0] != "execute" || got.Has(Bit("write_file")) || !got.Has(Bit("truncate")) {
		t.Errorf("AllowedFS(/usr/lib) = %v", got)
	}
	// Variables compare as written: an unexpanded policy matches
	// abstracted paths.
	q := mustLoad(t, "version: 1\nfs:\n  - path: ${HOME}/.cache\n    access: [read_file]\n")
	if q.MissingFS("${HOME}/.cache/x", Bit("read_file")) != 0 || q.MissingFS("/root/.cache/x", Bit("read_file")) == 0 {
		t.Errorf("MissingFS with variables")
	}
}

func TestMissingNetAndScopes(t *testing.T) {
	p := mustLoad(t, `version: 1
handled:
  net: [bind_tcp, connect_tcp]
  scoped: [signal]
net:
  - port: 0
    access: [bind_tcp]
  - port: 443
    access: [connect_tcp]
`)
	both := Bit("bind_tcp") | Bit("connect_tcp")
	for _, tc := range []struct {
		port       uint16
		want, miss Access
	}{
		{443, both, Bit("bind_tcp")},
		{0, both, Bit("connect_tcp")},
		{8080, Bit("bind_tcp"), Bit("bind_tcp")},
		{8080, Bit("connect_send_udp"), 0}, // not handled
	} {
		if got := p.MissingNet(tc.port, tc.want); got != tc.miss {
			t.Errorf("MissingNet(%d, %v) = %v, want %v", tc.port, tc.want.Names(KindNet), got.Names(KindNet), tc.miss.Names(KindNet))
		}
	}
	if got := p.ScopesDenied(Bit("signal") | Bit("abstract_unix_socket")); got != Bit("signal") {
		t.Errorf("ScopesDenied = %v", got.Names(KindScope))
	}
	if got := p.ScopesDenied(0); got != 0 {
		t.Errorf("ScopesDenied(0) = %v", got)
	}
}

func TestValidate(t *testing.T) {
	if err := New(KernelABI).Validate(); err != nil {
		t.Errorf("New(%d): %v", KernelABI, err)
	}
	for abi := 1; abi <= NewestABI; abi++ {
		if err := New(abi).Validate(); err != nil {
			t.Errorf("New(%d): %v", abi, err)
		}
	}
	p := New(3)
	p.File = "learned.yaml"
	p.Compat = ""
	p.Handled.Net = Bit("bind_tcp")
	p.FS = []FSRule{
		{Path: "/usr", Access: Bit("read_file")},
		{Path: "rel", Access: Bit("read_file")},
		{Path: "/usr/", Access: Bit("execute")},
		{Path: "/tmp", Access: 0},
		{Path: "/x", Access: 1 << 40},
	}
	p.Net = []NetRule{{Port: 1, Access: Bit("bind_tcp")}, {Port: 1, Access: Bit("bind_tcp")}}
	want := []string{
		`learned.yaml: compat "" is unknown; valid ones are best-effort and strict`,
		`learned.yaml: handled.net: right bind_tcp needs ABI 4 (Linux 6.7) but abi is 3; raise abi to 4 or remove bind_tcp`,
		`learned.yaml: path "rel" is relative; write an absolute path such as ${PWD}/rel`,
		`learned.yaml: path /usr/ is already granted by fs rule 1; merge the two rules into one`,
		`learned.yaml: fs rule 4 grants nothing (access is empty); list at least one right or remove the rule`,
		`learned.yaml: fs rule 5 holds unknown fs bits 0x10000000000`,
		`learned.yaml: right bind_tcp needs ABI 4 (Linux 6.7) but abi is 3; raise abi to 4 or remove bind_tcp`,
		`learned.yaml: port 1 is already granted by net rule 1; merge the two rules into one`,
		`learned.yaml: right bind_tcp needs ABI 4 (Linux 6.7) but abi is 3; raise abi to 4 or remove bind_tcp`,
	}
	err := p.Validate()
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("Validate =\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
	q := New(7)
	q.Version = 0
	if err := q.Validate(); err == nil || err.Error() != "version 0 is not supported; this landlearn reads version 1" {
		t.Errorf("version 0: %v", err)
	}
	q = New(7)
	q.ABI = 0
	if err := q.Validate(); err == nil || !strings.Contains(err.Error(), "abi 0 is not a Landlock ABI version") {
		t.Errorf("abi 0: %v", err)
	}
}

func TestIsClean(t *testing.T) {
	for _, p := range []string{"/", "/usr", "/usr/lib", "/a/.b", "/a/..b", "/a/b.", "${HOME}/x", "/x/${A}", "", "a", "/a/", "//a",
		"/a//b", "/a/./b", "/a/../b", "/a/.", "/a/..", "/.", "/.."} {
		want := strings.HasPrefix(p, "/") && path.Clean(p) == p
		if got := isClean(p); got != want {
			t.Errorf("isClean(%q) = %v, want %v", p, got, want)
		}
	}
}

// BenchmarkMissingFS is one check of an observation against a policy of
// 200 rules, what landlearn check does for each observation of a run.
func BenchmarkMissingFS(b *testing.B) {
	p := New(KernelABI)
	for i := range 200 {
		p.FS = append(p.FS, FSRule{Path: fmt.Sprintf("/usr/lib/x86_64-linux-gnu/lib%d", i), Access: Bit("read_file")})
	}
	for b.Loop() {
		p.MissingFS("/usr/lib/x86_64-linux-gnu/lib199/libc.so.6", Bit("read_file"))
	}
}
