package policy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultVars(t *testing.T) {
	t.Setenv("HOME", "/home/alice/")
	t.Setenv("TMPDIR", "")
	t.Setenv("XDG_CONFIG_HOME", "relative/is/ignored")
	t.Setenv("XDG_CACHE_HOME", "/var/cache/alice")
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("XDG_STATE_HOME", "/state")
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/1000")
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	want := Vars{
		"HOME":            "/home/alice",
		"TMPDIR":          "/tmp",
		"PWD":             wd,
		"XDG_CONFIG_HOME": "/home/alice/.config",
		"XDG_CACHE_HOME":  "/var/cache/alice",
		"XDG_DATA_HOME":   "/home/alice/.local/share",
		"XDG_STATE_HOME":  "/state",
		"XDG_RUNTIME_DIR": "/run/user/1000",
	}
	got := DefaultVars()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("DefaultVars() =\n%v\nwant\n%v", got, want)
	}

	t.Setenv("TMPDIR", "/var/tmp")
	t.Setenv("XDG_RUNTIME_DIR", "")
	got = DefaultVars()
	if got["TMPDIR"] != "/var/tmp" {
		t.Errorf("TMPDIR = %q", got["TMPDIR"])
	}
	if d := fmt.Sprintf("/run/user/%d", os.Getuid()); isDir(d) != (got["XDG_RUNTIME_DIR"] == d) {
		t.Errorf("XDG_RUNTIME_DIR = %q; want %s exactly when it exists", got["XDG_RUNTIME_DIR"], d)
	}
}

