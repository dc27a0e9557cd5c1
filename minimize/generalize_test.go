package minimize

import (
	"strings"
	"testing"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

func pidOpen(pid int, path string, rights ...string) learn.Observation {
	o := open(path, rights...)
	o.PID = pid
	return o
}

// Rule 7: /proc/PID of the run's first process is /proc/self (run execs
// in place, so the pid is the same inode's); other pids only /proc covers.
func TestProcSelf(t *testing.T) {
	obs := cat(
		pidOpen(100, "/usr/bin/app", "read_file"),
		pidOpen(100, "/proc/100/status", "read_file"),
		pidOpen(100, "/proc/100/task/101/comm", "read_file", "write_file"),
		pidOpen(100, "/proc/sys/kernel/osrelease", "read_file"),
	)
	p, _ := Minimize(obs, Options{})
	wantGrants(t, p, map[string]policy.FSAccess{
		"/usr/bin/app":               acc("read_file"),
		"/proc/self/status":          acc("read_file"),
		"/proc/self/task":            acc("read_file", "write_file"),
		"/proc/sys/kernel/osrelease": acc("read_file"),
	})
	// A child reading its own /proc/PID, or the parent's: not exact.
	obs = cat(pidOpen(100, "/usr/bin/app", "read_file"), pidOpen(200, "/proc/200/stat", "read_file"), pidOpen(200, "/proc/100/stat", "read_file"))
	p, _ = Minimize(obs, Options{})
	wantGrants(t, p, map[string]policy.FSAccess{"/usr/bin/app": acc("read_file"), "/proc": acc("read_file")})
	// init is pid 1 in every run.
	p, _ = Minimize(cat(pidOpen(100, "/proc/1/cgroup", "read_file")), Options{})
	wantGrants(t, p, map[string]policy.FSAccess{"/proc/1/cgroup": acc("read_file")})
}

func TestPtyPidMkstemp(t *testing.T) {
	obs := cat(
		pidOpen(4321, "/dev/pts/3", "read_file", "write_file", "ioctl_dev"),
		pidOpen(4321, "/var/run/app.4321.lock", "write_file"),
		pidOpen(4321, "/tmp/ccQ3xZ1a.s", "read_file"),
		pidOpen(4321, "/tmp/test01", "read_file"),
		pidOpen(4321, "/usr/lib/libQt5Core.so.5", "read_file"),
		pidOpen(4321, "/usr/lib/x86_64/libfoo.so.4321", "read_file"),
		pidOpen(4321, "/tmp/sh-thd.4321", "read_file"),
	)
	p, _ := Minimize(obs, Options{})
	wantGrants(t, p, map[string]policy.FSAccess{
		"/dev/pts":                 acc("read_file", "write_file", "ioctl_dev"),
		"/var/run":                 acc("write_file"),
		"/tmp":                     acc("read_file"),
		"/usr/lib/libQt5Core.so.5": acc("read_file"),
		// A number that happens to be the pid, outside /tmp and /run.
		"/usr/lib/x86_64/libfoo.so.4321": acc("read_file"),
	})
	sound(t, obs, p, nil)
	for _, r := range p.FS {
		if r.Path == "/dev/pts" && !strings.HasPrefix(r.Comment, "1 access by /usr/bin/app; e.g. /dev/pts/3\ngeneralized to the directory: pty numbers change from run to run\nWARNING: terminals: ") {
			t.Errorf("pty comment %q", r.Comment)
		}
	}
}

func TestLooksMkstemp(t *testing.T) {
	for name, want := range map[string]bool{
		"ccQ3xZ1a.s": true, "tmpa8Kd2F": true, "sedAb12Cd": true, "XXAAAA": false,
		"test01": false, "README": false, "a.out": false, "Makefile": false, "abcdef": false,
	} {
		if got := looksMkstemp(name); got != want {
			t.Errorf("looksMkstemp(%q) = %t, want %t", name, got, want)
		}
	}
}

// Rule 8: variables replace their values, longest first, never "/".
func TestVariables(t *testing.T) {
	vars := policy.Vars{"HOME": "/home/u", "PWD": "/home/u/src/app", "TMPDIR": "/tmp", "ROOT": "/"}
	obs := cat(
		open("/home/u/.gitconfig", "read_file"),
		open("/home/u/src/app/main.go", "read_file"),
		open("/tmp/fixed-name", "read_file"),
		open("/usr/bin/go", "execute"),
	)
	p, _ := Minimize(obs, Options{Vars: vars})
	wantGrants(t, p, map[string]policy.FSAccess{
		"${HOME}/.gitconfig":   acc("read_file"),
		"${PWD}/main.go":       acc("read_file"),
		"${TMPDIR}/fixed-name": acc("read_file"),
		"/usr/bin/go":          acc("execute"),
	})
	sound(t, obs, p, vars)
}

// The program's launcher (landlearn's helper) is named as landlearn, not
// by where it is installed.
func TestLauncherName(t *testing.T) {
	obs := cat(learn.Observation{Syscall: "execve", PID: 5, Exe: "/opt/x/landlearn", Path: "/usr/bin/app", Type: learn.TypeFile, FS: policy.FSExecute | policy.FSReadFile})
	p, _ := Minimize(obs, Options{Launcher: "/opt/x/landlearn"})
	if c := p.FS[0].Comment; c != "1 access by landlearn" {
		t.Errorf("comment %q", c)
	}
}

// A mktemp'd working directory (/tmp/ci-build.Q3xZ1a) has a random-looking
// name, but it existed before the run and ${PWD} names it: creating a file
// in it must not become make_reg on all of /tmp.
func TestVariableDirIsNotRandom(t *testing.T) {
	wd := "/tmp/ci-build.Q3xZ1a"
	obs := cat(
		learn.Observation{Seq: 1, PID: 4321, Syscall: "openat", Path: wd, Type: learn.TypeDir,
			FS: policy.FSMakeReg, Created: true, Dst: wd + "/out.tgz"},
		pidOpen(4321, wd+"/src.txt", "read_file"),
	)
	p, _ := Minimize(obs, Options{Vars: policy.Vars{"PWD": wd, "TMPDIR": "/tmp"}})
	wantGrants(t, p, map[string]policy.FSAccess{
		"${PWD}":         acc("make_reg"),
		"${PWD}/src.txt": acc("read_file"),
	})
}

// A run recorded by a landlearn installed elsewhere: its first
// observation, the helper's exec of the program, names the launcher,
// whatever Options.Launcher says, so the YAML does not depend on where
// either landlearn is installed.
func TestLauncherIsFirstExec(t *testing.T) {
	obs := cat(
		learn.Observation{Seq: 1, Syscall: "execve", PID: 5, Exe: "/home/ci/bin/ll", Path: "/usr/bin/app", Type: learn.TypeFile, FS: policy.FSExecute | policy.FSReadFile},
		learn.Observation{Seq: 2, Syscall: "execve", PID: 5, Exe: "/usr/bin/app", Path: "/usr/bin/helper", Type: learn.TypeFile, FS: policy.FSExecute | policy.FSReadFile},
	)
	for _, launcher := range []string{"", "/usr/local/bin/landlearn"} {
		p, _ := Minimize(obs, Options{Launcher: launcher, Vars: policy.Vars{"HOME": "/home/ci"}})
		got := map[string]string{}
		for _, r := range p.FS {
			got[r.Path] = r.Comment
		}
		if c := got["/usr/bin/app"]; c != "1 access by landlearn" {
			t.Errorf("Launcher %q: comment on /usr/bin/app %q, want it to name landlearn", launcher, c)
		}
		if c := got["/usr/bin/helper"]; c != "1 access by /usr/bin/app" {
			t.Errorf("Launcher %q: comment on /usr/bin/helper %q", launcher, c)
		}
	}
}

// A checkout under /tmp: ${TMPDIR} covers ${PWD} on this machine, but
// not on a runner whose ${PWD} is elsewhere, so the ${PWD} rule stays
// (it was dropped as covered, and gcc's a.out could not be written in
// another checkout).
func TestCoveredOnlyWhereverUsed(t *testing.T) {
	wd := "/tmp/qa/work"
	obs := cat(
		learn.Observation{Seq: 1, PID: 9, Syscall: "openat", Path: "/tmp", Type: learn.TypeDir,
			FS: policy.FSMakeReg, Created: true, Dst: "/tmp/ccR4nd0m.s"},
		learn.Observation{Seq: 1, PID: 9, Syscall: "openat", Path: "/tmp/ccR4nd0m.s", Type: learn.TypeFile,
			FS: policy.FSWriteFile, Created: true},
		learn.Observation{Seq: 2, PID: 9, Syscall: "openat", Path: wd, Type: learn.TypeDir,
			FS: policy.FSMakeReg, Created: true, Dst: wd + "/a.out"},
		learn.Observation{Seq: 2, PID: 9, Syscall: "openat", Path: wd + "/a.out", Type: learn.TypeFile,
			FS: policy.FSWriteFile, Created: true},
		pidOpen(9, "/tmp/qa/other/data.txt", "read_file"), // literal: /tmp covers it anywhere
	)
	p, _ := Minimize(obs, Options{Vars: policy.Vars{"PWD": wd, "TMPDIR": "/tmp"}})
	wantGrants(t, p, map[string]policy.FSAccess{
		"${TMPDIR}":                   acc("write_file", "make_reg"),
		"${PWD}":                      acc("write_file", "make_reg"),
		"${TMPDIR}/qa/other/data.txt": acc("read_file"),
	})
}

// TestProcSelfUnstable: an entry of the root process's /proc/PID that
// the run created is unstable under its /proc/self name, the name its
// rule has, like any created file: the rule goes to the directory.
func TestProcSelfUnstable(t *testing.T) {
	created := pidOpen(100, "/proc/100/attr/x", "write_file")
	created.Created = true
	p, _ := Minimize(cat(pidOpen(100, "/usr/bin/app", "read_file"), created), Options{})
	wantGrants(t, p, map[string]policy.FSAccess{
		"/usr/bin/app":    acc("read_file"),
		"/proc/self/attr": acc("write_file"),
	})
}
