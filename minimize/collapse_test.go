package minimize

import (
	"fmt"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

func siblings(dir string, n int) []learn.Observation {
	var out []learn.Observation
	for i := range n {
		out = append(out, open(fmt.Sprintf("%s/m%02d.py", dir, i), "read_file"))
	}
	return out
}

// Rule 6: siblings collapse at the threshold, not below it.
func TestCollapseThreshold(t *testing.T) {
	obs := cat(siblings("/usr/lib/py", 4), open("/usr/lib/py/sub/x", "read_file"))
	p, _ := Minimize(obs, Options{Collapse: 5})
	if len(p.FS) != 5 {
		t.Errorf("below the threshold: %d rules, want 5", len(p.FS))
	}
	p, _ = Minimize(obs, Options{Collapse: 4})
	wantGrants(t, p, map[string]policy.FSAccess{"/usr/lib/py": acc("read_file")})
	if !strings.Contains(p.FS[0].Comment, "collapsed from 4 sibling files (--collapse 4)") {
		t.Errorf("comment %q", p.FS[0].Comment)
	}
	sound(t, obs, p, nil)
	if p, _ := Minimize(obs, Options{}); len(p.FS) != 5 {
		t.Errorf("collapse 0 is off: %d rules", len(p.FS))
	}
}

// Sensitive trees never collapse without AllowSensitive, and a grant that
// lands on one is warned about with observed against granted.
func TestCollapseNeverInSensitiveTrees(t *testing.T) {
	vars := policy.Vars{"HOME": "/home/u"}
	for _, dir := range []string{"/etc", "/etc/ssl/certs", "/home/u", "/home/u/.ssh", "/proc/sys/kernel", "/root"} {
		obs := cat(siblings(dir, 3))
		p, _ := Minimize(obs, Options{Collapse: 2, Vars: vars})
		if len(p.FS) != 3 {
			t.Errorf("%s collapsed without --allow-sensitive:\n%s", dir, yamlOf(t, p))
		}
		p, rep := Minimize(obs, Options{Collapse: 2, Vars: vars, AllowSensitive: true})
		if len(p.FS) != 1 {
			t.Errorf("%s not collapsed with --allow-sensitive", dir)
		}
		if dir != "/etc/ssl/certs" && dir != "/proc/sys/kernel" && (len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "sensitive grant: [read_file] beneath ")) {
			t.Errorf("%s: warnings %q", dir, rep.Warnings)
		}
	}
	// A project under ${HOME} is not sensitive: only ${HOME} itself is.
	p, _ := Minimize(cat(siblings("/home/u/src", 3)), Options{Collapse: 2, Vars: vars})
	wantGrants(t, p, map[string]policy.FSAccess{"${HOME}/src": acc("read_file")})
}

func TestSensitiveWarnings(t *testing.T) {
	vars := policy.Vars{"HOME": "/home/u"}
	cases := []struct {
		obs  []learn.Observation
		warn string // "" for no warning
	}{
		{cat(open("/etc/hosts", "read_file")), ""},
		{cat(open("/home/u/.ssh/id_ed25519", "read_file")), ""},
		{cat(open("/etc/app.conf", "write_file")), "sensitive grant: [write_file] on /etc/app.conf; the run used [write_file] on 1 path"},
		{cat(create("/etc/app.conf", "write_file")), "sensitive grant: [write_file, make_reg] beneath /etc (everything in it); the run used [write_file, make_reg] on 2 paths, e.g. /etc/app.conf"},
		{cat(openDir("/")), "sensitive grant: [read_dir] beneath / (everything in it)"},
		{cat(create("/home/u/.bashrc.new", "write_file")), "beneath ${HOME} (everything in it)"},
		{cat(learn.Observation{PID: 999, Path: "/proc/1234/stat", Type: learn.TypeFile, FS: policy.FSReadFile}), "beneath /proc (everything in it); the run used [read_file] on 1 path, e.g. /proc/1234/stat"},
	}
	for i, c := range cases {
		p, rep := Minimize(c.obs, Options{Vars: vars})
		got := strings.Join(rep.Warnings, "\n")
		if c.warn == "" && got != "" || !strings.Contains(got, c.warn) {
			t.Errorf("case %d: warnings %q, want %q", i, got, c.warn)
		}
		// The policy file says it too, beside the rule, for a reviewer
		// who never saw learn's output.
		var comments string
		for _, r := range p.FS {
			comments += r.Comment + "\n"
		}
		if c.warn != "" && !strings.Contains(comments, "WARNING: sensitive grant: ") {
			t.Errorf("case %d: no warning in the rules' comments:\n%s", i, comments)
		}
	}
}

// Collapsing gives the directory only the rights enough siblings used: a
// right one file used (ld.so's execute, a log's write_file) stays on that
// file instead of reaching every sibling.
func TestCollapseKeepsRareRightsOnTheirFile(t *testing.T) {
	obs := cat(siblings("/usr/lib/x", 4),
		open("/usr/lib/x/m00.py", "execute"),
		open("/usr/lib/x/m01.py", "write_file"))
	p, _ := Minimize(obs, Options{Collapse: 4})
	wantGrants(t, p, map[string]policy.FSAccess{
		"/usr/lib/x":        acc("read_file"),
		"/usr/lib/x/m00.py": acc("execute"),
		"/usr/lib/x/m01.py": acc("write_file"),
	})
	if len(p.FS) != 3 {
		t.Errorf("%d rules, want 3: %+v", len(p.FS), p.FS)
	}
	sound(t, obs, p, nil)
	// No right that enough files share: nothing collapses.
	obs = cat(open("/d/a", "read_file"), open("/d/b", "write_file"), open("/d/c", "execute"), open("/d/e", "truncate"))
	if p, _ := Minimize(obs, Options{Collapse: 4}); len(p.FS) != 4 {
		t.Errorf("4 files with 4 different rights: %d rules, want 4 exact ones", len(p.FS))
	}
}