func TestParseVar(t *testing.T) {
	for _, tc := range []struct{ in, name, value, err string }{
		{"DATA=/srv/data", "DATA", "/srv/data", ""},
		{"V=a=b", "V", "a=b", ""},
		{"_x1=rel", "_x1", "rel", ""},
		{"DATA", "", "", "--var DATA: want NAME=VALUE, such as --var DATA=/srv/data"},
		{"1X=/a", "", "", `--var 1X=/a: "1X" is not a variable name`},
		{"=/a", "", "", `is not a variable name`},
		{"MY-DIR=/a", "", "", `"MY-DIR" is not a variable name`},
		{"DATA=", "", "", "--var DATA=: the value is empty; give a path, such as --var DATA=/srv/data"},
	} {
		name, value, err := ParseVar(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseVar(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || name != tc.name || value != tc.value {
			t.Errorf("ParseVar(%q) = %q, %q, %v", tc.in, name, value, err)
		}
	}
}

func TestVarsWith(t *testing.T) {
	v := Vars{"HOME": "/h"}
	w := v.With("HOME", "/other").With("DATA", "/d")
	if v["HOME"] != "/h" || len(v) != 1 {
		t.Errorf("With changed the original: %v", v)
	}
	if w["HOME"] != "/other" || w["DATA"] != "/d" {
		t.Errorf("With = %v", w)
	}
}

func TestExpand(t *testing.T) {
	p := mustLoad(t, `version: 1
fs:
  - path: ${HOME}/.cache/app/
    access: [read_file]
    optional: true
  - path: ${XDG_CACHE_HOME}/app
    access: [write_file]
    optional: true
  - path: /opt/${APP}-${VERSION}/./bin
    access: [execute]
  - path: ${HOME}/a
    access: [read_dir]
    optional: true
  - path: ${DATA}/../x
    access: [read_file]
`)
	v := Vars{"HOME": "/home/u", "XDG_CACHE_HOME": "/home/u/.cache", "APP": "tool", "VERSION": "1.2", "DATA": "/srv/data"}
	q, err := p.Expand(v.With("HOME", "/home/u"))
	if err != nil {
		t.Fatal(err)
	}
	want := []FSRule{
		{Path: "/home/u/.cache/app", Access: FSReadFile | FSWriteFile, Optional: true, Line: 3},
		{Path: "/opt/tool-1.2/bin", Access: FSExecute, Line: 9},
		{Path: "/home/u/a", Access: FSReadDir, Optional: true, Line: 11},
		{Path: "/srv/x", Access: FSReadFile, Line: 14},
	}
	if fmt.Sprint(q.FS) != fmt.Sprint(want) {
		t.Errorf("Expand =\n%+v\nwant\n%+v", q.FS, want)
	}
	if p.FS[0].Path != "${HOME}/.cache/app/" || len(p.FS) != 5 {
		t.Errorf("Expand changed the original: %+v", p.FS)
	}

	// A required rule that meets an optional one stays required.
	p = mustLoad(t, "version: 1\nfs:\n  - path: ${A}\n    access: [read_file]\n    optional: true\n  - path: ${B}\n    access: [execute]\n")
	q, err = p.Expand(Vars{"A": "/x", "B": "/x/"})
	if err != nil || len(q.FS) != 1 || q.FS[0].Optional || q.FS[0].Access != FSReadFile|FSExecute {
		t.Errorf("merge optional+required = %+v, %v", q, err)
	}

	// A value holding ${ is not expanded again.
	p = mustLoad(t, "version: 1\nfs:\n  - path: ${A}/b\n    access: [read_file]\n")
	q, err = p.Expand(Vars{"A": "/${B}", "B": "/no"})
	if err != nil || q.FS[0].Path != "/${B}/b" {
		t.Errorf("nested = %+v, %v", q, err)
	}
}

func TestExpandErrors(t *testing.T) {
	p := mustLoad(t, `version: 1
fs:
  - path: /usr
    access: [read_file]
  - path: ${DATA}/in
    access: [read_file]
  - path: ${REL}/x
    access: [read_file]
  - path: ${EMPTY}/x
    access: [read_file]
`)
	_, err := p.Expand(Vars{"REL": "relative", "EMPTY": ""})
	var list LoadErrors
	if !errors.As(err, &list) || len(list) != 3 {
		t.Fatalf("want 3 errors, got %v", err)
	}
	for i, want := range []string{
		"policy.yaml:5: variable ${DATA} in ${DATA}/in is not set; pass --var DATA=/some/path",
		`policy.yaml:7: path ${REL}/x expands to "relative/x", which is not absolute; give the variable an absolute value with --var`,
		"policy.yaml:9: variable ${EMPTY} in ${EMPTY}/x is not set; pass --var EMPTY=/some/path",
	} {
		if list[i].Error() != want {
			t.Errorf("error %d = %q\nwant %q", i, list[i], want)
		}
	}
}

func TestAbstract(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	link := filepath.Join(dir, "link")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	v := Vars{
		"HOME":            "/home/u",
		"PWD":             "/home/u", // a tie with HOME: HOME wins by name
		"XDG_CACHE_HOME":  "/home/u/.cache",
		"TMPDIR":          link, // observed paths are resolved: real matches
		"ROOT":            "/",  // never used
		"EMPTY":           "",   // never used
		"RELATIVE":        "home",
		"XDG_RUNTIME_DIR": "/run/user/0/",
	}
	for in, want := range map[string]string{
		"/home/u":                 "${HOME}",
		"/home/u/src/x.c":         "${HOME}/src/x.c",
		"/home/u/.cache/app/data": "${XDG_CACHE_HOME}/app/data",
		"/home/u/.cachefoo":       "${HOME}/.cachefoo",
		"/home/user":              "/home/user",
		real + "/f":               "${TMPDIR}/f",
		link + "/f":               "${TMPDIR}/f",
		"/run/user/0/bus":         "${XDG_RUNTIME_DIR}/bus",
		"/etc/passwd":             "/etc/passwd",
		"/":                       "/",
	} {
		if got := v.Abstract(in); got != want {
			t.Errorf("Abstract(%q) = %q, want %q", in, got, want)
		}
	}
	// Expand undoes Abstract.
	p := New(KernelABI)
	p.FS = []FSRule{{Path: v.Abstract("/home/u/.cache/app/data"), Access: FSReadFile}}
	q, err := p.Expand(v)
	if err != nil || q.FS[0].Path != "/home/u/.cache/app/data" {
		t.Errorf("Expand(Abstract) = %+v, %v", q, err)
	}
}

// wantExpandErr checks that expanding p with v on host h fails with an
// error that says want, or succeeds when want is "".
func wantExpandErr(t *testing.T, p *Policy, v Vars, h Host, want string) {
	t.Helper()
	_, err := p.ExpandOn(v, h)
	switch {
	case want == "" && err != nil:
		t.Errorf("%v: %v", v, err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Errorf("%v: %v\nwant %q", v, err, want)
	}
}

// TestExpandRefusesTheWrongPlace: a rule on ${PWD} or ${TMPDIR} means the
// project; where the command starts in /, in ${HOME} or above it (a
// systemd unit without WorkingDirectory=, cron), it would grant all of
// that, and expansion refuses with the way out. Rules below the variable,
// and absolute rules, mean what they say.
func TestExpandRefusesTheWrongPlace(t *testing.T) {
	p := mustLoad(t, `version: 1
fs:
  - path: ${PWD}
    access: [read_file, write_file]
  - path: ${PWD}/data
    access: [read_file]
  - path: /
    access: [read_dir]
`)
	for _, c := range []struct {
		pwd, want string
	}{
		{"/", "policy.yaml:3: ${PWD} is / here, the whole file system: the rule would grant [write_file, read_file] on all of it; run from the directory the policy was learned for (cd DIR; WorkingDirectory= in a systemd unit), or pass --var PWD=DIR"},
		{"/home/u", "policy.yaml:3: ${PWD} is /home/u here, which is ${HOME}: the rule"},
		{"/home", "which holds /home/u (${HOME})"},
		{"/etc", "policy.yaml:3: ${PWD} is /etc here: the rule would grant [write_file, read_file] on all of it"},
		{"/srv/app", ""},
	} {
		wantExpandErr(t, p, Vars{"PWD": c.pwd, "HOME": "/home/u"}, Host{}, c.want)
	}
	q := mustLoad(t, "version: 1\nfs:\n  - path: ${TMPDIR}\n    access: [make_reg]\n")
	if _, err := q.Expand(Vars{"TMPDIR": "/", "HOME": "/home/u"}); err == nil {
		t.Error("${TMPDIR} at / expanded")
	}
	if _, err := q.Expand(Vars{"TMPDIR": "/home/u", "HOME": "/home/u"}); err == nil {
		t.Error("${TMPDIR} at ${HOME} expanded")
	}
	// A throwaway home inside the shared temp directory (CI, tests) was
	// there when the policy was learned too.
	if _, err := q.Expand(Vars{"TMPDIR": "/tmp", "HOME": "/tmp/ci/home"}); err != nil {
		t.Errorf("${TMPDIR} holding a throwaway home: %v", err)
	}
}

// TestExpandRefusesTheWrongPlaceByIdentity: the wrong place is found by
// what a directory is, not how it is named: a working directory reached
// through a symlink to / or /etc, an ${XDG_*} set to /etc, ${HOME}/..,
// and a directory that holds a home of /etc/passwd (root in /home).
func TestExpandRefusesTheWrongPlaceByIdentity(t *testing.T) {
	links := tree(t, "to-root -> /", "to-etc -> /etc", "proj/")
	p := mustLoad(t, "version: 2\nfs:\n  - path: ${PWD}\n    access: [read_file]\n")
	for _, c := range []struct{ pwd, want string }{
		{links + "/to-root", "here, which is the same directory as the whole file system"},
		{links + "/to-etc", "here, which is the same directory as /etc"},
		{links + "/proj", ""},
	} {
		wantExpandErr(t, p, Vars{"PWD": c.pwd, "HOME": "/home/u"}, Host{}, c.want)
	}

	xdg := mustLoad(t, "version: 2\nfs:\n  - path: ${XDG_CACHE_HOME}\n    access: [write_file]\n")
	if _, err := xdg.Expand(Vars{"XDG_CACHE_HOME": "/etc", "HOME": "/home/u"}); err == nil ||
		!strings.Contains(err.Error(), "set XDG_CACHE_HOME to the directory the policy was learned for") {
		t.Errorf("${XDG_CACHE_HOME} at /etc: %v", err)
	}
	if _, err := xdg.Expand(Vars{"XDG_CACHE_HOME": "/home/u/.cache", "HOME": "/home/u"}); err != nil {
		t.Errorf("${XDG_CACHE_HOME} in the home: %v", err)
	}

	home := mustLoad(t, "version: 2\nfs:\n  - path: ${HOME}\n    access: [read_file]\n  - path: ${HOME}/..\n    access: [read_dir]\n")
	if _, err := home.Expand(Vars{"HOME": "/home/u"}); err == nil || !strings.Contains(err.Error(), "policy.yaml:5: ${HOME}/.. is /home here") || strings.Contains(err.Error(), "policy.yaml:3") {
		t.Errorf("${HOME}/..: %v, want only line 5 refused", err)
	}

	// Root working in /home: the rule would hold every user's home.
	host := tree(t, "etc/", "home/bob/", "home/carol/", "srv/app/")
	os.WriteFile(filepath.Join(host, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\nwww:x:33:33::/var/www:/bin/sh\n"), 0o644)
	for _, c := range []struct{ pwd, want string }{
		{"/home", "which holds /home/bob (a home in /etc/passwd)"},
		{"/var", ""}, // www's /var/www is a service's, not a person's
		{"/srv/app", ""},
	} {
		wantExpandErr(t, p, Vars{"PWD": c.pwd, "HOME": "/root"}, Host{Root: host}, c.want)
	}
}

// TestExpandNotesSharedTempDirectory: a rule that may change or remove
// files in a directory every program shares (sticky, writable by all)
// gets a note at enforcement: learned with a private TMPDIR, it grants
// more where TMPDIR is /tmp.
func TestExpandNotesSharedTempDirectory(t *testing.T) {
	dirs := tree(t, "shared/", "private/")
	if err := os.Chmod(filepath.Join(dirs, "shared"), 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	p := mustLoad(t, "version: 2\nfs:\n  - path: ${TMPDIR}\n    access: [read_file, write_file, make_reg, remove_file]\n")
	r := mustLoad(t, "version: 2\nfs:\n  - path: ${TMPDIR}\n    access: [read_file, make_reg]\n")
	for _, c := range []struct {
		p    *Policy
		dir  string
		want string
	}{
		{p, "shared", "${TMPDIR} is " + dirs + "/shared here, a directory shared with other programs: the rule grants [write_file, remove_file] on everything in it, their files and sockets included; run it with a temp directory of its own (TMPDIR=$(mktemp -d) landlearn run ...)"},
		{p, "private", ""},
		{r, "shared", ""}, // reading and making new files change nothing of others'
	} {
		q, err := c.p.Expand(Vars{"TMPDIR": filepath.Join(dirs, c.dir), "HOME": "/home/u"})
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(q.Notes, "\n")
		if got != c.want {
			t.Errorf("TMPDIR=%s, %s: notes %q, want %q", c.dir, c.p.FS[0].Access, got, c.want)
		}
	}
}
