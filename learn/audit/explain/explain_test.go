package explain

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/learn/audit"
	"github.com/landlearn/landlearn/policy"
)

func explainFile(t *testing.T, p *policy.Policy, files ...string) (Explanation, *audit.Correlator) {
	t.Helper()
	c := audit.NewCorrelator()
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
	testkit.Golden(t, "../../../testdata/audit/golden/explain-raw.txt", b.Bytes())

	js, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "../../../testdata/audit/golden/explain-raw.json", append(js, '\n'))

	_, c := explainFile(t, nil, "raw.log", "enriched.log", "journal.json")
	b.Reset()
	if err := Summarize(c.Denials(), c.Domains()).WriteText(&b); err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "../../../testdata/audit/golden/summary.txt", b.Bytes())
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

func ExampleExplain() {
	c := audit.NewCorrelator()
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
	c := audit.NewCorrelator()
	_ = c.ReadLog(strings.NewReader(`type=UNKNOWN[1424] msg=audit(1795755903.222:61): domain=18db492b1 status=deallocated denials=49`), "audit.log")
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

// adminGuideSignal is the first sample of the kernel's
// Documentation/admin-guide/LSM/landlock.rst.
const adminGuideSignal = `type=LANDLOCK_ACCESS msg=audit(1729738800.268:30): domain=1a6fdc66f blockers=scope.signal opid=1 ocomm="systemd"
type=LANDLOCK_DOMAIN msg=audit(1729738800.268:30): domain=1a6fdc66f status=allocated mode=enforcing pid=286 uid=0 exe="/root/sandboxer" comm="sandboxer"
type=SYSCALL msg=audit(1729738800.268:30): arch=c000003e syscall=62 success=no exit=-1 [..] ppid=272 pid=286 auid=0 uid=0 gid=0 [...] comm="kill" [...]
type=PROCTITLE msg=audit(1729738800.268:30): proctitle=6B696C6C0031
type=LANDLOCK_DOMAIN msg=audit(1729738800.324:31): domain=1a6fdc66f status=deallocated denials=1
`

func readTestdata(t *testing.T, c *audit.Correlator, name string) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "..", "testdata", "audit", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := c.ReadLog(f, name); err != nil {
		t.Fatal(err)
	}
}
