package explain

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/learn/audit"
	"github.com/landlearn/landlearn/minimize"
	"github.com/landlearn/landlearn/policy"
)

// A fix is derived only for a path the kernel could have logged: an
// unclean one is named cleaned, with a note (it means /etc/shadow, and a
// policy granting /a does not allow it); one holding a NUL byte gets no
// rule; and no suggestion holds a "${" that came from the log's path,
// which the policy would read as a variable. With or without the
// minimizer naming the rules.
func TestExplainFixOfPathsNoKernelLogs(t *testing.T) {
	rec := func(seq int, path string) string {
		return `type=UNKNOWN[1423] msg=audit(1795755903.146:` + string(rune('0'+seq)) + `): domain=18db492b1 blockers=fs.read_file path=` + path + " dev=\"vda\" ino=1\n"
	}
	log := rec(1, `"/a/../../etc/shadow"`) + rec(2, strings.ToUpper(hex.EncodeToString([]byte("/etc/\x00c")))) +
		rec(3, `"/srv/${HOME}/../x"`) + rec(4, `"/srv/${HOME}/x"`) + rec(5, `"/srv/a/${NOPE}"`)
	p := policy.New(7)
	p.FS = []policy.FSRule{{Path: "/a", Access: policy.FSReadFile}}
	for _, named := range []bool{false, true} {
		c := audit.NewCorrelator()
		if err := c.ReadLog(strings.NewReader(log), "audit.log"); err != nil {
			t.Fatal(err)
		}
		a := NewAggregator(p)
		if named {
			a.Fixes = func(obs []learn.Observation) audit.Namer {
				vars := policy.Vars{"HOME": "/root", "PWD": "/srv"}
				return minimize.Fixes(obs, &learn.Header{Version: learn.FormatVersion, Vars: vars}, minimize.Options{Vars: vars})
			}
		}
		for _, d := range c.Denials() {
			a.Add(d)
		}
		fix := map[string]ObjectDenial{}
		for _, o := range a.Explanation(c.Domains()).Domains[0].Objects {
			fix[o.Path] = o
		}
		if len(fix) != 5 {
			t.Fatalf("objects %v", fix)
		}
		shadow := fix["/a/../../etc/shadow"]
		if !strings.Contains(shadow.Fix, "# the record's path is not clean") || !strings.HasSuffix(shadow.Fix, "- path: /etc/shadow\n  access: [read_file]") ||
			shadow.Policy.Allows {
			t.Errorf("named %v: /a/../../etc/shadow: fix %q, policy %+v", named, shadow.Fix, shadow.Policy)
		}
		if f := fix["/etc/\x00c"].Fix; !strings.Contains(f, "holds a NUL byte") || strings.Contains(f, "- path") {
			t.Errorf("named %v: NUL: fix %q", named, f)
		}
		if f := fix["/srv/${HOME}/../x"].Fix; !strings.HasSuffix(f, "- path: /srv/x\n  access: [read_file]") &&
			!strings.HasSuffix(f, "- path: ${PWD}/x\n  access: [read_file]") {
			t.Errorf("named %v: /srv/${HOME}/../x: fix %q", named, f)
		}
		for _, o := range fix {
			if s := strings.ReplaceAll(o.Fix, "${PWD}", ""); strings.Contains(s, "${") {
				t.Errorf("named %v: %q: the fix holds the path's ${: %q", named, o.Path, o.Fix)
			}
		}
		if f := fix["/srv/a/${NOPE}"].Fix; !strings.Contains(f, `which a policy reads as the start of a variable`) ||
			!strings.Contains(f, "grant /srv/a by hand") {
			t.Errorf("named %v: ${NOPE}: fix %q", named, f)
		}
	}
}
