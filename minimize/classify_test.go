package minimize

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// hostTree builds a small host in a directory: a merged /usr, /etc files
// and dpkg's database listing some of them, as Options.Root reads it.
// Classes are decided from ownership, so the files must be root's: the
// test needs root.
func hostTree(t *testing.T) string {
	t.Helper()
	testkit.RequireRoot(t, "system files are recognised by belonging to root")
	root := t.TempDir()
	os.Chmod(root, 0o755)
	for _, d := range []string{"usr/bin", "usr/lib/x86_64-linux-gnu", "usr/local/share/app", "etc", "var/lib/dpkg/info", "home/u/proj"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range [][2]string{{"lib", "usr/lib"}, {"bin", "usr/bin"}} {
		if err := os.Symlink(l[1], filepath.Join(root, l[0])); err != nil {
			t.Fatal(err)
		}
	}
	for name, mode := range map[string]os.FileMode{
		"usr/bin/tool":                       0o755,
		"usr/bin/unpackaged":                 0o755,
		"usr/lib/x86_64-linux-gnu/libc.so.6": 0o644,
		"usr/local/share/app/writable.dat":   0o666,
		"etc/passwd":                         0o644,
		"etc/ld.so.cache":                    0o644,
		"etc/shadow":                         0o640,
		"etc/gitconfig":                      0o644,
		"home/u/proj/in.txt":                 0o644,
	} {
		p := filepath.Join(root, name)
		if err := os.WriteFile(p, nil, mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
	}
	// dpkg lists the library as installed under /lib (merged /usr), and
	// the tool, not /usr/bin/unpackaged.
	list := "/.\n/usr\n/usr/bin\n/usr/bin/tool\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libc.so.6\n"
	os.WriteFile(filepath.Join(root, "var/lib/dpkg/info/base.list"), []byte(list), 0o644)
	return root
}

// TestClassifySystemFiles: system files go to their group, decided from
// ownership, modes and the package database; what fails a fact, or was
// written, keeps a rule of its own.
func TestClassifySystemFiles(t *testing.T) {
	root := hostTree(t)
	vars := policy.Vars{"HOME": "/home/u", "PWD": "/home/u/proj", "TMPDIR": "/tmp"}
	exec := learn.Observation{Syscall: "execve", PID: testPID, Exe: "/usr/bin/sh", Path: "/usr/bin/tool", Type: learn.TypeFile, FS: policy.FSExecute | policy.FSReadFile}
	obs := cat(
		open("/etc/hostname-probe", "read_file"), // first: not an exec, so no launcher
		exec,
		open("/usr/lib/x86_64-linux-gnu/libc.so.6", "read_file"),
		open("/usr/bin/unpackaged", "read_file"),
		open("/usr/local/share/app/writable.dat", "read_file"),
		open("/etc/passwd", "read_file"),
		open("/etc/ld.so.cache", "read_file"),
		open("/etc/gitconfig", "read_file"),
		open("/home/u/proj/in.txt", "read_file"),
	)
	p, rep := Minimize(obs, Options{Vars: vars, Root: root})
	got := map[string]policy.FSAccess{}
	for _, r := range p.FS {
		k := r.Path
		if r.Group != "" {
			k = "group " + r.Group
		}
		got[k] = r.Access
	}
	want := map[string]policy.FSAccess{
		"group system":        policy.FSExecute | policy.FSReadFile,
		"group name-service":  policy.FSReadFile,
		"group linker-config": policy.FSReadFile,
		"/etc/gitconfig":      policy.FSReadFile,
		"/etc/hostname-probe": policy.FSReadFile,
		"${PWD}/in.txt":       policy.FSReadFile,
	}
	for k, a := range want {
		if got[k] != a {
			t.Errorf("%s: got %s, want %s", k, got[k], a)
		}
	}
	for k, a := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected %s %s", k, a)
		}
	}
	// The unpackaged tool and the world-writable file are not the
	// system's own: the group's tree covers their reads, and says so.
	var sys policy.FSRule
	for _, r := range p.FS {
		if r.Group == "system" {
			sys = r
		}
	}
	for _, s := range []string{"executed /usr/bin/tool", "read /usr/lib/x86_64-linux-gnu/libc.so.6", "also covers 2 files the run used that are not the system's own"} {
		if !strings.Contains(sys.Comment, s) {
			t.Errorf("system group comment lacks %q:\n%s", s, sys.Comment)
		}
	}
	if rep.Groups != 3 {
		t.Errorf("report: %d groups, want 3", rep.Groups)
	}
	// --exact: a rule per file, no group.
	p, _ = Minimize(obs, Options{Vars: vars, Root: root, Exact: true})
	for _, r := range p.FS {
		if r.Group != "" {
			t.Errorf("--exact made a group rule: %+v", r)
		}
	}
}

// TestClassifyNeverWrites: a system file the run wrote (as root) is no
// group's: groups only read.
func TestClassifyNeverWrites(t *testing.T) {
	root := hostTree(t)
	vars := policy.Vars{"HOME": "/home/u", "PWD": "/home/u/proj"}
	p, _ := Minimize(cat(open("/etc/x", "read_file"), open("/etc/passwd", "read_file", "write_file")), Options{Vars: vars, Root: root})
	for _, r := range p.FS {
		if r.Group != "" {
			t.Errorf("a written file went to group %s", r.Group)
		}
	}
	if got := grants(p)["/etc/passwd"]; got != policy.FSReadFile|policy.FSWriteFile {
		t.Errorf("/etc/passwd: %s", got)
	}
}

// TestPackageDatabaseAliases: dpkg lists /lib/..., which is /usr/lib/...
// on a merged-/usr host.
func TestPackageDatabaseAliases(t *testing.T) {
	root := hostTree(t)
	h := newHostFacts(root)
	h.askPackages([]string{"/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/bin/tool", "/usr/bin/unpackaged", "/usr/local/share/app/writable.dat"})
	for p, want := range map[string]bool{
		"/usr/lib/x86_64-linux-gnu/libc.so.6": true,
		"/usr/bin/tool":                       true,
		"/usr/bin/unpackaged":                 false,
	} {
		if got, known := h.packageOwned(p); got != want || !known {
			t.Errorf("packageOwned(%s) = %t, %t; want %t", p, got, known, want)
		}
	}
	if h.systemFile("/usr/bin/unpackaged") || !h.systemFile("/usr/bin/tool") {
		t.Errorf("systemFile: unpackaged %t, tool %t", h.systemFile("/usr/bin/unpackaged"), h.systemFile("/usr/bin/tool"))
	}
	if h.systemFile("/usr/local/share/app/writable.dat") {
		t.Error("a world-writable file is a system file")
	}
}
