package emit

import (
	"bytes"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/policy"
)

// samplePolicy is a learned-looking policy with comments, variables, an
// optional rule, ports and partial handled sets, given out of order.
func samplePolicy() *policy.Policy {
	p := policy.New(7)
	p.Comment = "Learned by landlearn from: make -j2\nReview before committing."
	p.Handled.Net = policy.NetBindTCP | policy.NetConnectTCP
	p.FS = []policy.FSRule{
		{Path: "/usr", Access: policy.FSExecute | policy.FSReadFile | policy.FSReadDir,
			Comment: "observed: execve /usr/bin/make\nobserved: openat /usr/lib/x86_64-linux-gnu/libc.so.6"},
		{Path: "${HOME}/.cache/myapp", Access: policy.FSReadFile | policy.FSWriteFile |
			policy.FSTruncate | policy.FSMakeReg | policy.FSRemoveFile, Optional: true},
		{Path: "/etc/hostname", Access: policy.FSReadFile},
		{Path: "/dev/null", Access: policy.FSWriteFile | policy.FSReadFile | policy.FSIoctlDev},
		{Path: "${TMPDIR}", Access: policy.FSMakeReg | policy.FSRemoveFile | policy.FSRefer |
			policy.FSReadDir | policy.FSWriteFile | policy.FSReadFile | policy.FSTruncate},
	}
	p.Net = []policy.NetRule{
		{Port: 8080, Access: policy.NetBindTCP, Comment: "observed: bind 0.0.0.0:8080"},
		{Port: 443, Access: policy.NetConnectTCP},
		{Port: 0, Access: policy.NetBindTCP},
	}
	return p
}

func render(t *testing.T, p *policy.Policy) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := YAML(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// load reads YAML output back with the real loader.
func load(t *testing.T, data []byte) *policy.Policy {
	t.Helper()
	p, err := policy.Load(bytes.NewReader(data), "emitted.yaml")
	if err != nil {
		t.Fatalf("emitted YAML does not load: %v\n%s", err, data)
	}
	return p
}

// samePolicy reports how a and b differ in what a policy file holds
// (not File or Line), comparing rules in sorted order; "" when equal.
func samePolicy(a, b *policy.Policy) string {
	var diffs []string
	add := func(format string, args ...any) { diffs = append(diffs, sprintf(format, args...)) }
	if a.Version != b.Version || a.ABI != b.ABI || a.Compat != b.Compat {
		add("header %d/%d/%s vs %d/%d/%s", a.Version, a.ABI, a.Compat, b.Version, b.ABI, b.Compat)
	}
	if a.Handled != b.Handled {
		add("handled %+v vs %+v", a.Handled, b.Handled)
	}
	if strings.Trim(a.Comment, "\n") != strings.Trim(b.Comment, "\n") {
		add("comment %q vs %q", a.Comment, b.Comment)
	}
	fa, fb := sortedFS(a.FS), sortedFS(b.FS)
	if len(fa) != len(fb) {
		add("%d fs rules vs %d", len(fa), len(fb))
	} else {
		for i := range fa {
			x, y := fa[i], fb[i]
			if x.Path != y.Path || x.Access != y.Access || x.Optional != y.Optional ||
				strings.Trim(x.Comment, "\n") != strings.Trim(y.Comment, "\n") {
				add("fs rule %d: %+v vs %+v", i, x, y)
			}
		}
	}
	na, nb := sortedNet(a.Net), sortedNet(b.Net)
	if len(na) != len(nb) {
		add("%d net rules vs %d", len(na), len(nb))
	} else {
		for i := range na {
			x, y := na[i], nb[i]
			if x.Port != y.Port || x.Access != y.Access || strings.Trim(x.Comment, "\n") != strings.Trim(y.Comment, "\n") {
				add("net rule %d: %+v vs %+v", i, x, y)
			}
		}
	}
	return strings.Join(diffs, "\n")
}

func TestYAMLGolden(t *testing.T) {
	testkit.Golden(t, "testdata/sample.yaml", render(t, samplePolicy()))
}

func TestYAMLRoundTrip(t *testing.T) {
	p := samplePolicy()
	out := render(t, p)
	back := load(t, out)
	if d := samePolicy(p, back); d != "" {
		t.Fatalf("round trip changed the policy:\n%s\n%s", d, out)
	}
	if again := render(t, back); !bytes.Equal(again, out) {
		t.Errorf("emit(load(emit(p))) != emit(p):\n%s\n---\n%s", again, out)
	}
}

func TestYAMLDeterministic(t *testing.T) {
	p := samplePolicy()
	first := render(t, p)
	// Reversing the rules must not change a byte.
	q := samplePolicy()
	for i, j := 0, len(q.FS)-1; i < j; i, j = i+1, j-1 {
		q.FS[i], q.FS[j] = q.FS[j], q.FS[i]
	}
	for i, j := 0, len(q.Net)-1; i < j; i, j = i+1, j-1 {
		q.Net[i], q.Net[j] = q.Net[j], q.Net[i]
	}
	if got := render(t, q); !bytes.Equal(got, first) {
		t.Errorf("rule order changed the output:\n%s\n---\n%s", got, first)
	}
}

func TestYAMLDoesNotChangePolicy(t *testing.T) {
	p := samplePolicy()
	before := samplePolicy()
	render(t, p)
	for i := range p.FS {
		if p.FS[i].Path != before.FS[i].Path {
			t.Fatalf("YAML reordered the caller's rules")
		}
	}
}

// TestYAMLAwkwardPaths writes paths that YAML would misread if they were
// written plain, and checks each one loads back byte for byte.
func TestYAMLAwkwardPaths(t *testing.T) {
	paths := []string{
		"/a: b", "/a #b", "/a#b", "/with space", "/trail ", "/a:",
		"/tab\there", "/new\nline", `/q"uote`, `/back\slash`, "/a'b", "/ä/日本",
		"/&anchor", "/*star", "/!tag", "/%pct", "/@at", "/`tick`", "/[x]", "/{x}",
		"/a,b", "/-", "/?", "/|", "/>", "/x\u0085y", "/bom\ufeff", "/del\x7f",
		"${HOME}/x y", "${HOME}/:x", "${TMPDIR}", "/$notavar", "/true", "/null",
	}
	for _, path := range paths {
		p := policy.New(7)
		p.FS = []policy.FSRule{{Path: path, Access: policy.FSReadFile}}
		out := render(t, p)
		back := load(t, out)
		if len(back.FS) != 1 || back.FS[0].Path != path {
			t.Errorf("path %q came back as %+v from:\n%s", path, back.FS, out)
		}
	}
}

func TestYAMLRefusesInvalidUTF8(t *testing.T) {
	p := policy.New(7)
	p.FS = []policy.FSRule{{Path: "/bad\xff", Access: policy.FSReadFile}}
	var b bytes.Buffer
	err := YAML(&b, p)
	if err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Fatalf("YAML = %v, want an error about UTF-8", err)
	}
	if b.Len() != 0 {
		t.Errorf("YAML wrote %d bytes before failing", b.Len())
	}
}

