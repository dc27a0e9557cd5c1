package minimize

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/landlearn/landlearn/policy"
)

func TestReachable(t *testing.T) {
	d := t.TempDir()
	for _, f := range []string{"a", "b", "sub/c", "sub/d", "list/x", "list/y"} {
		p := filepath.Join(d, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := policy.New(policy.KernelABI)
	p.FS = []policy.FSRule{
		{Path: filepath.Join(d, "a"), Access: acc("read_file")},
		{Path: filepath.Join(d, "sub"), Access: acc("read_file")},
		{Path: filepath.Join(d, "sub/c"), Access: acc("write_file")}, // counted once
		{Path: filepath.Join(d, "list"), Access: acc("read_dir")},    // lists, opens nothing
		{Path: "/proc", Access: acc("read_file")},                    // kernel objects: not counted
		{Path: filepath.Join(d, "missing"), Access: acc("read_file")},
	}
	if n, capped := Reachable(p, 100); n != 3 || capped {
		t.Errorf("Reachable = %d, %t; want 3, false", n, capped)
	}
	if n, capped := Reachable(p, 2); n != 2 || !capped {
		t.Errorf("Reachable with limit 2 = %d, %t; want 2, true", n, capped)
	}
}
