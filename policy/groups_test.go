package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// mkTree makes the directories and files of spec under root: a name
// ending in / is a directory, "a -> b" a symlink, anything else a file.
func mkTree(t *testing.T, root string, spec ...string) {
	t.Helper()
	for _, s := range spec {
		if name, target, ok := strings.Cut(s, " -> "); ok {
			p := filepath.Join(root, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		p := filepath.Join(root, s)
		if strings.HasSuffix(s, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func members(t *testing.T, name string, h Host, anchors ...string) []string {
	t.Helper()
	g, ok := LookupGroup(name)
	if !ok {
		t.Fatalf("no group %s", name)
	}
	return g.Members(h, anchors)
}

// TestGroupSystemMergedUsr: on a merged-/usr host /bin, /lib... are links
// into /usr, and /usr alone is the system tree; on an older layout each
// real directory is a member of its own.
func TestGroupSystemMergedUsr(t *testing.T) {
	merged := t.TempDir()
	mkTree(t, merged, "usr/bin/", "usr/lib/", "bin -> usr/bin", "lib -> usr/lib", "lib64 -> usr/lib64", "etc/")
	if got, want := members(t, "system", Host{Root: merged}), []string{"/usr"}; !reflect.DeepEqual(got, want) {
		t.Errorf("merged /usr: %q, want %q", got, want)
	}
	split := t.TempDir()
	mkTree(t, split, "usr/bin/", "bin/", "sbin/", "lib/", "lib64/", "etc/")
	if got, want := members(t, "system", Host{Root: split}), []string{"/usr", "/bin", "/sbin", "/lib", "/lib64"}; !reflect.DeepEqual(got, want) {
		t.Errorf("split /usr: %q, want %q", got, want)
	}
}

// TestGroupNeverGrantsAnchors: a working directory inside a system tree
// is not granted through the group, nor is anything beside it.
func TestGroupNeverGrantsAnchors(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "usr/bin/", "usr/lib/", "usr/src/app/", "usr/src/secret", "usr/share/", "usr/lib64 -> lib")
	got := members(t, "system", Host{Root: root}, "/usr/src/app", "/root")
	want := []string{"/usr/bin", "/usr/lib", "/usr/share"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("members around /usr/src/app: %q, want %q", got, want)
	}
	if got := members(t, "system", Host{Root: root}, "/usr"); len(got) != 0 {
		t.Errorf("members with ${PWD} at /usr: %q, want none", got)
	}
}

// TestGroupFixedMembers: the /etc groups name single public files and
// directories, and only those that exist.
func TestGroupFixedMembers(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "etc/ld.so.cache", "etc/ssl/certs/ca.pem", "etc/ssl/private/key.pem", "etc/passwd", "etc/shadow")
	h := Host{Root: root}
	if got, want := members(t, "linker-config", h), []string{"/etc/ld.so.cache"}; !reflect.DeepEqual(got, want) {
		t.Errorf("linker-config: %q, want %q", got, want)
	}
	if got, want := members(t, "certificates", h), []string{"/etc/ssl/certs"}; !reflect.DeepEqual(got, want) {
		t.Errorf("certificates: %q, want %q", got, want)
	}
	for _, g := range Groups() {
		for _, m := range g.Members(h, nil) {
			if m == "/etc" || m == "/etc/ssl" || strings.HasPrefix(m, "/etc/ssl/private") || m == "/etc/shadow" {
				t.Errorf("group %s grants %s", g.Name, m)
			}
		}
	}
}

// TestGroupOwnCgroup reads /proc/self/cgroup as the kernel writes it on a
// cgroup v1 host (one line per hierarchy) and on a v2 one.
func TestGroupOwnCgroup(t *testing.T) {
	v1 := t.TempDir()
	mkTree(t, v1, "sys/fs/cgroup/memory/docker/abc/", "sys/fs/cgroup/cpu,cpuacct/docker/abc/", "sys/fs/cgroup/unified/")
	if err := os.MkdirAll(filepath.Join(v1, "proc/self"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(v1, "proc/self/cgroup"), []byte("4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n1:name=systemd:/\n0::/\n"), 0o644)
	want := []string{"/sys/fs/cgroup/cpu,cpuacct/docker/abc", "/sys/fs/cgroup/memory/docker/abc"}
	if got := members(t, "own-cgroup", Host{Root: v1}); !reflect.DeepEqual(got, want) {
		t.Errorf("v1: %q, want %q", got, want)
	}
	v2 := t.TempDir()
	mkTree(t, v2, "sys/fs/cgroup/system.slice/app.service/")
	os.MkdirAll(filepath.Join(v2, "proc/self"), 0o755)
	os.WriteFile(filepath.Join(v2, "proc/self/cgroup"), []byte("0::/system.slice/app.service\n"), 0o644)
	want = []string{"/sys/fs/cgroup/system.slice/app.service"}
	if got := members(t, "own-cgroup", Host{Root: v2}); !reflect.DeepEqual(got, want) {
		t.Errorf("v2: %q, want %q", got, want)
	}
	// A path that cleans to the root is the hierarchy's root, not the
	// program's own, and ".." never leads out of /sys/fs/cgroup.
	mkTree(t, v2, "sys/fs/etc/")
	os.WriteFile(filepath.Join(v2, "proc/self/cgroup"), []byte("0::/system.slice/..\n1:name=x:/../../etc\n"), 0o644)
	if got := members(t, "own-cgroup", Host{Root: v2}); len(got) != 0 {
		t.Errorf("root or .. path: %q, want none", got)
	}
}

// TestLoadVersion2 loads the syntax version 2 adds.
func TestLoadVersion2(t *testing.T) {
	src := `version: 2
fs:
  # system programs and libraries
  - group: system
    access: [execute, read_file]
  - path: /etc/gitconfig
    access: [read_file]
    learned: true
`
	p, err := Load(strings.NewReader(src), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []FSRule{
		{Group: "system", Access: FSExecute | FSReadFile, Comment: "system programs and libraries", Line: 4},
		{Path: "/etc/gitconfig", Access: FSReadFile, Learned: true, Line: 6},
	}
	if !reflect.DeepEqual(p.FS, want) {
		t.Errorf("rules:\n%+v\nwant\n%+v", p.FS, want)
	}
}

// TestLoadGroupErrors: every mistake with groups and the learned marker
// gets a message on its line with the fix.
func TestLoadGroupErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"group in version 1", "version: 1\nfs:\n  - group: system\n    access: [read_file]\n", 3,
			"group rules need version 2 of the policy schema; write version: 2 at the top"},
		{"learned in version 1", "version: 1\nfs:\n  - path: /usr\n    access: [read_file]\n    learned: true\n", 5,
			"learned needs version 2 of the policy schema; write version: 2 at the top"},
		{"unknown group", "version: 2\nfs:\n  - group: sytem\n    access: [read_file]\n", 3,
			`group "sytem" is unknown; did you mean system? the groups are system, linker-config, name-service, locale-config, certificates, terminfo, own-cgroup`},
		{"unknown group far", "version: 2\nfs:\n  - group: database\n    access: [read_file]\n", 3,
			`group "database" is unknown; the groups are system, `},
		{"path and group", "version: 2\nfs:\n  - path: /usr\n    group: system\n    access: [read_file]\n", 4,
			"a rule has a path or a group, not both; split it into two rules"},
		{"group writes", "version: 2\nfs:\n  - group: system\n    access: [read_file, write_file]\n", 3,
			"group system is read-only: a group rule may grant [execute, read_file, read_dir], not [write_file]; grant those in a rule with a path"},
		{"optional group", "version: 2\nfs:\n  - group: system\n    access: [read_file]\n    optional: true\n", 3,
			"optional does not apply to a group"},
		{"twice", "version: 2\nfs:\n  - group: system\n    access: [read_file]\n  - group: system\n    access: [execute]\n", 5,
			"group system is already granted by the rule on line 3; merge the two rules into one"},
		{"learned not bool", "version: 2\nfs:\n  - path: /usr\n    access: [read_file]\n    learned: yes please\n", 5,
			`learned must be true or false, not the text "yes please"`},
		{"no path nor group", "version: 2\nfs:\n  - access: [read_file]\n", 3,
			"this fs rule has no path; add path: /some/dir (or group: NAME, one of system, "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tt.src), "p.yaml")
			if err == nil {
				t.Fatalf("loaded without error:\n%s", tt.src)
			}
			want := fmt.Sprintf("p.yaml:%d: %s", tt.line, tt.msg)
			if !strings.Contains(err.Error(), want) {
				t.Errorf("got  %v\nwant %s...", err, want)
			}
		})
	}
}

