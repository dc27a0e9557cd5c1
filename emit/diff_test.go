package emit

import (
	"bytes"
	"slices"
	"testing"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/policy"
)

func renderDiff(t *testing.T, changes []policy.Change) string {
	t.Helper()
	var b bytes.Buffer
	if err := Diff(&b, changes); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// diffPair is an old and a new policy that differ in every section.
func diffPair() (*policy.Policy, *policy.Policy) {
	old := samplePolicy()
	old.ABI = 6
	old.Handled = policy.New(6).Handled
	old.Handled.Net = policy.NetBindTCP
	nu := samplePolicy()
	nu.Compat = policy.Strict
	nu.Handled.Scoped = policy.ScopeSignal
	nu.FS = nu.FS[1:] // drops /usr
	nu.FS[0].Optional = false
	nu.FS[1].Access |= policy.FSWriteFile
	nu.FS[1].Learned = true
	nu.FS = append(nu.FS, policy.FSRule{Path: "/usr/lib", Access: policy.FSReadFile},
		policy.FSRule{Path: "/new dir", Access: policy.FSReadDir, Optional: true})
	nu.Net = []policy.NetRule{{Port: 443, Access: policy.NetConnectTCP | policy.NetBindTCP}, {Port: 8443, Access: policy.NetConnectTCP}}
	return old, nu
}

func TestDiffGolden(t *testing.T) {
	old, nu := diffPair()
	testkit.Golden(t, "testdata/sample.diff", []byte(renderDiff(t, policy.Diff(old, nu))))
}

func TestDiffOrderIndependent(t *testing.T) {
	old, nu := diffPair()
	changes := policy.Diff(old, nu)
	want := renderDiff(t, changes)
	rev := slices.Clone(changes)
	slices.Reverse(rev)
	if got := renderDiff(t, rev); got != want {
		t.Errorf("reversed changes print differently:\n%s\n---\n%s", got, want)
	}
}

func TestDiffEqual(t *testing.T) {
	p := samplePolicy()
	if got := renderDiff(t, policy.Diff(p, samplePolicy())); got != "" {
		t.Errorf("equal policies print %q", got)
	}
}

func TestDiffNetPortsNumeric(t *testing.T) {
	changes := []policy.Change{
		{Kind: policy.Added, Section: "net", Key: "10000", New: uint64(policy.NetConnectTCP)},
		{Kind: policy.Added, Section: "net", Key: "9", New: uint64(policy.NetConnectTCP)},
	}
	want := "net:\n  + 9  [connect_tcp]\n  + 10000  [connect_tcp]\n"
	if got := renderDiff(t, changes); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