func TestYAMLHandled(t *testing.T) {
	tests := []struct {
		name    string
		abi     int
		handled policy.Handled
		want    []string
	}{
		{"all of abi 7", 7, policy.New(7).Handled,
			[]string{"  fs: all\n", "  net: [bind_tcp, connect_tcp]\n", "  scoped: [abstract_unix_socket, signal]\n"}},
		{"all of abi 3 under abi 7 is a list", 7, policy.Handled{FS: policy.AllFS(3)},
			[]string{"  fs: [execute, write_file, read_file, read_dir, remove_dir, remove_file, make_char, make_dir, make_reg, make_sock, make_fifo, make_block, make_sym, refer, truncate]\n",
				"  net: []\n", "  scoped: []\n"}},
		{"abi 1 all", 1, policy.New(1).Handled, []string{"  fs: all\n", "  net: []\n"}},
		{"nothing", 7, policy.Handled{}, []string{"  fs: []\n", "  net: []\n", "  scoped: []\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := policy.New(tt.abi)
			p.Handled = tt.handled
			out := string(render(t, p))
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if d := samePolicy(p, load(t, []byte(out))); d != "" {
				t.Errorf("round trip: %s", d)
			}
		})
	}
}

func TestYAMLComments(t *testing.T) {
	p := policy.New(7)
	p.Comment = "header\n\nsecond paragraph"
	p.FS = []policy.FSRule{
		{Path: "/a", Access: policy.FSReadFile, Comment: "first\n  indented"},
		{Path: "/b", Access: policy.FSReadFile, Comment: "bad byte \xff and \x01 control"},
		{Path: "/c", Access: policy.FSReadFile, Comment: "last rule"},
	}
	p.Net = []policy.NetRule{{Port: 1, Access: policy.NetConnectTCP, Comment: "a port"}}
	out := render(t, p)
	back := load(t, out)
	sorted := sortedFS(back.FS)
	want := []string{"first\n  indented", "bad byte \ufffd and ? control", "last rule"}
	for i, w := range want {
		if sorted[i].Comment != w {
			t.Errorf("rule %s comment = %q, want %q\n%s", sorted[i].Path, sorted[i].Comment, w, out)
		}
	}
	if back.Comment != p.Comment {
		t.Errorf("header = %q, want %q", back.Comment, p.Comment)
	}
	if back.Net[0].Comment != "a port" {
		t.Errorf("net comment = %q", back.Net[0].Comment)
	}
}

// TestYAMLKeepsVersion1: a version 1 policy is written back as version 1,
// so that an older landlearn still reads it; group rules and learned
// rules are written as version 2 and load back equal.
func TestYAMLKeepsVersion1(t *testing.T) {
	v1 := "version: 1\nabi: 7\ncompat: best-effort\nhandled:\n  fs: all\n  net: [bind_tcp, connect_tcp]\n  scoped: [abstract_unix_socket, signal]\nfs:\n  - path: /usr\n    access: [read_file]\n"
	p, err := policy.Load(strings.NewReader(v1), "v1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := YAML(&b, p); err != nil || b.String() != v1 {
		t.Errorf("version 1 written back as\n%s(%v)", b.String(), err)
	}
	p.FS = append(p.FS, policy.FSRule{Group: "system", Access: policy.FSReadFile | policy.FSExecute},
		policy.FSRule{Path: "/etc/gitconfig", Access: policy.FSReadFile, Learned: true})
	b.Reset()
	if err := YAML(&b, p); err != nil {
		t.Fatal(err)
	}
	want := "  - group: system\n    access: [execute, read_file]\n  - path: /etc/gitconfig\n    access: [read_file]\n    learned: true\n  - path: /usr\n"
	if !strings.HasPrefix(b.String(), "version: 2\n") || !strings.Contains(b.String(), want) {
		t.Errorf("with a group and a learned rule:\n%s", b.String())
	}
	q, err := policy.Load(strings.NewReader(b.String()), "v2.yaml")
	if err != nil {
		t.Fatalf("load back: %v", err)
	}
	if len(q.FS) != 3 || q.FS[0].Group != "system" || !q.FS[1].Learned {
		t.Errorf("loaded back: %+v", q.FS)
	}
}
