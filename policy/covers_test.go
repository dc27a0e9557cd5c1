package policy

import (
	"fmt"
	"path"
	"reflect"
	"strings"
	"testing"
)

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
		want, miss FSAccess
		covering   []int
	}{
		{"/usr/bin/cc", FSExecute | FSReadFile, 0, []int{0, 1}},
		{"/usr", FSReadDir, 0, []int{0, 1}},
		{"/usr/lib/x.so", FSWriteFile | FSReadFile, 0, []int{0, 1, 2}},
		{"/usr/lib/x.sox", FSWriteFile, FSWriteFile, []int{0, 1}},
		{"/usrx/bin", FSReadFile, FSReadFile, []int{0}},
		{"/home/u/work/out.o", FSWriteFile | FSReadFile, FSReadFile, []int{0, 3}},
		{"/home/u/work/", FSMakeReg, 0, []int{0, 3}},
		{"/home/u/work/../x", FSMakeReg, FSMakeReg, []int{0}},
		// Unhandled rights are always allowed.
		{"/etc/hosts", FSTruncate | FSRemoveFile | FSReadFile, FSReadFile, []int{0}},
	} {
		if got := p.MissingFS(tc.path, tc.want); got != tc.miss {
			t.Errorf("MissingFS(%s, %v) = %v, want %v", tc.path, tc.want, got, tc.miss)
		}
		if got := p.CoveringFS(tc.path); !reflect.DeepEqual(got, tc.covering) {
			t.Errorf("CoveringFS(%s) = %v, want %v", tc.path, got, tc.covering)
		}
	}
	if got := p.AllowedFS("/usr/lib"); got.Names()[0] != "execute" || got.Has(FSWriteFile) || !got.Has(FSTruncate) {
		t.Errorf("AllowedFS(/usr/lib) = %v", got)
	}
	// Variables compare as written: an unexpanded policy matches
	// abstracted paths.
	q := mustLoad(t, "version: 1\nfs:\n  - path: ${HOME}/.cache\n    access: [read_file]\n")
	if q.MissingFS("${HOME}/.cache/x", FSReadFile) != 0 || q.MissingFS("/root/.cache/x", FSReadFile) == 0 {
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
	both := NetBindTCP | NetConnectTCP
	for _, tc := range []struct {
		port       uint16
		want, miss NetAccess
	}{
		{443, both, NetBindTCP},
		{0, both, NetConnectTCP},
		{8080, NetBindTCP, NetBindTCP},
		{8080, NetConnectSendUDP, 0}, // not handled
	} {
		if got := p.MissingNet(tc.port, tc.want); got != tc.miss {
			t.Errorf("MissingNet(%d, %v) = %v, want %v", tc.port, tc.want.Names(), got.Names(), tc.miss.Names())
		}
	}
	if got := p.ScopesDenied(ScopeSignal | ScopeAbstractUnixSocket); got != ScopeSignal {
		t.Errorf("ScopesDenied = %v", got.Names())
	}
	if got := p.ScopesDenied(0); got != 0 {
		t.Errorf("ScopesDenied(0) = %v", got)
	}
}

func TestIsClean(t *testing.T) {
	for _, p := range []string{"/", "/usr", "/usr/lib", "/a/.b", "/a/..b", "/a/b.", "${HOME}/x", "/x/${A}", "", "a", "/a/", "//a",
		"/a//b", "/a/./b", "/a/../b", "/a/.", "/a/..", "/.", "/..", "/a/b", "//", "a/b/", "./a", "/a/b/..", "/a/.../b"} {
		want := strings.HasPrefix(p, "/") && path.Clean(p) == p
		if got := IsClean(p); got != want {
			t.Errorf("IsClean(%q) = %v, want %v", p, got, want)
		}
	}
}

// BenchmarkMissingFS is one check of an observation against a policy of
// 200 rules, what landlearn check does for each observation of a run.
func BenchmarkMissingFS(b *testing.B) {
	p := New(KernelABI)
	for i := range 200 {
		p.FS = append(p.FS, FSRule{Path: fmt.Sprintf("/usr/lib/x86_64-linux-gnu/lib%d", i), Access: FSReadFile})
	}
	for b.Loop() {
		p.MissingFS("/usr/lib/x86_64-linux-gnu/lib199/libc.so.6", FSReadFile)
	}
}
