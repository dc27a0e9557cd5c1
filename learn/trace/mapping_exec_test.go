package trace

import (
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/testkit"
)

// execLine is the observation of one file execve opens.
func execLine(name, path string) string {
	return `{"syscall":"` + name + `","path":"` + path + `","type":"file","access":["execute","read_file"]}` + "\n"
}

// realInterp is the ELF interpreter of bin as debug/elf reads it, with
// symlinks resolved: an independent check of elf.go.
func realInterp(t *testing.T, bin string) string {
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
			r, err := filepath.EvalSymlinks(strings.TrimRight(string(b), "\x00"))
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
	}
	return ""
}

func resolved(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// execRow checks an execve row: the observations, then whether the
// kernel really runs the file (in a child, with /bin/true-like args).
func execRow(name, file string, wantRuns bool, want string) row {
	return row{name: name, noReal: true, call: func(t *testing.T, d string) *sysCall {
		f := strings.ReplaceAll(file, "$D", d)
		err := exec.Command(f).Run()
		var ee *exec.ExitError
		if runs := err == nil || errors.As(err, &ee); runs != wantRuns {
			t.Errorf("the kernel runs %s: %v (err %v), the row says %v", f, runs, err, wantRuns)
		}
		return call(unix.SYS_EXECVE, cstr(f), 0, 0)
	}, want: want}
}

func TestMappingExec(t *testing.T) {
	sh := resolved(t, "/bin/sh")
	ld := realInterp(t, sh)
	env := resolved(t, "/usr/bin/env")
	script := func(name, body string, mode os.FileMode) func(*testing.T, string) {
		return func(t *testing.T, d string) { writeFile(t, d+"/"+name, body, mode) }
	}
	chain := func(n int) func(*testing.T, string) {
		return func(t *testing.T, d string) {
			writeFile(t, d+"/s"+strconv.Itoa(n), "#!/bin/sh\nexit 0\n", 0o755)
			for i := n - 1; i >= 0; i-- {
				writeFile(t, d+"/s"+strconv.Itoa(i), "#!"+d+"/s"+strconv.Itoa(i+1)+"\n", 0o755)
			}
		}
	}
	chainWant := func(n int) string {
		var w string
		for i := 0; i <= n; i++ {
			w += execLine("execve", "$D/s"+strconv.Itoa(i))
		}
		return w + execLine("execve", sh) + execLine("execve", ld)
	}
	rows := []row{
		execRow("ELF through /bin symlinks", "/bin/sh", true, execLine("execve", sh)+execLine("execve", ld)),
		func() row {
			r := execRow("#! script", "$D/s", true, execLine("execve", "$D/s")+execLine("execve", sh)+execLine("execve", ld))
			r.setup = script("s", "#!/bin/sh\nexit 0\n", 0o755)
			return r
		}(),
		func() row {
			r := execRow("#!/usr/bin/env python3", "$D/s", true, execLine("execve", "$D/s")+execLine("execve", env)+execLine("execve", realInterp(t, env)))
			r.setup = script("s", "#!/usr/bin/env python3\nimport sys\n", 0o755)
			return r
		}(),
		func() row {
			r := execRow("#! with blanks and an argument", "$D/s", true, execLine("execve", "$D/s")+execLine("execve", sh)+execLine("execve", ld))
			r.setup = script("s", "#! \t/bin/sh -e  \nexit 0\n", 0o755)
			return r
		}(),
		func() row {
			r := execRow("nested #! up to the kernel's depth", "$D/s0", true, chainWant(4))
			r.setup = chain(4)
			return r
		}(),
		func() row {
			// The kernel opens /bin/sh for s5 before it gives up.
			r := execRow("nested #! beyond the kernel's depth is ELOOP", "$D/s0", false, strings.TrimSuffix(chainWant(5), execLine("execve", ld)))
			r.setup = chain(5)
			return r
		}(),
		func() row {
			r := execRow("a script without the x bit is EACCES", "$D/s", false, "")
			r.setup = script("s", "#!/bin/sh\n", 0o644)
			return r
		}(),
		func() row {
			// The script was opened (and checked) before its interpreter.
			r := execRow("a missing interpreter is ENOENT", "$D/s", false, execLine("execve", "$D/s"))
			r.setup = script("s", "#!/nonexistent/sh\n", 0o755)
			return r
		}(),
		func() row {
			r := execRow("#! without an interpreter is ENOEXEC", "$D/s", false, execLine("execve", "$D/s"))
			r.setup = script("s", "#!  \n", 0o755)
			return r
		}(),
		{name: "execve of a directory is EACCES", noReal: true, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_EXECVE, cstr(d), 0, 0)
		}},
		{name: "fexecve (execveat AT_EMPTY_PATH)", noReal: true, call: func(t *testing.T, d string) *sysCall {
			fd, err := unix.Open("/bin/sh", unix.O_PATH|unix.O_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(fd) })
			return call(unix.SYS_EXECVEAT, uint64(fd), cstr(""), 0, 0, unix.AT_EMPTY_PATH)
		}, want: execLine("execveat", sh) + execLine("execveat", ld)},
		{name: "execveat AT_SYMLINK_NOFOLLOW on a symlink is ELOOP", noReal: true, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_EXECVEAT, atFDCWD, cstr("/bin/sh"), 0, 0, unix.AT_SYMLINK_NOFOLLOW)
		}},
		{name: "execveat AT_EXECVE_CHECK opens the binary only", noReal: true, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_EXECVEAT, atFDCWD, cstr(sh), 0, 0, atExecveCheck)
		}, want: execLine("execveat", sh)},
		{name: "execveat relative to a dirfd", noReal: true, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_EXECVEAT, dirfd(t, "/usr/bin"), cstr("env"), 0, 0, 0)
		}, want: execLine("execveat", env) + execLine("execveat", realInterp(t, env))},
		{name: "a memfd binary needs rights only for its interpreter", noReal: true, call: func(t *testing.T, d string) *sysCall {
			fd, err := unix.MemfdCreate("bin", unix.MFD_CLOEXEC)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(fd) })
			b, err := os.ReadFile(sh)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := unix.Write(fd, b); err != nil {
				t.Fatal(err)
			}
			unix.Fchmod(fd, 0o755)
			return call(unix.SYS_EXECVEAT, uint64(fd), cstr(""), 0, 0, unix.AT_EMPTY_PATH)
		}, want: execLine("execveat", ld)},
	}
	if !binfmtMisc() {
		// ENOEXEC comes after the open: sh runs the file itself then,
		// which a policy without execute on it would stop (EACCES).
		r := execRow("no known format is ENOEXEC", "$D/s", false, execLine("execve", "$D/s"))
		r.setup = script("s", "echo hi\n", 0o755)
		rows = append(rows, r)
	}
	runRows(t, rows)
}

