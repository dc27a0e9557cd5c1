package procfs

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TestReadStat reads this process and a child whose comm holds spaces
// and a parenthesis, which a field count from the start gets wrong.
func TestReadStat(t *testing.T) {
	st, err := ReadStat(os.Getpid())
	if err != nil || st.PPid != os.Getppid() || st.StartTime == 0 {
		t.Fatalf("ReadStat(self) = %+v, %v; want ppid %d", st, err, os.Getppid())
	}
	got, err := parseStat([]byte("42 (a b) c) S 7 9 9 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 12345 0 0\n"))
	if err != nil || got != (Stat{PPid: 7, PGrp: 9, StartTime: 12345}) {
		t.Errorf("parseStat = %+v, %v", got, err)
	}
	if _, err := parseStat([]byte("42 (x S 1")); err == nil {
		t.Error("a truncated line parsed")
	}
}

// TestDescendants finds a grandchild below this process.
func TestDescendants(t *testing.T) {
	c := exec.Command("sh", "-c", "sleep 30 & echo $!; wait")
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { c.Process.Kill(); c.Wait() }()
	var buf [32]byte
	n, _ := out.Read(buf[:])
	var grandchild int
	for _, b := range buf[:n] {
		if b >= '0' && b <= '9' {
			grandchild = grandchild*10 + int(b-'0')
		}
	}
	defer func() { p, _ := os.FindProcess(grandchild); p.Kill() }()
	d := Descendants(os.Getpid())
	if !slices.Contains(d, c.Process.Pid) || !slices.Contains(d, grandchild) {
		t.Errorf("Descendants = %v, want %d and %d in it", d, c.Process.Pid, grandchild)
	}
	if i, j := slices.Index(d, c.Process.Pid), slices.Index(d, grandchild); i > j {
		t.Errorf("the child comes after its own child: %v", d)
	}
}

// TestReadFile: a file larger than the buffer given, and a /proc file
// (whose size stat says is 0), read whole as os.ReadFile reads them.
func TestReadFile(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big")
	want := bytes.Repeat([]byte("0123456789abcdef"), 1000)
	if err := os.WriteFile(big, want, 0o644); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 100)
	got, err := ReadFile(big, buf)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("ReadFile(big): %d bytes, %v; want %d bytes", len(got), err, len(want))
	}
	got, err = ReadFile("/proc/self/status", got)
	if err != nil || !bytes.HasPrefix(got, []byte("Name:")) {
		t.Errorf("ReadFile(/proc/self/status): %q, %v", got, err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
