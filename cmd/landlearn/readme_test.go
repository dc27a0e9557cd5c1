package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeExamples runs every indented shell example of the README's
// Quick start and Commands sections, in order, in scratch directories,
// checking the exit statuses and the output their comments give
// (scripts/readme-examples.sh): the README cannot promise what landlearn
// does not do. The examples need root (verify, audit learning), python3,
// make and tar.
func TestReadmeExamples(t *testing.T) {
	e2eNeeds(t, "python3", "make", "tar", "gzip")
	auditTestBinary(t) // the verify examples need root and Landlock audit logging
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join(root, "scripts/readme-examples.sh"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), " 0 failed") {
		t.Errorf("README examples: %v\n%s", err, out)
	}
}
