package emit

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/policy"
)

// hostileNames are paths a policy under review may hold (a pull request
// is untrusted): each would forge a line, drive the terminal or hide
// what it is if printed raw.
var hostileNames = []string{
	"/x\n├── etc  [write_file]",
	"/title\x1b]0;owned\x07",
	"/clear\x1b[2J",
	"/csi\u009b1m",
	"/txt.\u202eexe",
	"/zero\u200bwidth",
	"/bad\xffbyte",
}

// TestTreeAndDiffEscapeNames: emit --format tree and diff print every
// path on one line of printable characters, quoted.
func TestTreeAndDiffEscapeNames(t *testing.T) {
	old := policy.New(7)
	p := policy.New(7)
	for _, n := range hostileNames {
		p.FS = append(p.FS, policy.FSRule{Path: n, Access: policy.FSReadFile})
	}
	var diff bytes.Buffer
	if err := Diff(&diff, policy.Diff(old, p)); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"tree": renderTree(t, p), "diff": diff.String()} {
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		for _, n := range hostileNames {
			// The tree names the file beneath /, the diff the whole path.
			if !strings.Contains(out, strconv.Quote(n)) && !strings.Contains(out, strconv.Quote(n[1:])) {
				t.Errorf("%s: %q is not quoted:\n%s", name, n, out)
			}
		}
		for _, l := range lines {
			if strings.ContainsAny(l, "\x1b\x07\u009b\u202e\u200b") || strings.Contains(l, "\xff") || strings.HasPrefix(strings.TrimLeft(l, "│ "), "├── etc") {
				t.Errorf("%s: line %q leaks a raw character or a forged line", name, l)
			}
		}
	}
}
