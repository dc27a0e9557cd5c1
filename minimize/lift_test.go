package minimize

import (
	"strings"
	"testing"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// Rule 3: a created file has no inode when the sandbox starts, so its
// rights go to the directory.
func TestCreatedFileLiftsToParent(t *testing.T) {
	obs := cat(create("/w/new.txt", "write_file"), open("/w/old.txt", "read_file"))
	p, rep := Minimize(obs, Options{})
	wantGrants(t, p, map[string]policy.FSAccess{
		"/w":         acc("write_file", "make_reg"),
		"/w/old.txt": acc("read_file"),
	})
	if len(rep.Notes) != 1 || !strings.HasPrefix(rep.Notes[0], "1 rule is on a directory (/w) because") || !strings.Contains(rep.Notes[0], "cannot be narrower") {
		t.Errorf("notes %q", rep.Notes)
	}
	if c := p.FS[0].Comment; !strings.Contains(c, "created, replaced or deleted during the run") {
		t.Errorf("lifted rule comment %q", c)
	}
	sound(t, obs, p, nil)
}

// mkdir -p /w/a/b then a file in it: both directories are new, so every
// right lands on /w, the nearest directory that existed before.
func TestCreatedTreeLiftsToStableAncestor(t *testing.T) {
	obs := cat(mkdir("/w/a"), mkdir("/w/a/b"), create("/w/a/b/f.o", "write_file"), open("/w/a/b/f.o", "read_file"))
	p, _ := Minimize(obs, Options{})
	wantGrants(t, p, map[string]policy.FSAccess{"/w": acc("write_file", "read_file", "make_dir", "make_reg")})
	sound(t, obs, p, nil)
}

// Write-temp-then-rename (sed -i, editors, git): the target is replaced,
// so a rule on it would stay on the old inode; it lifts too.
func TestReplacedFileLifts(t *testing.T) {
	obs := cat(
		open("/w/conf", "read_file"),
		create("/w/sedAb12Cd", "write_file"),
		rename("/w/sedAb12Cd", "/w/conf", true),
	)
	p, _ := Minimize(obs, Options{})
	wantGrants(t, p, map[string]policy.FSAccess{"/w": acc("write_file", "read_file", "remove_file", "make_reg")})
	sound(t, obs, p, nil)
}

// The audit backend says created of the path itself, without dst.
func TestCreatedPathWithoutDst(t *testing.T) {
	obs := cat(learn.Observation{Syscall: "openat", PID: testPID, Path: "/w/x", Type: learn.TypeDir, FS: policy.FSMakeReg, Created: true})
	p, _ := Minimize(obs, Options{})
	wantGrants(t, p, map[string]policy.FSAccess{"/w": acc("make_reg")})
}

// A deleted file (named by src on the unlink line) is gone after the run.
func TestDeletedFileLifts(t *testing.T) {
	obs := cat(
		open("/w/lock", "read_file"),
		learn.Observation{Syscall: "unlinkat", PID: testPID, Exe: "/usr/bin/rm", Path: "/w", Type: learn.TypeDir, FS: policy.FSRemoveFile, Deleted: true, Src: "/w/lock"},
		open("/w/stays", "read_file"),
	)
	p, _ := Minimize(obs, Options{})
	// /w/stays is covered by the read_file that /w/lock lifted to /w.
	wantGrants(t, p, map[string]policy.FSAccess{"/w": acc("read_file", "remove_file")})
	if c := p.FS[0].Comment; !strings.Contains(c, "e.g. /w/lock") {
		t.Errorf("comment %q does not show the lifted path", c)
	}
	sound(t, obs, p, nil)
}

// Rule 4: a dir-only right never lands on a file rule, file rights on a
// file stay on the file.
func TestRightsStayOnTheirKind(t *testing.T) {
	obs := cat(open("/w/f", "read_file", "write_file"), learn.Observation{Syscall: "mknodat", PID: testPID, Path: "/w/d", Type: learn.TypeDir, FS: policy.FSMakeFifo, Dst: "/w/d/p"})
	p, _ := Minimize(obs, Options{})
	for _, r := range p.FS {
		if r.Path == "/w/f" && r.Access&policy.DirOnlyRights() != 0 {
			t.Errorf("dir-only right on a file: %s", r.Access)
		}
	}
	wantGrants(t, p, map[string]policy.FSAccess{"/w/f": acc("read_file", "write_file"), "/w/d": acc("make_fifo")})
}

// O_TMPFILE asks write_file on the directory: Landlock cannot be narrower.
func TestTmpfileOnDirectorySaysSo(t *testing.T) {
	obs := cat(learn.Observation{Syscall: "openat", PID: testPID, Path: "/w/tmp", Type: learn.TypeDir, FS: policy.FSWriteFile | policy.FSReadFile})
	p, _ := Minimize(obs, Options{})
	wantGrants(t, p, map[string]policy.FSAccess{"/w/tmp": acc("write_file", "read_file")})
	if !strings.Contains(p.FS[0].Comment, "Landlock cannot be narrower") {
		t.Errorf("comment %q", p.FS[0].Comment)
	}
}
