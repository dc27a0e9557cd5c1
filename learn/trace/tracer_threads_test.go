package trace

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/internal/testkit"
)

// threadsFixture is a Go program whose threads each open their own
// file, then one thread that is not the group leader execs cat: the
// kernel turns the exec'ing thread into the leader and kills the others.
const threadsFixture = `package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
)

func init() { runtime.LockOSThread() } // main stays on the leader thread

func main() {
	dir := os.Args[1]
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // a thread of its own: not the leader
			if f, err := os.Open(fmt.Sprintf("%s/t%d", dir, i)); err == nil {
				f.Close()
			}
		}()
	}
	wg.Wait()
	done := make(chan error)
	go func() {
		runtime.LockOSThread()
		done <- syscall.Exec("/bin/cat", []string{"cat", dir + "/last"}, nil)
	}()
	fmt.Fprintln(os.Stderr, <-done)
	os.Exit(9)
}
`

// buildGo compiles a one-file Go program into dir.
func buildGo(t *testing.T, dir, src, goarch string) string {
	t.Helper()
	testkit.RequireProgram(t, "go")
	srcPath := filepath.Join(dir, "main.go")
	if err := os.WriteFile(srcPath, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "fixture-"+goarch)
	cmd := exec.Command("go", "build", "-o", bin, srcPath)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GO111MODULE=off", "CGO_ENABLED=0", "GOARCH="+goarch)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build fixture: %v\n%s", err, out)
	}
	return bin
}

func TestRunThreadsAndExecFromThread(t *testing.T) {
	requireTracing(t)
	dir := t.TempDir()
	bin := buildGo(t, dir, threadsFixture, "amd64")
	for _, n := range []string{"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "last"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, accurate := range []bool{false, true} {
		t.Run(fmt.Sprintf("accurate=%v", accurate), func(t *testing.T) {
			testThreads(t, dir, bin, accurate)
		})
	}
}

func testThreads(t *testing.T, dir, bin string, accurate bool) {
	res, rec := runTest(t, Options{Dir: dir, Stdout: io.Discard, Accurate: accurate}, bin, dir)
	if res.ExitCode != 0 {
		t.Fatalf("exit code %d, want 0 (cat's)", res.ExitCode)
	}
	pids := map[int]bool{}
	for i := range 8 {
		p := filepath.Join(dir, fmt.Sprintf("t%d", i))
		for _, o := range rec.all() {
			if o.Path == p {
				pids[o.PID] = true
			}
		}
		if !rec.has("openat", p) {
			t.Errorf("thread %d's open of %s not seen", i, p)
		}
	}
	if len(pids) != 1 {
		t.Errorf("the threads' opens carry pids %v, want one: the thread group", pids)
	}
	if !rec.has("execve", "/bin/cat") {
		t.Errorf("the exec from a thread not seen")
	}
	if p := filepath.Join(dir, "last"); !rec.has("openat", p) {
		t.Errorf("cat's open of %s after the exec from a thread not seen:\n%s", p, rec.dump())
	}
}

// filterFixtureC makes, without libc, calls the filter must stop and
// calls it must let through by their arguments, in the ABI given by
// SYS (a macro: "int $0x80" for i386, "syscall" for x86_64) and the
// numbers NR_*.
const filterFixtureC = `
static long sys(long nr, long a, long b, long c) {
	long r;
#ifdef __i386__
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
#else
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
#endif
	return r;
}
void _start(void) {
	char buf[64];
	long fd = sys(NR_OPENAT, -100, (long)"target", 0);
	sys(NR_IOCTL, fd, 0x5451, 0);                          /* FIOCLEX: let through */
	sys(NR_IOCTL, fd, 0x5401, (long)buf);                  /* TCGETS: stopped */
	sys(NR_FCNTL, fd, 2, 0);                               /* F_SETFD: let through */
	sys(NR_FCNTL, fd, 8, sys(NR_GETPID, 0, 0, 0));         /* F_SETOWN: stopped */
	sys(NR_EXIT, fd < 0, 0, 0);
	for (;;) {}
}
`

// buildC compiles a freestanding C program with gcc.
func buildC(t *testing.T, dir, src string, flags ...string) string {
	t.Helper()
	testkit.RequireProgram(t, "gcc")
	srcPath := filepath.Join(dir, "fixture.c")
	if err := os.WriteFile(srcPath, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "fixture")
	args := append([]string{"-static", "-nostdlib", "-ffreestanding", "-O1", "-o", bin, srcPath}, flags...)
	if out, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc %v: %v\n%s", args, err, out)
	}
	return bin
}

// The filter stops the listed calls of both x86_64 and i386 programs,
// with each ABI's numbers, and looks at ioctl and fcntl commands.
func TestFilterArchesAndArguments(t *testing.T) {
	requireTracing(t)
	for _, abi := range []struct {
		name  string
		flags []string
	}{
		{"x86_64", []string{"-DNR_OPENAT=257", "-DNR_IOCTL=16", "-DNR_FCNTL=72", "-DNR_GETPID=39", "-DNR_EXIT=60"}},
		{"i386", []string{"-m32", "-DNR_OPENAT=295", "-DNR_IOCTL=54", "-DNR_FCNTL=221", "-DNR_GETPID=20", "-DNR_EXIT=1"}},
	} {
		t.Run(abi.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := buildC(t, dir, filterFixtureC, abi.flags...)
			target := filepath.Join(dir, "target")
			if err := os.WriteFile(target, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			res, rec := runTest(t, Options{Dir: dir}, bin)
			if res.ExitCode != 0 {
				t.Fatalf("exit code %d", res.ExitCode)
			}
			if !rec.has("openat", target) {
				t.Fatalf("open of %s not seen:\n%s", target, rec.dump())
			}
			count := map[string]int{}
			for _, o := range rec.all() {
				count[o.Syscall]++
			}
			if count["ioctl"] != 1 || count["fcntl"] != 1 {
				t.Errorf("stopped %d ioctl and %d fcntl calls, want 1 each (TCGETS, F_SETOWN):\n%s", count["ioctl"], count["fcntl"], rec.dump())
			}
		})
	}
}

// x32 calls are refused with ENOSYS, and said so once.
func TestFilterRefusesX32(t *testing.T) {
	requireTracing(t)
	dir := t.TempDir()
	bin := buildC(t, dir, filterFixtureC, "-DNR_OPENAT=0x40000101", "-DNR_IOCTL=16", "-DNR_FCNTL=72", "-DNR_GETPID=39", "-DNR_EXIT=60")
	var warnings []string
	res, rec := runTest(t, Options{Dir: dir, Warnf: func(f string, a ...any) { warnings = append(warnings, fmt.Sprintf(f, a...)) }}, bin)
	if res.ExitCode != 1 {
		t.Errorf("exit code %d, want 1 (the x32 openat failed)", res.ExitCode)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "x32") {
		t.Errorf("warnings %q, want one about x32", warnings)
	}
	if !rec.has("x32", "") {
		t.Errorf("no x32 warning observation:\n%s", rec.dump())
	}
}