// TestExpandGroups: Expand replaces a group rule by a rule per member on
// this host, skipped when missing, and says when a group grants nothing.
func TestExpandGroups(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "usr/bin/", "etc/passwd", "etc/group", "bin -> usr/bin")
	p := New(7)
	p.File = "p.yaml"
	p.FS = []FSRule{
		{Group: "system", Access: FSExecute | FSReadFile, Line: 3},
		{Group: "name-service", Access: FSReadFile, Line: 5},
		{Group: "certificates", Access: FSReadFile, Line: 7},
		{Path: "/etc/passwd", Access: FSReadFile, Learned: true, Line: 9},
	}
	q, err := p.ExpandOn(Vars{"HOME": "/root", "PWD": "/work"}, Host{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	want := []FSRule{
		{Path: "/usr", Group: "system", Access: FSExecute | FSReadFile, Optional: true, Line: 3},
		{Path: "/etc/passwd", Group: "name-service", Access: FSReadFile, Learned: true, Line: 5},
		{Path: "/etc/group", Group: "name-service", Access: FSReadFile, Optional: true, Line: 5},
	}
	if !reflect.DeepEqual(q.FS, want) {
		t.Errorf("expanded:\n%+v\nwant\n%+v", q.FS, want)
	}
	if len(q.Notes) != 1 || q.Notes[0] != "p.yaml: the rule on line 7: group certificates has no member on this host, so it grants nothing here" {
		t.Errorf("notes: %q", q.Notes)
	}
}
