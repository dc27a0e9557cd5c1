package minimize

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// What generalization never does, whatever the observations say.

// TestEveryRunsSecretsGuarded: a second run with another ${HOME} has its
// secrets guarded as much as the first run's: its ~/.ssh never collapses
// into a directory rule.
func TestEveryRunsSecretsGuarded(t *testing.T) {
	b := New(Options{Collapse: 2})
	b.StartRun(&learn.Header{Version: 2, Argv: []string{"app"}, Cwd: "/home/a", Vars: policy.Vars{"HOME": "/home/a", "PWD": "/home/a"}})
	b.Add(open("/usr/bin/app", "read_file"))
	b.StartRun(&learn.Header{Version: 2, Argv: []string{"app"}, Cwd: "/home/b", Vars: policy.Vars{"HOME": "/home/b", "PWD": "/home/b"}})
	for _, o := range siblings("/home/b/.ssh", 3) {
		b.Add(o)
	}
	p, _ := b.Policy()
	for _, r := range p.FS {
		if r.Path == "${HOME}/.ssh" || r.Path == "/home/b/.ssh" {
			t.Errorf("the second run's ~/.ssh became one rule:\n%s", yamlOf(t, p))
		}
	}
}

// TestCollapseNeverWrites: siblings that were all written collapse their
// reading into the directory, and each keeps its write on its own file:
// a directory rule never lets the program write a file it did not.
func TestCollapseNeverWrites(t *testing.T) {
	var obs []learn.Observation
	want := map[string]policy.FSAccess{"/srv/app/state": acc("read_file")}
	for _, o := range siblings("/srv/app/state", 4) {
		o.FS |= policy.FSWriteFile
		obs = append(obs, o)
		want[o.Path] = policy.FSWriteFile
	}
	p, _ := Minimize(obs, Options{Collapse: 4})
	wantGrants(t, p, want)
	sound(t, obs, p, nil)
}

// TestOtherProcsWritesWithheld: another process's /proc/PID is covered by
// /proc alone. Reading it is granted there; writing it would reach every
// process and /proc/sys, so it is withheld and the report says so.
func TestOtherProcsWritesWithheld(t *testing.T) {
	obs := cat(open("/usr/bin/app", "read_file"),
		pidOpen(999, "/proc/1234/stat", "read_file"),
		pidOpen(999, "/proc/1234/oom_score_adj", "write_file"))
	p, rep := Minimize(obs, Options{})
	wantGrants(t, p, map[string]policy.FSAccess{"/usr/bin/app": acc("read_file"), "/proc": acc("read_file")})
	wantLine(t, rep.Warnings, "not granted: [write_file] on other processes' /proc/PID files (e.g. /proc/1234/oom_score_adj)")
	// Only the write: no rule at all, and the warning.
	p, rep = Minimize(cat(open("/usr/bin/app", "read_file"), pidOpen(999, "/proc/1234/oom_score_adj", "write_file")), Options{})
	wantGrants(t, p, map[string]policy.FSAccess{"/usr/bin/app": acc("read_file")})
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "not granted: [write_file]") {
		t.Errorf("warnings %q", rep.Warnings)
	}
	// The run's own process writes its /proc/self as observed.
	p, _ = Minimize(cat(open("/proc/812/oom_score_adj", "write_file")), Options{})
	wantGrants(t, p, map[string]policy.FSAccess{"/proc/self/oom_score_adj": acc("write_file")})
}

// TestRandomNameThatWasThere: a random-looking name in /tmp that the run
// neither made nor removed is a file like any other (a fixture, a socket
// another program made): its rule stays exact, not all of /tmp.
func TestRandomNameThatWasThere(t *testing.T) {
	obs := cat(open("/tmp/tmpQ3xZ1a9k", "read_file"))
	p, _ := Minimize(obs, Options{Vars: policy.Vars{"TMPDIR": "/tmp"}})
	wantGrants(t, p, map[string]policy.FSAccess{"${TMPDIR}/tmpQ3xZ1a9k": acc("read_file")})
	// The same name, made by the run: the next run's differs, /tmp stands for it.
	p, _ = Minimize(cat(create("/tmp/tmpQ3xZ1a9k", "write_file")), Options{Vars: policy.Vars{"TMPDIR": "/tmp"}})
	wantGrants(t, p, map[string]policy.FSAccess{"${TMPDIR}": acc("write_file", "make_reg")})
}

