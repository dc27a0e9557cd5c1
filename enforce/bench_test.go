package enforce_test

import (
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/policy"
)

// BenchmarkCommandTrue is the cost of starting a command under a policy
// through the helper (re-exec, ruleset, restrict, exec) and waiting for
// it; compare with BenchmarkPlainTrue.
func BenchmarkCommandTrue(b *testing.B) {
	p, err := policy.Load(strings.NewReader(`version: 1
abi: 7
fs:
  - path: /usr
    access: [execute, read_file, read_dir]
  - path: /lib
    access: [execute, read_file, read_dir]
  - path: /lib64
    access: [execute, read_file, read_dir]
  - path: /etc/ld.so.cache
    access: [read_file]
`), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		cmd, err := enforce.Command(p, []string{"/usr/bin/true"}, enforce.Options{Stderr: io.Discard})
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		cmd.ExtraFiles[0].Close()
	}
}

func BenchmarkPlainTrue(b *testing.B) {
	for b.Loop() {
		if err := exec.Command("/usr/bin/true").Run(); err != nil {
			b.Fatal(err)
		}
	}
}
