package trace

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/learn"
)

// End-to-end rows: the real tracer (trace.Run) with the real table, on
// programs, for what the unit rows cannot reach: a whole shell pipeline,
// threads and children of the traced tree, accurate mode's real results.

type e2eRecorder struct {
	mu  sync.Mutex
	obs []learn.Observation
}

func (r *e2eRecorder) Record(o learn.Observation) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.obs = append(r.obs, o)
	return nil
}

// lines renders the observations whose path is under one of dirs (or
// that have no path), sorted, with dirs[0] as $D.
func (r *e2eRecorder) lines(d string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, o := range r.obs {
		out = append(out, strings.TrimSpace(render([]learn.Observation{o}, d)))
	}
	return out
}

func (r *e2eRecorder) dump(d string) string { return strings.Join(r.lines(d), "\n") }

// traceRun runs argv in dir under the real tracer and mapping.
func traceRun(t *testing.T, dir string, accurate bool, argv ...string) (*e2eRecorder, int) {
	t.Helper()
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		testkit.Skip(t, "no /proc: the tracer needs it")
	}
	if err := unix.Prctl(unix.PR_GET_SECCOMP, 0, 0, 0, 0); err == unix.EINVAL {
		testkit.Skip(t, "kernel without seccomp")
	}
	rec := &e2eRecorder{}
	res, err := Run(context.Background(), argv, Options{Dir: dir, Accurate: accurate,
		Warnf: func(f string, a ...any) { t.Logf("warning: "+f, a...) }}, rec)
	if err != nil {
		t.Fatalf("run %q: %v", argv, err)
	}
	if testing.Verbose() {
		t.Logf("observations:\n%s", rec.dump(dir))
	}
	return rec, res.ExitCode
}

// fixture compiles testdata/trace/fixture.c.
func fixture(t *testing.T) string {
	t.Helper()
	gcc := testkit.RequireProgram(t, "gcc")
	bin := filepath.Join(t.TempDir(), "fixture")
	if out, err := exec.Command(gcc, "-O", "-pthread", "-o", bin, "../../testdata/trace/fixture.c").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

func contains(t *testing.T, rec *e2eRecorder, d string, want ...string) {
	t.Helper()
	got := rec.lines(d)
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing %s in:\n%s", w, rec.dump(d))
		}
	}
}

// TestE2EIssueScenario is the "done when": a shell that makes a
// directory, writes a file in it, moves it out and reads /etc/hostname.
func TestE2EIssueScenario(t *testing.T) {
	for _, accurate := range []bool{false, true} {
		t.Run("accurate="+strconv.FormatBool(accurate), func(t *testing.T) {
			d, _ := filepath.EvalSymlinks(t.TempDir())
			rec, code := traceRun(t, d, accurate, "sh", "-c", "mkdir d; echo x > d/f; mv d/f g; cat /etc/hostname >/dev/null")
			if code != 0 {
				t.Fatalf("exit %d", code)
			}
			mv, _ := exec.LookPath("mv")
			mv, _ = filepath.EvalSymlinks(mv)
			ld := realInterp(t, mv)
			contains(t, rec, d,
				`{"syscall":"mkdir","path":"$D","type":"dir","access":["make_dir"],"created":true,"dst":"$D/d"}`,
				`{"syscall":"openat","path":"$D/d","type":"dir","access":["make_reg"],"created":true,"dst":"$D/d/f"}`,
				`{"syscall":"openat","path":"$D/d/f","type":"file","access":["write_file"],"created":true}`,
				`{"syscall":"renameat2","path":"$D/d","type":"dir","access":["remove_file","refer"],"src":"$D/d/f","dst":"$D/g"}`,
				`{"syscall":"renameat2","path":"$D","type":"dir","access":["make_reg","refer"],"src":"$D/d/f","dst":"$D/g"}`,
				`{"syscall":"openat","path":"/etc/hostname","type":"file","access":["read_file"]}`,
				`{"syscall":"execve","path":"`+mv+`","type":"file","access":["execute","read_file"]}`,
				`{"syscall":"execve","path":"`+ld+`","type":"file","access":["execute","read_file"]}`,
			)
			for _, l := range rec.lines(d) {
				if strings.Contains(l, `"/etc/hostname"`) && !strings.Contains(l, `"access":["read_file"]`) {
					t.Errorf("/etc/hostname needs only read_file: %s", l)
				}
			}
		})
	}
}

