package trace_test

import (
	"context"
	"fmt"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/learn/trace"
	"github.com/landlearn/landlearn/policy"
)

// printer prints the observations about one path.
type printer struct{ path string }

func (p printer) Record(o learn.Observation) error {
	if o.Path == p.path && o.FS.Has(policy.FSReadFile) {
		fmt.Println(o.Syscall, o.Path, o.FS)
	}
	return nil
}

// Trace a shell that reads a file: the read is seen, with the right it
// needs. Observations arrive while the program runs; a learn.Writer on
// an *os.File records them as JSONL instead.
func ExampleRun() {
	res, err := trace.Run(context.Background(), []string{"sh", "-c", "cat /etc/hostname > /dev/null; exit 3"}, trace.Options{}, printer{"/etc/hostname"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("exit status", res.ExitCode, "traced with", res.Mode)
	// Output:
	// openat /etc/hostname [read_file]
	// exit status 3 traced with seccomp-notify
}
