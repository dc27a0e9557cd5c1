package minimize

import (
	"testing"

	"github.com/landlearn/landlearn/policy"
)

func TestTidy(t *testing.T) {
	p := policy.New(policy.KernelABI)
	p.FS = []policy.FSRule{
		{Path: "${PWD}", Access: acc("read_file", "make_reg")},
		{Path: "${PWD}/src/a.c", Access: acc("read_file")},           // covered: goes
		{Path: "${PWD}/out", Access: acc("make_reg", "remove_file")}, // keeps remove_file
		{Path: "/home/u/proj/x", Access: acc("read_file")},           // ${PWD} as written does not cover it
		{Path: "/opt", Access: acc("execute", "read_file"), Optional: true},
		{Path: "/opt/tool", Access: acc("execute", "read_file")}, // an optional ancestor does not count
		{Path: "/", Access: acc("read_dir")},
		{Path: "/usr", Access: acc("read_dir", "read_file")}, // keeps read_file
	}
	if n := Tidy(p); n != 1 {
		t.Errorf("removed %d rules, want 1", n)
	}
	wantGrants(t, p, map[string]policy.FSAccess{
		"${PWD}":         acc("read_file", "make_reg"),
		"${PWD}/out":     acc("remove_file"),
		"/home/u/proj/x": acc("read_file"),
		"/opt":           acc("execute", "read_file"),
		"/opt/tool":      acc("execute", "read_file"),
		"/":              acc("read_dir"),
		"/usr":           acc("read_file"),
	})
}
