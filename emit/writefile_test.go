package emit

import (
	"net"
	"syscall"

	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/policy"
)

func TestWriteFileCreates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "landlock.yaml")
	p := samplePolicy()
	if err := WriteFile(path, p, false); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := render(t, p); string(data) != string(want) {
		t.Errorf("file holds:\n%s\nwant:\n%s", data, want)
	}
	back, err := policy.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := samePolicy(p, back); d != "" {
		t.Error(d)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	assertOnlyFiles(t, dir, "landlock.yaml")
}

func TestWriteFileRefusesExisting(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "landlock.yaml")
	if err := os.WriteFile(path, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(path, samplePolicy(), false)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("WriteFile = %v, want ErrExists", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
	if data, _ := os.ReadFile(path); string(data) != "precious\n" {
		t.Errorf("existing file changed to %q", data)
	}
	assertOnlyFiles(t, dir, "landlock.yaml")
}

// TestLinkNoClobber covers the race WriteFile's early check cannot: a file
// that appears at path after the check must still not be replaced.
func TestLinkNoClobber(t *testing.T) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp")
	path := filepath.Join(dir, "landlock.yaml")
	os.WriteFile(tmp, []byte("new"), 0o644)
	os.WriteFile(path, []byte("raced"), 0o644)
	if err := linkNoClobber(tmp, path); !errors.Is(err, ErrExists) {
		t.Fatalf("linkNoClobber = %v, want ErrExists", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "raced" {
		t.Errorf("file replaced: %q", data)
	}
}

func TestWriteFileForceKeepsMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "landlock.yaml")
	if err := os.WriteFile(path, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, samplePolicy(), true); err != nil {
		t.Fatal(err)
	}
	if _, err := policy.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want the old 0640", st.Mode().Perm())
	}
	assertOnlyFiles(t, dir, "landlock.yaml")
}

func TestWriteFileRefusesInvalidPolicy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "landlock.yaml")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := policy.New(7)
	p.FS = []policy.FSRule{{Path: "relative/dir", Access: policy.FSReadFile}}
	err := WriteFile(path, p, true)
	if err == nil || !strings.Contains(err.Error(), "relative") {
		t.Fatalf("WriteFile = %v, want the loader's complaint about a relative path", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "old\n" {
		t.Errorf("file replaced by an invalid policy: %q", data)
	}
	assertOnlyFiles(t, dir, "landlock.yaml")
}

func TestWriteFileDirectory(t *testing.T) {
	dir := t.TempDir()
	err := WriteFile(dir, samplePolicy(), true)
	if err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("WriteFile(dir) = %v, want an error saying it is a directory", err)
	}
	assertOnlyFiles(t, dir)
}

func TestWriteFileMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "landlock.yaml")
	err := WriteFile(path, samplePolicy(), false)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("WriteFile = %v, want ENOENT", err)
	}
}

// assertOnlyFiles fails if dir holds anything but names (no temp files
// may be left behind).
func assertOnlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}

// TestWriteFileRefusesNonRegular: with or without force, a device (such
// as /dev/null), a fifo, a socket or a symbolic link at path is left as it
// is: renaming the new policy over it would replace the node itself.
func TestWriteFileRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target.yaml")
	if err := os.WriteFile(target, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nodes := map[string]func(string) error{
		"fifo":    func(p string) error { return syscall.Mkfifo(p, 0o644) },
		"symlink": func(p string) error { return os.Symlink("target.yaml", p) },
		"socket": func(p string) error {
			l, err := net.Listen("unix", p)
			if err == nil {
				l.(*net.UnixListener).SetUnlinkOnClose(false)
				l.Close()
			}
			return err
		},
		"chardev": func(p string) error {
			// The same device as /dev/null; needs CAP_MKNOD.
			return syscall.Mknod(p, syscall.S_IFCHR|0o666, 1<<8|3)
		},
	}
	for name, mk := range nodes {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := mk(path); err != nil {
				testkit.Skip(t, "cannot make a %s here: %v", name, err)
			}
			before, err := os.Lstat(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, force := range []bool{false, true} {
				err := WriteFile(path, samplePolicy(), force)
				if !errors.Is(err, ErrNotRegular) {
					t.Fatalf("WriteFile(%s, force=%v) = %v, want ErrNotRegular", name, force, err)
				}
				if !strings.Contains(err.Error(), path) {
					t.Errorf("error %q does not name %s", err, path)
				}
				after, err := os.Lstat(path)
				if err != nil || after.Mode() != before.Mode() || !os.SameFile(before, after) {
					t.Fatalf("%s was replaced: before %v, after %v (%v)", path, before.Mode(), after, err)
				}
			}
		})
	}
	if data, _ := os.ReadFile(target); string(data) != "precious\n" {
		t.Errorf("the symlink's target changed to %q", data)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestCheckTarget(t *testing.T) {
	dir := t.TempDir()
	if err := CheckTarget(filepath.Join(dir, "new.yaml"), false); err != nil {
		t.Errorf("CheckTarget(new file) = %v, want nil", err)
	}
	old := filepath.Join(dir, "old.yaml")
	os.WriteFile(old, []byte("old\n"), 0o644)
	if err := CheckTarget(old, false); !errors.Is(err, ErrExists) {
		t.Errorf("CheckTarget(existing, false) = %v, want ErrExists", err)
	}
	if err := CheckTarget(old, true); err != nil {
		t.Errorf("CheckTarget(existing, true) = %v, want nil", err)
	}
	if err := CheckTarget("/dev/null", true); !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "character device") {
		t.Errorf("CheckTarget(/dev/null, true) = %v, want ErrNotRegular saying it is a character device", err)
	}
}
