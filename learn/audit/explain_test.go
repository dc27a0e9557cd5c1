package audit

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/audit/golden")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "audit", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

func explainFile(t *testing.T, p *policy.Policy, files ...string) (Explanation, *Correlator) {
	t.Helper()
	c := NewCorrelator()
	for _, f := range files {
		readTestdata(t, c, f)
	}
	return Explain(c.Denials(), c.Domains(), p), c
}

func TestExplainGolden(t *testing.T) {
	e, _ := explainFile(t, nil, "raw.log")
	var b bytes.Buffer
	if err := e.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "explain-raw.txt", b.Bytes())

	js, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "explain-raw.json", append(js, '\n'))

	_, c := explainFile(t, nil, "raw.log", "enriched.log", "journal.json")
	b.Reset()
	if err := Summarize(c.Denials(), c.Domains()).WriteText(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.txt", b.Bytes())
}

// The same kernel records read through auditd's raw log, ausearch --raw
// and journald explain the same way (only hosts and sources differ); so
// do the ENRICHED log and ausearch's default output of it.
func TestExplainSameAcrossFormats(t *testing.T) {
	for _, set := range [][]string{
		{"raw.log", "ausearch-raw.log", "journal.json"},
		{"enriched.log", "ausearch.log"},
	} {
		want, _ := explainFile(t, nil, set[0])
		strip(&want)
		for _, f := range set[1:] {
			got, _ := explainFile(t, nil, f)
			strip(&got)
			if !reflect.DeepEqual(got, want) {
				g, _ := json.MarshalIndent(got, "", " ")
				w, _ := json.MarshalIndent(want, "", " ")
				t.Errorf("%s explains differently from %s:\n%s\nwant:\n%s", f, set[0], g, w)
			}
		}
	}
}

func strip(e *Explanation) {
	for i := range e.Domains {
		e.Domains[i].Host = ""
		for j := range e.Domains[i].Objects {
			e.Domains[i].Objects[j].Sources = nil
		}
	}
}

func TestExplainWithPolicy(t *testing.T) {
	p := policy.New(7)
	p.FS = []policy.FSRule{
		{Path: "/etc", Access: policy.FSReadFile},
		{Path: "/tmp/ll-rec/ro", Access: policy.FSMakeReg | policy.FSMakeDir},
	}
	p.Net = []policy.NetRule{{Port: 443, Access: policy.NetConnectTCP}}
	p.Handled.Scoped = policy.ScopeAbstractUnixSocket
	e, _ := explainFile(t, p, "raw.log")
	got := map[string]*PolicyVerdict{}
	for _, o := range e.Domains[0].Objects {
		got[o.Object] = o.Policy
	}
	for obj, want := range map[string]PolicyVerdict{
		"/etc/hostname":             {Allows: true},
		"tcp port 443 (127.0.0.1)":  {Allows: true},
		"tcp port 8080 (127.0.0.1)": {Missing: []string{"bind_tcp"}},
		"process 16687 (rec)":       {Unfixable: []string{"ptrace"}},
		"/tmp/ll-rec/ro":            {Missing: []string{"remove_dir", "remove_file", "make_fifo", "make_sym"}},
		"/tmp/ll-rec/noexec/prog":   {Missing: []string{"execute"}},
	} {
		v := got[obj]
		if v == nil || v.Allows != want.Allows || !reflect.DeepEqual(v.Missing, want.Missing) || !reflect.DeepEqual(v.Unfixable, want.Unfixable) {
			t.Errorf("%s: verdict %+v, want %+v", obj, v, want)
		}
	}
	// The signal scope is not handled by p: the signal denial (and
	// only the ptrace one of the two process objects) is allowed.
	for _, o := range e.Domains[0].Objects {
		if o.Kind == "scope" && strings.Contains(o.Object, "process") && !o.Policy.Allows {
			t.Errorf("signal: verdict %+v, want allowed", o.Policy)
		}
	}
}

