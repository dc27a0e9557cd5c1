package trace

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/learn"
)

// BenchmarkFindCat traces bench/trace.sh's workload (b) once per
// iteration, for profiling the receivers:
//
//	go test -run - -bench FindCat -benchtime 1x -cpuprofile cpu.out ./learn/trace
func BenchmarkFindCat(b *testing.B) {
	requireTracing(b)
	dir := os.Getenv("LANDLEARN_BENCH_DIR")
	if dir == "" {
		dir = "/usr/share"
	}
	script := "find " + dir + " -type f -print0 | xargs -0 cat > /dev/null"
	if s := os.Getenv("LANDLEARN_BENCH_SCRIPT"); s != "" {
		script = s // another workload, e.g. "make -s clean all -j2 -C DIR"
	}
	b.Run("native", func(b *testing.B) {
		for b.Loop() {
			if err := exec.Command("sh", "-c", script).Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("notify", func(b *testing.B) {
		var r0, r1 unix.Rusage
		unix.Getrusage(unix.RUSAGE_SELF, &r0)
		defer func() {
			unix.Getrusage(unix.RUSAGE_SELF, &r1)
			cpu := func(r *unix.Rusage) float64 { return float64(r.Utime.Nano()+r.Stime.Nano()) / 1e9 }
			b.ReportMetric((cpu(&r1)-cpu(&r0))/float64(b.N), "learner-cpu-s/op")
		}()
		for b.Loop() {
			var rec learn.Recorder = discardRecorder{}
			if p := os.Getenv("LANDLEARN_BENCH_JSONL"); p != "" {
				f, err := os.Create(p) // as landlearn learn --raw writes it
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				w := learn.NewFileWriter(f)
				defer w.Close()
				rec = w
			}
			res, err := Run(context.Background(), []string{"sh", "-c", script}, Options{}, rec)
			if err != nil || res.ExitCode != 0 {
				b.Fatalf("run: %v, exit %d", err, res.ExitCode)
			}
		}
	})
}