// TestSameRulesInAnyOrder: the same observations give the same policy,
// comments included, whatever order Go's maps walk in.
func TestSameRulesInAnyOrder(t *testing.T) {
	_, pwd, vars := testWork(t)
	var obs []learn.Observation
	for _, d := range []string{"a", "b", "c"} {
		dir := filepath.Join(pwd, d)
		obs = append(obs, openDir(dir))
		for _, f := range files(t, dir, 3) {
			obs = append(obs, open(f, "read_file"))
		}
	}
	obs = cat(obs, open("/usr/lib/x/a.so", "read_file", "execute"), pidOpen(999, "/usr/lib/x/a.so", "read_file"),
		open("/proc/812/stat", "read_file"), pidOpen(999, "/proc/1000/stat", "read_file"), pidOpen(998, "/proc/1001/status", "read_file"))
	first := ""
	for i := range 20 {
		p, _ := Minimize(obs, Options{Vars: vars, Collapse: 2})
		y := yamlOf(t, p)
		if i == 0 {
			first = y
		} else if y != first {
			t.Fatalf("run %d differs:\n%s\nfirst:\n%s", i, y, first)
		}
	}
}

// TestRuntimeRootLimits: a runtime's install root is never the working
// directory, a temp directory or anything above them, never a marker the
// run made itself, and never a version manager's directory as a whole
// where it keeps more than code (~/.cargo holds registry credentials).
func TestRuntimeRootLimits(t *testing.T) {
	home, pwd, vars := testWork(t)
	// A pyvenv.cfg in ${PWD} itself: the working directory is not a
	// runtime, its files stay their own rules.
	os.WriteFile(filepath.Join(pwd, "pyvenv.cfg"), nil, 0o644)
	data := files(t, filepath.Join(pwd, "lib"), 2)
	p, _ := Minimize(cat(open(data[0], "read_file"), open(data[1], "read_file")), Options{Vars: vars})
	if _, ok := grants(p)["${PWD}"]; ok {
		t.Errorf("${PWD} with a pyvenv.cfg became a runtime:\n%s", yamlOf(t, p))
	}
	// A virtualenv beneath it is one: its lib, bin... not the files an
	// application keeps beside them (python -m venv . in an app's
	// directory).
	venv := filepath.Join(pwd, "venv")
	site := files(t, filepath.Join(venv, "lib"), 2)
	os.WriteFile(filepath.Join(venv, "pyvenv.cfg"), nil, 0o644)
	own := filepath.Join(venv, "main.py")
	os.WriteFile(own, nil, 0o644)
	p, _ = Minimize(cat(open(site[0], "read_file"), open(site[1], "read_file"), open(own, "read_file")), Options{Vars: vars})
	wantGrants(t, p, map[string]policy.FSAccess{"${PWD}/venv/lib": acc("read_file"), "${PWD}/venv/main.py": acc("read_file")})
	// The same, with the marker written by the run: no runtime.
	obs := cat(create(filepath.Join(venv, "pyvenv.cfg"), "write_file"), open(site[0], "read_file"), open(site[1], "read_file"))
	p, _ = Minimize(obs, Options{Vars: vars})
	if c := ruleComment(p, "${PWD}/venv/lib"); strings.Contains(c, "runtime") {
		t.Errorf("a marker the run made named a runtime:\n%s", yamlOf(t, p))
	}
	// ~/.cargo's registry is code; its credentials are not.
	reg := files(t, filepath.Join(home, ".cargo", "registry", "src"), 2)
	cred := filepath.Join(home, ".cargo", "credentials.toml")
	os.WriteFile(cred, nil, 0o600)
	p, _ = Minimize(cat(open(reg[0], "read_file"), open(reg[1], "read_file"), open(cred, "read_file")), Options{Vars: vars})
	wantGrants(t, p, map[string]policy.FSAccess{
		"${HOME}/.cargo/registry":         acc("read_file"),
		"${HOME}/.cargo/credentials.toml": acc("read_file"),
	})
}

