package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// mutedEnv makes the test binary execMuted.
const mutedEnv = "LANDLEARN_TEST_MUTED"

// execMuted, when mutedEnv is set, execs its arguments in a Landlock
// domain created with LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF (it
// restricts only make_block): the kernel logs no denial of the domains
// created beneath it, although audit works.
func execMuted() {
	if os.Getenv(mutedEnv) == "" {
		return
	}
	os.Unsetenv(mutedEnv)
	err := landlock.MustConfig(landlock.AccessFSSet(ll.AccessFSMakeBlock)).DisableLoggingForSubdomains().Restrict()
	if err == nil {
		err = syscall.Exec(os.Args[1], os.Args[1:], os.Environ())
	}
	fmt.Fprintln(os.Stderr, "muted launcher:", err)
	os.Exit(2)
}

// TestVerifyAndLearnRefuseABlindReader: landlearn verify and learn
// --backend audit, where the kernel logs no denial of their sandboxes,
// exit 2 saying that the audit reader sees nothing, and do not run the
// command: they would have reported "nothing denied".
func TestVerifyAndLearnRefuseABlindReader(t *testing.T) {
	bin := auditTestBinary(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(p, []byte("version: 2\nhandled:\n  fs: [make_block]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ran := filepath.Join(dir, "ran")
	for _, args := range [][]string{
		{"verify", "-p", p, "--", "touch", ran},
		{"learn", "--backend", "audit", "-o", filepath.Join(dir, "out.yaml"), "--", "touch", ran},
	} {
		r := runBinary(t, self, dir, append(os.Environ(), mutedEnv+"=1"), nil, append([]string{bin}, args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, "the audit reader sees nothing of Landlock") {
			t.Errorf("landlearn %s in a muted domain: exit %d, want 2\n%s", args[0], r.code, r.stderr)
		}
		if _, err := os.Stat(ran); err == nil {
			t.Errorf("landlearn %s ran the command although the audit reader sees nothing", args[0])
			os.Remove(ran)
		}
	}
}
