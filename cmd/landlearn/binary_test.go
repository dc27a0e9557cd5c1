package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/landlearn/landlearn/internal/command"
)

// testBin is the landlearn binary the CLI tests run: the tracer and the
// enforcement helper re-execute landlearn itself, so the tests need the
// real command, built once per test binary and removed by TestMain.
var testBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// landlearnBinary builds landlearn once and returns its path. The
// directory is world-readable: one test runs the binary as nobody.
func landlearnBinary(t *testing.T) string {
	t.Helper()
	testBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "landlearn-test-")
		if err != nil {
			testBin.err = err
			return
		}
		testBin.dir = dir
		if err := os.Chmod(dir, 0o755); err != nil {
			testBin.err = err
			return
		}
		testBin.path = filepath.Join(dir, "landlearn")
		if out, err := exec.Command("go", "build", "-o", testBin.path, ".").CombinedOutput(); err != nil {
			testBin.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if testBin.err != nil {
		t.Fatalf("building landlearn: %v", testBin.err)
	}
	return testBin.path
}

// cliResult is how one landlearn invocation ended.
type cliResult struct {
	stdout, stderr string
	code           int
}

// runBinary runs bin with args in dir ("": the test's own directory),
// with env as its whole environment (nil: this process's) and stdin
// (nil: /dev/null). A process killed by signal N ends with 128+N, as a
// shell reports it.
func runBinary(t *testing.T, bin, dir string, env []string, stdin io.Reader, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env, cmd.Stdin = dir, env, stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("landlearn %v: %v", args, err)
	}
	return cliResult{out.String(), errb.String(), command.ExitCode(cmd.ProcessState)}
}

// removeTestBinary is TestMain's clean-up.
func removeTestBinary() {
	if testBin.dir != "" {
		os.RemoveAll(testBin.dir)
	}
}
