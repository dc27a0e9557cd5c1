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

// TestGrowKeepsTheHead: what old handles, its ABI, compat and comment are
// a person's choices and stay; learned's rights old does not handle are
// never restricted there, so they add nothing.
func TestGrowKeepsTheHead(t *testing.T) {
	old := policy.New(4)
	old.Compat = policy.Strict
	old.Handled.FS &^= policy.FSTruncate
	old.Handled.Net = policy.NetConnectTCP
	old.Comment = "the web app's sandbox, by hand"
	old.FS = []policy.FSRule{{Path: "/srv/app", Access: acc("read_file")}}
	learned := policy.New(policy.KernelABI)
	learned.Comment = "Learned by landlearn from 9 observations."
	learned.FS = []policy.FSRule{
		{Path: "/srv/app/out", Access: acc("write_file", "truncate"), Learned: true},
		{Path: "/srv/app/t", Access: acc("truncate"), Learned: true},
	}
	learned.Net = []policy.NetRule{{Port: 8080, Access: policy.NetBindTCP}, {Port: 5432, Access: policy.NetConnectTCP | policy.NetBindTCP}}
	m := Grow(old, learned, policy.Vars{"HOME": "/root", "PWD": "/nonexistent"})
	if m.ABI != 4 || m.Compat != policy.Strict || m.Handled != old.Handled || m.Comment != old.Comment {
		t.Errorf("head: abi %d compat %v handled %+v comment %q, want old's", m.ABI, m.Compat, m.Handled, m.Comment)
	}
	wantGrants(t, m, map[string]policy.FSAccess{"/srv/app": acc("read_file"), "/srv/app/out": acc("write_file")})
	if len(m.Net) != 1 || m.Net[0].Port != 5432 || m.Net[0].Access != policy.NetConnectTCP {
		t.Errorf("net rules %+v, want connect_tcp on 5432 only", m.Net)
	}
	// Without a comment of its own, old takes learned's.
	old.Comment = ""
	if m := Grow(old, learned, nil); m.Comment != learned.Comment {
		t.Errorf("comment %q", m.Comment)
	}
}

// TestGrowLeavesOffWhatTheRunNeededOff: a scope the run needed off (a
// signal to a process outside the sandbox) is no longer handled; one the
// learning kernel does not know stays as old has it.
func TestGrowLeavesOffWhatTheRunNeededOff(t *testing.T) {
	old := policy.New(policy.KernelABI)
	learned := policy.New(policy.KernelABI)
	learned.Handled.Scoped &^= policy.ScopeSignal
	if m := Grow(old, learned, nil); m.Handled.Scoped.Has(policy.ScopeSignal) || !m.Handled.Scoped.Has(policy.ScopeAbstractUnixSocket) {
		t.Errorf("scoped %s, want abstract_unix_socket only", m.Handled.Scoped)
	}
	before := policy.New(5) // no scopes at ABI 5
	if m := Grow(old, before, nil); m.Handled.Scoped != old.Handled.Scoped {
		t.Errorf("a kernel without scopes took them off: %s", m.Handled.Scoped)
	}
}
