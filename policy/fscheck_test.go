package policy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckFilesystem(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(file, filepath.Join(dir, "tofile")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, filepath.Join(dir, "todir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := mustLoad(t, `version: 1
fs:
  - path: ${D}/sub
    access: [read_dir, make_reg]
  - path: ${D}/todir
    access: [read_dir]
  - path: ${D}/file
    access: [read_file, write_file, truncate, make_reg, remove_file]
  - path: ${D}/missing
    access: [read_file]
    optional: true
  - path: ${D}/missing-too
    access: [read_file]
  - path: ${D}/file/x
    access: [read_file]
    optional: true
  - path: /dev/null
    access: [read_dir, write_file]
  - path: ${D}/tofile
    access: [make_dir]
`)
	e, err := p.Expand(Vars{"D": dir})
	if err != nil {
		t.Fatal(err)
	}
	skipped, err := e.CheckFilesystem()
	if len(skipped) != 1 || skipped[0].Line != 9 {
		t.Errorf("skipped = %+v, want the optional missing rule of line 9", skipped)
	}
	var list LoadErrors
	if !errors.As(err, &list) {
		t.Fatalf("want a list of errors, got %v", err)
	}
	want := []string{
		fmt.Sprintf(`policy.yaml:7: remove_file, make_reg apply to directories; %s is a file: remove them from this rule, or grant them on the directory %s`, file, dir),
		fmt.Sprintf(`policy.yaml:12: %s/missing-too does not exist; create it, fix the path, or add "optional: true" to the rule to skip it when missing`, dir),
		// ENOTDIR is not "missing": optional does not hide a path under a file.
		fmt.Sprintf(`policy.yaml:14: cannot use %s/x: not a directory`, file),
		`policy.yaml:17: read_dir applies to directories; /dev/null is a character device: remove it from this rule, or grant it on the directory /dev`,
		fmt.Sprintf(`policy.yaml:19: make_dir applies to directories; %s/tofile is a file (through the symlink, %s): remove it from this rule, or grant it on the directory %s`, dir, file, dir),
	}
	if len(list) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(list), len(want), err)
	}
	for i := range want {
		if list[i].Error() != want[i] {
			t.Errorf("error %d:\n got %s\nwant %s", i, list[i], want[i])
		}
	}

	// An unexpanded policy is a programming error that says so.
	_, err = p.CheckFilesystem()
	var le *LoadError
	if !errors.As(err, &le) || le.Line != 3 || !strings.Contains(le.Msg, "still holds a variable; expand the policy") {
		t.Errorf("unexpanded: %v", err)
	}
}

func TestCheckFilesystemOK(t *testing.T) {
	p := New(KernelABI)
	p.FS = []FSRule{
		{Path: "/usr", Access: AllFS(KernelABI)},
		{Path: "/dev/null", Access: FileRights() & AllFS(KernelABI)},
		{Path: "/proc/self", Access: FSReadDir}, // a symlink to a directory
	}
	if skipped, err := p.CheckFilesystem(); err != nil || skipped != nil {
		t.Errorf("CheckFilesystem = %v, %v", skipped, err)
	}
}

func TestResolveSymlinks(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	p := New(KernelABI)
	p.FS = []FSRule{
		{Path: dir + "/link", Access: FSReadFile, Optional: true, Line: 3},
		{Path: dir + "/missing", Access: FSReadFile, Line: 5},
		{Path: dir + "/real", Access: FSExecute, Optional: true, Line: 7},
	}
	q, err := p.ResolveSymlinks()
	if err != nil {
		t.Fatal(err)
	}
	want := []FSRule{
		{Path: dir + "/real", Access: FSReadFile | FSExecute, Optional: true, Line: 3},
		{Path: dir + "/missing", Access: FSReadFile, Line: 5},
	}
	if fmt.Sprint(q.FS) != fmt.Sprint(want) {
		t.Errorf("ResolveSymlinks = %+v\nwant %+v", q.FS, want)
	}
	if p.FS[0].Path != dir+"/link" {
		t.Errorf("changed the original")
	}
	if m := q.MissingFS(dir+"/real/x", FSReadFile|FSExecute); m != 0 {
		t.Errorf("resolved policy misses %v on the resolved path", m)
	}
}

// TestLoadFileChecked: the problems of loading, expanding and the file
// system come together, in line order, and a rule with a problem of its
// own is not checked further (its unknown right is one problem, not two).
func TestLoadFileChecked(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(f, []byte(`version: 1
fs:
  - path: `+dir+`/gone-too
    access: [raed_file]
  - path: ${NOPE}/x
    access: [read_file]
  - path: `+dir+`/gone
    access: [read_file]
  - path: `+dir+`
    access: [read_dir]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFileChecked(f, Vars{})
	var list LoadErrors
	if !errors.As(err, &list) || len(list) != 3 || list[0].Line != 4 || list[1].Line != 5 || list[2].Line != 7 ||
		!strings.Contains(list[0].Msg, `"raed_file" is unknown`) || !strings.Contains(list[1].Msg, "${NOPE}") || !strings.Contains(list[2].Msg, "gone does not exist") {
		t.Errorf("LoadFileChecked: %v", err)
	}
	if err := os.WriteFile(f, []byte("version: 1\nfs:\n  - path: "+dir+"\n    access: [read_dir]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := LoadFileChecked(f, Vars{}); err != nil || p.FS[0].Path != dir {
		t.Errorf("a good policy: %v, %v", p, err)
	}
}
