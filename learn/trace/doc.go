// Package trace is landlearn's permissive mode: it runs a program
// unconfined, stops each system call that Landlock controls, and turns
// it into observations (learn.Observation): which Landlock rights the
// call would need under a sandbox, computed with the kernel's own rules.
// Landlock itself has no permissive mode; this is how landlearn gets one
// without privileges.
//
// Two halves live here. The mechanism (tracer.go, helper.go, notify.go,
// ptrace.go, bpf.go, tree.go, tracee.go) starts the program and stops
// its calls: a seccomp filter that returns SECCOMP_RET_USER_NOTIF for
// the listed syscalls only, a supervisor reading the stopped callers
// through /proc and process_vm_readv, and a keeper process that holds
// the whole process tree so nothing traced outlives landlearn. The
// mapping (syscalls.go, mapping*.go, elf.go) is the data table of those
// syscalls and what each one needs (prepareCall, filterSyscalls).
//
// Use Run:
//
//	f, _ := os.Create("run.jsonl")
//	w := learn.NewFileWriter(f)
//	res, err := trace.Run(ctx, []string{"make"}, trace.Options{}, w)
//	w.Close()
//
// Requirements: Linux 6.6 or later (the listener wakes its receivers
// when the traced tree is gone), /proc, x86_64 (i386 programs are
// traced too; x32 calls fail with ENOSYS). No privilege: the tree runs
// with no_new_privs, as it will under Landlock.
package trace
