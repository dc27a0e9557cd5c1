package main

import (
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// explainRSS runs landlearn explain on what write produces on its stdin
// and returns how it ended and its peak resident memory, in MiB.
func explainRSS(t *testing.T, write func(w io.Writer)) (cliResult, int64) {
	t.Helper()
	cmd := exec.Command(landlearnBinary(t), "explain")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	write(in)
	in.Close()
	cmd.Wait()
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss / 1024
	return cliResult{out.String(), errb.String(), cmd.ProcessState.ExitCode()}, rss
}

// denialEvent is one denial of path by cat, as auditd logs it.
func denialEvent(serial int, path string) string {
	return fmt.Sprintf(`type=UNKNOWN[1423] msg=audit(1795755903.146:%d): domain=18db492b1 blockers=fs.read_file path="%s" dev="vda" ino=9982460
type=SYSCALL msg=audit(1795755903.146:%d): arch=c000003e syscall=257 success=no exit=-13 a0=ffffff9c a1=7ffc5dd679d7 a2=0 a3=0 items=0 ppid=16693 pid=16700 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="cat" exe="/usr/bin/cat" key=(null)
`, serial, path, serial)
}

// TestExplainMemoryDoesNotGrowWithTheLog is issue 12's item 7: a 9 MB
// gzip file expanding to one 2 GB line ran explain out of memory. A line
// of 256 MiB is now skipped as oversized, and 200,000 denials of one
// object cost what one does.
func TestExplainMemoryDoesNotGrowWithTheLog(t *testing.T) {
	const limit = 64 // MiB; the line alone is 256
	r, rss := explainRSS(t, func(w io.Writer) {
		chunk := []byte(strings.Repeat("a", 1<<20))
		for range 256 {
			w.Write(chunk)
		}
		io.WriteString(w, "\n"+denialEvent(1, "/etc/hostname"))
	})
	if r.code != 1 || !strings.Contains(r.stdout, "/etc/hostname: read_file denied 1 time") ||
		!strings.Contains(r.stderr, "skipped 1 of 3 lines (1 oversized)") || rss > limit {
		t.Errorf("one 256 MiB line: exit %d, peak RSS %d MiB (limit %d)\nstdout %s\nstderr %s", r.code, rss, limit, r.stdout, r.stderr)
	}

	r, rss = explainRSS(t, func(w io.Writer) {
		var b strings.Builder
		for i := range 200_000 {
			b.WriteString(denialEvent(i+1, "/etc/hostname"))
			if b.Len() > 1<<20 {
				io.WriteString(w, b.String())
				b.Reset()
			}
		}
		io.WriteString(w, b.String())
	})
	t.Logf("peak RSS %d MiB", rss)
	if r.code != 1 || !strings.Contains(r.stdout, "/etc/hostname: read_file denied 200000 times") || rss > limit {
		t.Errorf("200,000 denials: exit %d, peak RSS %d MiB (limit %d)\nstdout %s\nstderr %s", r.code, rss, limit, r.stdout, r.stderr)
	}
}
