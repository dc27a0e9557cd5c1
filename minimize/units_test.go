package minimize

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// files makes n empty files in dir, named f000, f001..., and returns
// their paths.
func files(t *testing.T, dir string, n int) []string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("f%03d", i))
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// runOf minimizes obs as one run with header h.
func runOf(obs []learn.Observation, h *learn.Header, o Options) (*policy.Policy, *Report) {
	b := New(o)
	b.StartRun(h)
	for _, ob := range obs {
		b.Add(ob)
	}
	return b.Policy()
}

// testWork makes a working directory beneath a home in a fresh
// directory that is neither /tmp nor ${TMPDIR} itself, and the variables
// of a run there.
func testWork(t *testing.T) (home, pwd string, vars policy.Vars) {
	t.Helper()
	home = filepath.Join(t.TempDir(), "home")
	pwd = filepath.Join(home, "proj")
	if err := os.MkdirAll(pwd, 0o755); err != nil {
		t.Fatal(err)
	}
	return home, pwd, policy.Vars{"HOME": home, "PWD": pwd, "TMPDIR": "/nonexistent-tmp"}
}

// TestUnitThreshold: a directory whose entries the run mostly used is one
// rule with the read rights used beneath it; one where it used a few is
// not. 12 of 12 read is a unit, 2 of 1,000 is not.
func TestUnitThreshold(t *testing.T) {
	_, pwd, vars := testWork(t)
	all := filepath.Join(pwd, "all")
	few := filepath.Join(pwd, "few")
	var obs []learn.Observation
	obs = append(obs, openDir(all))
	for _, f := range files(t, all, 12) {
		obs = append(obs, open(f, "read_file"))
	}
	many := files(t, few, 1000)
	obs = append(obs, openDir(few), open(many[3], "read_file"), open(many[500], "read_file"))
	p, rep := Minimize(cat(obs), Options{Vars: vars})
	wantGrants(t, p, map[string]policy.FSAccess{
		"${PWD}/all":      policy.FSReadFile | policy.FSReadDir,
		"${PWD}/few":      policy.FSReadDir,
		"${PWD}/few/f003": policy.FSReadFile,
		"${PWD}/few/f500": policy.FSReadFile,
	})
	if c := ruleComment(p, "${PWD}/all"); !strings.Contains(c, "data: the run listed it and used 12 of its 12 entries") {
		t.Errorf("comment of the unit: %q", c)
	}
	if rep.Units != 1 {
		t.Errorf("report: %d units, want 1", rep.Units)
	}
	sound(t, cat(obs), p, vars)
}

// TestUnitNeedsListingOrTwo: one file read by name in a directory of
// one is not a unit; listed, it is.
func TestUnitNeedsListingOrTwo(t *testing.T) {
	_, pwd, vars := testWork(t)
	one := files(t, filepath.Join(pwd, "conf"), 1)
	p, _ := Minimize(cat(open(one[0], "read_file")), Options{Vars: vars})
	wantGrants(t, p, map[string]policy.FSAccess{"${PWD}/conf/f000": policy.FSReadFile})
	p, _ = Minimize(cat(openDir(filepath.Dir(one[0])), open(one[0], "read_file")), Options{Vars: vars})
	wantGrants(t, p, map[string]policy.FSAccess{"${PWD}/conf": policy.FSReadFile | policy.FSReadDir})
}

