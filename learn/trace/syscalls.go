package trace

import (
	"fmt"
	"sort"
)

// argIdx names one of a call's six arguments. The zero value means "this
// syscall has no such argument", so a table row spells only what it has.
type argIdx uint8

const (
	noArg argIdx = iota
	arg0
	arg1
	arg2
	arg3
	arg4
	arg5
)

// layout says where a syscall keeps the arguments the mapping reads. Two
// syscalls with the same handler differ only in their layout: open is
// openat without a dirfd, creat is open with fixed flags.
type layout struct {
	dirfd, path   argIdx // path relative to dirfd (no dirfd: AT_FDCWD)
	dirfd2, path2 argIdx // the second path of rename and link; symlink's new link (path is its target string)
	flags         argIdx
	mode          argIdx
	fd            argIdx
	// fixed are flags implied by the syscall itself (creat is
	// O_CREAT|O_WRONLY|O_TRUNC; rmdir is unlinkat with AT_REMOVEDIR).
	fixed uint64
}

// sysEntry is one row of the syscall table: a syscall, its numbers in
// each ABI, how to read its arguments, what it means for Landlock and
// what the supervisors do around it.
type sysEntry struct {
	name  string
	nr    [2]int // x86_64, i386; -1 when the ABI lacks the syscall
	args  layout
	prep  func(m *mapper) *outcome
	props sysProps
}

// sysProps are what the supervisors ask of a call besides its mapping.
type sysProps uint8

const (
	// sysExecs: the caller's cached facts are dropped around it
	// (tracee.go).
	sysExecs sysProps = 1 << iota
	// sysChangesDirs: it can remove or rename a directory or a symlink, or
	// put a symlink where one was; the directory cache is emptied around
	// it (dircache.go).
	sysChangesDirs
	// sysOpensFD: its return value is a new fd on the path it opened, whose
	// real path accurate mode reads (callResult.FDPath).
	sysOpensFD
	// sysChangesCreds: it changes the caller's uids, gids or groups; the
	// thread cache forgets the caller's credentials before it runs
	// (tracee.go).
	sysChangesCreds
)

const none = -1

