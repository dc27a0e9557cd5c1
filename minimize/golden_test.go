package minimize

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

var goldenVars = policy.Vars{"HOME": "/home/dev", "PWD": "/home/dev/proj", "TMPDIR": "/tmp"}

func readRun(t *testing.T, name string) []learn.Observation {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "minimize", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	obs, err := learn.ReadAll(f, name)
	if err != nil {
		t.Fatal(err)
	}
	return obs
}

// The golden file is what a reviewer sees for a small build with
// --exact (a rule per file, which does not depend on what this host
// holds): check it by reading it, and rewrite it with go test ./minimize
// -update.
func TestGoldenBuild(t *testing.T) {
	obs := readRun(t, "build.jsonl")
	p, rep := Minimize(obs, Options{Vars: goldenVars, Collapse: DefaultCollapse, Exact: true})
	sound(t, obs, p, goldenVars)
	got := yamlOf(t, p)
	testkit.Golden(t, "../testdata/minimize/build.golden.yaml", []byte(got))
	if _, err := policy.Load(bytesReader(got), "golden"); err != nil {
		t.Errorf("golden policy does not load: %v", err)
	}
	if rep.FSRules == 0 || len(rep.ScopesOff) != 1 || len(rep.Warnings) == 0 {
		t.Errorf("report %+v", rep)
	}
}

// Rule 9: the same observations in any order give the same bytes.
func TestDeterministic(t *testing.T) {
	obs := readRun(t, "build.jsonl")
	p, _ := Minimize(obs, Options{Vars: goldenVars, Collapse: 2})
	want := yamlOf(t, p)
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		shuffled := append([]learn.Observation(nil), obs...)
		// The first observation names the run's root process; keep it first.
		r.Shuffle(len(shuffled)-1, func(i, j int) { shuffled[i+1], shuffled[j+1] = shuffled[j+1], shuffled[i+1] })
		p, _ := Minimize(shuffled, Options{Vars: goldenVars, Collapse: 2})
		if got := yamlOf(t, p); got != want {
			t.Fatalf("order changed the policy:\n%s\nwant:\n%s", got, want)
		}
	}
}

func stripComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestPolicyBetweenAdds: a Builder asked for its policy, then given more
// observations, answers as a Builder given them all at once (the audit
// rounds feed one Builder from round to round).
func TestPolicyBetweenAdds(t *testing.T) {
	obs := readRun(t, "build.jsonl")
	o := Options{Vars: goldenVars, Collapse: DefaultCollapse}
	b := New(o)
	fed := 0
	for _, end := range []int{len(obs) / 3, len(obs) / 2, len(obs)} {
		for _, ob := range obs[fed:end] {
			b.Add(ob)
		}
		fed = end
		got, _ := b.Policy()
		want, _ := Minimize(obs[:end], o)
		if g, w := yamlOf(t, got), yamlOf(t, want); g != w {
			t.Fatalf("after %d observations, asked before:\n%s\nall at once:\n%s", end, g, w)
		}
	}
}
