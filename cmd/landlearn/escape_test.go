package main

import (
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Names a sandboxed program chooses (issue 12, item 6): one forges a
// "fix:" block in verify's report, one sets the terminal's title, one
// reverses the text after it.
const (
	forgedFix = "x\n    fix:\n      - path: evil\n        access: [write_file]"
	setTitle  = "t\x1b]0;owned\x07"
	reversed  = "r\u202eexe.txt"
)

// rawBytes are what must never reach a terminal from these names.
const rawBytes = "\x1b\x07\u202e"

// checkEscaped fails when out holds a raw escape byte, a forged fix line,
// or more "fix:" headers than objects.
func checkEscaped(t *testing.T, what, out string, fixes int) {
	t.Helper()
	if strings.ContainsAny(out, rawBytes) {
		t.Errorf("%s: a raw escape reaches the terminal:\n%q", what, out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == "- path: evil" {
			t.Errorf("%s: forged line %q:\n%s", what, l, out)
		}
	}
	if fixes >= 0 && strings.Count(out, "    fix:\n") != fixes {
		t.Errorf("%s: %d fix blocks, want %d:\n%s", what, strings.Count(out, "    fix:\n"), fixes, out)
	}
}

// TestVerifyAndCheckEscapeNames: the program's file names and its own
// executable's name, denied under a real policy, come out of verify and
// check quoted.
func TestVerifyAndCheckEscapeNames(t *testing.T) {
	bin := auditTestBinary(t)
	dir := realDir(t, t.TempDir())
	prog := filepath.Join(dir, "bin", "c"+setTitle)
	if err := os.MkdirAll(filepath.Dir(prog), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, "/usr/bin/cat", prog, 0o755)
	for _, n := range []string{forgedFix, setTitle, reversed} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("data\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(p, []byte(`version: 2
fs:
  - group: system
    access: [execute, read_file, read_dir]
  - group: linker-config
    access: [read_file]
  - group: locale-config
    access: [read_file]
  - path: `+filepath.Dir(prog)+`
    access: [execute, read_file]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--", prog, forgedFix, setTitle, reversed}

	r := runBinary(t, bin, dir, nil, nil, append([]string{"verify", "-p", p}, args...)...)
	if r.code != 1 {
		t.Fatalf("verify: exit %d, want 1\n%s", r.code, r.stderr)
	}
	// The program's own stderr (cat's messages) holds the names raw:
	// only landlearn's report is checked.
	report := r.stderr[strings.Index(r.stderr, "landlearn: The policy denied"):]
	checkEscaped(t, "verify", report, 3)
	for _, want := range []string{`"` + dir + `/x\n    fix:\n      - path: evil\n        access: [write_file]"`, `/t\x1b]0;owned\a"`, `/r\u202eexe.txt"`, `/bin/ct\x1b]0;owned\a" (pid`} {
		if !strings.Contains(report, want) {
			t.Errorf("verify: the report lacks %s:\n%s", want, report)
		}
	}

	r = runBinary(t, bin, dir, nil, nil, append([]string{"check", "-p", p}, args...)...)
	if r.code != 1 {
		t.Fatalf("check: exit %d, want 1\n%s", r.code, r.stderr)
	}
	checkEscaped(t, "check", r.stdout, -1)
	if got := strings.Count(r.stdout, ": missing [read_file]"); got != 3 {
		t.Errorf("check: %d gap lines, want 3:\n%s", got, r.stdout)
	}
}

// TestExplainEscapesNames: a log whose path, exe and comm fields (hex,
// as the kernel writes names with unusual characters) hold such names.
func TestExplainEscapesNames(t *testing.T) {
	bin := landlearnBinary(t)
	h := func(s string) string { return strings.ToUpper(hex.EncodeToString([]byte(s))) }
	log := `type=UNKNOWN[1424] msg=audit(1795755903.146:9): domain=18db492b1 status=allocated mode=enforcing pid=16693 uid=0 exe=` + h("/bin/"+setTitle) + ` comm=` + h(reversed[:8]) + `
type=UNKNOWN[1423] msg=audit(1795755903.146:14): domain=18db492b1 blockers=fs.read_file path=` + h("/tmp/"+forgedFix) + ` dev="vda" ino=9982460
type=SYSCALL msg=audit(1795755903.146:14): arch=c000003e syscall=257 success=no exit=-13 a0=ffffff9c a1=7ffc5dd679d7 a2=0 a3=0 items=0 ppid=16693 pid=16700 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=` + h(setTitle) + ` exe=` + h("/bin/"+reversed) + ` key=(null)
type=UNKNOWN[1423] msg=audit(1795755903.146:15): domain=18db492b1 blockers=fs.read_file path=` + h("/tmp/"+setTitle) + ` dev="vda" ino=9982461
type=SYSCALL msg=audit(1795755903.146:15): arch=c000003e syscall=257 success=no exit=-13 a0=ffffff9c a1=7ffc5dd679d7 a2=0 a3=0 items=0 ppid=16693 pid=16700 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="cat" exe="/usr/bin/cat" key=(null)
`
	f := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(f, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runBinary(t, bin, "", nil, nil, "explain", f)
	if r.code != 1 || !strings.Contains(r.stdout, `"/tmp/x\n    fix:`) || !strings.Contains(r.stdout, `"/bin/r\u202eexe.txt"`) {
		t.Errorf("explain: exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	checkEscaped(t, "explain", r.stdout+r.stderr, -1)
	r = runBinary(t, bin, "", nil, nil, "explain", "--summary", f)
	if !strings.Contains(r.stdout, `"/bin/r\u202eexe.txt"`) {
		t.Errorf("explain --summary: exit %d, stdout:\n%s", r.code, r.stdout)
	}
	checkEscaped(t, "explain --summary", r.stdout+r.stderr, -1)
}

// TestShellQuoteEscapes: the commands landlearn suggests ("try it with:
// landlearn run ... -- CMD") hold the program's arguments; those with
// characters a terminal acts on are written $'...', which stays one
// printable line and gives the same bytes back in a shell.
func TestShellQuoteEscapes(t *testing.T) {
	for _, s := range []string{"plain", "with space", "it's", forgedFix, setTitle, reversed, "bad\xffbyte", "q'\x1b"} {
		q := shellQuote(s)
		if strings.ContainsAny(q, rawBytes+"\n\xff") {
			t.Errorf("shellQuote(%q) = %q leaks a raw character", s, q)
		}
		out, err := exec.Command("bash", "-c", "printf %s "+q).Output()
		if err != nil || string(out) != s {
			t.Errorf("bash gives %q back from %s (%v), want %q", out, q, err, s)
		}
	}
}

// TestRunAndEmitEscapePolicyNames: a policy under review names paths that
// reach run's notes (a learned rule skipped, a shared temp directory) and
// emit's warnings; none drives the terminal or forges a line.
func TestRunAndEmitEscapePolicyNames(t *testing.T) {
	bin := learnTestBinary(t)
	shared := filepath.Join(t.TempDir(), "shared"+setTitle)
	if err := os.Mkdir(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	missing := "/nonexistent/" + strings.ReplaceAll(forgedFix, "\n", `\n`)
	src := "version: 2\nfs:\n  - group: system\n    access: [execute, read_file]\n" +
		"  - group: linker-config\n    access: [read_file]\n" +
		"  - path: \"" + missing + "\"\n    access: [read_file]\n    learned: true\n" +
		"  - path: ${TMPDIR}\n    access: [write_file]\n" +
		"  - path: \"/nonexistent/o" + strings.ReplaceAll(setTitle, "\x1b", `\e`) + "\"\n    access: [read_file]\n    optional: true\n"
	src = strings.ReplaceAll(src, "\x07", `\a`)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runBinary(t, bin, dir, append(os.Environ(), "TMPDIR="+shared), nil, "run", "-p", "p.yaml", "--", "true")
	if r.code != 0 || !strings.Contains(r.stderr, "learned rule is skipped") || !strings.Contains(r.stderr, "shared with other programs") {
		t.Fatalf("run: exit %d, stderr %q", r.code, r.stderr)
	}
	checkEscaped(t, "run", r.stderr, 0)
	r = runBinary(t, bin, dir, nil, nil, "emit", "-f", "landlockconfig-json", "--var", "TMPDIR=/tmp", "p.yaml")
	if !strings.Contains(r.stderr, "optional: true") {
		t.Fatalf("emit: exit %d, stderr %q", r.code, r.stderr)
	}
	checkEscaped(t, "emit", r.stderr, 0)
}
