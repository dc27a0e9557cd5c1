package rounds_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/learn/audit"
	"github.com/landlearn/landlearn/learn/audit/audittest"
	"github.com/landlearn/landlearn/learn/audit/live"
	"github.com/landlearn/landlearn/learn/audit/rounds"
	"github.com/landlearn/landlearn/learn/audit/verify"
	"github.com/landlearn/landlearn/policy"
)

// mutedEnv makes the test binary mutedMain: a process whose Landlock
// domains log nothing, although audit works.
const mutedEnv = "ROUNDS_TEST_MUTED"

func TestMain(m *testing.M) {
	enforce.MaybeHelper()
	if os.Getenv(mutedEnv) != "" {
		os.Exit(mutedMain(os.Args[1], os.Args[2]))
	}
	os.Exit(m.Run())
}

// mutedMain puts every thread of this process in a Landlock domain
// created with LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF (it restricts
// only make_block, which nothing here uses), so that the kernel logs no
// denial of the domains created beneath it: the self-check's throwaway
// domain, and the sandbox of the command. The audit records of
// everything else, the fences included, still arrive. Then it runs what
// says, which must refuse to trust the listener's silence: it prints the
// error and exits 0 when that error wraps audit.ErrNoAudit. ran is a file
// the command creates if it runs at all.
func mutedMain(what, ran string) int {
	err := landlock.MustConfig(landlock.AccessFSSet(ll.AccessFSMakeBlock)).DisableLoggingForSubdomains().Restrict()
	if err != nil {
		fmt.Println("restrict:", err)
		return 2
	}
	l, err := live.Listen()
	if err != nil {
		fmt.Println("listen:", err)
		return 2
	}
	defer l.Close()
	ctx := context.Background()
	touch := func(*policy.Policy) (live.Command, error) {
		return live.Exec(exec.Command("touch", ran)), nil
	}
	switch what {
	case "selfcheck":
		err = l.SelfCheck(ctx)
	case "verify":
		cmd, _ := touch(nil)
		_, err = verify.Command(ctx, l, cmd)
	case "rounds":
		open := func([]learn.Observation) (*policy.Policy, error) {
			p := policy.New(policy.KernelABI)
			p.Handled = policy.Handled{FS: policy.FSMakeBlock}
			return p, nil
		}
		_, err = rounds.Rounds{Policy: open, Command: touch}.Run(ctx, l, nil)
	}
	fmt.Println(err)
	if errors.Is(err, audit.ErrNoAudit) {
		return 0
	}
	return 1
}

// TestSilenceIsNotTrustedUnproven: where the kernel logs no Landlock
// denial although audit works (here: a parent domain mutes its
// subdomains' logs), the self-check fails, and neither verify nor the
// audit rounds run the command: their "nothing denied" would be the
// reader's blindness. Each of the three would pass if it skipped or
// ignored the self-check's missing denial.
func TestSilenceIsNotTrustedUnproven(t *testing.T) {
	audittest.Listener(t) // audit on, with the same lock as landlearn, for the child
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, what := range []string{"selfcheck", "verify", "rounds"} {
		ran := filepath.Join(t.TempDir(), "ran")
		cmd := exec.Command(self, what, ran)
		cmd.Env = append(os.Environ(), mutedEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "the audit reader sees nothing of Landlock") {
			t.Errorf("%s in a muted process: %v\n%s", what, err, out)
		}
		if _, err := os.Stat(ran); err == nil {
			t.Errorf("%s ran the command although the audit reader sees nothing", what)
		}
	}
}

// TestRoundsDoNotConvergeOnLostRecords: a round whose denials did not
// all reach the reader is no proof that nothing was denied. Here the
// sandbox logs its mark (enforce.Options.Mark) but, without
// Options.Log, none of the program's denials after the exec: the kernel
// counts them in the domain's deallocation record, which says more
// denials than arrived. The rounds stop with that loss instead of
// declaring convergence.
func TestRoundsDoNotConvergeOnLostRecords(t *testing.T) {
	l := audittest.Listener(t)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	readNothing := func([]learn.Observation) (*policy.Policy, error) {
		p := policy.New(policy.KernelABI)
		p.Handled = policy.Handled{FS: policy.FSReadFile}
		for _, dir := range []string{"/usr", "/etc"} {
			p.FS = append(p.FS, policy.FSRule{Path: dir, Access: policy.FSReadFile})
		}
		return p, nil
	}
	unlogged := func(p *policy.Policy) (live.Command, error) {
		c, err := enforce.Command(p, []string{"cat", secret}, enforce.Options{Mark: true})
		if err != nil {
			return nil, err
		}
		return live.Exec(c), nil
	}
	res, err := rounds.Rounds{Max: 3, Policy: readNothing, Command: unlogged}.Run(context.Background(), l, nil)
	if !errors.Is(err, live.ErrLost) || res.Converged {
		t.Errorf("rounds with the program's denials unlogged: converged %v, error %v; want live.ErrLost", res.Converged, err)
	}
}
