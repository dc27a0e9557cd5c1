package live_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/learn/audit/audittest"
	"github.com/landlearn/landlearn/learn/audit/live"
	"github.com/landlearn/landlearn/policy"
)

func TestMain(m *testing.M) {
	enforce.MaybeHelper()
	os.Exit(m.Run())
}

func TestSelfCheck(t *testing.T) {
	l := audittest.Listener(t)
	if err := l.SelfCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A listener is reusable: a second check opens a new window.
	if err := l.SelfCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// readOnlyPolicy handles read_file only and grants it on the system
// directories a dynamically linked program needs.
func readOnlyPolicy(extra ...policy.FSRule) *policy.Policy {
	p := policy.New(7)
	p.Handled = policy.Handled{FS: policy.FSReadFile}
	for _, dir := range []string{"/usr", "/etc"} {
		p.FS = append(p.FS, policy.FSRule{Path: dir, Access: policy.FSReadFile})
	}
	p.FS = append(p.FS, extra...)
	return p
}

func TestObserveOneDenial(t *testing.T) {
	l := audittest.Listener(t)
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd, err := enforce.Command(readOnlyPolicy(), []string{"cat", secret}, enforce.Options{Log: true})
	if err != nil {
		t.Fatal(err)
	}
	run, err := l.Observe(context.Background(), live.Exec(cmd))
	if err != nil {
		t.Fatal(err)
	}
	if run.Loss != nil {
		t.Fatal(run.Loss)
	}
	if run.ExitCode == 0 {
		t.Errorf("cat exited 0 under a policy that denies %s", secret)
	}
	if run.Domain == nil {
		t.Fatalf("no domain allocated by pid %d", run.PID)
	}
	if !run.Domain.Deallocated || run.Domain.Denials != 1 {
		t.Errorf("domain %+v: want deallocated with 1 denial", *run.Domain)
	}
	if len(run.Denials) != 1 {
		t.Fatalf("denials: %+v", run.Denials)
	}
	d := run.Denials[0]
	if d.Path != secret || !slices.Equal(d.Blockers, []string{"fs.read_file"}) || d.PID != run.PID {
		t.Errorf("denial %+v: want fs.read_file on %s by pid %d", d, secret, run.PID)
	}
}

func TestObserveNoDenial(t *testing.T) {
	l := audittest.Listener(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.WriteFile(data, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := readOnlyPolicy(policy.FSRule{Path: data, Access: policy.FSReadFile})
	cmd, err := enforce.Command(p, []string{"cat", data}, enforce.Options{Log: true})
	if err != nil {
		t.Fatal(err)
	}
	run, err := l.Observe(context.Background(), live.Exec(cmd))
	if err != nil {
		t.Fatal(err)
	}
	if run.Loss != nil || run.ExitCode != 0 || run.Domain != nil || len(run.Denials) != 0 {
		t.Errorf("run %+v: want exit 0, no domain record, no denials, no loss", run)
	}
}

// TestObserveNestedDomain: a domain that the command's own child creates
// is found through the process tree and kept apart.
func TestObserveNestedDomain(t *testing.T) {
	l := audittest.Listener(t)
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The outer policy allows everything but handles read_file; the inner
	// one (the child's own) grants nothing.
	outer := readOnlyPolicy(policy.FSRule{Path: "/", Access: policy.FSReadFile})
	inner := readOnlyPolicy()
	innerCmd, err := enforce.Command(inner, []string{"cat", secret}, enforce.Options{Log: true})
	if err != nil {
		t.Fatal(err)
	}
	// The outer command is a shell that starts the inner helper.
	// The inner payload travels as fd 4 of the shell (after the outer
	// helper's own fd 3), inherited by the shell's child.
	innerArgs := slices.Clone(innerCmd.Args)
	innerArgs[0] = self
	innerArgs[len(innerArgs)-1] = "4"
	cmd, err := enforce.Command(outer, append([]string{"sh", "-c", `"$@"; true`, "sh"}, innerArgs...), enforce.Options{Log: true})
	if err != nil {
		t.Fatal(err)
	}
	cmd.ExtraFiles = append(cmd.ExtraFiles, innerCmd.ExtraFiles...)
	cmd.Env = append(os.Environ(), "GOTRACEBACK=none")
	run, err := l.Observe(context.Background(), live.Exec(cmd))
	if err != nil {
		t.Fatal(err)
	}
	if run.Loss != nil {
		t.Fatal(run.Loss)
	}
	if len(run.Denials) != 0 {
		t.Errorf("outer domain denied %+v", run.Denials)
	}
	if len(run.Nested) != 1 || len(run.NestedDenials) != 1 || run.NestedDenials[0].Path != secret {
		t.Errorf("nested %+v, denials %+v: want one domain denying %s", run.Nested, run.NestedDenials, secret)
	}
}

// TestObserveNestedDomainSameProcess: the program sandboxes itself after
// the exec, in the very process that holds the policy's domain (so both
// domains have the same creator pid), and its own sandbox denies what the
// policy grants. The sandbox's mark (enforce.Options.Mark) tells the
// policy's domain apart: the denial is the nested domain's, and the mark
// is nobody's denial.
func TestObserveNestedDomainSameProcess(t *testing.T) {
	l := audittest.Listener(t)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	outer := readOnlyPolicy(policy.FSRule{Path: "/", Access: policy.FSReadFile})
	innerCmd, err := enforce.Command(readOnlyPolicy(), []string{"cat", secret}, enforce.Options{Log: true})
	if err != nil {
		t.Fatal(err)
	}
	// The outer sandbox execs the inner helper in place: fd 4 holds the
	// inner payload, after the outer helper's own fd 3.
	innerArgs := slices.Clone(innerCmd.Args)
	innerArgs[0] = self
	innerArgs[len(innerArgs)-1] = "4"
	cmd, err := enforce.Command(outer, innerArgs, enforce.Options{Log: true, Mark: true})
	if err != nil {
		t.Fatal(err)
	}
	cmd.ExtraFiles = append(cmd.ExtraFiles, innerCmd.ExtraFiles...)
	run, err := l.Observe(context.Background(), live.Exec(cmd))
	if err != nil {
		t.Fatal(err)
	}
	if run.Loss != nil {
		t.Fatal(run.Loss)
	}
	if run.Domain == nil || len(run.Denials) != 0 || run.Domain.Denials != 1 {
		t.Errorf("policy's domain %+v, denials %+v: want the marked domain, its one (marking) denial left out", run.Domain, run.Denials)
	}
	if len(run.Nested) != 1 || run.Nested[0].PID != run.PID || len(run.NestedDenials) != 1 || run.NestedDenials[0].Path != secret {
		t.Errorf("nested %+v, denials %+v: want pid %d's own domain denying %s", run.Nested, run.NestedDenials, run.PID, secret)
	}
}

// TestObserveMarkIsNotADenial: the mark alone makes the policy's domain
// known, with no denial of the program's.
func TestObserveMarkIsNotADenial(t *testing.T) {
	l := audittest.Listener(t)
	cmd, err := enforce.Command(readOnlyPolicy(), []string{"true"}, enforce.Options{Log: true, Mark: true})
	if err != nil {
		t.Fatal(err)
	}
	run, err := l.Observe(context.Background(), live.Exec(cmd))
	if err != nil {
		t.Fatal(err)
	}
	if run.Loss != nil || run.ExitCode != 0 || run.Domain == nil || run.Domain.PID != run.PID || len(run.Denials) != 0 || len(run.Nested) != 0 {
		t.Errorf("run %+v: want exit 0, the marked domain, no denials, no loss", run)
	}
}
