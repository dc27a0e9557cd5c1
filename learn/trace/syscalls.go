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
// each ABI, how to read its arguments and what it means for Landlock.
type sysEntry struct {
	name string
	nr   [2]int // x86_64, i386; -1 when the ABI lacks the syscall
	args layout
	prep func(m *mapper) *outcome
}

const none = -1

// syscallTable is the knowledge of which syscalls Landlock controls,
// kept as data (docs/design.md, "How observations become rights") and
// tested row by row in syscalls_test.go and the mapping_*_test.go files.
// The filter installs exactly these numbers: nothing that only reads
// metadata (stat, readlink, access, chdir) is here, because glibc and
// compilers call those tens of thousands of times and Landlock does not
// restrict them. The calls that change a thread's
// ids are here for the tracer's cache, not for a right: they are rare.
//
// i386 choices: truncate64 and ftruncate64 are the calls a 32-bit libc
// really makes (with a split 64-bit length we never read); bind and
// connect exist both as direct syscalls (since Linux 4.3) and through
// socketcall(2), so both are filtered; fcntl64 carries F_SETOWN too;
// umount(2) (oldumount) is i386-only and is warned about like umount2.
var syscallTable = []sysEntry{
	// Opening files.
	{"open", [2]int{2, 5}, layout{path: arg0, flags: arg1, mode: arg2}, prepOpen},
	{"openat", [2]int{257, 295}, layout{dirfd: arg0, path: arg1, flags: arg2, mode: arg3}, prepOpen},
	{"openat2", [2]int{437, 437}, layout{dirfd: arg0, path: arg1}, prepOpenat2},
	{"creat", [2]int{85, 8}, layout{path: arg0, mode: arg1, fixed: oCreat | oWronly | oTrunc}, prepOpen},
	{"open_by_handle_at", [2]int{304, 342}, layout{fd: arg0, flags: arg2}, prepOpenByHandle},
	{"truncate", [2]int{76, 92}, layout{path: arg0}, prepTruncate},
	{"truncate64", [2]int{none, 193}, layout{path: arg0}, prepTruncate},
	{"ftruncate", [2]int{77, 93}, layout{fd: arg0}, prepFtruncate},
	{"ftruncate64", [2]int{none, 194}, layout{fd: arg0}, prepFtruncate},

	// Executing.
	{"execve", [2]int{59, 11}, layout{path: arg0}, prepExec},
	{"execveat", [2]int{322, 358}, layout{dirfd: arg0, path: arg1, flags: arg4}, prepExec},

	// Directory entries.
	{"mkdir", [2]int{83, 39}, layout{path: arg0, mode: arg1}, prepMkdir},
	{"mkdirat", [2]int{258, 296}, layout{dirfd: arg0, path: arg1, mode: arg2}, prepMkdir},
	{"mknod", [2]int{133, 14}, layout{path: arg0, mode: arg1}, prepMknod},
	{"mknodat", [2]int{259, 297}, layout{dirfd: arg0, path: arg1, mode: arg2}, prepMknod},
	{"symlink", [2]int{88, 83}, layout{path: arg0, path2: arg1}, prepSymlink},
	{"symlinkat", [2]int{266, 304}, layout{path: arg0, dirfd2: arg1, path2: arg2}, prepSymlink},
	{"link", [2]int{86, 9}, layout{path: arg0, path2: arg1}, prepLink},
	{"linkat", [2]int{265, 303}, layout{dirfd: arg0, path: arg1, dirfd2: arg2, path2: arg3, flags: arg4}, prepLink},
	{"unlink", [2]int{87, 10}, layout{path: arg0}, prepUnlink},
	{"unlinkat", [2]int{263, 301}, layout{dirfd: arg0, path: arg1, flags: arg2}, prepUnlink},
	{"rmdir", [2]int{84, 40}, layout{path: arg0, fixed: atRemoveDir}, prepUnlink},
	{"rename", [2]int{82, 38}, layout{path: arg0, path2: arg1}, prepRename},
	{"renameat", [2]int{264, 302}, layout{dirfd: arg0, path: arg1, dirfd2: arg2, path2: arg3}, prepRename},
	{"renameat2", [2]int{316, 353}, layout{dirfd: arg0, path: arg1, dirfd2: arg2, path2: arg3, flags: arg4}, prepRename},

	// Devices.
	{"ioctl", [2]int{16, 54}, layout{fd: arg0}, prepIoctl},

	// Network.
	{"bind", [2]int{49, 361}, layout{fd: arg0}, prepBind},
	{"connect", [2]int{42, 362}, layout{fd: arg0}, prepConnect},
	{"socketcall", [2]int{none, 102}, layout{}, prepSocketcall},

	// Signals.
	{"kill", [2]int{62, 37}, layout{}, prepKill},
	{"tkill", [2]int{200, 238}, layout{}, prepTkill},
	{"tgkill", [2]int{234, 270}, layout{}, prepTgkill},
	{"rt_sigqueueinfo", [2]int{129, 178}, layout{}, prepKill},
	{"rt_tgsigqueueinfo", [2]int{297, 335}, layout{}, prepTgkill},
	{"pidfd_send_signal", [2]int{424, 424}, layout{fd: arg0}, prepPidfdSignal},
	{"fcntl", [2]int{72, 55}, layout{fd: arg0}, prepFcntl},
	{"fcntl64", [2]int{none, 221}, layout{fd: arg0}, prepFcntl},

	// Warnings only: never allowed under a domain, or invisible.
	{"io_uring_setup", [2]int{425, 425}, layout{}, prepIoUring},
	{"mount", [2]int{165, 21}, layout{}, prepMount},
	{"umount", [2]int{none, 22}, layout{}, prepMount},
	{"umount2", [2]int{166, 52}, layout{}, prepMount},
	{"move_mount", [2]int{429, 429}, layout{}, prepMount},
	{"pivot_root", [2]int{155, 217}, layout{}, prepMount},
	{"ptrace", [2]int{101, 26}, layout{}, prepPtrace},
	{"process_vm_readv", [2]int{310, 347}, layout{}, prepProcessVM},
	{"process_vm_writev", [2]int{311, 348}, layout{}, prepProcessVM},
	{"pidfd_getfd", [2]int{438, 438}, layout{fd: arg0}, prepPidfdGetfd},

	// Credentials: no right, but the caller's cached ids go (tracee.go).
	{"setuid", [2]int{105, 23}, layout{}, prepNothing},
	{"setgid", [2]int{106, 46}, layout{}, prepNothing},
	{"setreuid", [2]int{113, 70}, layout{}, prepNothing},
	{"setregid", [2]int{114, 71}, layout{}, prepNothing},
	{"setgroups", [2]int{116, 81}, layout{}, prepNothing},
	{"setresuid", [2]int{117, 164}, layout{}, prepNothing},
	{"setresgid", [2]int{119, 170}, layout{}, prepNothing},
	{"setfsuid", [2]int{122, 138}, layout{}, prepNothing},
	{"setfsgid", [2]int{123, 139}, layout{}, prepNothing},
	{"setreuid32", [2]int{none, 203}, layout{}, prepNothing},
	{"setregid32", [2]int{none, 204}, layout{}, prepNothing},
	{"setgroups32", [2]int{none, 206}, layout{}, prepNothing},
	{"setresuid32", [2]int{none, 208}, layout{}, prepNothing},
	{"setresgid32", [2]int{none, 210}, layout{}, prepNothing},
	{"setuid32", [2]int{none, 213}, layout{}, prepNothing},
	{"setgid32", [2]int{none, 214}, layout{}, prepNothing},
	{"setfsuid32", [2]int{none, 215}, layout{}, prepNothing},
	{"setfsgid32", [2]int{none, 216}, layout{}, prepNothing},
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

// What the supervisors ask of a call besides its mapping: an exec drops
// the caller's cached facts around it, a call that can change
// directories empties the directory cache (dircache.go), and accurate
// mode reads the new fd of an open.
func (e *sysEntry) isExec() bool       { return e.name == "execve" || e.name == "execveat" }
func (e *sysEntry) changesDirs() bool  { return dirChanging[e.name] }
func (e *sysEntry) opensFD() bool      { return fdSyscalls[e.name] }
func (e *sysEntry) changesCreds() bool { return credsChanging[e.name] }

// credsChanging are the calls that change the caller's uids, gids or
// groups: the thread cache forgets the caller's credentials before they
// run (tracee.go).
var credsChanging = map[string]bool{
	"setuid": true, "setgid": true, "setreuid": true, "setregid": true, "setgroups": true,
	"setresuid": true, "setresgid": true, "setfsuid": true, "setfsgid": true,
	"setuid32": true, "setgid32": true, "setreuid32": true, "setregid32": true, "setgroups32": true,
	"setresuid32": true, "setresgid32": true, "setfsuid32": true, "setfsgid32": true,
}

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