// TestUnitNamedOnCommandLine: a directory the command line names is a
// unit however little of it the run used (tar czf out.tgz src reads
// src/a and src/b; src/c, added later, must be covered), and so is one
// declared as data.
func TestUnitNamedOnCommandLine(t *testing.T) {
	_, pwd, vars := testWork(t)
	src := files(t, filepath.Join(pwd, "src"), 40)
	static := files(t, filepath.Join(pwd, "static"), 40)
	obs := cat(open(src[0], "read_file"), open(static[1], "read_file"))
	h := &learn.Header{Version: 2, Argv: []string{"tar", "czf", "out.tgz", "src"}, Cwd: pwd, Vars: vars, Data: []string{filepath.Join(pwd, "static")}}
	p, _ := runOf(obs, h, Options{})
	wantGrants(t, p, map[string]policy.FSAccess{"${PWD}/src": policy.FSReadFile, "${PWD}/static": policy.FSReadFile})
	if c := ruleComment(p, "${PWD}/src"); !strings.Contains(c, "named on the command line (src)") {
		t.Errorf("comment of src: %q", c)
	}
	if c := ruleComment(p, "${PWD}/static"); !strings.Contains(c, "declared as data when learning (--data)") {
		t.Errorf("comment of static: %q", c)
	}
	// Without the header nothing names them.
	p, _ = Minimize(obs, Options{Vars: vars})
	wantGrants(t, p, map[string]policy.FSAccess{"${PWD}/src/f000": policy.FSReadFile, "${PWD}/static/f001": policy.FSReadFile})

	// A directory every program shares (mode 1777) is never one, named
	// or not: other users' files are there too.
	drop := filepath.Join(t.TempDir(), "drop")
	in := files(t, drop, 3)
	if err := os.Chmod(drop, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	obs = cat(open(in[0], "read_file"), open(in[1], "read_file"))
	h = &learn.Header{Version: 2, Argv: []string{"tar", "czf", "out.tgz", drop}, Cwd: pwd, Vars: vars}
	p, _ = runOf(obs, h, Options{})
	wantGrants(t, p, map[string]policy.FSAccess{in[0]: policy.FSReadFile, in[1]: policy.FSReadFile})
}

// TestUnitLimits: a unit never carries a write, never is ${HOME} or above
// ${PWD}, never is inside a sensitive tree; ${PWD} itself can be one.
func TestUnitLimits(t *testing.T) {
	home, pwd, vars := testWork(t)
	// ${PWD} listed and all of it read, one file also written.
	fs := files(t, pwd, 3)
	obs := cat(openDir(pwd), open(fs[0], "read_file"), open(fs[1], "read_file"), open(fs[2], "read_file", "write_file"))
	// ${HOME} listed, and both its entries used (proj, and a dotfile).
	os.WriteFile(filepath.Join(home, ".apprc"), nil, 0o644)
	obs = append(obs, cat(openDir(home), open(filepath.Join(home, ".apprc"), "read_file"))...)
	// .ssh beneath ${HOME}: listed and read, never a unit (the listing
	// is ${HOME}'s read_dir, which Landlock applies beneath it).
	keys := files(t, filepath.Join(home, ".ssh"), 2)
	obs = append(obs, cat(openDir(filepath.Join(home, ".ssh")), open(keys[0], "read_file"), open(keys[1], "read_file"))...)
	p, _ := Minimize(cat(obs), Options{Vars: vars})
	wantGrants(t, p, map[string]policy.FSAccess{
		"${PWD}":            policy.FSReadFile | policy.FSReadDir,
		"${PWD}/f002":       policy.FSWriteFile,
		"${HOME}":           policy.FSReadDir,
		"${HOME}/.apprc":    policy.FSReadFile,
		"${HOME}/.ssh/f000": policy.FSReadFile,
		"${HOME}/.ssh/f001": policy.FSReadFile,
	})
	sound(t, cat(obs), p, vars)
	// --exact makes no unit.
	p, _ = Minimize(cat(obs), Options{Vars: vars, Exact: true})
	if got := grants(p)["${PWD}"]; got != policy.FSReadDir {
		t.Errorf("--exact: ${PWD} %s, want [read_dir]", got)
	}
}

// TestUnitRecursive: a tree walked in full is one rule at its top.
func TestUnitRecursive(t *testing.T) {
	_, pwd, vars := testWork(t)
	docs := filepath.Join(pwd, "docs")
	var obs []learn.Observation
	for _, d := range []string{docs, filepath.Join(docs, "a"), filepath.Join(docs, "b"), filepath.Join(docs, "b", "c")} {
		obs = append(obs, openDir(d))
		for _, f := range files(t, d, 2) {
			obs = append(obs, open(f, "read_file"))
		}
	}
	p, _ := Minimize(cat(obs), Options{Vars: vars})
	wantGrants(t, p, map[string]policy.FSAccess{"${PWD}/docs": policy.FSReadFile | policy.FSReadDir})
}

// TestRerunRights: a file the run created and left is there for the next
// run, which truncates it (O_TRUNC) or replaces it (rename onto it): the
// rule that holds it says so and grants that too. A file the run removed
// again needs nothing more.
func TestRerunRights(t *testing.T) {
	_, pwd, vars := testWork(t)
	out := filepath.Join(pwd, "out.tgz")
	os.WriteFile(out, nil, 0o644)
	p, _ := Minimize(cat(create(out, "write_file")), Options{Vars: vars})
	wantGrants(t, p, map[string]policy.FSAccess{"${PWD}": policy.FSWriteFile | policy.FSMakeReg | policy.FSTruncate})
	if c := ruleComment(p, "${PWD}"); !strings.Contains(c, "also [truncate] so that the same command can run again here: a rerun finds ${PWD}/out.tgz") {
		t.Errorf("comment: %q", c)
	}
	gone := filepath.Join(pwd, "tmp.lock")
	p, _ = Minimize(cat(create(gone, "write_file")), Options{Vars: vars})
	wantGrants(t, p, map[string]policy.FSAccess{"${PWD}": policy.FSWriteFile | policy.FSMakeReg})
	// sed -i: a temporary file renamed onto the file it edits.
	edited := filepath.Join(pwd, "in.txt")
	os.WriteFile(edited, nil, 0o644)
	tmp := filepath.Join(pwd, "sedXyZ123")
	p, _ = Minimize(cat(create(tmp, "write_file"), rename(tmp, edited, false)), Options{Vars: vars})
	if got := grants(p)["${PWD}"]; !got.Has(policy.FSRemoveFile | policy.FSMakeReg | policy.FSWriteFile) {
		t.Errorf("rename onto a created file: ${PWD} %s, want remove_file for the rerun", got)
	}
}

// TestRuntimeTrees: the files of a runtime installed beneath ${HOME}
// (pyenv) or of a virtualenv become one read-only rule at its install
// root; what the run wrote there stays exact.
func TestRuntimeTrees(t *testing.T) {
	home, pwd, vars := testWork(t)
	py := filepath.Join(home, ".pyenv", "versions", "3.11.7")
	stdlib := files(t, filepath.Join(py, "lib", "python3.11"), 5)
	os.WriteFile(filepath.Join(py, "lib", "python3.11", "os.py"), nil, 0o644)
	venv := filepath.Join(pwd, ".venv")
	site := files(t, filepath.Join(venv, "lib", "python3.11", "site-packages", "requests"), 3)
	os.WriteFile(filepath.Join(venv, "pyvenv.cfg"), nil, 0o644)
	obs := cat(
		learn.Observation{Syscall: "execve", PID: testPID, Exe: "/usr/bin/app", Path: filepath.Join(py, "bin", "python3.11"), Type: learn.TypeFile, FS: policy.FSExecute | policy.FSReadFile},
		open(stdlib[0], "read_file"), open(stdlib[1], "read_file"), openDir(filepath.Dir(stdlib[0])),
		open(site[0], "read_file"), open(site[1], "read_file"), open(site[2], "read_file", "write_file"),
	)
	p, rep := Minimize(obs, Options{Vars: vars})
	wantGrants(t, p, map[string]policy.FSAccess{
		"${HOME}/.pyenv":   policy.FSExecute | policy.FSReadFile | policy.FSReadDir,
		"${PWD}/.venv/lib": policy.FSReadFile,
		"${PWD}/.venv/lib/python3.11/site-packages/requests/f002": policy.FSWriteFile,
	})
	if c := ruleComment(p, "${HOME}/.pyenv"); !strings.Contains(c, "language runtime's install tree") {
		t.Errorf("comment: %q", c)
	}
	if rep.Units != 2 {
		t.Errorf("report: %d units, want 2", rep.Units)
	}
}

// TestRunsMerge: two runs on different data, in different working
// directories, give one policy; where they agree it is no larger than
// either run's own.
func TestRunsMerge(t *testing.T) {
	var pols []*policy.Policy
	var hs []*learn.Header
	var obsOf [][]learn.Observation
	for i := range 2 {
		_, pwd, vars := testWork(t)
		in := files(t, filepath.Join(pwd, "in"), 3+i)
		obs := []learn.Observation{openDir(filepath.Join(pwd, "in"))}
		for _, f := range in {
			obs = append(obs, open(f, "read_file"))
		}
		obs = cat(obs, create(filepath.Join(pwd, "out"), "write_file"))
		h := &learn.Header{Version: 2, Argv: []string{"app", "in"}, Cwd: pwd, Vars: vars}
		p, _ := runOf(obs, h, Options{})
		pols = append(pols, p)
		hs = append(hs, h)
		obsOf = append(obsOf, obs)
	}
	b := New(Options{})
	for i := range 2 {
		b.StartRun(hs[i])
		for _, o := range obsOf[i] {
			b.Add(o)
		}
	}
	merged, _ := b.Policy()
	if len(merged.FS) > len(pols[0].FS) || len(merged.FS) > len(pols[1].FS) {
		t.Errorf("merged policy has %d rules, the runs' %d and %d:\n%s", len(merged.FS), len(pols[0].FS), len(pols[1].FS), yamlOf(t, merged))
	}
	if stripComments(yamlOf(t, pols[0])) != stripComments(yamlOf(t, pols[1])) || stripComments(yamlOf(t, merged)) != stripComments(yamlOf(t, pols[0])) {
		t.Errorf("runs that agree give different policies:\n%s\n%s\n%s", yamlOf(t, pols[0]), yamlOf(t, pols[1]), yamlOf(t, merged))
	}
}

// ruleComment is the comment of p's rule on path.
func ruleComment(p *policy.Policy, path string) string {
	for _, r := range p.FS {
		if r.Path == path {
			return r.Comment
		}
	}
	return ""
}

// TestSharedTmpNote: random names in a shared /tmp can only be granted
// through /tmp, and the report says how to keep the rest of it away.
func TestSharedTmpNote(t *testing.T) {
	obs := cat(create("/tmp/ccQ3xZ1a.s", "write_file", "read_file"))
	_, rep := Minimize(obs, Options{Vars: policy.Vars{"TMPDIR": "/tmp", "HOME": "/root"}})
	// Writing there reaches other programs' files: a warning.
	wantLine(t, rep.Warnings, "${TMPDIR} is /tmp, shared with other programs, and the policy grants [write_file, read_file, make_reg] on everything in it, other programs' files and sockets included: give it a temp directory of its own when it runs (TMPDIR=$(mktemp -d)")
	// Listing it only: a note.
	_, rep = Minimize(cat(openDir("/tmp")), Options{Vars: policy.Vars{"TMPDIR": "/tmp", "HOME": "/root"}})
	wantLine(t, rep.Notes, "${TMPDIR} is /tmp, shared with other programs, and the policy lets the program read in it ([read_dir])")
	own := cat(create("/tmp/own/ccQ3xZ1a.s", "write_file", "read_file"))
	_, rep = Minimize(own, Options{Vars: policy.Vars{"TMPDIR": "/tmp/own", "HOME": "/root"}})
	for _, n := range rep.Notes {
		if strings.Contains(n, "shared with other programs") {
			t.Errorf("a note with a TMPDIR of its own: %q", n)
		}
	}
}

// TestUnitSourceTree: a working directory that is a checkout, listed by
// the run (git add -A reads the files that changed, others next time), is
// one rule; the same directory without .git is not.
func TestUnitSourceTree(t *testing.T) {
	_, pwd, vars := testWork(t)
	fs := files(t, pwd, 5)
	obs := cat(openDir(pwd), open(fs[0], "read_file"))
	p, _ := Minimize(obs, Options{Vars: vars})
	wantGrants(t, p, map[string]policy.FSAccess{"${PWD}": policy.FSReadDir, "${PWD}/f000": policy.FSReadFile})
	os.Mkdir(filepath.Join(pwd, ".git"), 0o755)
	p, _ = Minimize(obs, Options{Vars: vars})
	wantGrants(t, p, map[string]policy.FSAccess{"${PWD}": policy.FSReadFile | policy.FSReadDir})
	if c := ruleComment(p, "${PWD}"); !strings.Contains(c, "the working directory is a source tree (it holds .git) that the run listed") {
		t.Errorf("comment: %q", c)
	}
}

// TestRootHomeIsAHome: with HOME=/root, /root is guarded as a home (itself
// and its secret trees), so a project kept in it can be a unit; for any
// other user, /root is someone else's secrets, guarded as a whole.
func TestRootHomeIsAHome(t *testing.T) {
	asRoot, asUser := newSensitiveSet(nil, "/root"), newSensitiveSet(nil, "/home/u")
	for p, want := range map[string]bool{"/root": true, "/root/proj": false, "/root/.ssh": true, "/root/.ssh/id": true, "/root/.aws/x": true} {
		if got := asRoot.inTree(p); got != want {
			t.Errorf("HOME=/root: inTree(%s) = %t, want %t", p, got, want)
		}
	}
	if !asUser.inTree("/root/proj") || !asUser.inSecret("/root/x") {
		t.Error("HOME=/home/u: /root is not guarded as a whole")
	}
}

// TestUnusedDataWarned: a directory declared with --data that the policy
// does not grant as a whole is a warning, never silence: the run read
// nothing there (a server that got no request), or it is a tree that is
// never a unit (/etc).
func TestUnusedDataWarned(t *testing.T) {
	_, pwd, vars := testWork(t)
	src := files(t, filepath.Join(pwd, "src"), 3)
	files(t, filepath.Join(pwd, "static"), 3)
	h := &learn.Header{Version: 2, Argv: []string{"app"}, Cwd: pwd, Vars: vars, Data: []string{"static", "/etc", "src"}}
	_, rep := runOf(cat(open(src[0], "read_file"), open(src[1], "read_file"), open("/etc/hostname", "read_file")), h, Options{})
	wantLine(t, rep.Warnings, "--data ${PWD}/static is not granted as one directory: the run read nothing beneath it")
	wantLine(t, rep.Warnings, "--data /etc is not granted as one directory: it is a sensitive, shared or top-level directory")
	for _, w := range rep.Warnings {
		if strings.Contains(w, "--data ${PWD}/src") {
			t.Errorf("src is a unit, yet: %s", w)
		}
	}
}
