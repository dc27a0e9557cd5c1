package enforce_test

import (
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/policy"
)

// A program sandboxes itself with the policy it ships: after Restrict, it
// reads /etc as the policy allows, and the kernel refuses the rest.
func ExampleRestrict() {
	p, err := policy.LoadFile("testdata/read-etc.yaml")
	if err != nil {
		log.Fatal(err)
	}
	if err := enforce.Restrict(p); err != nil {
		log.Fatal(err)
	}
	_, err = os.ReadFile("/etc/passwd")
	fmt.Println("read /etc/passwd:", err)
	err = os.WriteFile(filepath.Join(os.TempDir(), "landlearn-example"), nil, 0o600)
	fmt.Println("write a temporary file is denied:", errors.Is(err, fs.ErrPermission))
	// Output:
	// read /etc/passwd: <nil>
	// write a temporary file is denied: true
}

// TestExamplesInSubprocess runs the examples that restrict the process in
// a child test binary, so that this one stays unrestricted.
func TestExamplesInSubprocess(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	self, _ := os.Executable()
	cmd := exec.Command(self, "-test.run=^ExampleRestrict$", "-test.v")
	cmd.Env = append(os.Environ(), exampleEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: ExampleRestrict") {
		t.Fatalf("ExampleRestrict in a child: %v\n%s", err, out)
	}
}

// Plan tells before enforcing what the running kernel cannot restrict.
func ExamplePlan() {
	p, err := policy.LoadFile("testdata/read-etc.yaml")
	if err != nil {
		log.Fatal(err)
	}
	d, err := enforce.Plan(p)
	if err != nil {
		log.Fatal(err) // no Landlock, or compat: strict on an older kernel
	}
	fmt.Print(d.Notice()) // empty when the kernel enforces it all
}
