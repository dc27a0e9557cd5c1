package trace

import (
	"testing"

	"golang.org/x/sys/unix"
)

// The mapping runs while the traced thread waits: its cost is the
// tracer's overhead per call. Measure with
// go test -run XXX -bench Prepare ./learn/trace/
func BenchmarkPrepareOpenRead(b *testing.B) {
	c := call(unix.SYS_OPENAT, atFDCWD, cstr("/usr/lib/x86_64-linux-gnu/libc.so.6"), unix.O_RDONLY|unix.O_CLOEXEC)
	tr := &selfTracee{}
	for b.Loop() {
		Prepare(c, tr).Finish(nil)
	}
}

func BenchmarkPrepareOpenMissing(b *testing.B) {
	c := call(unix.SYS_OPENAT, atFDCWD, cstr("/usr/lib/x86_64-linux-gnu/nope.so.6"), unix.O_RDONLY|unix.O_CLOEXEC)
	tr := &selfTracee{}
	for b.Loop() {
		Prepare(c, tr)
	}
}

func BenchmarkPrepareExec(b *testing.B) {
	c := call(unix.SYS_EXECVE, cstr("/bin/sh"), 0, 0)
	tr := &selfTracee{}
	for b.Loop() {
		Prepare(c, tr).Finish(nil)
	}
}
