package minimize

import (
	"strings"
	"testing"

	"github.com/landlearn/landlearn/policy"
)

// TestGrowKeepsWhatWasWritten: learn --merge keeps every old rule as it
// was written, adds only what the old policy does not grant, and says
// where it grew a rule.
func TestGrowKeepsWhatWasWritten(t *testing.T) {
	old := policy.New(policy.KernelABI)
	old.FS = []policy.FSRule{
		{Path: "${PWD}", Access: acc("read_dir"), Comment: "by hand"},
		{Path: "${PWD}/static", Access: acc("read_file", "read_dir"), Comment: "by hand: the pages"},
		{Path: "${PWD}/logs", Access: acc("make_reg")},
		{Path: "/opt/app", Access: acc("read_file"), Optional: true},
		{Group: "linker-config", Access: acc("read_file")},
	}
	learned := policy.New(policy.KernelABI)
	learned.FS = []policy.FSRule{
		{Path: "${PWD}/static", Access: acc("read_file"), Learned: true},                  // granted: left out
		{Path: "${PWD}/static/new.html", Access: acc("read_file"), Learned: true},         // granted by an ancestor
		{Path: "${PWD}/logs", Access: acc("make_reg", "write_file"), Learned: true},       // grows the old rule
		{Path: "${PWD}/db.sqlite", Access: acc("read_file", "write_file"), Learned: true}, // new
		{Path: "/opt/app/lib.so", Access: acc("read_file"), Learned: true},                // an optional ancestor does not count
		{Path: "/etc/ld.so.cache", Access: acc("read_file"), Learned: true},               // the group grants it here
		{Group: "system", Access: acc("execute", "read_file")},                            // a new group
	}
	learned.Net = []policy.NetRule{{Port: 8080, Access: policy.NetBindTCP}}
	m := Grow(old, learned, policy.Vars{"HOME": "/root", "PWD": "/nonexistent"})
	got := map[string]policy.FSAccess{}
	comments := map[string]string{}
	for _, r := range m.FS {
		k := r.Path
		if r.Group != "" {
			k = "group " + r.Group
		}
		got[k] = r.Access
		comments[k] = r.Comment
	}
	want := map[string]policy.FSAccess{
		"${PWD}":              acc("read_dir"),
		"${PWD}/static":       acc("read_file", "read_dir"),
		"${PWD}/logs":         acc("make_reg", "write_file"),
		"${PWD}/db.sqlite":    acc("read_file", "write_file"),
		"/opt/app":            acc("read_file"),
		"/opt/app/lib.so":     acc("read_file"),
		"group linker-config": acc("read_file"),
		"group system":        acc("execute", "read_file"),
	}
	for k, a := range want {
		if got[k] != a {
			t.Errorf("%s: %s, want %s", k, got[k], a)
		}
	}
	if len(got) != len(want) {
		t.Errorf("rules %v, want %v", got, want)
	}
	if comments["${PWD}/static"] != "by hand: the pages" {
		t.Errorf("a hand-written comment changed: %q", comments["${PWD}/static"])
	}
	if !strings.Contains(comments["${PWD}/logs"], "grown by learn --merge with [write_file]") {
		t.Errorf("a grown rule does not say so: %q", comments["${PWD}/logs"])
	}
	if len(m.Net) != 1 || m.Net[0].Port != 8080 {
		t.Errorf("ports: %+v", m.Net)
	}
}
