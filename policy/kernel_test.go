package policy

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/testkit"
)

func createRuleset(attr ll.RulesetAttr) (int, error) {
	return ll.LandlockCreateRuleset(&attr, 0)
}

// TestRightsMatchKernel checks the rights table against the running
// kernel: every right of each ABI up to the kernel's is accepted in a
// ruleset, with the table's bit; every right of a later ABI is refused.
func TestRightsMatchKernel(t *testing.T) {
	abi := testkit.RequireLandlock(t, 1).ABI
	for _, r := range rights {
		var attr ll.RulesetAttr
		switch r.Kind {
		case KindFS:
			attr.HandledAccessFS = r.Bit
		case KindNet:
			attr.HandledAccessNet = r.Bit
		case KindScope:
			attr.Scoped = r.Bit
		}
		fd, err := createRuleset(attr)
		if err == nil {
			syscall.Close(fd)
		}
		switch {
		case r.ABI <= abi && err != nil:
			t.Errorf("%s (ABI %d, bit %#x): the ABI %d kernel refuses it: %v", r.Name, r.ABI, r.Bit, abi, err)
		case r.ABI > abi && !errors.Is(err, syscall.EINVAL):
			t.Errorf("%s (ABI %d, bit %#x): the ABI %d kernel should not know it, got %v", r.Name, r.ABI, r.Bit, abi, err)
		}
	}
	// What a policy of the kernel's ABI handles by default is accepted
	// as one ruleset.
	fd, err := createRuleset(ll.RulesetAttr{
		HandledAccessFS:  uint64(AllFS(abi)),
		HandledAccessNet: uint64(AllNet(abi)),
		Scoped:           uint64(AllScopes(abi)),
	})
	if err != nil {
		t.Errorf("everything of ABI %d: %v", abi, err)
	} else {
		syscall.Close(fd)
	}
}

// TestFileRightsMatchKernel checks OnFile and OnDir against the kernel,
// which refuses a directory-only right on a rule for a non-directory
// (the reason CheckFilesystem exists).
func TestFileRightsMatchKernel(t *testing.T) {
	abi := testkit.RequireLandlock(t, 1).ABI
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	all := AllFS(abi)
	fd, err := createRuleset(ll.RulesetAttr{HandledAccessFS: uint64(all)})
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	for _, target := range []string{file, dir, "/dev/null"} {
		pfd, err := unix.Open(target, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		isDir := target == dir
		for _, r := range rights {
			if r.Kind != KindFS || r.ABI > abi {
				continue
			}
			err := ll.LandlockAddPathBeneathRule(fd, &ll.PathBeneathAttr{AllowedAccess: r.Bit, ParentFd: pfd}, 0)
			ok := r.OnFile || isDir
			if ok && err != nil {
				t.Errorf("%s on %s: the kernel refuses it (%v) but the table allows it", r.Name, target, err)
			}
			if !ok && !errors.Is(err, syscall.EINVAL) {
				t.Errorf("%s on %s: want EINVAL as the table says it applies to directories only, got %v", r.Name, target, err)
			}
			if (DirOnlyRights()&FSAccess(r.Bit) != 0) == r.OnFile {
				t.Errorf("%s: DirOnlyRights and OnFile disagree", r.Name)
			}
		}
		unix.Close(pfd)
	}
}

// onRestrictedThread runs fn on an OS thread restricted by a Landlock
// domain that handles read_file and grants it nowhere. The thread is never
// unlocked, so it dies with the goroutine and the domain with it; the
// rest of the test process stays unrestricted.
func onRestrictedThread(t *testing.T, fn func()) {
	t.Helper()
	testkit.RequireLandlock(t, 1)
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			errc <- err
			return
		}
		fd, err := createRuleset(ll.RulesetAttr{HandledAccessFS: uint64(FSReadFile)})
		if err != nil {
			errc <- err
			return
		}
		defer syscall.Close(fd)
		if err := ll.LandlockRestrictSelf(fd, 0); err != nil {
			errc <- err
			return
		}
		fn()
		errc <- nil
	}()
	if err := <-errc; err != nil {
		t.Fatalf("Landlock: %v", err)
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.yaml")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte(designExample), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{dir, dir + ": is a directory, not a policy file; did you mean " + dir + "/landlock.yaml?"},
		{dir + "/", dir + "/: is a directory, not a policy file; did you mean " + dir + "/landlock.yaml?"},
		{empty, empty + `: is empty; a policy starts with "version: 1"`},
		{dir + "/nope.yaml", dir + "/nope.yaml: cannot read the policy: no such file or directory"},
	} {
		_, err := LoadFile(tc.path)
		var le *LoadError
		if !errors.As(err, &le) || le.File != tc.path || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("LoadFile(%s) = %v\nwant %s", tc.path, err, tc.want)
		}
	}
	if _, err := LoadFile(dir + "/nope.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: errors.Is(err, fs.ErrNotExist) is false for %v", err)
	}
	p, err := LoadFile(good)
	if err != nil || p.File != good {
		t.Errorf("LoadFile(good) = %v, %v", p, err)
	}

	// Unreadable: root reads any file, so let the kernel refuse it.
	onRestrictedThread(t, func() { _, err = LoadFile(good) })
	var le *LoadError
	if !errors.As(err, &le) || le.File != good || !errors.Is(err, fs.ErrPermission) ||
		err.Error() != good+": cannot read the policy: permission denied" {
		t.Errorf("unreadable: %v", err)
	}
}