// TestE2ESignals: signals inside the tree (threads, the process itself,
// a child) need nothing; a signal to a process outside needs the scope.
func TestE2ESignals(t *testing.T) {
	fx := fixture(t)
	out := outsider(t, nil).Process.Pid
	d, _ := filepath.EvalSymlinks(t.TempDir())
	rec, code := traceRun(t, d, false, fx, "selfsignal", "childkill", "kill", strconv.Itoa(out))
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, rec.dump(d))
	}
	var scopes []string
	for _, l := range rec.lines(d) {
		if strings.Contains(l, `"scope"`) {
			scopes = append(scopes, l)
		}
	}
	want := []string{`{"syscall":"kill","scope":"signal","target":` + strconv.Itoa(out) + `}`}
	if !slices.Equal(scopes, want) {
		t.Errorf("scopes %q, want %q", scopes, want)
	}
}

// TestE2ENetAndFiles: TCP bind and connect from a C program (IPPROTO_TCP),
// RENAME_EXCHANGE and O_TMPFILE through glibc, in both modes.
func TestE2ENetAndFiles(t *testing.T) {
	fx := fixture(t)
	for _, accurate := range []bool{false, true} {
		t.Run("accurate="+strconv.FormatBool(accurate), func(t *testing.T) {
			d, _ := filepath.EvalSymlinks(t.TempDir())
			writeFile(t, d+"/a/x", "x", 0o644)
			mkdir(t, d+"/b/y")
			rec, code := traceRun(t, d, accurate, fx, "bind", "0", "connect", "1", "exchange", "a/x", "b/y", "tmpfile", ".")
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, rec.dump(d))
			}
			contains(t, rec, d,
				`{"syscall":"bind","access":["bind_tcp"],"port":0}`,
				`{"syscall":"connect","access":["connect_tcp"],"port":1}`,
				`{"syscall":"renameat2","path":"$D/a","type":"dir","access":["remove_file","make_dir","refer"],"src":"$D/a/x","dst":"$D/b/y"}`,
				`{"syscall":"renameat2","path":"$D/b","type":"dir","access":["remove_dir","make_reg","refer"],"src":"$D/a/x","dst":"$D/b/y"}`,
				`{"syscall":"openat","path":"$D","type":"dir","access":["write_file","read_file"]}`,
			)
		})
	}
}

// TestE2EAccurateFailures: in accurate mode a call that fails needs
// nothing even where the prediction could not tell (a busy port).
func TestE2EAccurateFailures(t *testing.T) {
	fx := fixture(t)
	ln := tcpListener(t)
	d, _ := filepath.EvalSymlinks(t.TempDir())
	rec, code := traceRun(t, d, true, fx, "bind", strconv.Itoa(int(ln)))
	if code != 2 {
		t.Fatalf("binding a busy port: exit %d", code)
	}
	for _, l := range rec.lines(d) {
		if strings.Contains(l, "bind_tcp") {
			t.Errorf("a failed bind kept its right: %s", l)
		}
	}
}

// TestE2EInheritedTerminal: isatty() on the terminal the learner hands
// to the target was opened before any sandbox and needs nothing; the
// same test on a terminal the target opens itself needs ioctl_dev.
func TestE2EInheritedTerminal(t *testing.T) {
	tty, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		testkit.Skip(t, "no /dev/ptmx: %v", err)
	}
	defer tty.Close()
	d, _ := filepath.EvalSymlinks(t.TempDir())
	rec := &e2eRecorder{}
	res, err := Run(context.Background(), []string{"sh", "-c", "test -t 0 && exec 3<>/dev/ptmx && test -t 3"},
		Options{Dir: d, Stdin: tty}, rec)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("exit %d:\n%s", res.ExitCode, rec.dump(d))
	}
	var ioctls []string
	for _, l := range rec.lines(d) {
		if strings.Contains(l, "ioctl_dev") {
			ioctls = append(ioctls, l)
		}
	}
	want := []string{`{"syscall":"ioctl","path":"/dev/ptmx","type":"char","access":["ioctl_dev"]}`}
	if !slices.Equal(ioctls, want) {
		t.Errorf("ioctl_dev lines %q, want only the target's own terminal %q", ioctls, want)
	}
}

// TestE2EPythonSockets: a Python program (through the machine's pyenv
// shim, a bash script run by env) binds an MPTCP socket, a pathname unix
// socket, and connects to an abstract socket another process serves.
func TestE2EPythonSockets(t *testing.T) {
	py := testkit.RequireProgram(t, "python3")
	srvName := "landlearn-e2e-" + strconv.Itoa(os.Getpid())
	fd := abstractServer(t, srvName)
	f := os.NewFile(uintptr(fd), "srv")
	outsider(t, f)
	f.Close()
	d, _ := filepath.EvalSymlinks(t.TempDir())
	script := `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
s.bind(("127.0.0.1", 0))
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
u.bind("sock")
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.connect("\0` + srvName + `")
`
	rec, code := traceRun(t, d, false, py, "-c", script)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, rec.dump(d))
	}
	contains(t, rec, d,
		`{"syscall":"bind","warning":"bind: port 0 on an MPTCP socket, which Landlock does not restrict on this kernel (erratum 1); create the socket with IPPROTO_TCP (Go: net.Dialer/ListenConfig.SetMultipathTCP(false)) to have it sandboxed"}`,
		`{"syscall":"bind","path":"$D","type":"dir","access":["make_sock"],"created":true,"dst":"$D/sock"}`,
		`{"syscall":"connect","scope":"abstract_unix_socket","target":"@`+srvName+`"}`,
	)
	for _, l := range rec.lines(d) {
		if strings.Contains(l, "bind_tcp") {
			t.Errorf("an MPTCP bind gave a right: %s", l)
		}
	}
}

