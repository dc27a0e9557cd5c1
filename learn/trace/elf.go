package trace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
)

// What execve opens besides the binary. The kernel opens each `#!`
// interpreter and the ELF PT_INTERP program interpreter itself, inside
// execve, with the same checks as the binary (execute + read_file under
// Landlock). A tracer sees only the execve, so it reads these headers
// itself, the way fs/binfmt_script.c and fs/binfmt_elf.c do.

// binprmBufSize is BINPRM_BUF_SIZE: the kernel reads only this much of
// a file to recognise its format, so a `#!` line longer than it is cut.
const binprmBufSize = 256

// maxInterpDepth is how many times exec may switch to an interpreter
// (`#!` or binfmt_misc) before ELOOP (fs/exec.c, exec_binprm: depth > 5).
const maxInterpDepth = 5

// errNoExec is the kernel's ENOEXEC: not a format the tracer knows.
var errNoExec = errors.New("exec format error")

// shebang returns the interpreter path of a `#!` script whose first
// bytes are head, parsed as fs/binfmt_script.c parses them: the kernel
// reads BINPRM_BUF_SIZE bytes (zero-padded for a shorter file), the line
// ends at the first newline, trailing and leading blanks are skipped and
// the name ends at a blank or NUL. Without a newline in the buffer, a
// name that is not ended within it may be cut: ENOEXEC. ok is false when
// head is not a script; err is errNoExec when the kernel refuses it.
func shebang(head []byte) (interp string, ok bool, err error) {
	if len(head) < 2 || head[0] != '#' || head[1] != '!' {
		return "", false, nil
	}
	var buf [binprmBufSize]byte
	copy(buf[:], head)
	spacetab := func(c byte) bool { return c == ' ' || c == '\t' }
	nextNonSpacetab := func(i, last int) int {
		for ; i <= last; i++ {
			if !spacetab(buf[i]) {
				return i
			}
		}
		return -1
	}
	nextTerminator := func(i, last int) int {
		for ; i <= last; i++ {
			if spacetab(buf[i]) || buf[i] == 0 {
				return i
			}
		}
		return -1
	}
	bufEnd := len(buf) - 1
	end := bytes.IndexByte(buf[:], '\n')
	if end < 0 {
		i := nextNonSpacetab(2, bufEnd)
		if i < 0 || nextTerminator(i, bufEnd) < 0 {
			return "", true, errNoExec
		}
		end = bufEnd
	}
	for end > 2 && spacetab(buf[end-1]) {
		end--
	}
	name := nextNonSpacetab(2, end)
	if name < 0 || name == end {
		return "", true, errNoExec
	}
	sep := nextTerminator(name, end)
	if sep < 0 || sep > end {
		sep = end
	}
	if sep == name {
		return "", true, errNoExec
	}
	return string(buf[name:sep]), true, nil
}

// ELF constants (include/uapi/linux/elf.h).
const (
	elfClass32  = 1
	elfClass64  = 2
	elfData2LSB = 1
	elfData2MSB = 2
	etExec      = 2
	etDyn       = 3
	ptInterp    = 3
	pathMax     = 4096
	em386       = 3
	emX86_64    = 62
)

// isELF reports whether head starts like an ELF file.
func isELF(head []byte) bool { return len(head) >= 4 && string(head[:4]) == "\x7fELF" }

// elfInterp returns the PT_INTERP path of the ELF file r, "" for a
// static binary. It checks what fs/binfmt_elf.c checks before opening
// the interpreter: an executable or shared-object type, a NUL-terminated
// name of sane length.
func elfInterp(r io.ReaderAt) (string, error) {
	var h [64]byte
	if n, err := r.ReadAt(h[:], 0); n < 52 && err != nil {
		return "", errNoExec
	}
	if !isELF(h[:]) {
		return "", errNoExec
	}
	var bo binary.ByteOrder
	switch h[5] {
	case elfData2LSB:
		bo = binary.LittleEndian
	case elfData2MSB:
		bo = binary.BigEndian
	default:
		return "", errNoExec
	}
	if t := bo.Uint16(h[16:]); t != etExec && t != etDyn {
		return "", errNoExec
	}
	// elf_check_arch: the kernel runs x86_64, and with ia32 emulation
	// i386 and x32 (EM_X86_64 in an ELFCLASS32 file); any other machine
	// is ENOEXEC before the interpreter is opened (or binfmt_misc's, as
	// for a format the tracer does not know).
	if m := bo.Uint16(h[18:]); h[5] != elfData2LSB || m != emX86_64 && !(h[4] == elfClass32 && m == em386) {
		return "", errNoExec
	}
	var phoff uint64
	var phentsize, phnum uint16
	switch h[4] {
	case elfClass64:
		phoff = bo.Uint64(h[32:])
		phentsize, phnum = bo.Uint16(h[54:]), bo.Uint16(h[56:])
		if phentsize != 56 {
			return "", errNoExec
		}
	case elfClass32:
		phoff = uint64(bo.Uint32(h[28:]))
		phentsize, phnum = bo.Uint16(h[42:]), bo.Uint16(h[44:])
		if phentsize != 32 {
			return "", errNoExec
		}
	default:
		return "", errNoExec
	}
	if phnum == 0 || int(phnum) > 65536/int(phentsize) {
		return "", errNoExec
	}
	ph := make([]byte, int(phentsize)*int(phnum))
	if _, err := r.ReadAt(ph, int64(phoff)); err != nil {
		return "", errNoExec
	}
	for i := 0; i < int(phnum); i++ {
		p := ph[i*int(phentsize):]
		if bo.Uint32(p) != ptInterp {
			continue
		}
		var off, size uint64
		if h[4] == elfClass64 {
			off, size = bo.Uint64(p[8:]), bo.Uint64(p[32:])
		} else {
			off, size = uint64(bo.Uint32(p[4:])), uint64(bo.Uint32(p[16:]))
		}
		if size < 2 || size > pathMax {
			return "", errNoExec
		}
		name := make([]byte, size)
		if _, err := r.ReadAt(name, int64(off)); err != nil {
			return "", errNoExec
		}
		if name[size-1] != 0 {
			return "", errNoExec
		}
		return string(name[:bytes.IndexByte(name, 0)]), nil
	}
	return "", nil
}