// syscallTable is the knowledge of which syscalls Landlock controls,
// kept as data (docs/design.md, "How observations become rights") and
// tested row by row in syscalls_test.go and the mapping_*_test.go files.
// The filter installs exactly these numbers: nothing that only reads
// metadata (stat, readlink, access, chdir) is here, because glibc and
// compilers call those tens of thousands of times and Landlock does not
// restrict them. The calls that change a thread's ids are here for the
// tracer's cache, not for a right: they are rare.
//
// i386 choices: truncate64 and ftruncate64 are the calls a 32-bit libc
// really makes (with a split 64-bit length we never read); bind and
// connect exist both as direct syscalls (since Linux 4.3) and through
// socketcall(2), so both are filtered; fcntl64 carries F_SETOWN too;
// umount(2) (oldumount) is i386-only and is warned about like umount2.
var syscallTable = []sysEntry{
	// Opening files.
	{"open", [2]int{2, 5}, layout{path: arg0, flags: arg1, mode: arg2}, prepOpen, sysOpensFD},
	{"openat", [2]int{257, 295}, layout{dirfd: arg0, path: arg1, flags: arg2, mode: arg3}, prepOpen, sysOpensFD},
	{"openat2", [2]int{437, 437}, layout{dirfd: arg0, path: arg1}, prepOpenat2, sysOpensFD},
	{"creat", [2]int{85, 8}, layout{path: arg0, mode: arg1, fixed: oCreat | oWronly | oTrunc}, prepOpen, sysOpensFD},
	{"open_by_handle_at", [2]int{304, 342}, layout{fd: arg0, flags: arg2}, prepOpenByHandle, 0},
	{"truncate", [2]int{76, 92}, layout{path: arg0}, prepTruncate, 0},
	{"truncate64", [2]int{none, 193}, layout{path: arg0}, prepTruncate, 0},
	{"ftruncate", [2]int{77, 93}, layout{fd: arg0}, prepFtruncate, 0},
	{"ftruncate64", [2]int{none, 194}, layout{fd: arg0}, prepFtruncate, 0},

	// Executing.
	{"execve", [2]int{59, 11}, layout{path: arg0}, prepExec, sysExecs},
	{"execveat", [2]int{322, 358}, layout{dirfd: arg0, path: arg1, flags: arg4}, prepExec, sysExecs},

	// Directory entries.
	{"mkdir", [2]int{83, 39}, layout{path: arg0, mode: arg1}, prepMkdir, 0},
	{"mkdirat", [2]int{258, 296}, layout{dirfd: arg0, path: arg1, mode: arg2}, prepMkdir, 0},
	{"mknod", [2]int{133, 14}, layout{path: arg0, mode: arg1}, prepMknod, 0},
	{"mknodat", [2]int{259, 297}, layout{dirfd: arg0, path: arg1, mode: arg2}, prepMknod, 0},
	{"symlink", [2]int{88, 83}, layout{path: arg0, path2: arg1}, prepSymlink, sysChangesDirs},
	{"symlinkat", [2]int{266, 304}, layout{path: arg0, dirfd2: arg1, path2: arg2}, prepSymlink, sysChangesDirs},
	{"link", [2]int{86, 9}, layout{path: arg0, path2: arg1}, prepLink, sysChangesDirs},
	{"linkat", [2]int{265, 303}, layout{dirfd: arg0, path: arg1, dirfd2: arg2, path2: arg3, flags: arg4}, prepLink, sysChangesDirs},
	{"unlink", [2]int{87, 10}, layout{path: arg0}, prepUnlink, sysChangesDirs},
	{"unlinkat", [2]int{263, 301}, layout{dirfd: arg0, path: arg1, flags: arg2}, prepUnlink, sysChangesDirs},
	{"rmdir", [2]int{84, 40}, layout{path: arg0, fixed: atRemoveDir}, prepUnlink, sysChangesDirs},
	{"rename", [2]int{82, 38}, layout{path: arg0, path2: arg1}, prepRename, sysChangesDirs},
	{"renameat", [2]int{264, 302}, layout{dirfd: arg0, path: arg1, dirfd2: arg2, path2: arg3}, prepRename, sysChangesDirs},
	{"renameat2", [2]int{316, 353}, layout{dirfd: arg0, path: arg1, dirfd2: arg2, path2: arg3, flags: arg4}, prepRename, sysChangesDirs},

	// Devices.
	{"ioctl", [2]int{16, 54}, layout{fd: arg0}, prepIoctl, 0},

	// Network.
	{"bind", [2]int{49, 361}, layout{fd: arg0}, prepBind, 0},
	{"connect", [2]int{42, 362}, layout{fd: arg0}, prepConnect, 0},
	{"socketcall", [2]int{none, 102}, layout{}, prepSocketcall, 0},

	// Signals.
	{"kill", [2]int{62, 37}, layout{}, prepKill, 0},
	{"tkill", [2]int{200, 238}, layout{}, prepTkill, 0},
	{"tgkill", [2]int{234, 270}, layout{}, prepTgkill, 0},
	{"rt_sigqueueinfo", [2]int{129, 178}, layout{}, prepKill, 0},
	{"rt_tgsigqueueinfo", [2]int{297, 335}, layout{}, prepTgkill, 0},
	{"pidfd_send_signal", [2]int{424, 424}, layout{fd: arg0}, prepPidfdSignal, 0},
	{"fcntl", [2]int{72, 55}, layout{fd: arg0}, prepFcntl, 0},
	{"fcntl64", [2]int{none, 221}, layout{fd: arg0}, prepFcntl, 0},

	// Warnings only: never allowed under a domain, or invisible.
	{"io_uring_setup", [2]int{425, 425}, layout{}, prepIoUring, 0},
	{"mount", [2]int{165, 21}, layout{}, prepMount, sysChangesDirs},
	{"umount", [2]int{none, 22}, layout{}, prepMount, sysChangesDirs},
	{"umount2", [2]int{166, 52}, layout{}, prepMount, sysChangesDirs},
	{"move_mount", [2]int{429, 429}, layout{}, prepMount, sysChangesDirs},
	{"pivot_root", [2]int{155, 217}, layout{}, prepMount, sysChangesDirs},
	{"ptrace", [2]int{101, 26}, layout{}, prepPtrace, 0},
	{"process_vm_readv", [2]int{310, 347}, layout{}, prepProcessVM, 0},
	{"process_vm_writev", [2]int{311, 348}, layout{}, prepProcessVM, 0},
	{"pidfd_getfd", [2]int{438, 438}, layout{fd: arg0}, prepPidfdGetfd, 0},

	// Credentials: no right, but the caller's cached ids go (tracee.go).
	{"setuid", [2]int{105, 23}, layout{}, prepNothing, sysChangesCreds},
	{"setgid", [2]int{106, 46}, layout{}, prepNothing, sysChangesCreds},
	{"setreuid", [2]int{113, 70}, layout{}, prepNothing, sysChangesCreds},
	{"setregid", [2]int{114, 71}, layout{}, prepNothing, sysChangesCreds},
	{"setgroups", [2]int{116, 81}, layout{}, prepNothing, sysChangesCreds},
	{"setresuid", [2]int{117, 164}, layout{}, prepNothing, sysChangesCreds},
	{"setresgid", [2]int{119, 170}, layout{}, prepNothing, sysChangesCreds},
	{"setfsuid", [2]int{122, 138}, layout{}, prepNothing, sysChangesCreds},
	{"setfsgid", [2]int{123, 139}, layout{}, prepNothing, sysChangesCreds},
	{"setreuid32", [2]int{none, 203}, layout{}, prepNothing, sysChangesCreds},
	{"setregid32", [2]int{none, 204}, layout{}, prepNothing, sysChangesCreds},
	{"setgroups32", [2]int{none, 206}, layout{}, prepNothing, sysChangesCreds},
	{"setresuid32", [2]int{none, 208}, layout{}, prepNothing, sysChangesCreds},
	{"setresgid32", [2]int{none, 210}, layout{}, prepNothing, sysChangesCreds},
	{"setuid32", [2]int{none, 213}, layout{}, prepNothing, sysChangesCreds},
	{"setgid32", [2]int{none, 214}, layout{}, prepNothing, sysChangesCreds},
	{"setfsuid32", [2]int{none, 215}, layout{}, prepNothing, sysChangesCreds},
	{"setfsgid32", [2]int{none, 216}, layout{}, prepNothing, sysChangesCreds},
}

