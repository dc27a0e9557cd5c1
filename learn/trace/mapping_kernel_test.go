package trace

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// The strongest check of a row: ask Landlock itself. kernelCheck runs
// the row's syscall again, in a fresh directory, on an OS thread that
// has restricted itself with a domain that handles every right of ABI 7
// and grants exactly the row's observations: it must succeed (the rights
// are sufficient). Then, for each right of each observation, it runs it
// once more without that one right: it must fail (each right is
// necessary). The thread is never unlocked, so Go ends it with its
// goroutine and the rest of the test process stays unconfined.

// abiForCheck is the ABI whose rights the check domain handles.
const abiForCheck = 7

// grant is one rule of a check domain. widened are rights added only so
// that a moved directory gains nothing at its destination (docs/design.md,
// rule 5: minimize widens the source side the same way).
type grant struct {
	path    string
	access  policy.FSAccess
	widened policy.FSAccess
	port    *uint16
	net     policy.NetAccess
}

// domainFor turns observations into rules: fs rights on their path (on
// the parent for a file the call creates), ports, and the scopes the
// observations need left off.
func domainFor(obs []learn.Observation) (grants []grant, scoped policy.ScopeSet) {
	scoped = policy.AllScopes(abiForCheck)
	for _, o := range obs {
		switch {
		case o.Warning != "":
		case o.Scope != "":
			s, _ := policy.ParseScopes([]string{o.Scope})
			scoped &^= s
		case o.Port != nil:
			grants = append(grants, grant{port: o.Port, net: o.Net})
		case o.Path != "":
			a := o.FS
			p := o.Path
			if o.Created && o.Type != learn.TypeDir {
				p = filepath.Dir(p)
			}
			grants = append(grants, grant{path: p, access: a})
		}
	}
	// A directory moved between two parents (remove_dir on its source
	// side) must have there every right its destination parent gives.
	if len(grants) == 2 && len(obs) == 2 && obs[0].Src != "" && grants[0].path != grants[1].path {
		for i, j := range []int{1, 0} {
			if grants[i].access&rRemoveDir != 0 {
				grants[i].widened = grants[j].access &^ grants[i].access
				grants[i].access |= grants[i].widened
			}
		}
	}
	return grants, scoped
}

// inherited reports whether a grant other than i, on i's path or an
// ancestor, gives bit: then i's own bit is redundant, not unneeded.
func inherited(grants []grant, i int, bit policy.FSAccess) bool {
	for j, g := range grants {
		if j != i && g.port == nil && g.access&bit != 0 &&
			(g.path == grants[i].path || strings.HasPrefix(grants[i].path, strings.TrimSuffix(g.path, "/")+"/")) {
			return true
		}
	}
	return false
}

// restricted makes c's syscall on a new OS thread under a domain made of
// grants, and returns its errno.
func restricted(t *testing.T, c *sysCall, grants []grant, scoped policy.ScopeSet) unix.Errno {
	t.Helper()
	return restrictedDo(t, grants, scoped, func() unix.Errno {
		_, errno := realSyscall(c, nil)
		return errno
	})
}

// restrictedDo runs do on a new OS thread restricted by grants.
func restrictedDo(t *testing.T, grants []grant, scoped policy.ScopeSet, do func() unix.Errno) unix.Errno {
	t.Helper()
	type result struct {
		errno unix.Errno
		err   error
	}
	ch := make(chan result)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with us
		attr := &ll.RulesetAttr{
			HandledAccessFS:  uint64(policy.AllFS(abiForCheck)),
			HandledAccessNet: uint64(policy.AllNet(abiForCheck)),
			Scoped:           uint64(policy.AllScopes(abiForCheck) & scoped),
		}
		rs, err := ll.LandlockCreateRuleset(attr, 0)
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer unix.Close(rs)
		for _, g := range grants {
			if g.port != nil && g.net != 0 {
				err = ll.LandlockAddNetPortRule(rs, &ll.NetPortAttr{AllowedAccess: uint64(g.net), Port: uint64(*g.port)}, 0)
			} else if g.access != 0 {
				fd, oerr := unix.Open(g.path, unix.O_PATH|unix.O_CLOEXEC, 0)
				if oerr != nil {
					ch <- result{err: oerr}
					return
				}
				err = ll.LandlockAddPathBeneathRule(rs, &ll.PathBeneathAttr{AllowedAccess: uint64(g.access), ParentFd: fd}, 0)
				unix.Close(fd)
			}
			if err != nil {
				ch <- result{err: err}
				return
			}
		}
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			ch <- result{err: err}
			return
		}
		if err := ll.LandlockRestrictSelf(rs, 0); err != nil {
			ch <- result{err: err}
			return
		}
		ch <- result{errno: do()}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatalf("building the check domain: %v", r.err)
	}
	return r.errno
}