// TestRuntimePrefixWithSecrets: a Python prefix found by its marker that
// holds secrets (~/.local, with ~/.local/share/keyrings and
// ~/.local/share/systemd) is a runtime only by its parts, as a virtualenv
// is: its lib, not the keyring beside it. A part that holds secrets
// (share) is no runtime: its files keep their own rules.
func TestRuntimePrefixWithSecrets(t *testing.T) {
	home, _, vars := testWork(t)
	local := filepath.Join(home, ".local")
	std := filepath.Join(local, "lib", "python3.99")
	files(t, std, 1)
	mod := filepath.Join(std, "mod.py")
	os.WriteFile(mod, nil, 0o644)
	os.WriteFile(filepath.Join(std, "os.py"), nil, 0o644)
	doc := files(t, filepath.Join(local, "share", "doc"), 2)
	keyring := files(t, filepath.Join(local, "share", "keyrings"), 1)[0]
	obs := cat(open(mod, "read_file"), open(doc[0], "read_file"))
	p, _ := Minimize(obs, Options{Vars: vars})
	wantGrants(t, p, map[string]policy.FSAccess{
		"${HOME}/.local/lib":            acc("read_file"),
		"${HOME}/.local/share/doc/f000": acc("read_file"),
	})
	ep, err := p.Expand(vars)
	if err != nil {
		t.Fatal(err)
	}
	if ep.MissingFS(keyring, policy.FSReadFile) == 0 {
		t.Errorf("the policy lets the program read %s:\n%s", keyring, yamlOf(t, p))
	}
	s := newSensitiveSet(nil, home)
	for _, d := range []string{".local/share/keyrings", ".local/share/kwalletd"} {
		if !s.inSecret(filepath.Join(home, d, "login.keyring")) {
			t.Errorf("~/%s is not a tree of secrets", d)
		}
	}
}

// TestRerunRemovesWhatItMakesAgain: a symlink or socket the run made and
// left is in the way of the next run, which removes it first (ln -sf, a
// server's stale socket): its directory's rule has remove_file for that,
// and the comment says why. A regular file the run made is opened again.
func TestRerunRemovesWhatItMakesAgain(t *testing.T) {
	_, pwd, vars := testWork(t)
	link := filepath.Join(pwd, "current")
	if err := os.Symlink("/nonexistent", link); err != nil {
		t.Fatal(err)
	}
	mk := learn.Observation{Syscall: "symlinkat", PID: testPID, Exe: "/usr/bin/app", Path: pwd, Type: learn.TypeDir,
		FS: policy.FSMakeSym, Created: true, Dst: link}
	p, _ := Minimize(cat(mk), Options{Vars: vars})
	wantGrants(t, p, map[string]policy.FSAccess{"${PWD}": policy.FSMakeSym | policy.FSRemoveFile})
	if c := ruleComment(p, "${PWD}"); !strings.Contains(c, "current") {
		t.Errorf("comment does not name the entry a rerun replaces: %q", c)
	}
	// Gone after the run: nothing is in the next run's way.
	os.Remove(link)
	p, _ = Minimize(cat(mk), Options{Vars: vars})
	wantGrants(t, p, map[string]policy.FSAccess{"${PWD}": policy.FSMakeSym})
}

// noRuleOn fails t if p has a rule on any of dirs.
func noRuleOn(t *testing.T, p *policy.Policy, dirs ...string) {
	t.Helper()
	for _, r := range p.FS {
		for _, d := range dirs {
			if r.Path == d {
				t.Errorf("a rule on %s:\n%s", d, yamlOf(t, p))
			}
		}
	}
}