// prepNothing is the mapping of a call stopped for the tracer's own
// sake: it needs no right.
func prepNothing(*mapper) *outcome { return nil }

// byNr indexes syscallTable per ABI.
var byNr = func() [2]map[int]*sysEntry {
	var m [2]map[int]*sysEntry
	for a := range m {
		m[a] = map[int]*sysEntry{}
	}
	for i := range syscallTable {
		e := &syscallTable[i]
		for a, nr := range e.nr {
			if nr == none {
				continue
			}
			if _, dup := m[a][nr]; dup {
				panic(fmt.Sprintf("trace: syscall %d listed twice for arch %d", nr, a))
			}
			m[a][nr] = e
		}
	}
	return m
}()

func (e *sysEntry) isExec() bool       { return e.props&sysExecs != 0 }
func (e *sysEntry) changesDirs() bool  { return e.props&sysChangesDirs != 0 }
func (e *sysEntry) opensFD() bool      { return e.props&sysOpensFD != 0 }
func (e *sysEntry) changesCreds() bool { return e.props&sysChangesCreds != 0 }

func lookupSyscall(a syscallABI, nr int) *sysEntry {
	if a != abiX86_64 && a != abiI386 {
		return nil
	}
	return byNr[a][nr]
}

// filterSyscalls returns, sorted, the syscall numbers of ABI a that the
// tracer must stop: exactly those whose success can need a Landlock right
// or deserves a warning (docs/design.md, "The tracer"), and those that change
// the caller's ids (for the thread cache, tracee.go). ioctl and fcntl are in
// the list; the filter may narrow them further by command
// (alwaysAllowedIoctls, F_SETOWN/F_SETOWN_EX) since those are integers.
func filterSyscalls(a syscallABI) []uint32 {
	if a != abiX86_64 && a != abiI386 {
		return nil
	}
	var out []uint32
	for _, e := range syscallTable {
		if nr := e.nr[a]; nr != none {
			out = append(out, uint32(nr))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// syscallName is the name of syscall nr in ABI a, as observations spell
// it ("openat", "renameat2"), or "syscall_N" for one the table lacks.
func syscallName(a syscallABI, nr int) string {
	if e := lookupSyscall(a, nr); e != nil {
		return e.name
	}
	return fmt.Sprintf("syscall_%d", nr)
}

// alwaysAllowedIoctls are the ioctl commands Landlock never restricts,
// even on a device without ioctl_dev (security/landlock/fs.c,
// is_masked_device_ioctl): they act on the file description or the
// filesystem, not on the device. The filter need not stop them, and the
// mapping never asks ioctl_dev for them. Values are the x86 encodings
// (include/uapi/asm-generic/ioctls.h, include/uapi/linux/fs.h).
var alwaysAllowedIoctls = []uint32{
	0x5451,     // FIOCLEX
	0x5450,     // FIONCLEX
	0x5421,     // FIONBIO
	0x5452,     // FIOASYNC
	0x5460,     // FIOQSIZE
	0xc0045877, // FIFREEZE     _IOWR('X', 119, int)
	0xc0045878, // FITHAW       _IOWR('X', 120, int)
	0xc020660b, // FS_IOC_FIEMAP _IOWR('f', 11, struct fiemap)
	0x00000002, // FIGETBSZ     _IO(0x00, 2)
	0x40049409, // FICLONE      _IOW(0x94, 9, int)
	0x4020940d, // FICLONERANGE _IOW(0x94, 13, struct file_clone_range)
	0xc0189436, // FIDEDUPERANGE _IOWR(0x94, 54, struct file_dedupe_range)
	0x80111500, // FS_IOC_GETFSUUID _IOR(0x15, 0, struct fsuuid2)
	0x80811501, // FS_IOC_GETFSSYSFSPATH _IOR(0x15, 1, struct fs_sysfs_path)
}

func alwaysAllowedIoctl(cmd uint32) bool {
	for _, c := range alwaysAllowedIoctls {
		if c == cmd {
			return true
		}
	}
	return false
}
