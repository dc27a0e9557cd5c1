package minimize

import (
	"bytes"
	"os"
	"syscall"
	"testing"
	"time"

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
		b.Skip("LANDLEARN_BENCH_JSONL is not set")
	}
	cpu := cpuTime()
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
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// benchFile is the name and content of $LANDLEARN_BENCH_JSONL; the
// benchmark is skipped without it.
func benchFile(b *testing.B) (string, []byte) {
	name := os.Getenv("LANDLEARN_BENCH_JSONL")
	if name == "" {
		b.Skip("LANDLEARN_BENCH_JSONL is not set")
	}
	data, err := os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	return name, data
}

// cpuTime is the CPU time this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAddFile is BenchmarkReadRunFile without the decoding and on
// one core: the observations of $LANDLEARN_BENCH_JSONL are decoded once,
// then added to a Builder, and the policy assembled.
func BenchmarkAddFile(b *testing.B) {
	name, data := benchFile(b)
	d := newDecoder()
	d.borrow = true
	obs, _, err := d.decodeChunk(data, name, 1, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu := cpuTime()
	for range b.N {
		bd := New(Options{Vars: policy.DefaultVars(), Collapse: DefaultCollapse})
		bd.StartRun()
		for i := range obs {
			bd.add(&obs[i])
		}
		bd.Policy()
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(obs)), "ns/obs")
}

// BenchmarkDecodeFile is the other half of BenchmarkReadRunFile: the
// decoding of $LANDLEARN_BENCH_JSONL, on one core, without the Builder.
func BenchmarkDecodeFile(b *testing.B) {
	name, data := benchFile(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	var obs []learn.Observation
	for range b.N {
		d := newDecoder()
		d.borrow = true
		for rest := data; len(rest) > 0; {
			chunk := rest[:min(chunkSize, len(rest))]
			if i := bytes.LastIndexByte(chunk, '\n'); i >= 0 && len(chunk) < len(rest) {
				chunk = chunk[:i+1]
			}
			rest = rest[len(chunk):]
			var err error
			if obs, _, err = d.decodeChunk(chunk, name, 1, false, obs[:0]); err != nil {
				b.Fatal(err)
			}
		}
	}
}