// kernelCheck checks row r against Landlock (see above).
func kernelCheck(t *testing.T, r row) {
	t.Helper()
	testkit.RequireLandlock(t, abiForCheck)
	fresh := func() (*sysCall, []learn.Observation) {
		_, c := r.start(t)
		var obs []learn.Observation
		if p := prepareCall(c, &selfTracee{}); p != nil {
			obs = p.Finish(nil)
		}
		return c, obs
	}
	c, obs := fresh()
	grants, scoped := domainFor(obs)
	if errno := restricted(t, c, grants, scoped); errno != 0 {
		t.Fatalf("Landlock denies the call with exactly the observed rights (%s): %v", g(obs, ""), errno)
	}
	for i := range grants {
		all := uint64(grants[i].access) | uint64(grants[i].net)
		for bit := uint64(1); bit <= all; bit <<= 1 {
			fsBit := policy.FSAccess(bit)
			if all&bit == 0 || grants[i].widened&fsBit != 0 || (grants[i].port == nil && inherited(grants, i, fsBit)) {
				continue
			}
			c, obs := fresh()
			gs, sc := domainFor(obs)
			gs[i].access &^= fsBit
			gs[i].net &^= policy.NetAccess(bit)
			if errno := restricted(t, c, gs, sc); errno == 0 {
				right := fsBit.String()
				if gs[i].port != nil {
					right = policy.NetAccess(bit).String()
				}
				t.Errorf("right %v on %s%v is not needed: the call succeeds without it", right, gs[i].path, portStr(gs[i].port))
			}
		}
	}
	for _, s := range []policy.ScopeSet{policy.ScopeSignal, policy.ScopeAbstractUnixSocket} {
		if scoped&s != 0 {
			continue
		}
		c, obs := fresh()
		gs, sc := domainFor(obs)
		if errno := restricted(t, c, gs, sc|s); errno == 0 {
			t.Errorf("scope %s is not needed off: the call succeeds with it", s)
		}
	}
}

func portStr(p *uint16) string {
	if p == nil {
		return ""
	}
	return " port " + strconv.Itoa(int(*p))
}

// TestKernelCheckCatchesAMissingRight makes sure the check fails when
// a right is missing: a read with no rule at all is denied.
func TestKernelCheckCatchesAMissingRight(t *testing.T) {
	testkit.RequireLandlock(t, abiForCheck)
	d := t.TempDir()
	writeFile(t, d+"/f", "x", 0o644)
	c := call(unix.SYS_OPENAT, atFDCWD, cstr(d+"/f"), unix.O_RDONLY)
	if errno := restricted(t, c, nil, 0); errno != unix.EACCES {
		t.Fatalf("open without a rule: %v, want EACCES", errno)
	}
	if errno := restricted(t, c, []grant{{path: d + "/f", access: rReadFile}}, 0); errno != 0 {
		t.Fatalf("open with read_file: %v", errno)
	}
	if _, err := os.Stat(d); err != nil {
		t.Fatal(err)
	}
}

// TestKernelFdRights checks the rows whose right Landlock decides when an
// fd is opened (ftruncate, ioctl): the fd is opened inside the check
// domain, then used; the mapping's rights for both calls must suffice,
// and the use must fail without the use's right.
func TestKernelFdRights(t *testing.T) {
	testkit.RequireLandlock(t, abiForCheck)
	d, _ := filepath.EvalSymlinks(t.TempDir())
	writeFile(t, d+"/f", "xyz", 0o644)
	tests := []struct {
		name  string
		path  string
		flags int
		use   func(fd int) *sysCall
	}{
		{"ftruncate", d + "/f", unix.O_RDWR, func(fd int) *sysCall { return call(unix.SYS_FTRUNCATE, uint64(fd), 1) }},
		{"ioctl TCGETS", "/dev/ptmx", unix.O_RDWR | unix.O_NOCTTY, func(fd int) *sysCall {
			return call(unix.SYS_IOCTL, uint64(fd), unix.TCGETS, mem(make([]byte, 64)))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The mapping's view: the open, then the use of an fd the
			// program opened itself.
			open := call(unix.SYS_OPENAT, atFDCWD, cstr(tt.path), uint64(tt.flags|unix.O_CLOEXEC))
			obs := prepareCall(open, &selfTracee{}).Finish(nil)
			fd, err := unix.Open(tt.path, tt.flags|unix.O_CLOEXEC, 0)
			if err != nil {
				testkit.Skip(t, "%s: %v", tt.path, err)
			}
			useObs := prepareCall(tt.use(fd), &selfTracee{}).Finish(nil)
			unix.Close(fd)
			if len(useObs) != 1 {
				t.Fatalf("%s: observations %v", tt.name, useObs)
			}
			both, _ := domainFor(append(obs, useObs...))
			openOnly, _ := domainFor(obs)
			run := func(grants []grant) unix.Errno {
				return restrictedDo(t, grants, 0, func() unix.Errno {
					fd, err := unix.Open(tt.path, tt.flags|unix.O_CLOEXEC, 0)
					if err != nil {
						return err.(unix.Errno)
					}
					defer unix.Close(fd)
					_, errno := realSyscall(tt.use(fd), nil)
					return errno
				})
			}
			if errno := run(both); errno != 0 {
				t.Errorf("with %s and %s: %v", g(obs, ""), g(useObs, ""), errno)
			}
			if errno := run(openOnly); errno != unix.EACCES {
				t.Errorf("without %s: %v, want EACCES", g(useObs, ""), errno)
			}
		})
	}
}

