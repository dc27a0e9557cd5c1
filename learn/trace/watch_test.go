package trace

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/testkit"
)

// A watched thread's entry goes at the first check after it exits, and
// only then; a late event for a pidfd number reused since is ignored.
func TestWatchDropsExitedThread(t *testing.T) {
	c := newThreadCache()
	w := newWatcher(c)
	if w == nil {
		testkit.Skip(t, "no PIDFD_THREAD (Linux 6.9): threads are identified by stat")
	}
	defer w.close()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	e := c.watched(pid)
	if e == nil || e.pidfd < 0 {
		t.Fatalf("no watched entry for a live process: %+v", e)
	}
	e.exe = "/usr/bin/sleep"
	w.check()
	if got := c.watched(pid); got != e {
		t.Fatal("the entry of a live thread was dropped")
	}
	cmd.Process.Kill()
	cmd.Wait()
	w.check()
	c.mu.Lock()
	_, kept := c.m[pid]
	_, fdKept := c.byFD[int32(e.pidfd)]
	c.mu.Unlock()
	if kept || fdKept {
		t.Fatalf("the entry of an exited thread was kept (entry %v, pidfd %v)", kept, fdKept)
	}

	// A stale event: its serial is not the entry's.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer c.forgetAll()
	self := c.watched(unix.Gettid())
	if self == nil {
		t.Fatal("no entry for this thread")
	}
	c.exited(int32(self.pidfd), self.serial+1)
	if c.watched(unix.Gettid()) != self {
		t.Error("an event with another serial dropped the entry")
	}
}

// The cache of watched threads is bounded: past maxWatchedThreads the
// threads are identified by stat.
func TestWatchBounded(t *testing.T) {
	c := newThreadCache()
	w := newWatcher(c)
	if w == nil {
		testkit.Skip(t, "no PIDFD_THREAD (Linux 6.9)")
	}
	defer w.close()
	c.mu.Lock()
	for i := range maxWatchedThreads {
		c.byFD[int32(-2-i)] = &threadEntry{}
	}
	c.mu.Unlock()
	if e := c.watched(unix.Gettid()); e != nil {
		t.Errorf("a pidfd past the bound: %+v", e)
	}
}

// TestE2ETidReused: a thread opens a file and exits, and a new process
// gets its tid (ns_last_pid) and opens another. The new process's open
// must carry its own pid, not the thread group of the exited thread
// that its cached entry named.
func TestE2ETidReused(t *testing.T) {
	py := testkit.RequireProgram(t, "python3")
	testkit.RequireRoot(t, "writing ns_last_pid")
	d, _ := filepath.EvalSymlinks(t.TempDir())
	// Other processes on the machine may take the pid first: a few
	// tries. The child writes its pid in $D/got-PID when it got the
	// tid it wanted.
	script := `
import os, sys, threading
d = sys.argv[1]
for attempt in range(50):
    tid = []
    def run():
        tid.append(threading.get_native_id())
        os.close(os.open(os.path.join(d, "thread"), os.O_RDONLY | os.O_CREAT, 0o644))
    th = threading.Thread(target=run)
    th.start()
    th.join()
    want = tid[0]
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(want - 1))
    pid = os.fork()
    if pid == 0:
        if os.getpid() == want:
            os.close(os.open(os.path.join(d, "got-%d" % want), os.O_WRONLY | os.O_CREAT, 0o644))
        os._exit(0)
    os.waitpid(pid, 0)
    if pid == want:
        sys.exit(0)
sys.exit(3)
`
	rec, code := traceRun(t, d, false, py, "-c", script, d)
	if code == 3 {
		t.Skip("the tid was taken by another process 50 times in a row")
	}
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	found := false
	for _, o := range rec.obs {
		name := filepath.Base(o.Path)
		if filepath.Dir(o.Path) != d || !strings.HasPrefix(name, "got-") {
			continue
		}
		found = true
		if want, _ := strconv.Atoi(strings.TrimPrefix(name, "got-")); o.PID != want {
			t.Errorf("the open of %s by process %d is recorded with pid %d", name, want, o.PID)
		}
	}
	if !found {
		t.Fatalf("the child's open not seen:\n%s", rec.dump(d))
	}
}

// TestE2ECredsChange: a root program opens a file only root may read,
// then gives up its filesystem uid (setfsuid: /proc/TID's owner stays
// root) and opens another one. The second open fails with EACCES, so it
// needs no right: the cached credentials must not say root any more.
func TestE2ECredsChange(t *testing.T) {
	gcc := testkit.RequireProgram(t, "gcc")
	testkit.RequireRoot(t, "setfsuid from root")
	d, _ := filepath.EvalSymlinks(t.TempDir())
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(d, "t.c")
	writeFile(t, src, `#include <fcntl.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv) {
	if (open(argv[1], O_RDONLY) < 0) return 1;
	syscall(SYS_setfsuid, 65534);
	return open(argv[2], O_RDONLY) < 0 ? 0 : 2;
}
`, 0o644)
	bin := filepath.Join(d, "t")
	if out, err := exec.Command(gcc, "-O", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	writeFile(t, d+"/first", "x", 0o600)
	writeFile(t, d+"/second", "x", 0o600)
	// The default mode only: accurate mode sees the EACCES itself.
	rec, code := traceRun(t, d, false, bin, d+"/first", d+"/second")
	if code != 0 {
		t.Fatalf("exit %d (2: the second open succeeded, the fixture is wrong):\n%s", code, rec.dump(d))
	}
	contains(t, rec, d, `{"syscall":"openat","path":"$D/first","type":"file","access":["read_file"]}`)
	for _, l := range rec.lines(d) {
		if strings.Contains(l, "$D/second") {
			t.Errorf("an open refused by DAC after setfsuid was recorded: %s", l)
		}
	}
}

// A run leaves no descriptor of its watcher open: the pidfds of the
// threads it cached, the inotify instance, the mountinfo file, the
// epoll set.
func TestWatchRunLeavesNoFD(t *testing.T) {
	requireTracing(t)
	count := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}
	d := t.TempDir()
	writeFile(t, d+"/f", "x", 0o644)
	// sleep keeps a thread alive to the end of the tree: its entry,
	// with its pidfd, is still cached when the run ends.
	script := "for i in 1 2 3; do cat " + d + "/f; done >/dev/null; sleep 0.2 & cat " + d + "/f >/dev/null; wait"
	traceRun(t, d, false, "sh", "-c", script) // warm up what the runtime opens once
	before := count()
	traceRun(t, d, false, "sh", "-c", script)
	if after := count(); after != before {
		t.Errorf("%d descriptors open after a run, %d before", after, before)
	}
}