// TestE2EPredictionMatchesAccurate runs one busy shell session twice,
// predicted (default mode) and with real results (accurate mode), as
// root and as an unprivileged user, and wants the same observations:
// creates, links, renames, a compiler run, calls that fail on EEXIST,
// ENOENT, EACCES (DAC), ELOOP, EINVAL, ENOTEMPTY, EPERM (a sticky
// directory, protected hard links, mknod), signals to init.
func TestE2EPredictionMatchesAccurate(t *testing.T) {
	testkit.RequireProgram(t, "gcc")
	setpriv := testkit.RequireProgram(t, "setpriv")
	testkit.RequireRoot(t, "setpriv runs the session as another user")
	const session = `set +e
mkdir a b; echo x > a/f; ln a/f b/g; ln -s f a/l; cat a/l >/dev/null; mv a/f a/h; mv a/h b/; rm a/l
mkdir a 2>/dev/null; rm -f nothere; cat nothere 2>/dev/null; rmdir b 2>/dev/null; rmdir a
printf 'int main(void){return 0;}\n' > m.c; gcc -o m m.c; ./m; truncate -s 0 m.c; : > m.c
cp m m2; chmod 000 m2; ./m2 2>/dev/null; touch t; mv -T t t2; tar cf x.tar m.c t2; tar xf x.tar -C b
find . -type f >/dev/null; ls -la >/dev/null; mkfifo p; rm p; mkdir -p s; chmod 1777 s; touch s/mine
cat ro/secret 2>/dev/null; echo x > ro/new 2>/dev/null; mkdir ro/x 2>/dev/null; ls ro/sub >/dev/null 2>&1
cat /etc/shadow 2>/dev/null; ls /proc/1/fd >/dev/null 2>&1; kill -0 1 2>/dev/null
ln -s loop1 loop2; ln -s loop2 loop1; cat loop1 2>/dev/null; mkdir -p e/f; mv e/f e/f/g 2>/dev/null
mkdir x y; touch y/z; mv -T x y 2>/dev/null; rm -f st/rootfile 2>/dev/null; mv st/rootfile st/other 2>/dev/null
truncate -s 0 ro/secret 2>/dev/null; ln ro/secret mylink 2>/dev/null; mknod c c 1 3 2>/dev/null
ln -s /nonexistent/dir/f dangling; echo x > dangling 2>/dev/null; ln -s m.c sl; echo y >> sl; cat ./sl/ 2>/dev/null
exec 3>trunc-me; exec 3>&-; : > trunc-me; cat < /proc/self/fd/0 >/dev/null; true`
	norm := regexp.MustCompile(`cc[A-Za-z0-9]{6}\.[a-z]+|/proc/[0-9]+/`)
	for _, as := range []string{"root", "user"} {
		t.Run(as, func(t *testing.T) {
			d, _ := filepath.EvalSymlinks(t.TempDir())
			os.Chmod(d, 0o755)
			var sets [2][]string
			for i, accurate := range []bool{false, true} {
				w := filepath.Join(d, strconv.FormatBool(accurate))
				mkdir(t, w)
				os.Chmod(w, 0o777)
				// ro: root's, closed to others (the user's EACCES cases).
				writeFile(t, w+"/ro/secret", "s", 0o600)
				mkdir(t, w+"/ro/sub")
				os.Chmod(w+"/ro/sub", 0o700)
				writeFile(t, w+"/st/rootfile", "r", 0o644)
				os.Chmod(w+"/st", 0o1777)
				argv := []string{"sh", "-c", session}
				if as == "user" {
					argv = append([]string{setpriv, "--reuid=4242", "--regid=4242", "--clear-groups"}, argv...)
				}
				rec, _ := traceRun(t, w, accurate, argv...)
				seen := map[string]bool{}
				for _, l := range rec.lines(w) {
					if l = norm.ReplaceAllString(l, "X"); !seen[l] {
						seen[l] = true
						sets[i] = append(sets[i], l)
					}
				}
				sort.Strings(sets[i])
			}
			for _, l := range sets[0] {
				if _, ok := slices.BinarySearch(sets[1], l); !ok {
					t.Errorf("predicted, not in accurate mode: %s", l)
				}
			}
			for _, l := range sets[1] {
				if _, ok := slices.BinarySearch(sets[0], l); !ok {
					t.Errorf("in accurate mode, not predicted: %s", l)
				}
			}
			if len(sets[0]) < 50 {
				t.Errorf("only %d observations: the session did not run", len(sets[0]))
			}
		})
	}
}

