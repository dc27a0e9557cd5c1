// Package testkit is what landlearn's tests share, as go-landlock's
// lltest is for its tests: golden files behind one -update flag, and the
// checks that skip a test on a machine that cannot run it (not root, an
// older Landlock, no audit records, a program scripts/test.sh would have
// installed). Every skip of the suite goes through Skip, the one place
// that decides what a skip means on a given machine.
package testkit

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/landlearn/landlearn/internal/kernel"
)

var update = flag.Bool("update", false, "rewrite the golden files with what the tests produce (review the diff before committing)")

// RequireAllEnv names the variable that, set to 1, makes every Skip a
// failure: scripts/test.sh sets it, because on the machines it is for
// (CI and development: root, Landlock ABI 7 with audit, the programs it
// installs) a test that skips is a test that did not test, and the run
// would otherwise still pass. A plain go test leaves it unset.
const RequireAllEnv = "LANDLEARN_REQUIRE_ALL"

// Skip skips t, saying why this machine cannot run it, or fails t with
// that reason where RequireAllEnv is 1. Tests call it rather than t.Skip,
// so that every skip of the suite can be found, counted and, on a
// machine that must run everything, refused here.
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(RequireAllEnv) == "1" {
		t.Fatalf("%s=1: this machine must run every test, but this one would skip: %s", RequireAllEnv, fmt.Sprintf(format, args...))
	} else {
		t.Skipf(format, args...)
	}
}

// RequireRoot skips t unless it runs as root; why says what needs it.
func RequireRoot(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Skip(t, "needs root: %s", why)
	}
}

// RequireLandlock skips t unless the kernel offers Landlock ABI abi or
// later, and returns what it offers (its errata too).
func RequireLandlock(t testing.TB, abi int) kernel.Landlock {
	t.Helper()
	k, err := kernel.Running()
	switch {
	case err != nil:
		Skip(t, "needs Landlock ABI %d: %v", abi, err)
	case k.ABI < abi:
		Skip(t, "needs Landlock ABI %d, this kernel has ABI %d", abi, k.ABI)
	}
	return k
}

// RequireAudit skips t where it cannot read Landlock's audit records: it
// needs root (CAP_AUDIT_READ, CAP_AUDIT_CONTROL) and a Landlock that logs
// denials (kernel.LogABI).
func RequireAudit(t testing.TB) {
	t.Helper()
	RequireRoot(t, "Landlock's audit records need CAP_AUDIT_READ and CAP_AUDIT_CONTROL")
	RequireLandlock(t, kernel.LogABI)
}

// RequireProgram skips t unless name is in PATH, and returns its path.
func RequireProgram(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Skip(t, "needs %s (scripts/test.sh installs it)", name)
	}
	return p
}

// CC runs gcc with args (sources, -o OUT, flags) to build a fixture. It
// skips t without gcc and fails it when gcc fails.
func CC(t testing.TB, args ...string) {
	t.Helper()
	gcc := RequireProgram(t, "gcc")
	if out, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc %q: %v\n%s", args, err, out)
	}
}

// Golden compares got with the file at path (relative to the test's
// package), or rewrites the file with got under -update.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the output differs from %s (if the change is wanted, go test -update rewrites it; review the diff):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
