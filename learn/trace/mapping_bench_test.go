package trace

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/testkit"
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
				prepareCall(c, tr).Finish(nil)
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
				prepareCall(c, tr)
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
		prepareCall(c, tr).Finish(nil)
	}
}

// BenchmarkHandleRepeatedOpen is the receiver's own work on a repeated
// open, as on bench/trace.sh's (c), without receiving and answering:
// the watcher's check, the read of the path (process_vm_readv of this
// thread), the mapping with the stat cache, and the record of a repeat.
//
//	go test -run - -bench HandleRepeatedOpen -benchmem ./learn/trace
func BenchmarkHandleRepeatedOpen(b *testing.B) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	s := newSession(defaultMapping(), discardRecorder{}, procTree{}, nil)
	if s.watch = newWatcher(s.threads); s.watch == nil {
		testkit.Skip(b, "no PIDFD_THREAD (Linux 6.9)")
	}
	defer s.watch.close()
	f := filepath.Join(b.TempDir(), "f")
	if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
		b.Fatal(err)
	}
	tid := unix.Gettid()
	args := call(unix.SYS_OPENAT, atFDCWD, cstr(f), unix.O_RDONLY|unix.O_CLOEXEC).Args
	e := lookupSyscall(abiX86_64, unix.SYS_OPENAT)
	var t procTracee
	for b.Loop() {
		s.watch.check()
		t.reset(tid, s, s.dirs)
		c := sysCall{Seq: s.seq.Add(1), TID: tid, PID: t.tgid(), Arch: abiX86_64, Nr: unix.SYS_OPENAT, Args: args}
		if p := s.prepare(&c, &t, e); p != nil {
			s.record(tid, &c, p.Finish(nil))
		}
	}
}
