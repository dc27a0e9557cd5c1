package minimize

import (
	"strings"
	"testing"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// gains reports, for a rename of the file src into dstDir, the rights the
// object would gain: what the kernel's no_more_access refuses with EXDEV.
func gains(p *policy.Policy, src, dstDir string, dir bool) policy.FSAccess {
	rel := policy.FileRights() & p.Handled.FS
	if dir {
		rel = p.Handled.FS
	}
	return p.AllowedFS(dstDir) & rel &^ p.AllowedFS(src)
}

// Rule 5: /w/in/f moves to /w/out, where the run also created files and
// so has write_file beneath: the moved file would gain write_file, and
// the kernel answers EXDEV. The source side is widened and says so.
func TestCrossDirectoryRenameWidensSource(t *testing.T) {
	obs := cat(
		open("/w/in/f", "read_file"),
		create("/w/out/log", "write_file"),
		rename("/w/in/f", "/w/out/f", false),
	)
	p, rep := Minimize(obs, Options{})
	sound(t, obs, p, nil)
	if g := gains(p, "/w/in/f", "/w/out", false); g != 0 {
		t.Fatalf("the moved file gains %s: EXDEV\n%s", g, yamlOf(t, p))
	}
	wantGrants(t, p, map[string]policy.FSAccess{
		"/w/in":  acc("write_file", "read_file", "remove_file", "refer"),
		"/w/out": acc("write_file", "make_reg", "refer"),
	})
	if w := exdevNotes(rep); len(w) != 1 || !strings.Contains(w[0], "[write_file]") {
		t.Errorf("notes %q", rep.Notes)
	}
	for _, r := range p.FS {
		if r.Path == "/w/in" && !strings.Contains(r.Comment, "widened by [write_file]") {
			t.Errorf("widened rule comment %q", r.Comment)
		}
	}
}

// Moving into a directory that grants nothing more needs no widening.
func TestCrossDirectoryRenameWithoutGain(t *testing.T) {
	obs := cat(create("/w/tmp/x", "write_file"), rename("/w/tmp/x", "/w/out/x", false))
	p, rep := Minimize(obs, Options{})
	sound(t, obs, p, nil)
	if w := exdevNotes(rep); len(w) != 0 {
		t.Errorf("unexpected widening: %q", w)
	}
	if g := gains(p, "/w/tmp/x", "/w/out", false); g != 0 {
		t.Errorf("gains %s", g)
	}
}

// A moved directory counts every right, dir rights too; widening can
// cascade, so it runs to a fixed point.
func TestDirectoryMoveAndCascade(t *testing.T) {
	obs := cat(
		learn.Observation{Syscall: "renameat2", PID: testPID, Path: "/a", Type: learn.TypeDir, FS: policy.FSRemoveDir | policy.FSRefer, Src: "/a/d", Dst: "/b/d"},
		learn.Observation{Syscall: "renameat2", PID: testPID, Path: "/b", Type: learn.TypeDir, FS: policy.FSMakeDir | policy.FSRefer, Src: "/a/d", Dst: "/b/d"},
		create("/b/new", "write_file"),
		rename("/c/f", "/a/f", false),
	)
	p, _ := Minimize(obs, Options{})
	sound(t, obs, p, nil)
	if g := gains(p, "/a/d", "/b", true); g != 0 {
		t.Errorf("moved dir gains %s\n%s", g, yamlOf(t, p))
	}
	if g := gains(p, "/c/f", "/a", false); g != 0 {
		t.Errorf("moved file gains %s\n%s", g, yamlOf(t, p))
	}
}

// link keeps its source: a rule on it is the object's own rule and counts
// at the source side.
func TestLinkKeepsSource(t *testing.T) {
	obs := cat(
		open("/w/a/f", "read_file", "write_file"),
		learn.Observation{Syscall: "linkat", PID: testPID, Path: "/w/a", Type: learn.TypeDir, FS: policy.FSRefer, Src: "/w/a/f", Dst: "/w/b/f"},
		learn.Observation{Syscall: "linkat", PID: testPID, Path: "/w/b", Type: learn.TypeDir, FS: policy.FSMakeReg | policy.FSRefer, Src: "/w/a/f", Dst: "/w/b/f"},
	)
	p, rep := Minimize(obs, Options{})
	wantGrants(t, p, map[string]policy.FSAccess{
		"/w/a/f": acc("read_file", "write_file"),
		"/w/a":   acc("refer"),
		"/w/b":   acc("make_reg", "refer"),
	})
	if w := exdevNotes(rep); len(w) != 0 {
		t.Errorf("notes %q", w)
	}
}

// RENAME_EXCHANGE moves both entries: each must gain nothing.
func TestExchangeChecksBothWays(t *testing.T) {
	obs := cat(
		learn.Observation{Syscall: "renameat2", PID: testPID, Path: "/a", Type: learn.TypeDir, FS: policy.FSRemoveFile | policy.FSMakeReg | policy.FSRefer, Src: "/a/x", Dst: "/b/y"},
		learn.Observation{Syscall: "renameat2", PID: testPID, Path: "/b", Type: learn.TypeDir, FS: policy.FSRemoveFile | policy.FSMakeReg | policy.FSRefer, Src: "/a/x", Dst: "/b/y"},
		open("/a/readme", "read_file"),
		create("/b/new", "write_file"),
		open("/a/z", "execute"),
	)
	p, _ := Minimize(obs, Options{})
	sound(t, obs, p, nil)
	if g := gains(p, "/a/x", "/b", false); g != 0 {
		t.Errorf("x gains %s", g)
	}
	if g := gains(p, "/b/y", "/a", false); g != 0 {
		t.Errorf("y gains %s\n%s", g, yamlOf(t, p))
	}
}

// exdevNotes are the report's notes about widened rename sources.
func exdevNotes(rep *Report) []string {
	var out []string
	for _, n := range rep.Notes {
		if strings.Contains(n, "EXDEV") {
			out = append(out, n)
		}
	}
	return out
}

// A checkout under /tmp, with a ${TMPDIR} rule from mkstemp files: here
// that rule grants write_file on both sides of the move and hides the
// gain, but in a checkout elsewhere (/home/ci/w) the moved file gains
// write_file: the source side is widened for that checkout too.
func TestRenameGainWhereverUsed(t *testing.T) {
	here := policy.Vars{"PWD": "/tmp/w", "TMPDIR": "/tmp"}
	obs := cat(
		create("/tmp/ccR4nd0m.s", "write_file"),
		open("/tmp/w/in/f", "read_file"),
		create("/tmp/w/out/log", "write_file"),
		rename("/tmp/w/in/f", "/tmp/w/out/f", false),
	)
	p, _ := Minimize(obs, Options{Vars: here})
	for _, vars := range []policy.Vars{here, {"PWD": "/home/ci/w", "TMPDIR": "/tmp"}} {
		ep, err := p.Expand(vars)
		if err != nil {
			t.Fatal(err)
		}
		in, out := vars["PWD"]+"/in/f", vars["PWD"]+"/out"
		if g := gains(ep, in, out, false); g != 0 {
			t.Errorf("PWD=%s: the moved file gains %s: EXDEV\n%s", vars["PWD"], g, yamlOf(t, p))
		}
	}
}
