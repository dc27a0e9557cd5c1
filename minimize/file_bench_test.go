package minimize

import (
	"os"
	"runtime/debug"
	"syscall"
	"testing"
	"time"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// BenchmarkReadRunFile minimizes the JSONL file named by
// $LANDLEARN_BENCH_JSONL (KEEP=1 bench/minimize.sh keeps one), as
// `landlearn minimize` does: for profiling on the benchmark's input.
// Besides the wall time it reports the CPU time (user + sys) per
// minimization, which other work on the machine disturbs less.
func BenchmarkReadRunFile(b *testing.B) {
	name := os.Getenv("LANDLEARN_BENCH_JSONL")
	if name == "" {
		testkit.Skip(b, "LANDLEARN_BENCH_JSONL is not set")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(400)) // as landlearn minimize sets it
	cpu := cpuTime()
	for range b.N {
		f, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		bd := New(Options{Vars: policy.DefaultVars(), Collapse: DefaultCollapse})
		if err := ReadRun(bd, learn.NewReader(f, name)); err != nil {
			b.Fatal(err)
		}
		f.Close()
		bd.Policy()
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAddFile is BenchmarkReadRunFile without the decoding and on
// one core: the observations of $LANDLEARN_BENCH_JSONL are decoded once,
// then added to a Builder, and the policy assembled. The decoding alone
// is learn's BenchmarkReaderFile.
func BenchmarkAddFile(b *testing.B) {
	name := os.Getenv("LANDLEARN_BENCH_JSONL")
	if name == "" {
		testkit.Skip(b, "LANDLEARN_BENCH_JSONL is not set")
	}
	f, err := os.Open(name)
	if err != nil {
		b.Fatal(err)
	}
	obs, err := learn.ReadAll(f, name)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu := cpuTime()
	for range b.N {
		bd := New(Options{Vars: policy.DefaultVars(), Collapse: DefaultCollapse})
		bd.StartRun(nil)
		for i := range obs {
			bd.add(&obs[i])
		}
		bd.Policy()
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(obs)), "ns/obs")
}
