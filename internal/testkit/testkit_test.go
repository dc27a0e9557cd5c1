package testkit

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// skipped runs f as a subtest and reports whether it skipped; Skip
// skips there whatever RequireAllEnv says.
func skipped(t *testing.T, f func(t *testing.T)) bool {
	t.Setenv(RequireAllEnv, "")
	var s bool
	t.Run("", func(t *testing.T) {
		defer func() { s = t.Skipped() }()
		f(t)
	})
	return s
}

func TestRequireLandlock(t *testing.T) {
	abi := 0
	if skipped(t, func(t *testing.T) { abi = RequireLandlock(t, 1).ABI }) {
		Skip(t, "no Landlock here: only the skip can be tested")
	}
	if abi < 1 {
		t.Errorf("RequireLandlock(1) returned ABI %d without skipping", abi)
	}
	if !skipped(t, func(t *testing.T) { RequireLandlock(t, abi+1) }) {
		t.Errorf("RequireLandlock(%d) on a kernel with ABI %d did not skip", abi+1, abi)
	}
}

func TestRequireProgram(t *testing.T) {
	if !skipped(t, func(t *testing.T) { RequireProgram(t, "landlearn-no-such-program") }) {
		t.Error("RequireProgram of a missing program did not skip")
	}
	var sh string
	if skipped(t, func(t *testing.T) { sh = RequireProgram(t, "sh") }) || !filepath.IsAbs(sh) {
		t.Errorf("RequireProgram(sh) = %q, or skipped", sh)
	}
}

// errorsOnly records Errorf instead of failing the test.
type errorsOnly struct {
	testing.TB
	errors []string
}

func (e *errorsOnly) Errorf(format string, args ...any) {
	e.errors = append(e.errors, fmt.Sprintf(format, args...))
}

func TestGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "out.golden")
	*update = true
	Golden(t, path, []byte("one\n"))
	*update = false
	if b, err := os.ReadFile(path); err != nil || string(b) != "one\n" {
		t.Fatalf("-update wrote %q, %v", b, err)
	}
	same, differs := &errorsOnly{TB: t}, &errorsOnly{TB: t}
	Golden(same, path, []byte("one\n"))
	Golden(differs, path, []byte("two\n"))
	if len(same.errors) != 0 || len(differs.errors) != 1 {
		t.Errorf("the same output: %q; another one: %q; want no error, then one", same.errors, differs.errors)
	}
}

// stops records Fatalf and Skipf instead of ending the test.
type stops struct {
	testing.TB
	fatal, skip string
}

func (s *stops) Fatalf(format string, args ...any) { s.fatal = fmt.Sprintf(format, args...) }
func (s *stops) Skipf(format string, args ...any)  { s.skip = fmt.Sprintf(format, args...) }

// TestSkipFailsWhereEverythingMustRun: with LANDLEARN_REQUIRE_ALL=1 a
// skip is a failure that says why; without, a skip.
func TestSkipFailsWhereEverythingMustRun(t *testing.T) {
	t.Setenv(RequireAllEnv, "1")
	must := &stops{TB: t}
	Skip(must, "needs %s", "gcc")
	t.Setenv(RequireAllEnv, "")
	may := &stops{TB: t}
	Skip(may, "needs %s", "gcc")
	if must.fatal != "LANDLEARN_REQUIRE_ALL=1: this machine must run every test, but this one would skip: needs gcc" || must.skip != "" {
		t.Errorf("with %s=1: fatal %q, skip %q", RequireAllEnv, must.fatal, must.skip)
	}
	if may.skip != "needs gcc" || may.fatal != "" {
		t.Errorf("without: fatal %q, skip %q", may.fatal, may.skip)
	}
}
