package main

// The cross-host harness: a root of another Debian release, built by
// scripts/debian-root.sh and cached outside the repository, in which
// landlearn enforces a policy with chroot. A policy learned on this host
// must load and work there, and its canaries must stay denied there.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/landlearn/landlearn/internal/command"
	"github.com/landlearn/landlearn/internal/testkit"
)

// The root is built once per test binary; the script itself reuses a
// cached root and serializes builds across processes.
var crossRoot struct {
	once sync.Once
	path string
	err  error
}

// staticBin is landlearn built to run inside the root.
var staticBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// crossHostNeeds skips where the harness cannot run: besides what the
// end-to-end tests need (Landlock, root), it needs chroot, and unshare and
// mount to give the root its own /proc, /dev and /sys in a private mount
// namespace.
func crossHostNeeds(t *testing.T) {
	t.Helper()
	e2eNeeds(t)
	for _, p := range []string{"chroot", "unshare", "mount"} {
		testkit.RequireProgram(t, p)
	}
	if out, err := exec.Command("unshare", "--mount", "--propagation", "private", "true").CombinedOutput(); err != nil {
		testkit.Skip(t, "cannot make a private mount namespace for the chroot (needs CAP_SYS_ADMIN): %v\n%s", err, out)
	}
}

// debianRoot returns the root of Debian 13 (trixie) that
// scripts/debian-root.sh builds or reuses. A root that cannot be built
// fails the test, with the script's message: an unreachable mirror is a
// failure, never a skip.
func debianRoot(t *testing.T) string {
	t.Helper()
	crossHostNeeds(t)
	crossRoot.once.Do(func() {
		script, err := filepath.Abs("../../scripts/debian-root.sh")
		if err != nil {
			crossRoot.err = err
			return
		}
		cmd := exec.Command("bash", script, "trixie")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			crossRoot.err = fmt.Errorf("%s: %v\n%s", script, err, errb.String())
			return
		}
		crossRoot.path = strings.TrimSpace(out.String())
	})
	if crossRoot.err != nil {
		t.Fatalf("building the Debian root: %v", crossRoot.err)
	}
	return crossRoot.path
}

// staticLandlearn builds landlearn once with CGO_ENABLED=0 and returns its
// path. The default build links the host's libc dynamically (runtime/cgo,
// net, os/user and psx's C code); without cgo the binary is static and
// runs in a root of any release, and psx uses syscall.AllThreadsSyscall to
// restrict every thread.
func staticLandlearn(t *testing.T) string {
	t.Helper()
	staticBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "landlearn-static-")
		if err != nil {
			staticBin.err = err
			return
		}
		staticBin.dir = dir
		staticBin.path = filepath.Join(dir, "landlearn")
		cmd := exec.Command("go", "build", "-o", staticBin.path, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			staticBin.err = fmt.Errorf("CGO_ENABLED=0 go build: %v\n%s", err, out)
		}
	})
	if staticBin.err != nil {
		t.Fatalf("building landlearn for the root: %v", staticBin.err)
	}
	return staticBin.path
}

// removeStaticBinary is TestMain's clean-up.
func removeStaticBinary() {
	if staticBin.dir != "" {
		os.RemoveAll(staticBin.dir)
	}
}

// chrootBox is one test's scratch space inside the root, outside its
// /tmp, as a checkout would be (a policy may grant ${TMPDIR}: gcc's
// temporary files):
//
//	/srv/landlearn-crosshost-XXXX/        Dir
//	    bin/landlearn                     Landlearn, the static build
//	    home/                             HOME
//	    work/                             Work, the working directory
//
// Paths in its fields are as the chroot sees them; Host maps them to this
// host's view. The scratch directory is removed when the test ends.
type chrootBox struct {
	Root      string // the root, on the host
	Dir       string
	Work      string
	Home      string
	Landlearn string
}

// newChrootBox makes a scratch space in the root and copies the static
// landlearn into it.
func newChrootBox(t *testing.T) *chrootBox {
	t.Helper()
	root := debianRoot(t)
	bin := staticLandlearn(t)
	hostDir, err := os.MkdirTemp(filepath.Join(root, "srv"), "landlearn-crosshost-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(hostDir) })
	if err := os.Chmod(hostDir, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := "/" + strings.TrimPrefix(hostDir[len(root):], "/")
	b := &chrootBox{
		Root:      root,
		Dir:       dir,
		Work:      dir + "/work",
		Home:      dir + "/home",
		Landlearn: dir + "/bin/landlearn",
	}
	for _, d := range []string{b.Work, b.Home, dir + "/bin"} {
		if err := os.Mkdir(b.Host(d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, bin, b.Host(b.Landlearn), 0o755)
	return b
}

// Host is where path, as the chroot sees it, is on this host.
func (b *chrootBox) Host(path string) string {
	return filepath.Join(b.Root, path)
}

// WriteFiles writes files (relative path: content) beneath dir, a path
// inside the root.
func (b *chrootBox) WriteFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	writeTree(t, b.Host(dir), files)
}

// writeTree writes files (relative path: content) beneath dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// Env is the environment of every program run in the box: e2eEnv's, with
// the box's HOME.
func (b *chrootBox) Env() []string {
	return e2eEnv(b.Home)
}

// chrootScript runs, in a private mount namespace (nothing it mounts is
// seen outside it, and all of it goes when the last process ends), the
// command in $@ chrooted to $3 with $4 as working directory; $1 and $2 are
// mount and chroot, found on this host's PATH (the box's PATH has no
// sbin). The root gets this host's /dev and /sys and a /proc of its own,
// as a booted system would have; /run/lock is this host's, so that
// landlearn's audit lock and user count are shared with landlearn
// processes outside the root.
const chrootScript = `set -e
mount=$1 chroot=$2 r=$3 d=$4
shift 4
"$mount" -t proc proc "$r/proc"
"$mount" --rbind /dev "$r/dev"
"$mount" --rbind /sys "$r/sys"
"$mount" --bind /run/lock "$r/run/lock"
exec "$chroot" "$r" /bin/sh -c 'cd "$0" && exec "$@"' "$d" "$@"
`

// Run runs argv inside the root, in dir (a path inside the root), with the
// box's environment and stdin from /dev/null. A process killed by signal
// N ends with 128+N.
func (b *chrootBox) Run(t *testing.T, dir string, argv ...string) cliResult {
	t.Helper()
	var tools []string
	for _, name := range []string{"unshare", "mount", "chroot"} {
		p, err := exec.LookPath(name)
		if err != nil {
			t.Fatal(err)
		}
		tools = append(tools, p)
	}
	args := append([]string{"--mount", "--propagation", "private", "--", "/bin/sh", "-c", chrootScript, "sh", tools[1], tools[2], b.Root, dir}, argv...)
	cmd := exec.Command(tools[0], args...)
	cmd.Env = b.Env()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("chroot %s %v: %v", b.Root, argv, err)
	}
	return cliResult{out.String(), errb.String(), command.ExitCode(cmd.ProcessState)}
}

// RunLandlearn runs the box's landlearn with args inside the root, in dir.
func (b *chrootBox) RunLandlearn(t *testing.T, dir string, args ...string) cliResult {
	t.Helper()
	return b.Run(t, dir, append([]string{b.Landlearn}, args...)...)
}
