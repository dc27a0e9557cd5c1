package policy

import (
	"fmt"
	"strings"
	"testing"
)

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
	if c := got[6]; c.Kind != Changed || c.Section != "fs" || c.Key != "/usr" || c.Granted() != uint64(FSWriteFile) || c.Revoked() != uint64(FSExecute) {
		t.Errorf("fs /usr change = %+v", c)
	}
	if d := Diff(cur, cur.Clone()); len(d) != 0 {
		t.Errorf("Diff of equal policies = %v", d)
	}
	if len(Diff(cur, old)) != len(got) {
		t.Errorf("Diff is not symmetric in size")
	}
}

// TestDiffGroups: group rules are compared by name, apart from paths.
func TestDiffGroups(t *testing.T) {
	a, b := New(7), New(7)
	a.FS = []FSRule{{Group: "system", Access: FSReadFile}, {Group: "name-service", Access: FSReadFile}}
	b.FS = []FSRule{{Group: "system", Access: FSReadFile | FSExecute}, {Path: "/etc/passwd", Access: FSReadFile}}
	var got []string
	for _, c := range Diff(a, b) {
		got = append(got, c.String())
	}
	want := []string{"added fs /etc/passwd: +[read_file]", "removed fs group name-service: -[read_file]", "changed fs group system: +[execute]"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diff:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestDiffLearned: learned: true skips a rule whose path is missing, where
// a plain rule is an error: a change of the flag is a change.
func TestDiffLearned(t *testing.T) {
	old := mustLoad(t, "version: 2\nfs:\n  - path: /etc/gitconfig\n    access: [read_file]\n")
	cur := mustLoad(t, "version: 2\nfs:\n  - path: /etc/gitconfig\n    access: [read_file]\n    learned: true\n")
	got := Diff(old, cur)
	if len(got) != 1 || got[0].String() != "changed fs /etc/gitconfig: learned: false -> true" {
		t.Errorf("Diff = %v", got)
	}
}
