package trace

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/internal/testkit"
)

func TestShebang(t *testing.T) {
	long := "#!/" + strings.Repeat("a", 300)
	tests := []struct {
		head   string
		interp string
		script bool
		noexec bool
	}{
		{head: "#!/bin/sh\necho", interp: "/bin/sh", script: true},
		{head: "#!/bin/sh", interp: "/bin/sh", script: true}, // short file: NULs end it
		{head: "#! /usr/bin/env python3\n", interp: "/usr/bin/env", script: true},
		{head: "#!\t/bin/bash -e  \n", interp: "/bin/bash", script: true},
		{head: "#!/bin/sh\r\n", interp: "/bin/sh\r", script: true}, // CRLF scripts fail, as with the kernel
		{head: "#!/bin/sh\x00junk\n", interp: "/bin/sh", script: true},
		{head: "#!\n", script: true, noexec: true},
		{head: "#!   \t \n", script: true, noexec: true},
		{head: long, script: true, noexec: true},                                         // name cut by the 256-byte buffer
		{head: "#!/bin/sh " + strings.Repeat("a", 300), interp: "/bin/sh", script: true}, // only the argument is cut
		{head: "\x7fELF", script: false},
		{head: "# !/bin/sh\n", script: false},
		{head: "#", script: false},
	}
	for _, tt := range tests {
		interp, ok, err := shebang([]byte(tt.head))
		if ok != tt.script || (err != nil) != tt.noexec || interp != tt.interp {
			t.Errorf("shebang(%.40q) = %q, %v, %v; want %q, %v, noexec %v", tt.head, interp, ok, err, tt.interp, tt.script, tt.noexec)
		}
	}
}

func TestElfInterpRealBinaries(t *testing.T) {
	for _, bin := range []string{"/bin/sh", "/usr/bin/env", "/usr/bin/bash"} {
		f, err := os.Open(bin)
		if err != nil {
			testkit.Skip(t, "%s: %v", bin, err)
		}
		got, err := elfInterp(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", bin, err)
		}
		if want := realInterpRaw(t, bin); got != want {
			t.Errorf("%s: interpreter %q, debug/elf says %q", bin, got, want)
		}
	}
}

func realInterpRaw(t *testing.T, bin string) string {
	t.Helper()
	r := realInterp(t, bin)
	if r == "" {
		return ""
	}
	// realInterp resolves symlinks; compare the raw header string instead.
	b, _ := os.ReadFile(bin)
	i := bytes.Index(b, []byte("/lib"))
	if i < 0 {
		t.Fatalf("%s: no interpreter string", bin)
	}
	return string(b[i : i+bytes.IndexByte(b[i:], 0)])
}

// elf32 builds a minimal 32-bit little-endian ELF with a PT_INTERP.
func elf32(interp string) []byte {
	b := make([]byte, 52+32+len(interp)+1)
	copy(b, "\x7fELF")
	b[4], b[5], b[6] = elfClass32, elfData2LSB, 1
	le := binary.LittleEndian
	le.PutUint16(b[16:], etExec)
	le.PutUint16(b[18:], 3) // EM_386
	le.PutUint32(b[28:], 52)
	le.PutUint16(b[42:], 32)
	le.PutUint16(b[44:], 1)
	ph := b[52:]
	le.PutUint32(ph[0:], ptInterp)
	le.PutUint32(ph[4:], 84)
	le.PutUint32(ph[16:], uint32(len(interp)+1))
	copy(b[84:], interp)
	return b
}

func TestElfInterpSynthetic(t *testing.T) {
	got, err := elfInterp(bytes.NewReader(elf32("/lib/ld-linux.so.2")))
	if err != nil || got != "/lib/ld-linux.so.2" {
		t.Fatalf("32-bit: %q, %v", got, err)
	}
	bad := elf32("/lib/ld-linux.so.2")
	bad[len(bad)-1] = 'x' // not NUL-terminated: the kernel refuses it
	if _, err := elfInterp(bytes.NewReader(bad)); err == nil {
		t.Error("an unterminated PT_INTERP was accepted")
	}
	rel := elf32("/lib/ld-linux.so.2")
	binary.LittleEndian.PutUint16(rel[16:], 1) // ET_REL
	if _, err := elfInterp(bytes.NewReader(rel)); err == nil {
		t.Error("a relocatable object was accepted as executable")
	}
	if _, err := elfInterp(bytes.NewReader([]byte("\x7fELF"))); err == nil {
		t.Error("a truncated header was accepted")
	}
	// Another machine (elf_check_arch): ENOEXEC before the interpreter.
	arm := elf32("/lib/ld-linux.so.2")
	binary.LittleEndian.PutUint16(arm[18:], 40) // EM_ARM
	if _, err := elfInterp(bytes.NewReader(arm)); err == nil {
		t.Error("an ARM binary was taken for this machine's")
	}
	if b, err := os.ReadFile("/bin/true"); err == nil {
		binary.LittleEndian.PutUint16(b[18:], 183) // EM_AARCH64
		if _, err := elfInterp(bytes.NewReader(b)); err == nil {
			t.Error("an AArch64 /bin/true was taken for this machine's")
		}
	}
}

func FuzzElfInterp(f *testing.F) {
	f.Add(elf32("/lib/ld-linux.so.2"))
	if b, err := os.ReadFile("/bin/sh"); err == nil {
		f.Add(b[:min(len(b), 4096)])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		elfInterp(bytes.NewReader(b))
	})
}

func FuzzShebang(f *testing.F) {
	f.Add([]byte("#!/bin/sh -e\n"))
	f.Add([]byte("#!"))
	f.Fuzz(func(t *testing.T, b []byte) {
		interp, ok, err := shebang(b)
		if ok && err == nil && (interp == "" || strings.ContainsAny(interp, " \t\n\x00")) {
			t.Fatalf("bad interpreter %q from %q", interp, b)
		}
	})
}
