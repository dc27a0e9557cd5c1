package trace

import (
	"testing"

	"golang.org/x/sys/unix"
)

// The mapping runs while the traced thread waits: its cost is the
// tracer's overhead per call. Measure with
// go test -run XXX -bench Prepare ./learn/trace/
// The open benchmarks run without and with the directory cache the
// tracer keeps (dircache.go): with it, the directory is looked up once.
func BenchmarkPrepareOpenRead(b *testing.B) {
	c := call(unix.SYS_OPENAT, atFDCWD, cstr("/usr/lib/x86_64-linux-gnu/libc.so.6"), unix.O_RDONLY|unix.O_CLOEXEC)
	for _, cache := range []bool{false, true} {
		b.Run(cacheName(cache), func(b *testing.B) {
			tr := &selfTracee{dirs: benchDirCache(cache)}
			for b.Loop() {
				Prepare(c, tr).Finish(nil)
			}
		})
	}
}

func BenchmarkPrepareOpenMissing(b *testing.B) {
	c := call(unix.SYS_OPENAT, atFDCWD, cstr("/usr/lib/x86_64-linux-gnu/nope.so.6"), unix.O_RDONLY|unix.O_CLOEXEC)
	for _, cache := range []bool{false, true} {
		b.Run(cacheName(cache), func(b *testing.B) {
			tr := &selfTracee{dirs: benchDirCache(cache)}
			for b.Loop() {
				Prepare(c, tr)
			}
		})
	}
}

func cacheName(cache bool) string {
	if cache {
		return "dircache"
	}
	return "nocache"
}

func benchDirCache(cache bool) *dirCache {
	if cache {
		return newDirCache()
	}
	return nil
}

func BenchmarkPrepareExec(b *testing.B) {
	c := call(unix.SYS_EXECVE, cstr("/bin/sh"), 0, 0)
	tr := &selfTracee{}
	for b.Loop() {
		Prepare(c, tr).Finish(nil)
	}
}
