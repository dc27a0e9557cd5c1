package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/testkit"
)

// openPty returns the master and the slave of a new pseudo-terminal.
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		testkit.Skip(t, "no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// On a terminal, learn keeps one progress line up to date while the
// program runs (elapsed time, calls stopped, observations, paths) and
// erases it before its summary; with stderr not a terminal, nothing of it
// is written.
func TestProgressLine(t *testing.T) {
	traceNeeds(t)
	bin := learnTestBinary(t)
	argv := []string{"learn", "-o", "p.yaml", "--", "sh", "-c", "cat /etc/hostname >/dev/null; sleep 1"}

	m, s := openPty(t)
	cmd := exec.Command(bin, argv...)
	cmd.Dir, cmd.Stderr = t.TempDir(), s
	var tty bytes.Buffer
	read := make(chan struct{})
	go func() { io.Copy(&tty, m); close(read) }()
	if err := cmd.Run(); err != nil {
		t.Fatalf("learn on a terminal: %v", err)
	}
	s.Close()
	// The master reads until the slave's last holder closed it (EIO).
	<-read
	out := tty.String()
	for _, want := range []string{"\r\x1b[Klandlearn learn: ", " calls stopped, ", " observations, ", " paths", "\r\x1b[Klandlearn: trace backend"} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal got no %q:\n%q", want, out)
		}
	}

	r := runLearnCLI(t, t.TempDir(), argv...)
	if r.code != 0 || strings.Contains(r.stderr, "\r") || strings.Contains(r.stderr, "landlearn learn: ") {
		t.Errorf("stderr not a terminal: exit %d, a progress line in %q", r.code, r.stderr)
	}
}
