package emit

import (
	"bytes"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/policy"
)

func renderTree(t *testing.T, p *policy.Policy) string {
	t.Helper()
	var b bytes.Buffer
	if err := Tree(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestTreeGolden(t *testing.T) {
	p := samplePolicy()
	p.FS = append(p.FS,
		policy.FSRule{Path: "/usr/share/zoneinfo/UTC", Access: policy.FSReadFile},
		policy.FSRule{Path: "/usr/lib/locale", Access: policy.FSReadFile | policy.FSReadDir},
		policy.FSRule{Path: "/home/a b", Access: policy.FSReadDir},
	)
	testkit.Golden(t, "testdata/sample.tree", []byte(renderTree(t, p)))
}

func TestTreeEmpty(t *testing.T) {
	p := policy.New(7)
	p.Handled.Scoped = 0
	got := renderTree(t, p)
	for _, want := range []string{"(no paths granted)", "(none granted)", "scoped: none",
		"allowed everywhere (not handled): abstract_unix_socket, signal"} {
		if !strings.Contains(got, want) {
			t.Errorf("tree lacks %q:\n%s", want, got)
		}
	}
}

func TestTreeDeterministic(t *testing.T) {
	p := samplePolicy()
	first := renderTree(t, p)
	for range 20 { // map iteration order differs between runs
		if got := renderTree(t, p); got != first {
			t.Fatalf("tree output changed:\n%s\n---\n%s", got, first)
		}
	}
}

func TestSplitRulePath(t *testing.T) {
	tests := []struct{ in, root, parts string }{
		{"/", "/", ""},
		{"/usr//lib/", "/", "usr,lib"},
		{"${HOME}", "${HOME}", ""},
		{"${HOME}/.ssh", "${HOME}", ".ssh"},
		{"${XDG_CACHE_HOME}x/y", "${XDG_CACHE_HOME}x", "y"},
	}
	for _, tt := range tests {
		root, parts := splitRulePath(tt.in)
		if root != tt.root || strings.Join(parts, ",") != tt.parts {
			t.Errorf("splitRulePath(%q) = %q, %q; want %q, %q", tt.in, root, parts, tt.root, tt.parts)
		}
	}
}