// TestPlantedMarkers: a directory is a runtime by its own files only: not
// through a symlink someone put beside it (lib -> a Python's lib), and
// never when it is a whole system's root (a container's, with etc/passwd).
func TestPlantedMarkers(t *testing.T) {
	_, _, vars := testWork(t)
	top := t.TempDir()
	real := filepath.Join(top, "real")
	files(t, filepath.Join(real, "python3.11"), 1)
	os.WriteFile(filepath.Join(real, "python3.11", "os.py"), nil, 0o644)
	shared := filepath.Join(top, "shared")
	in := files(t, filepath.Join(shared, "proj"), 2)
	if err := os.Symlink(real, filepath.Join(shared, "lib")); err != nil {
		t.Fatal(err)
	}
	p, _ := Minimize(cat(open(in[0], "read_file"), open(in[1], "read_file")), Options{Vars: vars})
	noRuleOn(t, p, shared)
	// The same tree with a real lib is a Python prefix.
	os.Remove(filepath.Join(shared, "lib"))
	os.Rename(real, filepath.Join(shared, "lib"))
	p, _ = Minimize(cat(open(in[0], "read_file"), open(in[1], "read_file")), Options{Vars: vars})
	if _, ok := grants(p)[shared]; !ok {
		t.Errorf("a real Python prefix is not a runtime:\n%s", yamlOf(t, p))
	}
	// With etc/passwd it is a system's root.
	files(t, filepath.Join(shared, "etc"), 1)
	os.WriteFile(filepath.Join(shared, "etc", "passwd"), nil, 0o644)
	p, _ = Minimize(cat(open(in[0], "read_file"), open(in[1], "read_file")), Options{Vars: vars})
	noRuleOn(t, p, shared)
}

// TestGuardEveryRun: no unit or collapse reaches above any merged run's
// ${HOME} or ${PWD}, as given or through a symlink.
func TestGuardEveryRun(t *testing.T) {
	top := t.TempDir()
	homes := filepath.Join(top, "homes")
	var obs []learn.Observation
	for _, u := range []string{"bob", "carol"} {
		d := filepath.Join(homes, u)
		obs = append(obs, openDir(d))
		for _, f := range files(t, d, 3) {
			obs = append(obs, open(f, "read_file"))
		}
	}
	alice := filepath.Join(homes, "alice")
	notes := files(t, filepath.Join(alice, "proj"), 1)[0]
	os.MkdirAll(filepath.Join(alice, ".ssh"), 0o700)
	b := New(Options{})
	b.StartRun(&learn.Header{Version: 2, Argv: []string{"grep", "-r", "x", filepath.Join(homes, "bob"), filepath.Join(homes, "carol")},
		Cwd: "/", Vars: policy.Vars{"HOME": "/root", "PWD": "/"}})
	for _, o := range obs {
		b.Add(o)
	}
	// Without a second run, homes/ is a unit: two of its three entries used in full.
	p, _ := b.Policy()
	if _, ok := grants(p)[homes]; !ok {
		t.Fatalf("the fixture does not make homes/ a unit:\n%s", yamlOf(t, p))
	}
	b.StartRun(&learn.Header{Version: 2, Argv: []string{"cat", "notes"}, Cwd: filepath.Dir(notes),
		Vars: policy.Vars{"HOME": alice, "PWD": filepath.Dir(notes)}})
	b.Add(open(notes, "read_file"))
	p, _ = b.Policy()
	noRuleOn(t, p, homes)

	// A ${HOME} given through a symlink guards the directory it names.
	link := filepath.Join(top, "link")
	os.Symlink(homes, link)
	args := []string{"grep", "-r", "x", filepath.Join(homes, "bob"), filepath.Join(homes, "carol")}
	p, _ = runOf(obs, &learn.Header{Version: 2, Argv: args, Cwd: "/", Vars: policy.Vars{"HOME": filepath.Join(link, "alice"), "PWD": "/"}}, Options{})
	noRuleOn(t, p, homes)

	// Collapse keeps to the same limit.
	var sib []learn.Observation
	for _, f := range files(t, homes, 3) {
		sib = append(sib, open(f, "read_file"))
	}
	p, _ = Minimize(sib, Options{Collapse: 2, Vars: policy.Vars{"HOME": alice, "PWD": alice}})
	noRuleOn(t, p, homes, "${HOME}/..")
}

