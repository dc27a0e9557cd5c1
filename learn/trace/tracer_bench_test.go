package trace

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/learn"
)

// openLoopC opens and closes ./target argv[1] times.
const openLoopC = `
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 0;
	for (int i = 0; i < n; i++) {
		int fd = openat(AT_FDCWD, "target", O_RDONLY);
		if (fd < 0) return 1;
		close(fd);
	}
	return 0;
}
`

// BenchmarkOpen is the cost of one traced open (and close): native, in
// the default mode and in accurate mode, with the real mapping. One
// process makes all b.N opens, so the start of the tree is amortized.
//
//	go test -run - -bench Open ./learn/trace
func BenchmarkOpen(b *testing.B) {
	requireTracing(b)
	testkit.RequireProgram(b, "gcc")
	dir := b.TempDir()
	src := filepath.Join(dir, "open.c")
	bin := filepath.Join(dir, "open")
	if err := os.WriteFile(src, []byte(openLoopC), 0o644); err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command("gcc", "-O1", "-o", bin, src).CombinedOutput(); err != nil {
		b.Fatalf("gcc: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "target"), []byte("x"), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Run("native", func(b *testing.B) {
		cmd := exec.Command(bin, strconv.Itoa(b.N))
		cmd.Dir = dir
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
	})
	for _, mode := range []struct {
		name     string
		accurate bool
	}{{"notify", false}, {"ptrace", true}} {
		b.Run(mode.name, func(b *testing.B) {
			res, err := Run(context.Background(), []string{bin, strconv.Itoa(b.N)}, Options{Dir: dir, Accurate: mode.accurate}, discardRecorder{})
			if err != nil || res.ExitCode != 0 {
				b.Fatalf("run: %v, exit %d", err, res.ExitCode)
			}
		})
	}
}

type discardRecorder struct{}

func (discardRecorder) Record(learn.Observation) error { return nil }
