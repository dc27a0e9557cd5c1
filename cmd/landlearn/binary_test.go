package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
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

// removeTestBinary is TestMain's clean-up.
func removeTestBinary() {
	if testBin.dir != "" {
		os.RemoveAll(testBin.dir)
	}
}