// TestTmpdirInsideWorkingDirectory: a ${TMPDIR} of the working
// directory's own does not keep ${PWD} from being a unit.
func TestTmpdirInsideWorkingDirectory(t *testing.T) {
	_, pwd, vars := testWork(t)
	vars["TMPDIR"] = filepath.Join(pwd, "tmp")
	os.Mkdir(vars["TMPDIR"], 0o755)
	obs := []learn.Observation{openDir(pwd)}
	for _, f := range files(t, pwd, 5) {
		obs = append(obs, open(f, "read_file"))
	}
	p, _ := Minimize(obs, Options{Vars: vars})
	wantGrants(t, p, map[string]policy.FSAccess{"${PWD}": policy.FSReadFile | policy.FSReadDir})
}

// TestPidInAVariablesDirectory: pid 1000 writing in /run/user/1000, the
// value of ${XDG_RUNTIME_DIR}, writes a file of that directory, not a
// name that holds its pid.
func TestPidInAVariablesDirectory(t *testing.T) {
	o := pidOpen(1000, "/run/user/1000/app/config", "read_file", "write_file")
	p, _ := Minimize([]learn.Observation{o}, Options{Vars: policy.Vars{"HOME": "/root", "XDG_RUNTIME_DIR": "/run/user/1000"}})
	wantGrants(t, p, map[string]policy.FSAccess{"${XDG_RUNTIME_DIR}/app/config": acc("read_file", "write_file")})
}

// TestLeftDirectoryNote: a directory the run made and left is found by a
// rerun; the report says what to do if the command removes it first.
func TestLeftDirectoryNote(t *testing.T) {
	_, pwd, vars := testWork(t)
	out := filepath.Join(pwd, "out")
	os.Mkdir(out, 0o755)
	_, rep := Minimize(cat(mkdir(out), create(filepath.Join(out, "f"), "write_file")), Options{Vars: vars})
	wantLine(t, rep.Notes, "a rerun finds ${PWD}/out, made by this run and left there")
}

// TestWarnDirectoryHoldingAHome: where Landlock forces a directory rule
// (a file created in it) on a directory that holds a home, the report
// says that the grant reaches everything in that home.
func TestWarnDirectoryHoldingAHome(t *testing.T) {
	_, rep := Minimize(cat(create("/home/new.txt", "write_file")), Options{Vars: policy.Vars{"HOME": "/home/u"}})
	wantLine(t, rep.Warnings, "beneath /home (everything in it), which holds /home/u")
}

// TestListingAndOneSubdirectory: a working directory listed (Python's
// importer lists it) whose one entry is the site the server was told to
// serve is not data: the site is, and the next file put beside it (a
// .env) is not readable.
func TestListingAndOneSubdirectory(t *testing.T) {
	_, pwd, vars := testWork(t)
	site := filepath.Join(pwd, "site")
	obs := []learn.Observation{openDir(pwd), openDir(site)}
	for _, f := range files(t, site, 2) {
		obs = append(obs, open(f, "read_file"))
	}
	h := &learn.Header{Version: 2, Argv: []string{"python3", "-m", "http.server", "--directory", "site"}, Cwd: pwd, Vars: vars}
	p, _ := runOf(obs, h, Options{})
	wantGrants(t, p, map[string]policy.FSAccess{"${PWD}": policy.FSReadDir, "${PWD}/site": policy.FSReadFile})
	// A file read beside the listing: then the directory is used as data.
	os.WriteFile(filepath.Join(pwd, "app.py"), nil, 0o644)
	p, _ = runOf(cat(obs, open(filepath.Join(pwd, "app.py"), "read_file")), h, Options{})
	wantGrants(t, p, map[string]policy.FSAccess{"${PWD}": policy.FSReadFile | policy.FSReadDir})
}

