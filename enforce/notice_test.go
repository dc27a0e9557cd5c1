package enforce_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/internal/testkit"
)

func TestNoticeForAPolicyThatHandlesNothing(t *testing.T) {
	p := loadPolicy(t, "version: 1\nabi: 7\nhandled:\n  fs: []\n  net: []\n  scoped: []\n")
	var stderr bytes.Buffer
	if _, err := enforce.Command(p, []string{"true"}, enforce.Options{Stderr: &stderr}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "handles no right") {
		t.Errorf("stderr %q does not say that nothing is restricted", stderr.String())
	}
}

func TestNoNoticeWhenTheKernelEnforcesEverything(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	p := loadPolicy(t, "version: 1\nabi: 6\nfs:\n  - path: /usr\n    access: [read_file]\n")
	d, err := enforce.Plan(p)
	if err != nil {
		t.Fatal(err)
	}
	if d.Notice() != "" {
		t.Errorf("an ABI 6 policy on ABI %d prints %q", d.KernelABI, d.Notice())
	}
}

func TestStrictPolicyRunsOnThisKernel(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	f := mkfile(t, t.TempDir(), "f", "x")
	p := loadPolicy(t, "version: 1\nabi: 7\ncompat: strict\nfs:\n"+runtimeRules(t)+"  - path: "+f+"\n    access: [read_file]\n")
	wantLines(t, runProbe(t, p, "read", f, "write", f), "read ok", "write EACCES")
}
