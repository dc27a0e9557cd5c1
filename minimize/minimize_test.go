package minimize

import (
	"slices"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

func TestExactRulesOnFiles(t *testing.T) {
	obs := cat(
		open("/usr/lib/libc.so.6", "read_file"),
		learn.Observation{Syscall: "execve", PID: testPID, Exe: "/usr/bin/app", Path: "/usr/bin/app", Type: learn.TypeFile, FS: policy.FSExecute | policy.FSReadFile},
		openDir("/usr/share/app"),
		open("/w/data.txt", "write_file", "truncate"),
		open("/dev/null", "read_file", "write_file"),
	)
	p, rep := Minimize(obs, Options{})
	wantGrants(t, p, map[string]policy.FSAccess{
		"/usr/lib/libc.so.6": acc("read_file"),
		"/usr/bin/app":       acc("execute", "read_file"),
		"/usr/share/app":     acc("read_dir"),
		"/w/data.txt":        acc("write_file", "truncate"),
		"/dev/null":          acc("read_file", "write_file"),
	})
	sound(t, obs, p, nil)
	if p.ABI != policy.KernelABI || p.Handled.FS != policy.AllFS(policy.KernelABI) ||
		p.Handled.Net != policy.AllNet(policy.KernelABI) || p.Handled.Scoped != policy.AllScopes(policy.KernelABI) {
		t.Errorf("handled is not written out in full: abi %d %+v", p.ABI, p.Handled)
	}
	if rep.FSRules != 5 || rep.Rights != 8 || rep.PathsObserved != 5 || rep.FilesObserved != 3 || rep.Observations != 5 {
		t.Errorf("report %+v", rep)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("policy does not validate: %v", err)
	}
}

func TestABICapsRights(t *testing.T) {
	obs := cat(open("/w/f", "write_file", "truncate"), open("/dev/tty", "read_file", "ioctl_dev"))
	p, _ := Minimize(obs, Options{ABI: 2})
	if p.ABI != 2 || p.Handled.Net != 0 || p.Handled.Scoped != 0 || p.Handled.FS.Has(acc("truncate")) {
		t.Errorf("abi 2 policy handles %+v", p.Handled)
	}
	wantGrants(t, p, map[string]policy.FSAccess{"/w/f": acc("write_file"), "/dev/tty": acc("read_file")})
	if p, _ := Minimize(obs, Options{ABI: 99}); p.ABI != policy.KernelABI {
		t.Errorf("abi 99 not capped: %d", p.ABI)
	}
}

func TestEmptyRunWarns(t *testing.T) {
	p, rep := Minimize(nil, Options{})
	if len(p.FS)+len(p.Net) != 0 || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "no observations") {
		t.Fatalf("empty run: %d rules, warnings %q", len(p.FS), rep.Warnings)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("empty policy does not validate: %v", err)
	}
}

func TestAncestorCoversRule(t *testing.T) {
	obs := cat(
		create("/w/out/a.o", "write_file"),
		open("/w/out/keep.txt", "write_file"),
		open("/w/out/read.txt", "read_file"),
	)
	p, rep := Minimize(obs, Options{})
	// a.o lifts to /w/out (make_reg, write_file), which covers keep.txt.
	wantGrants(t, p, map[string]policy.FSAccess{
		"/w/out":          acc("write_file", "make_reg"),
		"/w/out/read.txt": acc("read_file"),
	})
	if rep.Dropped != 1 {
		t.Errorf("dropped %d rules, want 1", rep.Dropped)
	}
	sound(t, obs, p, nil)
}

func TestNetAndScopes(t *testing.T) {
	obs := cat(
		port(443, "connect_tcp"),
		port(443, "connect_tcp"),
		learn.Observation{Syscall: "bind", PID: testPID, Exe: "/usr/bin/srv", Port: learn.PortPtr(0), Net: policy.NetBindTCP},
		learn.Observation{Syscall: "kill", PID: testPID, Exe: "/usr/bin/dash", Scope: "signal", Target: float64(1)},
		learn.Observation{Syscall: "io_uring_setup", PID: testPID, Exe: "/usr/bin/app", Warning: "io_uring: accesses through it are not traced"},
	)
	p, rep := Minimize(obs, Options{})
	if len(p.Net) != 2 || p.Net[0].Port != 0 || p.Net[0].Access != policy.NetBindTCP || p.Net[1].Port != 443 || p.Net[1].Access != policy.NetConnectTCP {
		t.Errorf("net rules %+v", p.Net)
	}
	if p.Handled.Scoped != policy.ScopeAbstractUnixSocket {
		t.Errorf("scoped %v, want only abstract_unix_socket", p.Handled.Scoped.Names())
	}
	if len(rep.ScopesOff) != 1 || !strings.Contains(rep.ScopesOff[0], "signal left off") || !strings.Contains(rep.ScopesOff[0], "e.g. 1") {
		t.Errorf("scopes off %q", rep.ScopesOff)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "io_uring") {
		t.Errorf("warnings %q", rep.Warnings)
	}
	sound(t, obs, p, nil)
}

func TestUnknownRightsAndRelativePathsWarn(t *testing.T) {
	unknown := open("/w/f", "read_file")
	unknown.Unknown = []string{"frobnicate"}
	netOnPath := open("/w/g", "read_file")
	netOnPath.Net = policy.NetBindTCP
	fsOnPort := port(443, "connect_tcp")
	fsOnPort.FS = policy.FSExecute
	obs := cat(unknown, netOnPath, fsOnPort, open("rel/f", "read_file"))
	p, rep := Minimize(obs, Options{})
	wantGrants(t, p, map[string]policy.FSAccess{"/w/f": acc("read_file"), "/w/g": acc("read_file")})
	w := strings.Join(rep.Warnings, "\n")
	for _, want := range []string{`"frobnicate" (1 time)`, `"bind_tcp" (1 time)`, `"execute" (1 time)`, "relative path"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings %q, want %s", rep.Warnings, want)
		}
	}
}

// One relative path: the warning reads as a sentence ("was", not "were").
func TestRelativePathWarning(t *testing.T) {
	_, rep := Minimize(cat(open("rel/x", "read_file")), Options{})
	want := "1 observation has a relative path and was ignored; paths must be resolved by the tracer"
	if !slices.Contains(rep.Warnings, want) {
		t.Errorf("warnings %q, want %q", rep.Warnings, want)
	}
}