// wantLine fails t unless one of lines (a report's warnings or notes)
// holds sub.
func wantLine(t *testing.T, lines []string, sub string) {
	t.Helper()
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return
		}
	}
	t.Errorf("no line holds %q: %q", sub, lines)
}

// TestSecretsInside: a directory that holds secrets or what runs outside
// the sandbox (~/.config/gh, ~/.config/systemd), or another person's
// home, is never one rule by the threshold or collapse; where Landlock
// forces a rule on it (a first run making ~/.config/myapp), the warning
// names what it holds and how to keep the rule narrower.
func TestSecretsInside(t *testing.T) {
	home, _, vars := testWork(t)
	cfg := filepath.Join(home, ".config")
	files(t, filepath.Join(cfg, "gh"), 1)
	app := files(t, filepath.Join(cfg, "app"), 2)
	dirs := filepath.Join(cfg, "user-dirs.dirs")
	os.WriteFile(dirs, nil, 0o644)
	obs := []learn.Observation{openDir(cfg), openDir(filepath.Join(cfg, "app")), open(app[0], "read_file"), open(app[1], "read_file"), open(dirs, "read_file")}
	p, _ := Minimize(obs, Options{Vars: vars, Collapse: 2})
	if grants(p)["${HOME}/.config"].Has(policy.FSReadFile) {
		t.Errorf("~/.config, which holds ~/.config/gh, became one rule:\n%s", yamlOf(t, p))
	}
	// A first run that makes its config directory: the rule Landlock
	// forces on ~/.config is warned about, with the way out.
	mk := filepath.Join(cfg, "myapp")
	os.Mkdir(mk, 0o755)
	_, rep := Minimize(cat(mkdir(mk), create(filepath.Join(mk, "settings"), "write_file")), Options{Vars: vars})
	wantLine(t, rep.Warnings, "beneath ${HOME}/.config (everything in it), which holds ")
	wantLine(t, rep.Warnings, "make it exist before the program runs (mkdir -p, touch) and learn again")
}

// TestOtherPeoplesHomes: another user's home, from the user database, is
// a tree of secrets: never one rule.
func TestOtherPeoplesHomes(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc", "passwd"), []byte("root:x:0:0:root:/root:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n"), 0o644)
	if got := userHomes(root); !slices.Equal(got, []string{"/root", "/home/bob"}) {
		t.Errorf("userHomes: %q", got)
	}
	s := newSensitiveSet(userHomes(root), "/root")
	if !s.inTree("/home/bob/.profile") || s.inTree("/var/www/app") || s.holds("/home") != "/home/bob" {
		t.Errorf("bob's home is not guarded, or www-data's is: %+v", s)
	}
}

// TestOtherPeoplesHomesResolved: another user's home that is a symlink
// (/home/bob -> /tmp/data/bob) is guarded where it leads too, as the
// tracer names its files there: a directory named on the command line
// that holds it is not one rule, and bob's keys stay out of reach.
func TestOtherPeoplesHomesResolved(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc", "passwd"), []byte("bob:x:1001:1001::/home/bob:/bin/sh\n"), 0o644)
	data := filepath.Join(root, "tmp", "data")
	files(t, filepath.Join(data, "bob", ".ssh"), 1)
	os.WriteFile(filepath.Join(data, "a.txt"), nil, 0o644)
	os.WriteFile(filepath.Join(data, "bob", "notes"), nil, 0o644)
	os.MkdirAll(filepath.Join(root, "home"), 0o755)
	if err := os.Symlink("../tmp/data/bob", filepath.Join(root, "home", "bob")); err != nil {
		t.Fatal(err)
	}
	if got := userHomes(root); !slices.Equal(got, []string{"/home/bob", "/tmp/data/bob"}) {
		t.Errorf("userHomes: %q", got)
	}
	vars := policy.Vars{"HOME": "/root", "PWD": "/work", "TMPDIR": "/nonexistent-tmp"}
	h := &learn.Header{Version: 2, Argv: []string{"tar", "cf", "out.tar", "/tmp/data"}, Cwd: "/work", Vars: vars}
	obs := cat(openDir("/tmp/data"), open("/tmp/data/a.txt", "read_file"), openDir("/tmp/data/bob"), open("/tmp/data/bob/notes", "read_file"))
	p, _ := runOf(obs, h, Options{Root: root})
	ep, err := p.Expand(vars)
	if err != nil {
		t.Fatal(err)
	}
	if ep.MissingFS("/tmp/data/bob/.ssh/f000", policy.FSReadFile) == 0 {
		t.Errorf("bob's keys are readable:\n%s", yamlOf(t, p))
	}
	sound(t, obs, p, vars)
}

