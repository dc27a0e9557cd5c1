package trace

import (
	"fmt"
	"slices"

	"golang.org/x/sys/unix"
)

// The seccomp filter is classic BPF over struct seccomp_data:
//
//	nr     u32  at 0
//	arch   u32  at 4
//	ip     u64  at 8
//	args   u64  at 16 + 8*i (little endian: the low word first)
//
// It stops only the calls the syscall→rights mapping asks for
// (filterSyscalls) and allows everything else without looking at the
// arguments, so the kernel's seccomp action cache lets those through
// without running the filter at all. Only ioctl and fcntl look at an
// argument: the always-allowed ioctl commands and every fcntl but
// F_SETOWN/F_SETOWN_EX are let through, which keeps isatty-heavy and
// fcntl-heavy programs fast.
const (
	offNr   = 0
	offArch = 4
	offArg0 = 16

	// x32 syscalls are x86_64 syscalls with this bit set in nr.
	x32SyscallBit = 0x40000000

	// ioctl and fcntl numbers whose arguments the filter inspects.
	nrIoctlX86_64   = unix.SYS_IOCTL
	nrFcntlX86_64   = unix.SYS_FCNTL
	nrIoctlI386     = 54
	nrFcntlI386     = 55
	nrFcntl64I386   = 221
	bpfClassLd      = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	bpfClassJeq     = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	bpfClassJset    = unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K
	bpfClassRet     = unix.BPF_RET | unix.BPF_K
	maxBPFJump      = 255
	maxBPFProgLen   = 4096
	fSetOwn         = unix.F_SETOWN
	fSetOwnEx       = unix.F_SETOWN_EX
	labelAllow      = "allow"
	labelStop       = "stop"
	labelX32        = "x32"
	labelI386       = "i386"
	labelIoctlPrefx = "ioctl-"
	labelFcntlPrefx = "fcntl-"
)

// filterSpec is what a filter is built from: the syscalls to stop per
// arch, the ioctl commands to let through, and the action that stops a
// call (SECCOMP_RET_USER_NOTIF, or SECCOMP_RET_TRACE in accurate mode).
type filterSpec struct {
	Syscalls      map[syscallABI][]uint32
	AllowedIoctls []uint32
	Stop          uint32
	// X32 is the action for x32 calls: the default mode stops them too,
	// so the supervisor can answer ENOSYS and say why.
	X32 uint32
}

// insn is one BPF instruction whose jumps may still be labels.
type insn struct {
	f      unix.SockFilter
	jt, jf string // label targets, "" = next instruction
	label  string // set on a pseudo-instruction that marks the next one
}

// bpfAsm is a tiny two-pass assembler: jumps name labels, resolved to
// the 8-bit forward offsets classic BPF has.
type bpfAsm struct{ prog []insn }

func (a *bpfAsm) label(name string) {
	a.prog = append(a.prog, insn{label: name})
}

func (a *bpfAsm) ld(off uint32) {
	a.prog = append(a.prog, insn{f: unix.SockFilter{Code: bpfClassLd, K: off}})
}

func (a *bpfAsm) jeq(k uint32, jt, jf string) {
	a.prog = append(a.prog, insn{f: unix.SockFilter{Code: bpfClassJeq, K: k}, jt: jt, jf: jf})
}

func (a *bpfAsm) jset(k uint32, jt, jf string) {
	a.prog = append(a.prog, insn{f: unix.SockFilter{Code: bpfClassJset, K: k}, jt: jt, jf: jf})
}

func (a *bpfAsm) ret(k uint32) {
	a.prog = append(a.prog, insn{f: unix.SockFilter{Code: bpfClassRet, K: k}})
}

// assemble resolves labels. A label marks the next real instruction.
func (a *bpfAsm) assemble() ([]unix.SockFilter, error) {
	where := map[string]int{}
	var out []insn
	for _, in := range a.prog {
		if in.label != "" {
			where[in.label] = len(out)
			continue
		}
		out = append(out, in)
	}
	prog := make([]unix.SockFilter, len(out))
	for i, in := range out {
		f := in.f
		for _, j := range []struct {
			name string
			dst  *uint8
		}{{in.jt, &f.Jt}, {in.jf, &f.Jf}} {
			if j.name == "" {
				continue
			}
			t, ok := where[j.name]
			if !ok {
				return nil, fmt.Errorf("seccomp filter: jump to unknown label %q", j.name)
			}
			d := t - i - 1
			if d < 0 || d > maxBPFJump {
				return nil, fmt.Errorf("seccomp filter: jump from %d to %q is %d instructions, BPF allows 0..%d", i, j.name, d, maxBPFJump)
			}
			*j.dst = uint8(d)
		}
		prog[i] = f
	}
	if len(prog) > maxBPFProgLen {
		return nil, fmt.Errorf("seccomp filter has %d instructions, the kernel allows %d", len(prog), maxBPFProgLen)
	}
	return prog, nil
}

