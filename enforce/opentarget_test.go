package enforce

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/policy"
)

// TestOpenTargetRefusesAnotherObject: the object handed to the kernel is
// the one Resolve found, or nothing: a file swapped in after the check,
// or a symlink put on the way, is refused.
func TestOpenTargetRefusesAnotherObject(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &policy.Policy{Handled: policy.Handled{FS: policy.AllFS(7)},
		FS: []policy.FSRule{{Path: f, Access: policy.FSReadFile}}}
	targets, _, err := p.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	fd, err := openTarget(targets[0])
	if err != nil {
		t.Fatalf("the object as resolved: %v", err)
	}
	unix.Close(fd)

	// Replaced by another file.
	if err := os.Rename(f, f+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, []byte("y"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := openTarget(targets[0]); err == nil || !strings.Contains(err.Error(), "was replaced while the sandbox was being set up") {
		t.Errorf("a file swapped in: %v", err)
	}
	// Its directory replaced by a symlink to a copy.
	if err := os.Rename(dir, dir+".real"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir + ".real") })
	if err := os.Symlink(dir+".real", dir); err != nil {
		t.Fatal(err)
	}
	if _, err := openTarget(targets[0]); err == nil || !strings.Contains(err.Error(), "now leads through a symlink") {
		t.Errorf("a symlink on the way: %v", err)
	}
}