// TestSharedTmpSocket: a server's socket left in the shared /tmp gives
// make_sock there (Landlock forces the directory) and a warning, but not
// the remove_file of a rerun: that would let it remove any program's
// socket in /tmp (an agent's) and bind its own in its place.
func TestSharedTmpSocket(t *testing.T) {
	sock := fmt.Sprintf("/tmp/landlearn-test-%d.sock", os.Getpid())
	if err := os.WriteFile(sock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(sock) })
	mk := learn.Observation{Syscall: "bind", PID: testPID, Exe: "/usr/bin/app", Path: "/tmp", Type: learn.TypeDir,
		FS: policy.FSMakeSock, Created: true, Dst: sock}
	p, rep := Minimize(cat(mk), Options{Vars: policy.Vars{"TMPDIR": "/tmp", "HOME": "/root"}})
	wantGrants(t, p, map[string]policy.FSAccess{"${TMPDIR}": policy.FSMakeSock})
	wantLine(t, rep.Warnings, "a rerun that finds "+strings.Replace(sock, "/tmp", "${TMPDIR}", 1)+", which this run left, is not granted to replace it there")
}

// TestStickyDirShared: a directory every user may write, with the sticky
// bit (mode 1777: /tmp/.X11-unix, /run/lock), is shared like /tmp,
// whatever its name: a socket the run left there gives make_sock and a
// warning, not the remove_file of a rerun, and the directory is never a
// runtime's root. The same directory with mode 0755 is the program's own.
func TestStickyDirShared(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sockets")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "app.sock")
	if err := os.WriteFile(sock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	mk := learn.Observation{Syscall: "bind", PID: testPID, Exe: "/usr/bin/app", Path: dir, Type: learn.TypeDir,
		FS: policy.FSMakeSock, Created: true, Dst: sock}
	p, _ := Minimize(cat(mk), Options{})
	wantGrants(t, p, map[string]policy.FSAccess{dir: policy.FSMakeSock | policy.FSRemoveFile})

	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	p, rep := Minimize(cat(mk), Options{})
	wantGrants(t, p, map[string]policy.FSAccess{dir: policy.FSMakeSock})
	wantLine(t, rep.Warnings, dir+" is sticky and writable by every user, shared with other programs, and the policy grants [make_sock]")
	wantLine(t, rep.Warnings, "a rerun that finds "+sock+", which this run left, is not granted to replace it there")

	// A Python prefix whose root is the shared directory is no runtime.
	lib := files(t, filepath.Join(dir, "lib", "python3.11"), 3)
	os.WriteFile(filepath.Join(dir, "lib", "python3.11", "os.py"), nil, 0o644)
	p, _ = Minimize(cat(open(lib[0], "read_file")), Options{})
	wantGrants(t, p, map[string]policy.FSAccess{lib[0]: acc("read_file")})
}

// TestTerminalsWarned: a pty opened by name gives /dev/pts (pty numbers
// change), every terminal of the machine: always a warning, which says
// what ioctl_dev adds.
func TestTerminalsWarned(t *testing.T) {
	o := open("/dev/pts/3", "read_file", "write_file", "ioctl_dev")
	o.Type = "char"
	_, rep := Minimize(cat(o), Options{})
	wantLine(t, rep.Warnings, "terminals: [write_file, read_file, ioctl_dev] beneath /dev/pts covers every terminal of this machine")
	wantLine(t, rep.Warnings, "type commands into them (TIOCSTI")
}
