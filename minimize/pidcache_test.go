package minimize

import (
	"testing"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// The Builder generalizes an observed path once, and again for another
// pid only where the answer can depend on it: in /proc, and for a name
// holding a number in a runtime directory (/tmp/app.4321.lock is a pid
// name for pid 4321 only). Whatever the order, each process's accesses
// land where generalize puts them for that process.
func TestGeneralizeAgainForAnotherPid(t *testing.T) {
	lock, lib := "/tmp/app.4321.lock", "/usr/lib/lib4321.so"
	mine := pidOpen(4321, lock, "read_file")
	other := pidOpen(999, lock, "write_file")
	libMine, libOther := pidOpen(4321, lib, "read_file"), pidOpen(999, lib, "execute")
	// pid 4321 makes its lock: /tmp stands for it; pid 999 makes one that
	// holds another's pid: that file is created during the run.
	mkMine := learn.Observation{Syscall: "openat", PID: 4321, Exe: "/usr/bin/app", Path: "/tmp", Type: learn.TypeDir,
		FS: policy.FSMakeReg, Created: true, Dst: lock}
	mkOther := mkMine
	mkOther.PID = 999
	want := map[string]policy.FSAccess{
		"/tmp": acc("read_file", "write_file", "make_reg"),
		lib:    acc("read_file", "execute"),
	}
	for _, order := range [][]learn.Observation{
		{pidOpen(100, "/usr/bin/app", "read_file"), mine, other, mine, libMine, libOther, libMine, mkMine, mkOther},
		{pidOpen(100, "/usr/bin/app", "read_file"), other, mine, other, libOther, libMine, libOther, mkOther, mkMine},
		{pidOpen(100, "/usr/bin/app", "read_file"), mkOther, mkMine, other, mine, libOther, libMine},
	} {
		p, _ := Minimize(order, Options{})
		want["/usr/bin/app"] = acc("read_file")
		wantGrants(t, p, want)
	}
	// Without the make, pid 999 writes the file that holds pid 4321: the
	// next run's name holds another pid for both, so both stand for /tmp.
	p, _ := Minimize([]learn.Observation{mine, other, mine}, Options{})
	wantGrants(t, p, map[string]policy.FSAccess{"/tmp": acc("read_file", "write_file")})
	// A name that holds no process's pid stays a file rule.
	plain := pidOpen(999, "/tmp/app.lock", "write_file")
	p, _ = Minimize([]learn.Observation{mine, plain}, Options{})
	wantGrants(t, p, map[string]policy.FSAccess{"/tmp": acc("read_file"), "/tmp/app.lock": acc("write_file")})
}
