package main

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// The learn tests run the real binary on the real kernel: the tracer
// re-executes landlearn itself, so it must be the built command.
func learnTestBinary(t *testing.T) string {
	t.Helper()
	traceNeeds(t)
	return landlearnBinary(t)
}

func runLearnCLI(t *testing.T, dir string, args ...string) cliResult {
	t.Helper()
	return runLearnCLIEnv(t, dir, nil, args...)
}

// runLearnCLIEnv runs landlearn with env added to the environment.
func runLearnCLIEnv(t *testing.T, dir string, env []string, args ...string) cliResult {
	t.Helper()
	return runBinary(t, learnTestBinary(t), dir, append(os.Environ(), env...), nil, args...)
}

func readObservations(t *testing.T, path string) []learn.Observation {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	obs, err := learn.ReadAll(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return obs
}

// rightsOn is the union of the rights observed on path (by syscall, if
// given).
func rightsOn(obs []learn.Observation, path string) []string {
	var out []string
	for _, o := range obs {
		if o.Path == path {
			for _, a := range o.AccessNames() {
				if !slices.Contains(out, a) {
					out = append(out, a)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func hasRights(obs []learn.Observation, path string, rights ...string) bool {
	for _, o := range obs {
		if o.Path != path {
			continue
		}
		ok := true
		for _, r := range rights {
			ok = ok && slices.Contains(o.AccessNames(), r)
		}
		if ok {
			return true
		}
	}
	return false
}

// learnRealDir is dir with symlinks resolved ($TMPDIR may be a link).
func learnRealDir(t *testing.T, dir string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The "done when" of the tracer issue: one shell session.
// It must hold in both tracing modes.
func TestLearnShellSession(t *testing.T) {
	for _, mode := range []struct{ name, flag, backend string }{
		{"default", "--accurate=false", "trace backend (seccomp-notify)"},
		{"accurate", "--accurate", "trace backend (ptrace)"},
	} {
		t.Run(mode.name, func(t *testing.T) { testLearnShellSession(t, mode.flag, mode.backend) })
	}
}

func testLearnShellSession(t *testing.T, flag, backend string) {
	w := learnRealDir(t, t.TempDir())
	r := runLearnCLI(t, w, "learn", flag, "--raw", "r.jsonl", "-o", "p.yaml", "--",
		"sh", "-c", "mkdir d; echo x > d/f; mv d/f g; cat /etc/hostname >/dev/null")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, backend) {
		t.Errorf("stderr does not say which backend ran:\n%s", r.stderr)
	}
	obs := readObservations(t, filepath.Join(w, "r.jsonl"))
	d := filepath.Join(w, "d")
	for _, want := range []struct {
		path   string
		rights []string
	}{
		{w, []string{"make_dir"}},
		{d, []string{"make_reg"}},
		{d, []string{"remove_file", "refer"}},
		{w, []string{"make_reg", "refer"}},
		{"/etc/hostname", []string{"read_file"}},
	} {
		if !hasRights(obs, want.path, want.rights...) {
			t.Errorf("no observation of %v on %s; rights seen there: %v", want.rights, want.path, rightsOn(obs, want.path))
		}
	}
	if got := rightsOn(obs, learnRealPath(t, "/etc/hostname")); !slices.Equal(got, []string{"read_file"}) {
		t.Errorf("rights on /etc/hostname: %v, want only read_file", got)
	}
	mv, err := exec.LookPath("mv")
	if err != nil {
		t.Fatal(err)
	}
	mv = learnRealPath(t, mv)
	if !hasRights(obs, mv, "execute") {
		t.Errorf("no execute on the resolved mv binary %s", mv)
	}
	interp := elfInterpreter(t, mv)
	if !hasRights(obs, interp, "execute") {
		t.Errorf("no execute on mv's resolved ELF interpreter %s", interp)
	}
	if _, err := os.Stat(filepath.Join(w, "p.yaml")); err != nil {
		t.Errorf("no policy written: %v\n%s", err, r.stderr)
	}
}

func learnRealPath(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// elfInterpreter is bin's PT_INTERP, resolved.
func elfInterpreter(t *testing.T, bin string) string {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				t.Fatal(err)
			}
			return learnRealPath(t, strings.TrimRight(string(b), "\x00"))
		}
	}
	t.Fatalf("%s has no PT_INTERP", bin)
	return ""
}

func TestLearnExitStatus(t *testing.T) {
	for _, c := range []struct {
		script string
		code   int
		quoted string // the script as the hint quotes it for a shell
	}{
		{"exit 3", 3, "'exit 3'"},
		{"kill -TERM $$", 128 + 15, "'kill -TERM $$'"},
		{"true", 0, "true"},
	} {
		w, tmp := t.TempDir(), t.TempDir()
		r := runLearnCLIEnv(t, w, []string{"TMPDIR=" + tmp}, "learn", "-o", "p.yaml", "--", "sh", "-c", c.script)
		if r.code != c.code {
			t.Errorf("learn -- sh -c %q: exit %d, want %d\n%s", c.script, r.code, c.code, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(w, "p.yaml")); err != nil {
			t.Errorf("learn -- sh -c %q: no policy written: %v", c.script, err)
		}
		// The hint is the learned command, ready to paste into a shell.
		if hint := "try it with: landlearn run -p p.yaml -- sh -c " + c.quoted + "\n"; !strings.Contains(r.stderr, hint) {
			t.Errorf("learn -- sh -c %q: stderr lacks %q:\n%s", c.script, hint, r.stderr)
		}
		if m, _ := filepath.Glob(filepath.Join(tmp, "landlearn-*.jsonl")); len(m) > 0 {
			t.Errorf("learn -- sh -c %q left %v after a complete run:\n%s", c.script, m, r.stderr)
		}
	}
}

// A TCP bind and a signal to a process outside the tree.
func TestLearnBindAndSignal(t *testing.T) {
	py := testkit.RequireProgram(t, "python3")
	w := t.TempDir()
	r := runLearnCLI(t, w, "learn", "--raw", "r.jsonl", "-o", "p.yaml", "--", "sh", "-c",
		py+` -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 18090))' && kill -0 1`)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	obs := readObservations(t, filepath.Join(w, "r.jsonl"))
	bind, signal := false, false
	for _, o := range obs {
		bind = bind || o.Port != nil && *o.Port == 18090 && o.Net.Has(policy.NetBindTCP)
		signal = signal || o.Scope == "signal"
	}
	if !bind {
		t.Error("no bind_tcp on port 18090")
	}
	if !signal {
		t.Error("no scope signal for kill -0 1")
	}
}

func TestLearnRefusesBeforeRunning(t *testing.T) {
	w := t.TempDir()
	if err := os.WriteFile(filepath.Join(w, "landlock.yaml"), []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("landlock.yaml", filepath.Join(w, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"m.yaml", "other.yaml", "old.jsonl"} {
		if err := os.WriteFile(filepath.Join(w, name), []byte("version: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/etc/landlearn-raw-target", filepath.Join(w, "planted.jsonl")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"learn", "--", "touch", "ran"}, 2, "--force"},
		// --merge grows its own file, never an unrelated -o.
		{[]string{"learn", "--merge", "m.yaml", "-o", "other.yaml", "--", "touch", "ran"}, 2, "other.yaml exists and is not m.yaml"},
		{[]string{"learn", "--merge", "m.yaml", "-o", "landlock.yaml", "--", "touch", "ran"}, 2, "landlock.yaml exists and is not m.yaml"},
		// --raw follows -o's rules.
		{[]string{"learn", "-o", "x.yaml", "--raw", "old.jsonl", "--", "touch", "ran"}, 2, "--raw old.jsonl exists: pass --force"},
		{[]string{"learn", "--merge", "m.yaml", "-o", "m.yaml", "--raw", "m.yaml", "--", "touch", "ran"}, 2, "is the policy file"},
		{[]string{"learn", "--merge", "m.yaml", "--raw", "m.yaml", "--", "touch", "ran"}, 2, "is the policy file"},
		{[]string{"learn", "-o", "new.yaml", "--raw", "./new.yaml", "--", "touch", "ran"}, 2, "is the policy file"},
		{[]string{"learn", "--force", "-o", "x.yaml", "--raw", "planted.jsonl", "--", "touch", "ran"}, 2, "symbolic link to /etc/landlearn-raw-target"},
		{[]string{"learn", "--force", "-o", "x.yaml", "--raw", "/dev/null", "--", "touch", "ran"}, 2, "not a regular file"},
		{[]string{"learn", "-o", "x.yaml", "--raw", ".", "--", "touch", "ran"}, 2, "is a directory"},
		{[]string{"learn", "-o", "x.yaml", "--raw", "-", "--", "touch", "ran"}, 2, "standard output is CMD's own"},
		{[]string{"learn", "--backend", "ptrace", "-o", "x.yaml", "--", "touch", "ran"}, 2, "--accurate"},
		{[]string{"learn", "--rounds", "3", "-o", "x.yaml", "--", "touch", "ran"}, 2, "--rounds"},
		{[]string{"learn", "-o", "x.yaml"}, 2, "missing the command"},
		{[]string{"learn", "-o", "no/such/dir/x.yaml", "--", "touch", "ran"}, 2, "does not exist"},
		{[]string{"learn", "-o", "x.yaml", "touch", "ran"}, 2, "put -- before"},
		{[]string{"learn", "-o", "x.yaml", "--", "landlearn-no-such-command"}, 127, "not found"},
		{[]string{"learn", "--force", "-o", "/dev/null", "--", "touch", "ran"}, 2, "character device"},
		{[]string{"learn", "-o", "link.yaml", "--", "touch", "ran"}, 2, "symbolic link"},
		{[]string{"learn", "-o", ".", "--", "touch", "ran"}, 2, "is a directory"},
		{[]string{"learn", "--no-reset", "-o", "x.yaml", "--", "touch", "ran"}, 2, "--no-reset"},
	} {
		r := runLearnCLI(t, w, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.msg) {
			t.Errorf("landlearn %s: exit %d, stderr %q; want exit %d and %q", strings.Join(c.args, " "), r.code, r.stderr, c.code, c.msg)
		}
		if _, err := os.Stat(filepath.Join(w, "ran")); err == nil {
			t.Fatalf("landlearn %s ran the command", strings.Join(c.args, " "))
		}
	}
	for _, name := range []string{"m.yaml", "other.yaml", "old.jsonl"} {
		if data, _ := os.ReadFile(filepath.Join(w, name)); string(data) != "version: 1\n" {
			t.Errorf("%s was changed: %q", name, data)
		}
	}
	if _, err := os.Lstat("/etc/landlearn-raw-target"); err == nil {
		os.Remove("/etc/landlearn-raw-target")
		t.Error("--raw wrote through the planted symlink")
	}
}

// TestLearnMergeGrowsOld: without -o, learn --merge OLD writes the grown
// policy to OLD, and nothing else.
func TestLearnMergeGrowsOld(t *testing.T) {
	w := t.TempDir()
	if r := runLearnCLI(t, w, "learn", "-o", "p.yaml", "--", "true"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	before, _ := os.ReadFile(filepath.Join(w, "p.yaml"))
	if r := runLearnCLI(t, w, "learn", "--merge", "p.yaml", "--", "sh", "-c", "cat /etc/hostname"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	after, _ := os.ReadFile(filepath.Join(w, "p.yaml"))
	if string(after) == string(before) || !strings.Contains(string(after), "/etc/hostname") {
		t.Errorf("p.yaml was not grown:\n%s", after)
	}
	if _, err := os.Stat(filepath.Join(w, "landlock.yaml")); err == nil {
		t.Error("learn --merge p.yaml also wrote landlock.yaml")
	}
}

// --merge p.yaml --raw r.jsonl stays re-runnable: with --force, the
// second run replaces r.jsonl and grows p.yaml again.
func TestLearnMergeRawRerun(t *testing.T) {
	w := t.TempDir()
	if r := runLearnCLI(t, w, "learn", "-o", "p.yaml", "--", "true"); r.code != 0 {
		t.Fatalf("learn: exit %d\n%s", r.code, r.stderr)
	}
	args := []string{"learn", "--merge", "p.yaml", "-o", "p.yaml", "--raw", "r.jsonl", "--", "cat", "/etc/hostname"}
	if r := runLearnCLI(t, w, args...); r.code != 0 {
		t.Fatalf("first merge: exit %d\n%s", r.code, r.stderr)
	}
	if r := runLearnCLI(t, w, args...); r.code != 2 || !strings.Contains(r.stderr, "--raw r.jsonl exists: pass --force") {
		t.Errorf("second merge without --force: exit %d\n%s", r.code, r.stderr)
	}
	if r := runLearnCLI(t, w, append([]string{"learn", "--force"}, args[1:]...)...); r.code != 0 {
		t.Errorf("second merge with --force: exit %d\n%s", r.code, r.stderr)
	}
	data, _ := os.ReadFile(filepath.Join(w, "p.yaml"))
	if !strings.Contains(string(data), "/etc/hostname") {
		t.Errorf("the merged policy lost the run's rule:\n%s", data)
	}
}

// Ctrl-C: the target gets it, the policy is still written, learn says
// so in one line, and the temporary observations file is removed.
func TestLearnInterrupted(t *testing.T) {
	w := t.TempDir()
	tmp := t.TempDir()
	cmd := exec.Command(learnTestBinary(t), "learn", "-o", "p.yaml", "--", "sh", "-c", "touch started; exec sleep 1000")
	cmd.Dir = w
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var e bytes.Buffer
	cmd.Stderr = &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(w, "started")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the traced command never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	// A learner that does not end fails the test instead of hanging it.
	stuck := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	defer stuck.Stop()
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 128+int(syscall.SIGINT) {
		t.Errorf("learn ended with %v, want exit %d (the target's)\n%s", err, 128+int(syscall.SIGINT), e.String())
	}
	if kept, _ := filepath.Glob(filepath.Join(tmp, "landlearn-*.jsonl")); len(kept) != 0 {
		t.Errorf("observations left in %v after the policy was written", kept)
	}
	if _, err := os.Stat(filepath.Join(w, "p.yaml")); err != nil {
		t.Errorf("no policy after Ctrl-C: %v", err)
	}
	if want := "landlearn: wrote p.yaml from what sh did until SIGINT interrupted it"; !strings.Contains(e.String(), want) || strings.Contains(e.String(), "kept in") {
		t.Errorf("stderr:\n%s\nwant %q, and no kept file", e.String(), want)
	}
}

// SIGKILL of landlearn learn: its --raw file, which the kill leaves
// ended by NUL padding (learn.NewFileWriter), still makes a policy with
// minimize, with what the command did before the kill.
func TestLearnKilledMinimizes(t *testing.T) {
	w := t.TempDir()
	cmd := exec.Command(learnTestBinary(t), "learn", "--raw", "run.jsonl", "-o", "p.yaml", "--", "sh", "-c", "cat /etc/hostname >/dev/null; touch started; exec sleep 1000")
	cmd.Dir = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(w, "started")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the traced command never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	raw, err := os.ReadFile(filepath.Join(w, "run.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) == 0 || raw[len(raw)-1] != 0 {
		t.Logf("no NUL padding after the kill: the file was written with write(2)")
	}
	r := runLearnCLI(t, w, "minimize", "-o", "p.yaml", "run.jsonl")
	if r.code != 0 {
		t.Fatalf("minimize of a killed learner's observations: exit %d\n%s", r.code, r.stderr)
	}
	if p, _ := os.ReadFile(filepath.Join(w, "p.yaml")); !strings.Contains(string(p), "/etc/hostname") {
		t.Errorf("the policy lacks what cat read before the kill:\n%s", p)
	}
}

// A policy that cannot be written keeps the observations, and the
// command it suggests writes what learn was asked to write (-o, --merge,
// and the flags that shape the policy).
func TestLearnKeepsWhenNotWritten(t *testing.T) {
	w, tmp := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(w, "m.yaml"), []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The target makes -o a directory: the write fails after the run.
	r := runLearnCLIEnv(t, w, []string{"TMPDIR=" + tmp}, "learn", "--merge", "m.yaml", "-o", "out.yaml",
		"--exact", "--collapse", "5", "--allow-sensitive", "--", "mkdir", "out.yaml")
	kept, _ := filepath.Glob(filepath.Join(tmp, "landlearn-*.jsonl"))
	if r.code != 2 || len(kept) != 1 {
		t.Fatalf("exit %d, kept %v\n%s", r.code, kept, r.stderr)
	}
	if want := "landlearn minimize -o out.yaml --merge m.yaml --exact --collapse 5 --allow-sensitive " + kept[0]; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr:\n%s\nwant the suggestion %q", r.stderr, want)
	}
}

// The MPTCP note (bind_tcp/connect_tcp do not cover MPTCP sockets on a
// kernel with Landlock erratum 1 fixed) is for policies that grant TCP
// ports: learn says it for those only, not for a program that uses no
// TCP; run keeps it out of CMD's stderr when no person is watching
// (stderr not a terminal), as in CI logs.
func TestMPTCPNoteWhere(t *testing.T) {
	errata := testkit.RequireLandlock(t, 1).Errata
	w, tmp := t.TempDir(), t.TempDir()
	r := runLearnCLIEnv(t, w, []string{"TMPDIR=" + tmp}, "learn", "-o", "p.yaml", "--", "true")
	if r.code != 0 {
		t.Fatalf("learn: exit %d\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "do not restrict MPTCP") {
		t.Errorf("learn of a program that uses no TCP prints the MPTCP note:\n%s", r.stderr)
	}
	port := freePort(t)
	bind := fmt.Sprintf("import socket; s = socket.socket(); s.bind(('127.0.0.1', %d))", port)
	r = runLearnCLIEnv(t, w, []string{"TMPDIR=" + tmp}, "learn", "-o", "tcp.yaml", "--", "python3", "-c", bind)
	if r.code != 0 {
		t.Fatalf("learn: exit %d\n%s", r.code, r.stderr)
	}
	if got, want := strings.Count(r.stderr, "do not restrict MPTCP"), errata&1; got != want {
		t.Errorf("errata %#x: learn of a TCP server prints the MPTCP note %d times, want %d:\n%s", errata, got, want, r.stderr)
	}
	r = runLearnCLIEnv(t, w, nil, "run", "-p", "tcp.yaml", "--", "python3", "-c", bind)
	if r.code != 0 || strings.Contains(r.stderr, "MPTCP") {
		t.Errorf("run with stderr not a terminal: exit %d, stderr %q; want 0 and no MPTCP note", r.code, r.stderr)
	}
}

// The observations file starts with the run's header: the command, the
// directory and the variables' values, for minimize to use later.
func TestLearnRecordsHeader(t *testing.T) {
	w := learnRealDir(t, t.TempDir())
	r := runLearnCLIEnv(t, w, []string{"HOME=/home/learner", "XDG_CACHE_HOME="}, "learn", "--raw", "r.jsonl", "-o", "p.yaml", "--", "true", "arg")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	f, err := os.Open(filepath.Join(w, "r.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := learn.NewReader(f, "r.jsonl")
	var heads []*learn.Header
	n := 0
	for run := range rd.Runs() {
		heads = append(heads, run.Header)
		for range run.Observations() {
			n++
		}
	}
	if rd.Err() != nil || len(heads) != 1 || heads[0] == nil || n == 0 {
		t.Fatalf("%d runs, %d observations, %v", len(heads), n, rd.Err())
	}
	h := heads[0]
	if h.Version != learn.FormatVersion || !slices.Equal(h.Argv, []string{"true", "arg"}) || h.Cwd != w ||
		h.Vars["PWD"] != w || h.Vars["HOME"] != "/home/learner" || h.Vars["XDG_CACHE_HOME"] != "/home/learner/.cache" {
		t.Errorf("header %+v", h)
	}
}

// A file name that is not valid UTF-8 never becomes a rule for another
// name (JSON would turn its bad byte into U+FFFD): learn says it learned
// no rule for it, and writes a policy that loads.
func TestLearnNonUTF8Name(t *testing.T) {
	w := learnRealDir(t, t.TempDir())
	name := filepath.Join(w, "x", "caf\xe9")
	if err := os.Mkdir(filepath.Join(w, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte("hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runLearnCLI(t, w, "learn", "--raw", "r.jsonl", "-o", "p.yaml", "--", "sh", "-c", `cat "$(printf 'x/caf\351')"`)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	quoted := fmt.Sprintf("%q is not valid UTF-8", name)
	if !strings.Contains(r.stderr, quoted) || !strings.Contains(r.stderr, "no rule is learned for it") {
		t.Errorf("learn does not say which name it refused (%s):\n%s", quoted, r.stderr)
	}
	raw, err := os.ReadFile(filepath.Join(w, "r.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "\uFFFD") || !strings.Contains(string(raw), `caf\\xe9`) {
		t.Errorf("the observations hold U+FFFD, or not the refused name:\n%s", raw)
	}
	check := func(what, text string) {
		t.Helper()
		p, err := policy.Load(strings.NewReader(text), what)
		if err != nil {
			t.Fatalf("%s does not load: %v", what, err)
		}
		for _, rule := range p.FS {
			if strings.Contains(rule.Path, "caf") || strings.Contains(rule.Path, "\uFFFD") || rule.Path == "${PWD}/x" || rule.Path == w+"/x" {
				t.Errorf("%s grants %s on %q", what, rule.Access, rule.Path)
			}
		}
	}
	pol, err := os.ReadFile(filepath.Join(w, "p.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	check("learn's policy", string(pol))
	m := runLearnCLI(t, w, "minimize", "r.jsonl")
	if m.code != 0 {
		t.Fatalf("minimize: exit %d\n%s", m.code, m.stderr)
	}
	check("minimize's policy", m.stdout)
}

// TestRunRefusesTheWrongPlace: a policy learned in a project, run from /
// (a systemd unit without WorkingDirectory=), would grant its ${PWD}
// rule on the whole file system: run refuses before the program runs.
func TestRunRefusesTheWrongPlace(t *testing.T) {
	w := t.TempDir()
	writeTree(t, w, map[string]string{"a": "a\n", "b": "b\n"})
	if r := runLearnCLI(t, w, "learn", "-o", "p.yaml", "--", "cat", "a", "b"); r.code != 0 {
		t.Fatalf("learn: exit %d: %s", r.code, r.stderr)
	}
	ran := filepath.Join(w, "ran")
	r := runLearnCLI(t, "/", "run", "-p", filepath.Join(w, "p.yaml"), "--", "touch", ran)
	if r.code != 2 || !strings.Contains(r.stderr, "${PWD} is / here, the whole file system") {
		t.Errorf("run from /: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("the command ran")
	}
	// The same place under another name: a shell's cd through a symlink
	// keeps the link in $PWD, and a bind mount has a name of its own.
	link := filepath.Join(t.TempDir(), "to-root")
	if err := os.Symlink("/", link); err != nil {
		t.Fatal(err)
	}
	r = runLearnCLIEnv(t, link, []string{"PWD=" + link}, "run", "-p", filepath.Join(w, "p.yaml"), "--", "touch", ran)
	if r.code != 2 || !strings.Contains(r.stderr, "which is the same directory as the whole file system") {
		t.Errorf("run from a symlink to /: exit %d, stderr %q", r.code, r.stderr)
	}
	bind := t.TempDir()
	sh := `mount --bind /etc "$1" && cd "$1" && exec "$2" run -p "$3" -- touch "$4"`
	cmd := exec.Command("unshare", "-m", "sh", "-c", sh, "sh", bind, learnTestBinary(t), filepath.Join(w, "p.yaml"), ran)
	out, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(out), "which is the same directory as /etc") {
		t.Errorf("run from a bind mount of /etc: exit %d, %s", code, out)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("the command ran")
	}
	if r := runLearnCLI(t, w, "run", "-p", "p.yaml", "--", "cat", "a", "b"); r.code != 0 || r.stdout != "a\nb\n" {
		t.Errorf("run where it was learned: exit %d, %q %s", r.code, r.stdout, r.stderr)
	}
}

// TestRunNotesSharedTempDirectory: a policy learned with a temp directory
// of its own, run where TMPDIR is shared with other programs, grants its
// writes on everything there: run says so, and how to avoid it.
func TestRunNotesSharedTempDirectory(t *testing.T) {
	w := t.TempDir()
	private, shared := filepath.Join(w, "tmp"), filepath.Join(t.TempDir(), "shared")
	for _, d := range []string{private, shared} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(shared, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	script := `echo x > "$TMPDIR/app.out"`
	if r := runLearnCLIEnv(t, w, []string{"TMPDIR=" + private}, "learn", "-o", "p.yaml", "--", "sh", "-c", script); r.code != 0 {
		t.Fatalf("learn: exit %d: %s", r.code, r.stderr)
	}
	note := "${TMPDIR} is " + shared + " here, a directory shared with other programs: the rule grants"
	r := runLearnCLIEnv(t, w, []string{"TMPDIR=" + shared}, "run", "-p", "p.yaml", "--", "sh", "-c", script)
	if r.code != 0 || !strings.Contains(r.stderr, note) || !strings.Contains(r.stderr, "TMPDIR=$(mktemp -d)") {
		t.Errorf("run with a shared TMPDIR: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runLearnCLIEnv(t, w, []string{"TMPDIR=" + private}, "run", "-p", "p.yaml", "--", "sh", "-c", script)
	if r.code != 0 || strings.Contains(r.stderr, "shared with other programs") {
		t.Errorf("run with its own TMPDIR: exit %d, stderr %q", r.code, r.stderr)
	}
}
