package enforce_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/policy"
)

// mkfile creates dir/name with content, and dir.
func mkfile(t *testing.T, dir, name, content string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, name)
	if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestReadBeneathDirectoryWithCat(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	root := t.TempDir()
	granted := mkfile(t, filepath.Join(root, "granted"), "hello.txt", "hello from the sandbox\n")
	other := mkfile(t, filepath.Join(root, "other"), "secret.txt", "secret\n")
	p := loadPolicy(t, `version: 1
abi: 7
fs:
`+runtimeRules(t)+`  - path: `+filepath.Dir(granted)+`
    access: [read_file, read_dir]
`)
	for _, tc := range []struct {
		file, out, stderr string
		status            int
	}{
		{granted, "hello from the sandbox\n", "", 0},
		{other, "", "Permission denied", 1},
	} {
		cmd, err := enforce.Command(p, []string{"cat", tc.file}, enforce.Options{Stderr: &bytes.Buffer{}})
		if err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if got := exitStatus(t, cmd); got != tc.status || stdout.String() != tc.out || !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("cat %s: status %d, stdout %q, stderr %q; want %d, %q, %q", tc.file, got, stdout.String(), stderr.String(), tc.status, tc.out, tc.stderr)
		}
	}
	// The same, as the errno of open(2).
	wantLines(t, runProbe(t, p, "read", granted, "read", other, "readdir", filepath.Dir(granted), "readdir", root),
		"read ok", "read EACCES", "readdir ok", "readdir EACCES")
}

func TestWriteNeedsWriteFile(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	f := mkfile(t, t.TempDir(), "f", "x")
	p := loadPolicy(t, "version: 1\nabi: 7\nfs:\n"+runtimeRules(t)+"  - path: "+f+"\n    access: [read_file]\n")
	wantLines(t, runProbe(t, p, "read", f, "write", f), "read ok", "write EACCES")
}

func TestOTruncNeedsTruncate(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	f := mkfile(t, t.TempDir(), "f", "content")
	without := loadPolicy(t, "version: 1\nabi: 7\nfs:\n"+runtimeRules(t)+"  - path: "+f+"\n    access: [write_file]\n")
	wantLines(t, runProbe(t, without, "write", f, "trunc", f), "write ok", "trunc EACCES")
	with := loadPolicy(t, "version: 1\nabi: 7\nfs:\n"+runtimeRules(t)+"  - path: "+f+"\n    access: [write_file, truncate]\n")
	wantLines(t, runProbe(t, with, "trunc", f), "trunc ok")
}

func TestCrossDirectoryRenameNeedsRefer(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	for _, tc := range []struct {
		rights, want string
	}{
		{"[remove_file, make_reg]", "rename EXDEV"},
		{"[remove_file, make_reg, refer]", "rename ok"},
	} {
		root := t.TempDir()
		src := mkfile(t, filepath.Join(root, "a"), "f", "x")
		dst := filepath.Join(root, "b", "f")
		os.Mkdir(filepath.Dir(dst), 0o755)
		p := loadPolicy(t, "version: 1\nabi: 7\nfs:\n"+runtimeRules(t)+
			"  - path: "+filepath.Dir(src)+"\n    access: "+tc.rights+"\n"+
			"  - path: "+filepath.Dir(dst)+"\n    access: "+tc.rights+"\n")
		wantLines(t, runProbe(t, p, "rename", src, dst), tc.want)
	}
}

func TestOptionalMissingPathIsSkipped(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	dir := t.TempDir()
	f := mkfile(t, dir, "f", "x")
	p := loadPolicy(t, "version: 1\nabi: 7\nfs:\n"+runtimeRules(t)+
		"  - path: "+filepath.Join(dir, "missing")+"\n    access: [read_file]\n    optional: true\n"+
		"  - path: "+f+"\n    access: [read_file]\n")
	wantLines(t, runProbe(t, p, "read", f), "read ok")
}

func TestMissingRequiredPathIsAnError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	p := loadPolicy(t, "version: 1\nabi: 7\nfs:\n  - path: /usr\n    access: [read_file]\n  - path: "+missing+"\n    access: [read_file]\n")
	_, err := enforce.Command(p, []string{"true"}, enforce.Options{})
	var le *policy.LoadError
	if !errors.As(err, &le) || le.Line != 6 || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "optional: true") {
		t.Fatalf("Command with a missing path: %v; want a *policy.LoadError on line 6 naming %s", err, missing)
	}
}

