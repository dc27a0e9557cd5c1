package minimize

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// A learned policy covers its own run; a new file, port or signal is a
// gap; rules the run did not use are listed.
func TestCheckLearnedPolicy(t *testing.T) {
	obs := readRun(t, "build.jsonl")
	p, _ := Minimize(obs, Options{Vars: goldenVars})
	ep, err := p.Expand(goldenVars)
	if err != nil {
		t.Fatal(err)
	}
	// The run's root is pid 500, whose /proc/500 the policy calls
	// /proc/self; Check compares it as this process's /proc/self.
	self := fmt.Sprintf("/proc/%d/status", os.Getpid())
	for i, r := range ep.FS {
		if r.Path == "/proc/self/status" {
			ep.FS[i].Path = self
		}
	}
	if cr := Check(ep, obs); len(cr.Gaps) != 0 || len(cr.UnusedFS) != 0 || len(cr.UnusedNet) != 0 {
		t.Fatalf("a policy does not cover its own run: %+v", cr)
	}
	more := append(obs,
		learn.Observation{Seq: 100, Syscall: "openat", PID: 501, Exe: "/usr/bin/gcc", Path: "/home/dev/other/x.c", Type: "file", FS: policy.FSReadFile},
		learn.Observation{Seq: 101, Syscall: "openat", PID: 501, Exe: "/usr/bin/gcc", Path: "/home/dev/other/x.c", Type: "file", FS: policy.FSReadFile},
		learn.Observation{Seq: 102, Syscall: "connect", PID: 501, Exe: "/usr/bin/curl", Port: learn.PortPtr(80), Net: policy.NetConnectTCP},
		learn.Observation{Seq: 103, Syscall: "kill", PID: 501, Exe: "/usr/bin/kill", Scope: "abstract_unix_socket", Target: "@x"},
	)
	cr := Check(ep, more)
	var got []string
	for _, g := range cr.Gaps {
		got = append(got, g.String())
	}
	want := []string{
		"/home/dev/other/x.c: missing [read_file] (openat by /usr/bin/gcc, 2 times)",
		"port 80: missing [connect_tcp] (connect by /usr/bin/curl, 1 time)",
		"scope abstract_unix_socket: the run needs it off, the policy handles it (kill by /usr/bin/kill, 1 time); remove it from handled.scoped",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("gaps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if g := cr.Gaps[0]; g.Rule < 0 || ep.FS[g.Rule].Path != "/home/dev/proj" {
		t.Errorf("closest rule of %s: %d", g.Path, g.Rule)
	}
}

// A rename whose object would gain rights is a gap even when both
// directories grant what the parents need.
func TestCheckMoveGain(t *testing.T) {
	p := policy.New(policy.KernelABI)
	p.FS = []policy.FSRule{
		{Path: "/w/in", Access: acc("remove_file", "refer")},
		{Path: "/w/out", Access: acc("make_reg", "refer", "write_file")},
	}
	cr := Check(p, rename("/w/in/f", "/w/out/f", false))
	if len(cr.Gaps) != 1 || cr.Gaps[0].What != "move" || cr.Gaps[0].Missing != acc("write_file") {
		t.Fatalf("gaps %+v", cr.Gaps)
	}
}

// A gap in the program's own exec names landlearn, not the path of the
// landlearn binary that ran check (it was "execve by /tmp/ll").
func TestCheckNamesTheLauncher(t *testing.T) {
	p := policy.New(policy.KernelABI)
	obs := []learn.Observation{
		{Seq: 1, Syscall: "execve", PID: 7, Exe: "/opt/bin/landlearn", Path: "/usr/bin/cat", Type: "file", FS: policy.FSExecute | policy.FSReadFile},
		{Seq: 2, Syscall: "openat", PID: 7, Exe: "/usr/bin/cat", Path: "/etc/hostname", Type: "file", FS: policy.FSReadFile},
	}
	cr := Check(p, obs)
	var got []string
	for _, g := range cr.Gaps {
		got = append(got, g.String())
	}
	want := []string{
		"/etc/hostname: missing [read_file] (openat by /usr/bin/cat, 1 time)",
		"/usr/bin/cat: missing [execute, read_file] (execve by landlearn, 1 time)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("gaps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