// buildFilter compiles spec into a seccomp program.
//
// Layout: check arch; per arch, compare nr against each stopped syscall
// and jump to the shared "stop" return; ioctl and fcntl jump to a small
// block that inspects the command. Unknown arches are allowed: on an
// x86_64 kernel only x86_64, i386 and x32 exist.
func buildFilter(spec filterSpec) ([]unix.SockFilter, error) {
	var a bpfAsm
	a.ld(offArch)
	a.jeq(unix.AUDIT_ARCH_X86_64, "", labelI386)
	a.ld(offNr)
	a.jset(x32SyscallBit, labelX32, "")
	archBlock(&a, spec, "x86_64", spec.Syscalls[abiX86_64], []uint32{nrIoctlX86_64}, []uint32{nrFcntlX86_64})
	a.label(labelX32)
	a.ret(spec.X32)
	a.label(labelI386)
	a.jeq(unix.AUDIT_ARCH_I386, "", labelAllow)
	a.ld(offNr)
	archBlock(&a, spec, "i386", spec.Syscalls[abiI386], []uint32{nrIoctlI386}, []uint32{nrFcntlI386, nrFcntl64I386})
	a.label(labelAllow)
	a.ret(unix.SECCOMP_RET_ALLOW)
	return a.assemble()
}

// archBlock emits one arch's comparisons, its ioctl and fcntl blocks,
// and its own allow and stop returns after them (BPF jumps only forward,
// at most 255 instructions). The accumulator holds nr on entry.
func archBlock(a *bpfAsm, spec filterSpec, arch string, nrs, ioctls, fcntls []uint32) {
	stop, allow := labelStop+"-"+arch, labelAllow+"-"+arch
	ioctl, fcntl := labelIoctlPrefx+arch, labelFcntlPrefx+arch
	seen := map[uint32]bool{}
	wantIoctl, wantFcntl := false, false
	for _, nr := range nrs {
		if seen[nr] {
			continue
		}
		seen[nr] = true
		switch {
		case slices.Contains(ioctls, nr):
			a.jeq(nr, ioctl, "")
			wantIoctl = true
		case slices.Contains(fcntls, nr):
			a.jeq(nr, fcntl, "")
			wantFcntl = true
		default:
			a.jeq(nr, stop, "")
		}
	}
	a.ret(unix.SECCOMP_RET_ALLOW)
	// The command is args[1], an unsigned int: its low word.
	if wantIoctl {
		a.label(ioctl)
		a.ld(offArg0 + 8*1)
		for _, cmd := range spec.AllowedIoctls {
			a.jeq(cmd, allow, "")
		}
		a.ret(spec.Stop)
	}
	if wantFcntl {
		a.label(fcntl)
		a.ld(offArg0 + 8*1)
		a.jeq(fSetOwn, stop, "")
		a.jeq(fSetOwnEx, stop, allow)
	}
	a.label(allow)
	a.ret(unix.SECCOMP_RET_ALLOW)
	a.label(stop)
	a.ret(spec.Stop)
}

// runFilter evaluates prog on one call, as the kernel would. The ptrace
// mode uses it when it cannot install the filter (see ptrace.go): the
// same program then decides in the tracer which calls to look at. Only
// the instructions buildFilter emits are known; anything else stops the
// call, which costs time, not observations.
func runFilter(prog []unix.SockFilter, d *seccompData) uint32 {
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.Code {
		case bpfClassLd:
			acc = loadWord(d, in.K)
		case bpfClassJeq:
			if acc == in.K {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case bpfClassJset:
			if acc&in.K != 0 {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case bpfClassRet:
			return in.K
		default:
			return unix.SECCOMP_RET_TRACE
		}
	}
	return unix.SECCOMP_RET_TRACE
}

// loadWord reads the 32-bit word at off of struct seccomp_data.
func loadWord(d *seccompData, off uint32) uint32 {
	switch {
	case off == offNr:
		return uint32(d.Nr)
	case off == offArch:
		return d.Arch
	case off >= offArg0 && off < offArg0+6*8:
		a := d.Args[(off-offArg0)/8]
		if (off-offArg0)%8 == 4 {
			return uint32(a >> 32)
		}
		return uint32(a)
	}
	return 0
}