// TestKernelExec checks the exec rows against Landlock: testdata's
// llexec builds a domain from the observed rights and execs the file.
// The observed execute+read_file on the binary and each interpreter must
// suffice, and each one must be necessary. For a dynamic binary, what
// ld.so opens afterwards is granted by read_file on "/", so only
// execute is checked there.
func TestKernelExec(t *testing.T) {
	testkit.RequireLandlock(t, abiForCheck)
	gcc := testkit.RequireProgram(t, "gcc")
	d, _ := filepath.EvalSymlinks(t.TempDir())
	build := func(out, src string, args ...string) {
		t.Helper()
		cmd := exec.Command(gcc, append(args, "-o", out, src)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			testkit.Skip(t, "gcc %s: %v\n%s", src, err, b)
		}
	}
	build(d+"/llexec", "../../testdata/trace/llexec.c")
	writeFile(t, d+"/s.c", "int main(void){return 0;}\n", 0o644)
	build(d+"/static", d+"/s.c", "-static")
	writeFile(t, d+"/bin/t", "#!"+d+"/static\n", 0o755)
	writeFile(t, d+"/bin/u", "#!"+d+"/bin/t\n", 0o755)

	llexec := func(grants []grant, argv ...string) int {
		args := []string{}
		for _, g := range grants {
			if g.access != 0 {
				args = append(args, strconv.FormatUint(uint64(g.access), 10)+":"+g.path)
			}
		}
		err := exec.Command(d+"/llexec", append(append(args, "--"), argv...)...).Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	}
	for _, tt := range []struct {
		name    string
		argv    []string
		readAll bool // grant read_file on / for ld.so's opens
	}{
		{"static binary", []string{d + "/static"}, false},
		{"#! script", []string{d + "/bin/t"}, false},
		{"nested #! script", []string{d + "/bin/u"}, false},
		{"dynamic ELF and its interpreter", []string{"/bin/sh", "-c", ":"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			obs := prepareCall(call(unix.SYS_EXECVE, cstr(tt.argv[0]), 0, 0), &selfTracee{}).Finish(nil)
			grants, _ := domainFor(obs)
			if tt.readAll {
				grants = append(grants, grant{path: "/", access: rReadFile})
			}
			if rc := llexec(grants, tt.argv...); rc != 0 {
				t.Fatalf("exec with exactly %s: exit %d", g(obs, ""), rc)
			}
			for i := range obs {
				for _, bit := range []policy.FSAccess{rExecute, rReadFile} {
					if tt.readAll && bit == rReadFile {
						continue
					}
					gs, _ := domainFor(obs)
					gs[i].access &^= bit
					if tt.readAll {
						gs = append(gs, grant{path: "/", access: rReadFile})
					}
					if rc := llexec(gs, tt.argv...); rc != 100+int(unix.EACCES) {
						t.Errorf("without %v on %s: exit %d, want EACCES (%d)", bit.Names(), gs[i].path, rc, 100+int(unix.EACCES))
					}
				}
			}
		})
	}
}

// TestKernelExecveCheck: execveat(AT_EXECVE_CHECK) opens the binary and
// nothing else; its one observation is enough for Landlock, and needed.
func TestKernelExecveCheck(t *testing.T) {
	testkit.RequireLandlock(t, abiForCheck)
	sh := resolved(t, "/bin/sh")
	c := call(unix.SYS_EXECVEAT, atFDCWD, cstr(sh), 0, 0, atExecveCheck)
	if _, errno := realSyscall(c, nil); errno == unix.EINVAL {
		testkit.Skip(t, "this kernel has no AT_EXECVE_CHECK (Linux 6.14)")
	} else if errno != 0 {
		t.Fatalf("AT_EXECVE_CHECK of %s: %v", sh, errno)
	}
	obs := prepareCall(c, &selfTracee{}).Finish(nil)
	if len(obs) != 1 || obs[0].Path != sh {
		t.Fatalf("observations %v, want %s alone", obs, sh)
	}
	grants, _ := domainFor(obs)
	if errno := restricted(t, c, grants, 0); errno != 0 {
		t.Errorf("with %s: %v", g(obs, ""), errno)
	}
	if errno := restricted(t, c, nil, 0); errno != unix.EACCES {
		t.Errorf("without it: %v, want EACCES", errno)
	}
}