func TestCommandRunsTheTargetAsItsOwnPid(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	p := loadPolicy(t, "version: 1\nabi: 7\nhandled:\n  fs: []\n  net: []\n  scoped: [signal]\n")
	self, _ := os.Executable()
	cmd, err := enforce.Command(p, []string{self, "pid"}, enforce.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), probeEnv+"=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "pid " + itoa(cmd.Process.Pid); strings.TrimSpace(string(out)) != want {
		t.Errorf("target printed %q, want %q (the helper must exec in place)", out, want)
	}
}

func TestCommandHelperFailures(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	dir := t.TempDir()
	script := mkfile(t, dir, "script", "#!/bin/sh\n")
	os.Chmod(script, 0o755)
	// The policy grants nothing under dir: execve(2) is denied.
	p := loadPolicy(t, "version: 1\nabi: 7\nfs:\n"+runtimeRules(t))
	for _, tc := range []struct {
		argv   []string
		status int
		msg    string
	}{
		{[]string{"./nope"}, enforce.ExitNotFound, "command not found"},
		{[]string{"./script"}, enforce.ExitCannotExec, "does the policy grant execute"},
	} {
		cmd, err := enforce.Command(p, tc.argv, enforce.Options{Stderr: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if got := exitStatus(t, cmd); got != tc.status || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("%v: status %d, stderr %q; want %d and %q", tc.argv, got, stderr.String(), tc.status, tc.msg)
		}
	}
	for _, tc := range []struct {
		argv string
		want error
	}{
		{"no-such-command-landlearn", enforce.ErrNotFound},
		{filepath.Join(dir, "nope"), enforce.ErrNotFound},
		{dir, enforce.ErrCannotExecute},
		{"/etc/passwd", enforce.ErrCannotExecute},
	} {
		if _, err := enforce.Command(p, []string{tc.argv}, enforce.Options{}); !errors.Is(err, tc.want) {
			t.Errorf("Command(%s): %v, want %v", tc.argv, err, tc.want)
		}
	}
}

func TestExecReplacesTheProcess(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	dir := t.TempDir()
	f := mkfile(t, dir, "f", "x")
	file := writePolicy(t, "version: 1\nabi: 7\nfs:\n"+runtimeRules(t)+"  - path: "+f+"\n    access: [read_file]\n")
	self, _ := os.Executable()
	cmd := exec.Command(self, self, "pid", "read", f, "write", f)
	cmd.Env = append(os.Environ(), execEnv+"="+file, probeEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v\n%s%s", err, out, stderr.String())
	}
	wantLines(t, strings.Split(strings.TrimSpace(string(out)), "\n"), "pid "+itoa(cmd.Process.Pid), "read ok", "write EACCES")
}

func TestExecNotFound(t *testing.T) {
	file := writePolicy(t, "version: 1\nabi: 7\nhandled:\n  fs: []\n  net: []\n  scoped: [signal]\n")
	self, _ := os.Executable()
	cmd := exec.Command(self, "no-such-command-landlearn")
	cmd.Env = append(os.Environ(), execEnv+"="+file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if got := exitStatus(t, cmd); got != enforce.ExitNotFound || !strings.Contains(stderr.String(), "command not found") {
		t.Errorf("status %d, stderr %q; want 127, command not found", got, stderr.String())
	}
}

func TestCreateNeedsMakeReg(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	dir := t.TempDir()
	without := loadPolicy(t, "version: 1\nabi: 7\nfs:\n"+runtimeRules(t)+"  - path: "+dir+"\n    access: [write_file]\n")
	wantLines(t, runProbe(t, without, "create", filepath.Join(dir, "a")), "create EACCES")
	with := loadPolicy(t, "version: 1\nabi: 7\nfs:\n"+runtimeRules(t)+"  - path: "+dir+"\n    access: [write_file, make_reg]\n")
	wantLines(t, runProbe(t, with, "create", filepath.Join(dir, "b")), "create ok")
}

func TestIoctlOnDeviceNeedsIoctlDev(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	// /dev/null is a character device that is not a terminal: with
	// ioctl_dev, TCGETS reaches the driver, which answers ENOTTY.
	without := loadPolicy(t, "version: 1\nabi: 7\nfs:\n"+runtimeRules(t)+"  - path: /dev/null\n    access: [read_file]\n")
	wantLines(t, runProbe(t, without, "ioctl", "/dev/null"), "ioctl EACCES")
	with := loadPolicy(t, "version: 1\nabi: 7\nfs:\n"+runtimeRules(t)+"  - path: /dev/null\n    access: [read_file, ioctl_dev]\n")
	wantLines(t, runProbe(t, with, "ioctl", "/dev/null"), "ioctl ENOTTY")
}