// TestMappingExecPyenvShim follows the chain of the machine's python3,
// which is a pyenv shim: a bash script run through env.
func TestMappingExecPyenvShim(t *testing.T) {
	py := testkit.RequireProgram(t, "python3")
	head := make([]byte, 256)
	f, err := os.Open(py)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := f.Read(head)
	f.Close()
	want := execLine("execve", resolved(t, py))
	cur := resolved(t, py)
	for {
		interp, ok, err := shebang(head[:k])
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		cur = resolved(t, interp)
		want += execLine("execve", cur)
		f, err := os.Open(cur)
		if err != nil {
			t.Fatal(err)
		}
		k, _ = f.Read(head)
		f.Close()
	}
	if ld := realInterp(t, cur); ld != "" {
		want += execLine("execve", ld)
	}
	runRows(t, []row{{name: py, noReal: true, call: func(t *testing.T, d string) *sysCall {
		return call(unix.SYS_EXECVE, cstr(py), 0, 0)
	}, want: want}})
	t.Logf("%s runs as:\n%s", py, want)
}

// TestMappingExecStatic: a static binary has no PT_INTERP, so only the
// binary itself is opened.
func TestMappingExecStatic(t *testing.T) {
	gcc := testkit.RequireProgram(t, "gcc")
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, d+"/s.c", "int main(void){return 0;}\n", 0o644)
	if out, err := exec.Command(gcc, "-static", "-o", d+"/s", d+"/s.c").CombinedOutput(); err != nil {
		testkit.Skip(t, "gcc -static does not work here: %v\n%s", err, out)
	}
	if err := exec.Command(d + "/s").Run(); err != nil {
		t.Fatal(err)
	}
	got := prepareCall(call(unix.SYS_EXECVE, cstr(d+"/s"), 0, 0), &selfTracee{}).Finish(nil)
	if g := render(got, d); g != execLine("execve", "$D/s") {
		t.Fatalf("got %s", g)
	}
}

// binfmtMisc reports whether any binfmt_misc entry is registered (and
// the facility enabled), so that an unknown format may still run.
func binfmtMisc() bool {
	ents, err := os.ReadDir("/proc/sys/fs/binfmt_misc")
	if err != nil {
		return false
	}
	if b, err := readProc("/proc/sys/fs/binfmt_misc/status"); err == nil && string(b) == "disabled\n" {
		return false
	}
	for _, e := range ents {
		if e.Name() != "register" && e.Name() != "status" {
			return true
		}
	}
	return false
}

// TestExecFailedKeeps: what accurate mode keeps of a failed exec of a
// #! script: the whole chain for the failures the prediction models, the
// script alone for those that come after its open but before its
// interpreter's (E2BIG, EFAULT on argv, ETXTBSY), nothing for those
// before any open (bad flags, RLIMIT_NPROC).
func TestExecFailedKeeps(t *testing.T) {
	d := t.TempDir()
	writeFile(t, d+"/s", "#!/bin/sh\nexit 0\n", 0o755)
	p := prepareCall(call(unix.SYS_EXECVE, cstr(d+"/s"), 0, 0), &selfTracee{})
	all := p.Finish(nil)
	if len(all) != 3 {
		t.Fatalf("the chain: %v", all)
	}
	for _, c := range []struct {
		errno unix.Errno
		keep  int
	}{{unix.ENOEXEC, 3}, {unix.ENOENT, 3}, {unix.ELOOP, 3}, {unix.E2BIG, 1}, {unix.EFAULT, 1}, {unix.ETXTBSY, 1}, {unix.EINVAL, 0}, {unix.EAGAIN, 0}} {
		got := p.Finish(&callResult{Ret: -int64(c.errno)})
		if len(got) != c.keep || c.keep > 0 && got[0].Path != d+"/s" {
			t.Errorf("%v: kept %v, want the first %d", c.errno, got, c.keep)
		}
	}
}
