package policy

import (
	"bytes"
	"errors"
	"path"
	"strings"
	"testing"
)

// FuzzLoad feeds the loader arbitrary bytes: it must never panic, every
// error must be located in the file, and whatever loads must validate,
// expand, diff and merge cleanly. Crashers found by `go test -fuzz` are
// kept in testdata/fuzz/FuzzLoad and run as regular tests.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(designExample))
	f.Add([]byte("version: 1\n"))
	f.Add([]byte("version: 1\nabi: 4\nhandled: {fs: [read_file], net: [], scoped: []}\nfs:\n  - {path: /, access: [read_file]}\n"))
	f.Add([]byte("version: 1\nfs:\n  - path: ${HOME}/${X}/../y\n    access: [read_file, execute]\n    optional: true\n"))
	f.Add([]byte("version: 1\nnet:\n  - port: 0x1BB\n    access: [connect_tcp]\n  - port: 0\n    access: [bind_tcp]\n"))
	f.Add([]byte("version: 1\nfs:\n  - path: /usr\n    access: &a [read_file]\n  - path: /x\n    access: *a\n"))
	f.Add([]byte("version: 1\n---\nversion: 1\n"))
	f.Add([]byte("version: 1\nfs:\n  - path: /usr\n   access: [read_file\n"))
	f.Add([]byte("# c\nversion: !!str 1\nabi: !custom 7\ncompat: strict\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Load(bytes.NewReader(data), "f.yaml")
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %T is not a *LoadError: %v", err, err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "f.yaml:") {
					t.Fatalf("error line %q does not name the file", line)
				}
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("loaded but does not validate: %v", err)
		}
		if d := Diff(p, p.Clone()); len(d) != 0 {
			t.Fatalf("Diff(p, p) = %v", d)
		}
		if d := Diff(p, Merge(p, p)); len(d) != 0 {
			t.Fatalf("Diff(p, Merge(p, p)) = %v", d)
		}
		e, err := p.Expand(Vars{"HOME": "/home/u", "X": "x", "PWD": "/w"})
		if err != nil {
			return
		}
		for _, r := range e.FS {
			if !strings.HasPrefix(r.Path, "/") {
				t.Fatalf("expanded path %q is not absolute", r.Path)
			}
			if len(e.CoveringFS(r.Path)) == 0 {
				t.Fatalf("rule %q does not cover its own path", r.Path)
			}
		}
	})
}

// FuzzAbstract checks that Expand undoes Abstract, for values that have
// no symlinks (under a directory that does not exist).
func FuzzAbstract(f *testing.F) {
	f.Add("/zz/home/u/x", "/home/u")
	f.Add("/zz/home/u", "/home/u")
	f.Add("/zz/home/ux", "/home/u")
	f.Add("/zz/a/${B}/c", "/a")
	f.Fuzz(func(t *testing.T, p, value string) {
		p, value = path.Clean("/zz/"+strings.TrimPrefix(p, "/zz/")), path.Clean("/zz/"+value)
		if strings.Contains(p, "$") || strings.ContainsRune(p, 0) || strings.Contains(value, "$") {
			return // a literal ${ in a path is not a variable that Abstract made
		}
		v := Vars{"V": value}
		a := v.Abstract(p)
		if a != p && !strings.HasPrefix(a, "${V}") {
			t.Fatalf("Abstract(%q) = %q", p, a)
		}
		pol := New(KernelABI)
		pol.FS = []FSRule{{Path: a, Access: FSReadFile}}
		e, err := pol.Expand(v)
		if err != nil {
			t.Fatal(err)
		}
		if e.FS[0].Path != p {
			t.Fatalf("Expand(Abstract(%q)) = %q with V=%q", p, e.FS[0].Path, value)
		}
	})
}
