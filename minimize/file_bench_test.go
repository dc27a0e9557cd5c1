package minimize

import (
	"os"
	"testing"

	"github.com/landlearn/landlearn/policy"
)

// BenchmarkReadRunFile minimizes the JSONL file named by
// $LANDLEARN_BENCH_JSONL (KEEP=1 bench/minimize.sh keeps one), as
// `landlearn minimize` does: for profiling on the benchmark's input.
func BenchmarkReadRunFile(b *testing.B) {
	name := os.Getenv("LANDLEARN_BENCH_JSONL")
	if name == "" {
		b.Skip("LANDLEARN_BENCH_JSONL is not set")
	}
	for range b.N {
		f, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		bd := New(Options{Vars: policy.DefaultVars(), Collapse: DefaultCollapse})
		if _, err := ReadRun(bd, f, name, false); err != nil {
			b.Fatal(err)
		}
		f.Close()
		bd.Policy()
	}
}