// TestE2EDirCacheFollowsRenames: a directory the tracer has cached
// (dircache.go) is moved away and a symlink put in its place by the
// traced program itself; the file read through the symlink must be
// learned where it really is, in both modes.
func TestE2EDirCacheFollowsRenames(t *testing.T) {
	for _, accurate := range []bool{false, true} {
		t.Run("accurate="+strconv.FormatBool(accurate), func(t *testing.T) {
			d, _ := filepath.EvalSymlinks(t.TempDir())
			writeFile(t, d+"/a/b/f", "x", 0o644)
			writeFile(t, d+"/elsewhere/g", "y", 0o644)
			script := `cat "$1/a/b/f" >/dev/null && mv "$1/a/b" "$1/a/old" && ln -s "$1/elsewhere" "$1/a/b" && cat "$1/a/b/g" >/dev/null && rm "$1/a/b" && mkdir "$1/a/b" && touch "$1/a/b/f"`
			rec, code := traceRun(t, d, accurate, "sh", "-c", script, "sh", d)
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, rec.dump(d))
			}
			contains(t, rec, d,
				`{"syscall":"openat","path":"$D/a/b/f","type":"file","access":["read_file"]}`,
				`{"syscall":"openat","path":"$D/elsewhere/g","type":"file","access":["read_file"]}`,
				`{"syscall":"openat","path":"$D/a/b","type":"dir","access":["make_reg"],"created":true,"dst":"$D/a/b/f"}`,
			)
			for _, l := range rec.lines(d) {
				if strings.Contains(l, `"$D/a/b/g"`) {
					t.Errorf("learned through the symlink's name: %s", l)
				}
			}
		})
	}
}

// TestE2ESymlinkedDirReplaced: the tracer remembers where a directory
// reached through a symlink leads (dircache.go). The traced program
// removes the symlink with unlink(2) (not unlinkat) and makes a real
// directory in its place: a file read there must be learned there, not
// under the old symlink's target.
func TestE2ESymlinkedDirReplaced(t *testing.T) {
	python := testkit.RequireProgram(t, "python3")
	for _, accurate := range []bool{false, true} {
		t.Run("accurate="+strconv.FormatBool(accurate), func(t *testing.T) {
			d, _ := filepath.EvalSymlinks(t.TempDir())
			writeFile(t, d+"/elsewhere/g", "y", 0o644)
			if err := os.Symlink(d+"/elsewhere", d+"/l"); err != nil {
				t.Fatal(err)
			}
			script := `import os, sys
d = sys.argv[1]
open(d + "/l/g").read()
open(d + "/l/g").read()
os.unlink(d + "/l")
os.mkdir(d + "/l")
os.close(os.open(d + "/l/g", os.O_WRONLY | os.O_CREAT, 0o644))
open(d + "/l/g").read()
`
			rec, code := traceRun(t, d, accurate, python, "-S", "-c", script, d)
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, rec.dump(d))
			}
			contains(t, rec, d,
				`{"syscall":"openat","path":"$D/elsewhere/g","type":"file","access":["read_file"]}`,
				`{"syscall":"openat","path":"$D/l/g","type":"file","access":["read_file"]}`,
			)
		})
	}
}

// TestE2EExecAfterChroot: chroot(1) opens its libraries (the tracer
// caches its root, "/"), calls chroot(2) and execs a program inside the
// new root. The exec'd path must be resolved in the new root, in both
// modes: an exec drops the caller's cached facts before it is mapped.
func TestE2EExecAfterChroot(t *testing.T) {
	gcc := testkit.RequireProgram(t, "gcc")
	chroot := testkit.RequireProgram(t, "chroot")
	testkit.RequireRoot(t, "chroot(2)")
	d, _ := filepath.EvalSymlinks(t.TempDir())
	src := filepath.Join(d, "t.c")
	writeFile(t, src, "int main(void) { return 0; }\n", 0o644)
	mkdir(t, d+"/root/bin")
	if out, err := exec.Command(gcc, "-static", "-O", "-o", d+"/root/bin/t", src).CombinedOutput(); err != nil {
		testkit.Skip(t, "gcc -static: %v\n%s", err, out)
	}
	for _, accurate := range []bool{false, true} {
		t.Run("accurate="+strconv.FormatBool(accurate), func(t *testing.T) {
			rec, code := traceRun(t, d, accurate, chroot, d+"/root", "/bin/t")
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, rec.dump(d))
			}
			contains(t, rec, d, `{"syscall":"execve","path":"$D/root/bin/t","type":"file","access":["execute","read_file"]}`)
		})
	}
}