func TestFixRule(t *testing.T) {
	for _, tc := range []struct {
		d    Denial
		want string
	}{
		{Denial{Blockers: []string{"fs.read_file"}, Path: "/etc/hosts"}, "- path: /etc/hosts\n  access: [read_file]"},
		{Denial{Blockers: []string{"fs.write_file", "fs.read_file"}, Path: "/dev/tty"}, "- path: /dev/tty\n  access: [write_file, read_file]"},
		{Denial{Blockers: []string{"fs.make_reg"}, Path: "/tmp/a b"}, "- path: \"/tmp/a b\"\n  access: [make_reg]"},
		{Denial{Blockers: []string{"fs.read_file"}, Path: "/tmp/x\"y:#z"}, "- path: \"/tmp/x\\\"y:#z\"\n  access: [read_file]"},
		{Denial{Blockers: []string{"fs.read_file"}, Path: "/tmp/f (deleted)"},
			"# deleted when it was denied: a rule needs the file to exist when the policy is enforced\n- path: /tmp/f\n  access: [read_file]"},
		{Denial{Blockers: []string{"fs.read_file"}, Path: "pipe:[1234]"},
			"# \"pipe:[1234]\" has no path in the file system: Landlock rules cannot name it; rights [read_file]"},
		{Denial{Blockers: []string{"fs.make_reg", "fs.refer"}, Path: "/usr/local"},
			"# refer: both directories of the rename or link need it, and the moved file must gain no right at its destination\n- path: /usr/local\n  access: [make_reg, refer]"},
		{Denial{Blockers: []string{"net.connect_tcp"}, Port: 443}, "- port: 443\n  access: [connect_tcp]"},
		{Denial{Blockers: []string{"net.bind_tcp"}, Port: 0}, "- port: 0\n  access: [bind_tcp]"},
		{Denial{Blockers: []string{"scope.signal"}, Opid: 1},
			"remove signal from handled.scoped (a scope has no rules: this allows it towards every process outside the domain)"},
		{Denial{Blockers: []string{"ptrace"}, Opid: 1}, "Landlock never allows ptrace of a process outside the domain: not fixable by a rule"},
		{Denial{Blockers: []string{"fs.change_topology"}, Path: "/mnt"},
			"Landlock denies mount, umount and pivot_root to every domain that handles fs rights: not fixable by a rule"},
		{Denial{Blockers: []string{"net.read_file"}}, "blocker \"net.read_file\" is unknown to landlearn (a newer kernel?): no rule derived"},
	} {
		if got := tc.d.FixRule(); got != tc.want {
			t.Errorf("FixRule(%v %q) =\n%s\nwant\n%s", tc.d.Blockers, tc.d.Path, got, tc.want)
		}
	}
}

func TestRights(t *testing.T) {
	d := Denial{Blockers: []string{"fs.read_file", "fs.execute", "net.bind_tcp", "scope.signal", "ptrace", "fs.bogus"}}
	fs, net, scopes, other := d.Rights()
	if fs != policy.FSReadFile|policy.FSExecute || net != policy.NetBindTCP ||
		scopes != policy.ScopeSignal || !reflect.DeepEqual(other, []string{"ptrace", "fs.bogus"}) {
		t.Errorf("Rights() = %v %v %v %v", fs, net, scopes, other)
	}
}

func ExampleDenial_FixRule() {
	d := Denial{Blockers: []string{"fs.make_reg"}, Path: "/var/cache/app"}
	fmt.Println(d.FixRule())
	d = Denial{Blockers: []string{"net.connect_tcp"}, Port: 443}
	fmt.Println(d.FixRule())
	// Output:
	// - path: /var/cache/app
	//   access: [make_reg]
	// - port: 443
	//   access: [connect_tcp]
}

func ExampleExplain() {
	c := NewCorrelator()
	_ = c.ReadLog(strings.NewReader(adminGuideSignal), "audit.log")
	_ = Explain(c.Denials(), c.Domains(), nil).WriteText(os.Stdout)
	// Output:
	// domain 1a6fdc66f
	//   created by /root/sandboxer (comm sandboxer, pid 286, uid 0), mode enforcing
	//   first denial 2024-10-24 03:00:00.268 UTC; deallocated 2024-10-24 03:00:00.324 UTC after 1 denial (1 logged here)
	//
	//   process 1 (systemd): signal denied 1 time (kill) [audit.log:1]
	//     remove signal from handled.scoped (a scope has no rules: this allows it towards every process outside the domain)
}

// A log that starts after the domain's denials (rotated) still tells its
// end and how many denials it had.
func TestExplainDeallocationOnly(t *testing.T) {
	c := NewCorrelator()
	_ = c.AddLine(`type=UNKNOWN[1424] msg=audit(1795755903.222:61): domain=18db492b1 status=deallocated denials=49`)
	var b strings.Builder
	if err := Explain(c.Denials(), c.Domains(), nil).WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `domain 18db492b1
  creator unknown: its allocation record is not in the input (a rotated or filtered log?)
  no denial of it in this input; deallocated 2026-11-27 05:05:03.222 UTC after 49 denials (0 logged here)
  49 denials are not in this input: rate limits, audit rules or log flags dropped them, or the log is partial
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}
