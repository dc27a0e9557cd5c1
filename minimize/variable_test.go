package minimize

import (
	"strings"
	"testing"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// A file name holding "${" (Maven's ${project.basedir}) gets no rule: the
// policy would read it as a variable, which fails to expand (${NOPE}) or
// names another file (${HOME}). Each such observation is a warning naming
// the path and the directory above it, whether the observations come
// from a run in memory (the trace backend's Memory) or from a JSONL file.
func TestNoRuleHoldsAFileNamesVariable(t *testing.T) {
	obs := cat(
		open("/srv/app/${NOPE}", "read_file"),
		open("/srv/app/${HOME}", "read_file"),
		mkdir("/srv/app/${project.basedir}"),
		create("/srv/app/${project.basedir}/out.txt", "write_file"),
		rename("/srv/app/in/${a}", "/srv/app/in/b", false),
		open("/srv/app/ok.txt", "read_file"),
	)
	o := Options{Vars: policy.Vars{"PWD": "/srv/app"}}
	var m learn.Memory
	var file strings.Builder
	w := learn.NewWriter(&file)
	if err := w.WriteHeader(learn.Header{Version: learn.FormatVersion, Argv: []string{"app"}, Cwd: "/srv/app", Vars: o.Vars}); err != nil {
		t.Fatal(err)
	}
	for _, ob := range obs {
		m.Record(ob)
		if err := w.Record(ob); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// The observations keep the name exactly: only the policy cannot.
	if !strings.Contains(file.String(), `"/srv/app/${NOPE}"`) {
		t.Errorf("the JSONL lost the name:\n%s", file.String())
	}
	b, _, err := readRunText(file.String(), o, false)
	if err != nil {
		t.Fatal(err)
	}
	fromFile, fileRep := b.Policy()
	fromMemory, memRep := Minimize(m.All(), o)
	for _, c := range []struct {
		name string
		p    *policy.Policy
		rep  *Report
	}{{"memory", fromMemory, memRep}, {"file", fromFile, fileRep}} {
		for _, r := range c.p.FS {
			rest := strings.TrimPrefix(r.Path, "${PWD}")
			if strings.Contains(rest, "${") {
				t.Errorf("%s: rule %s holds a file name's ${", c.name, r.Path)
			}
		}
		if g := grants(c.p); g["${PWD}/ok.txt"] != policy.FSReadFile {
			t.Errorf("%s: the other file lost its rule:\n%s", c.name, yamlOf(t, c.p))
		}
		warned := strings.Join(c.rep.Warnings, "\n")
		for _, want := range []string{
			`openat: /srv/app/${NOPE} holds "${", which a policy reads as a variable and cannot hold exactly: no rule is learned for it (rename it, or grant /srv/app by hand)`,
			`openat: /srv/app/${HOME} holds`,
			`mkdir: /srv/app/${project.basedir} holds`,
			`openat: /srv/app/${project.basedir}/out.txt holds`,
			`renameat2: /srv/app/in/${a} holds "${", which a policy reads as a variable and cannot hold exactly: no rule is learned for it (rename it, or grant /srv/app/in by hand)`,
		} {
			if !strings.Contains(warned, want) {
				t.Errorf("%s: no warning %q in:\n%s", c.name, want, warned)
			}
		}
	}
}

// The warning names the path escaped, as every name landlearn prints.
func TestPolicySafeEscapesTheName(t *testing.T) {
	o := learn.PolicySafe(open("/srv/a b/${x}\n\x1b[2J", "read_file"))
	if o.Path != "" || o.FS != 0 || !strings.HasPrefix(o.Warning, `openat: "/srv/a b/${x}\n\x1b[2J" holds "${"`) ||
		!strings.HasSuffix(o.Warning, `(rename it, or grant "/srv/a b" by hand)`) {
		t.Errorf("PolicySafe = %+v", o)
	}
	if got := learn.VariableFreeDir("/${x}/y"); got != "/" {
		t.Errorf("VariableFreeDir(/${x}/y) = %q", got)
	}
}
