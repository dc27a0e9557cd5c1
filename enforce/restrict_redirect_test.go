package enforce_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/policy"
)

// TestSymlinkPlantedAfterTheCheck: a symlink that appears between the
// check of the policy (enforce.Command) and the ruleset (in the helper,
// just before the program starts), where the policy lets the sandbox
// create entries, is refused there too, and the program never runs:
// a sandboxed program still running from an earlier run could plant it
// at that moment.
func TestSymlinkPlantedAfterTheCheck(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	work := t.TempDir()
	secret := mkfile(t, t.TempDir(), "secret", "the secret\n")
	in := mkfile(t, work, "in.txt", "harmless\n")
	p := loadPolicy(t, `version: 2
fs:
`+runtimeRules(t)+`  - path: `+work+`
    access: [make_sym, remove_file]
  - path: `+in+`
    access: [read_file]
`)
	var notes bytes.Buffer
	cmd, err := enforce.Command(p, []string{"cat", in}, enforce.Options{Stderr: &notes})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(in); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, in); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	status := exitStatus(t, cmd)
	if status != enforce.ExitSetup || strings.Contains(stdout.String(), "secret") ||
		!strings.Contains(stderr.String(), in+" is a symlink (to "+secret+")") {
		t.Errorf("cat %s: status %d, stdout %q, stderr %q; want %d, nothing read, the symlink named",
			in, status, stdout.String(), stderr.String(), enforce.ExitSetup)
	}

	// And Command itself refuses it, as run does, with the rule's line.
	_, err = enforce.Command(p, []string{"cat", in}, enforce.Options{Stderr: &notes})
	var le *policy.LoadError
	if !errors.Is(err, policy.ErrRedirected) || !errors.As(err, &le) || le.Line != 18 {
		t.Errorf("enforce.Command: %v, want ErrRedirected on line 18", err)
	}
}
