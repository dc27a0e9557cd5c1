package verify

import (
	"strings"
	"testing"

	"github.com/landlearn/landlearn/learn/audit"
	"github.com/landlearn/landlearn/learn/audit/live"
)

func TestWriteReport(t *testing.T) {
	read := audit.Denial{Domain: "1a2b", Blockers: []string{"fs.read_file"}, Path: "/srv/data/in.txt", Port: -1, Joined: true, PID: 42, Exe: "/usr/bin/cat", SyscallName: "openat"}
	again := read
	again.PID = 43
	mk := audit.Denial{Domain: "1a2b", Blockers: []string{"fs.make_reg"}, Path: "/srv/out", Port: -1, Joined: true, PID: 42, Exe: "/usr/bin/sh", SyscallName: "openat"}
	trunc := mk
	trunc.Blockers = []string{"fs.truncate"}
	conn := audit.Denial{Domain: "1a2b", Blockers: []string{"net.connect_tcp"}, Port: 443, Addr: "10.0.0.1", Joined: true, PID: 42, Exe: "/usr/bin/curl", SyscallName: "connect"}
	nested := audit.Denial{Domain: "ffee", Blockers: []string{"fs.read_file"}, Path: "/etc/shadow", Port: -1}
	run := &live.Run{
		PID:           42,
		Domain:        &audit.Domain{ID: "1a2b"},
		Denials:       []audit.Denial{read, mk, again, trunc, conn},
		Nested:        []audit.Domain{{ID: "ffee", PID: 50, Exe: "/usr/bin/sandboxed"}},
		NestedDenials: []audit.Denial{nested},
		Lingering:     []string{"1a2b"},
	}
	var b strings.Builder
	WriteReport(&b, run, nil, nil)
	got := b.String()
	for _, want := range []string{
		"The policy denied 5 accesses to the command (pid 42, domain 1a2b):\n",
		"\n  /srv/data/in.txt\n    denied: read_file (2 times)\n    by:     /usr/bin/cat (pid 42, openat)\n    by:     /usr/bin/cat (pid 43, openat)\n    fix:\n      - path: /srv/data/in.txt\n        access: [read_file]\n",
		"\n  /srv/out\n    denied: make_reg, truncate (2 times)\n",
		"      - path: /srv/out\n        access: [make_reg, truncate]\n",
		"\n  tcp port 443 (10.0.0.1)\n    denied: connect_tcp\n",
		"      - port: 443\n        access: [connect_tcp]\n",
		"own sandbox also denied 1 access (domain ffee created by pid 50 /usr/bin/sandboxed)",
		"\n  /etc/shadow\n",
		"still hold domain 1a2b",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	// Objects in the order they were first denied.
	if strings.Index(got, "/srv/data/in.txt") > strings.Index(got, "/srv/out") {
		t.Errorf("objects out of order:\n%s", got)
	}
}

// The helper's exec of the command is denied as landlearn's (it runs the
// landlearn binary until execve succeeds): the report says landlearn, not
// the binary's install path; the command's own exec, same pid, keeps its
// exe.
func TestWriteReportNamesLauncher(t *testing.T) {
	launch := audit.Denial{Domain: "1a2b", Blockers: []string{"fs.execute"}, Path: "/usr/bin/cat", Port: -1, Joined: true, PID: 42, Exe: "/tmp/ll", SyscallName: "execve"}
	own := audit.Denial{Domain: "1a2b", Blockers: []string{"fs.execute"}, Path: "/usr/bin/tr", Port: -1, Joined: true, PID: 42, Exe: "/usr/bin/dash", SyscallName: "execve"}
	run := &live.Run{PID: 42, Domain: &audit.Domain{ID: "1a2b", PID: 42, Exe: "/tmp/ll"}, Denials: []audit.Denial{launch, own}}
	var b strings.Builder
	WriteReport(&b, run, nil, nil)
	for _, want := range []string{
		"\n  /usr/bin/cat\n    denied: execute\n    by:     landlearn, starting the command (pid 42, execve)\n",
		"\n  /usr/bin/tr\n    denied: execute\n    by:     /usr/bin/dash (pid 42, execve)\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}
