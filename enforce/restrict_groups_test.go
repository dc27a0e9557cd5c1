package enforce_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/internal/testkit"
)

// TestGroupRulesEnforce runs real programs under group rules: the system
// group lets cat and its libraries run, linker-config its cache,
// name-service lets id read /etc/passwd; nothing else of /etc is granted.
func TestGroupRulesEnforce(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	p := loadPolicy(t, `version: 2
abi: 7
fs:
  - group: system
    access: [execute, read_file, read_dir]
  - group: linker-config
    access: [read_file]
  - group: name-service
    access: [read_file]
`)
	for _, tc := range []struct {
		argv   []string
		status int
		out    string
	}{
		{[]string{"cat", "/etc/passwd"}, 0, "root:"},
		{[]string{"cat", "/etc/shadow"}, 1, ""},
		{[]string{"cat", "/etc/hostname"}, 1, ""},
		{[]string{"sh", "-c", "echo x > /tmp/landlearn-group-test"}, 2, ""},
	} {
		var stdout, stderr bytes.Buffer
		cmd, err := enforce.Command(p, tc.argv, enforce.Options{Stderr: &stderr})
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if got := exitStatus(t, cmd); got != tc.status || !strings.Contains(stdout.String(), tc.out) {
			t.Errorf("%q: status %d, stdout %q, stderr %q; want %d and %q", tc.argv, got, stdout.String(), stderr.String(), tc.status, tc.out)
		}
	}
}

// TestLearnedMissingPathIsSkipped: a learned rule whose path this host
// lacks is skipped with a note, and the program runs; the same rule
// written by hand is an error naming its line.
func TestLearnedMissingPathIsSkipped(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	dir := t.TempDir()
	f := mkfile(t, dir, "f", "x")
	missing := filepath.Join(dir, "gitconfig")
	p := loadPolicy(t, "version: 2\nabi: 7\nfs:\n"+runtimeRules(t)+
		"  - path: "+missing+"\n    access: [read_file]\n    learned: true\n"+
		"  - path: "+f+"\n    access: [read_file]\n    learned: true\n")
	var stderr bytes.Buffer
	cmd, err := enforce.Command(p, []string{"cat", f}, enforce.Options{Stderr: &stderr})
	if err != nil {
		t.Fatalf("Command: %v", err)
	}
	if out, err := cmd.Output(); err != nil || string(out) != "x" {
		t.Errorf("cat under the policy: %q, %v", out, err)
	}
	if want := "landlearn: note: 1 learned rule is skipped: " + missing + " does not exist here\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
	// Once the file exists, the rule grants it.
	os.WriteFile(missing, []byte("y"), 0o644)
	wantLines(t, runProbe(t, p, "read", missing), "read ok")
}
