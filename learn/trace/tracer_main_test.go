package trace

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/landlearn/landlearn/internal/reexec"
	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/learn"
)

// TestMain lets the test binary play landlearn's re-executed roles:
// the keeper and exec helper (helperRole), and a learner process that a
// test can interrupt or kill (envLearner).
func TestMain(m *testing.M) {
	reexec.Main()
	if raw := os.Getenv(envLearner); raw != "" {
		os.Exit(learnerMain(raw, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// envLearner names the JSONL file a learner subprocess writes to;
// envAccurate makes it trace with ptrace; envGrace sets Options.Grace.
const (
	envLearner  = "LANDLEARN_TEST_LEARNER_RAW"
	envAccurate = "LANDLEARN_TEST_ACCURATE"
	envGrace    = "LANDLEARN_TEST_GRACE"
)

// learnerMain is a minimal `landlearn learn --raw`: argv is the target.
func learnerMain(raw string, argv []string) int {
	f, err := os.Create(raw)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer f.Close()
	// As landlearn learn writes it: a test that kills this learner
	// reads what a killed landlearn leaves.
	w := learn.NewFileWriter(f)
	defer w.Close()
	grace, _ := time.ParseDuration(os.Getenv(envGrace))
	res, err := run(context.Background(), argv, Options{Accurate: os.Getenv(envAccurate) != "", Grace: grace}, w, testMapping())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Printf("mode=%s\n", res.Mode)
	return res.ExitCode
}

// requireTracing skips where the kernel cannot run the tracer.
func requireTracing(t testing.TB) {
	t.Helper()
	if err := Supported(); err != nil {
		testkit.Skip(t, "%v", err)
	}
}

// memRecorder keeps observations in memory, with lookups for tests.
type memRecorder struct{ learn.Memory }

func (r *memRecorder) all() []learn.Observation { return r.All() }

// paths lists the observed paths with syscall name prefix, "openat /x".
func (r *memRecorder) has(syscall, path string) bool {
	for _, o := range r.all() {
		if (syscall == "" || o.Syscall == syscall) && o.Path == path {
			return true
		}
	}
	return false
}

func (r *memRecorder) dump() string {
	var b strings.Builder
	for _, o := range r.all() {
		fmt.Fprintf(&b, "%d %s pid=%d %s %v %s\n", o.Seq, o.Syscall, o.PID, o.Path, o.AccessNames(), o.Warning)
	}
	return b.String()
}

// runTest traces argv with the test mapping.
func runTest(t *testing.T, o Options, argv ...string) (RunResult, *memRecorder) {
	t.Helper()
	requireTracing(t)
	rec := &memRecorder{}
	if o.Warnf == nil {
		o.Warnf = func(f string, a ...any) { t.Logf("warning: "+f, a...) }
	}
	res, err := run(context.Background(), argv, o, rec, testMapping())
	if err != nil {
		t.Fatalf("run %q: %v", argv, err)
	}
	return res, rec
}
