package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/learn/audit"
	"github.com/landlearn/landlearn/learn/audit/live"
	"github.com/landlearn/landlearn/learn/audit/session"
	"github.com/landlearn/landlearn/learn/audit/verify"
	"github.com/landlearn/landlearn/minimize"
	"github.com/landlearn/landlearn/policy"
)

// verifyFlags are the flags of `landlearn verify`.
type verifyFlags struct {
	policy  string
	vars    []string
	timeout time.Duration
	grace   time.Duration
}

func init() {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify -p POLICY [--var K=V]... [--timeout D] [--grace D] -- CMD [ARG...]",
		Short: "Run a command under a policy and prove, with the audit log, that nothing was denied",
		Long: `verify runs CMD under the Landlock policy in POLICY, as 'landlearn run' does,
with the kernel's audit logging on, and reads what the kernel denied from the
audit log while CMD runs. It prints each denied object (a file, a directory,
a TCP port, a process) with the missing rights, the program and syscall that
asked, and the YAML rule that would allow it. CMD's stdin, stdout and stderr
are its own; verify's report goes to stderr.

The kernel is the judge here: verify does not guess what CMD needs, it
reports what the real sandbox refused. Silence is only trusted once proven:
before CMD starts, verify makes one deliberate denial in a throwaway sandbox
and checks that its audit record arrives. Records the kernel or the socket
dropped (backlog full, serial gaps, a lost counter that grew) make verify
say so instead of answering "no denials".

verify needs root: CAP_AUDIT_READ to read the audit multicast group (a
running auditd keeps working; verify never takes its place) and
CAP_AUDIT_CONTROL to switch audit on when it is off and to raise the backlog
limit. Both are restored when the last landlearn process using audit exits,
also on Ctrl-C. It needs Landlock ABI 7 (Linux 6.15) to log denials.

Denials of a sandbox that CMD creates itself are listed apart: they are not
the policy's. The run ends when CMD exits: processes it leaves running get
SIGTERM then, and SIGKILL after --grace.

A server does not exit by itself: --timeout D stops it after D, and so does
Ctrl-C (or SIGTERM, or a closed terminal). CMD gets the signal (SIGTERM at
the timeout), every other process it started SIGTERM, and whatever still
runs after --grace (default 10s) SIGKILL; a second Ctrl-C kills at once.
verify then reports what the kernel denied until then: "verified" covers
the part that ran, and says so.

Exit status: 0 when the policy denied nothing (while CMD ran, also when
--timeout or Ctrl-C stopped it), 1 when it denied something, 2 when verify
cannot tell (not root, audit or Landlock logging unavailable, records lost,
a usage or policy error, the sandbox could not be set up, or interrupted
before CMD started).`,
		Example: `  # A policy learned from one run, checked against the kernel on another:
  landlearn learn -o cat.yaml -- cat data/in.txt
  landlearn verify -p cat.yaml -- cat data/in.txt
  landlearn: verified: the policy denied nothing (the command exited with 0; audit reader checked)

  # A policy that lacks the read of a data file:
  landlearn verify -p cat.yaml -- cat data/other.txt
  cat: data/other.txt: Permission denied
  landlearn: The policy denied 1 access to the command (pid 4242, domain 1c0e30e25):

    /home/me/proj/data/other.txt
      denied: read_file
      by:     /usr/bin/cat (pid 4242, openat)
      fix:
        - path: /home/me/proj/data/other.txt
          access: [read_file]
  (exit status 1)

  # A server, for 30 seconds while the tests send it requests:
  landlearn verify --timeout 30s -p server.yaml -- python3 -m http.server 8000
  landlearn: --timeout 30s: stopping python3 and every process it started (SIGTERM, then SIGKILL after 10s)
  landlearn: verified for the 30s python3 ran, until --timeout 30s stopped it: the policy denied nothing (exit status 143; audit reader checked)`,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd, args, f)
		},
	}
	cmd.Flags().StringVarP(&f.policy, "policy", "p", "", "the policy file (YAML) to verify")
	cmd.Flags().StringArrayVar(&f.vars, "var", nil, "give the policy variable K the value V (repeatable), e.g. --var DATA=/srv/data")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 0, "stop CMD after D (e.g. 30s): SIGTERM, then SIGKILL after --grace; 0: wait for it")
	cmd.Flags().DurationVar(&f.grace, "grace", defaultGrace, "time CMD's processes have between SIGTERM and SIGKILL when stopped")
	cmd.MarkFlagFilename("policy", "yaml", "yml")
	rootCmd.AddCommand(cmd)
}

func runVerify(cmd *cobra.Command, args []string, f verifyFlags) error {
	argv, err := commandAfterDash(cmd, args)
	if err != nil {
		return err
	}
	if f.policy == "" {
		return usageErrorf("missing -p POLICY: which policy should %s be verified against?\nRun 'landlearn verify --help' for usage.", argv[0])
	}
	vars, err := parseVars(f.vars)
	if err != nil {
		return err
	}
	if err := requireRoot(); err != nil {
		return err
	}
	p, err := policy.LoadFileChecked(f.policy, vars)
	if err != nil {
		return &exitError{Code: exitUsage, Err: err}
	}
	if err := checkDurations(f.timeout, f.grace); err != nil {
		return err
	}
	prog := newProgress(cmd.ErrOrStderr(), "verify")
	defer prog.stop()
	stderr := prog.Writer(cmd.ErrOrStderr())
	cleanStale(stderr)
	st := newStopper(f.timeout, f.grace, stderr)
	defer st.close()

	// The command and the policy are checked before audit is touched: a
	// command not found changes no audit setting.
	c, err := enforce.Command(p, argv, enforce.Options{Vars: vars, Log: true, Mark: true, Stderr: stderr})
	if err != nil {
		return auditError(err)
	}
	l, release, err := openAudit(stderr)
	if err != nil {
		return err
	}
	defer release()
	io.WriteString(stderr, mptcpNote(p))
	c.Stdin, c.Stdout, c.Stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
	tc := st.command(c, argv[0])
	run, err := verify.Command(st.hard, l, tc)
	prog.stop()
	if err != nil && run == nil {
		return auditError(st.explain(err))
	}
	end := runEnd{name: argv[0], cut: tc.cut, ran: tc.ran}
	if err != nil && st.signal() != nil {
		// A second signal killed the run: what it did until then was
		// read all the same.
		end.cut, err = signalName(st.signal())+", then a second signal (killed at once)", nil
	}
	return verdict(stderr, run, err, end, resolvedPolicy(p, vars), fixNamer(run, argv, vars))
}

// fixNamer names the fixes verify suggests as learn would: the denials,
// as observations, minimized with the variables of this run.
func fixNamer(run *live.Run, argv []string, vars policy.Vars) audit.Namer {
	if run == nil || len(run.Denials)+len(run.NestedDenials) == 0 {
		return nil
	}
	var obs []learn.Observation
	for _, d := range append(slices.Clone(run.Denials), run.NestedDenials...) {
		obs = append(obs, d.Observations()...)
	}
	h, _ := learn.NewHeader(argv, nil)
	h.Vars = vars
	return minimize.Fixes(obs, &h, minimizeOptions(shape{Collapse: minimize.DefaultCollapse}, vars, nil))
}

// resolvedPolicy is p expanded and its symlinks resolved, to say which
// denials of the program's own sandbox p allows; nil if it cannot be
// (then the report just does not say).
func resolvedPolicy(p *policy.Policy, vars policy.Vars) *policy.Policy {
	ep, err := p.Expand(vars)
	if err != nil {
		return nil
	}
	if ep, err = ep.ResolveSymlinks(); err != nil {
		return nil
	}
	return ep
}

// runEnd is how a verified run ended: cut says what stopped it ("" when
// the command exited by itself), ran how long it ran.
type runEnd struct {
	name string
	cut  string
	ran  time.Duration
}

// verdict prints the report of a verify run and returns its exit status.
func verdict(w io.Writer, run *live.Run, runErr error, end runEnd, p *policy.Policy, n audit.Namer) error {
	var report strings.Builder
	verify.WriteReport(&report, run, p, n)
	if report.Len() > 0 {
		fmt.Fprint(w, "landlearn: "+report.String())
	}
	switch {
	case runErr != nil:
		return &exitError{Code: exitUsage, Err: fmt.Errorf("verification incomplete: %w", runErr)}
	case run.ExitCode == enforce.ExitSetup && run.Domain == nil:
		return &exitError{Code: exitUsage, Err: fmt.Errorf("the sandbox could not be set up (the command exited with %d before it ran)", enforce.ExitSetup)}
	case len(run.Denials) > 0 || p != nil && verify.NestedNotAllowed(run, p) > 0:
		if len(run.Denials) == 0 {
			fmt.Fprintf(w, "landlearn: the policy does not allow %d of the objects the program's own sandbox denied (\"does not allow this either\" above): it would deny them too\n",
				verify.NestedNotAllowed(run, p))
		}
		if run.Loss != nil {
			fmt.Fprintf(w, "landlearn: the list may be incomplete: %v\n", run.Loss)
		}
		if end.cut != "" {
			fmt.Fprintf(w, "landlearn: %s stopped %s after %s: these are the denials until then\n", end.cut, end.name, roundDuration(end.ran))
		}
		return exitWith(exitFinding)
	case run.Loss != nil:
		return &exitError{Code: exitUsage, Err: fmt.Errorf("cannot say that nothing was denied: %w; run again, or raise the backlog (auditctl -b)", run.Loss)}
	}
	if end.cut != "" {
		fmt.Fprintf(w, "landlearn: verified for the %s %s ran, until %s stopped it: the policy denied nothing (exit status %d; audit reader checked); what it would do later is not verified\n",
			roundDuration(end.ran), end.name, end.cut, run.ExitCode)
		return nil
	}
	fmt.Fprintf(w, "landlearn: verified: the policy denied nothing (the command exited with %d; audit reader checked)\n", run.ExitCode)
	return nil
}

// roundDuration is d to a tenth of a second: 5.0s, 1m30.2s.
func roundDuration(d time.Duration) string {
	return d.Round(100 * time.Millisecond).String()
}

// checkDurations refuses a negative --timeout or --grace.
func checkDurations(timeout, grace time.Duration) error {
	if timeout < 0 {
		return usageErrorf("--timeout %v: a duration must be positive (e.g. 30s), or 0 for none", timeout)
	}
	if grace <= 0 {
		return usageErrorf("--grace %v: give the time between SIGTERM and SIGKILL (e.g. 10s)", grace)
	}
	return nil
}

// openAudit switches audit on for this process (session.Acquire), opens the
// multicast listener and returns a release function that undoes both.
func openAudit(stderr io.Writer) (*live.Listener, func(), error) {
	if err := requireRoot(); err != nil {
		return nil, nil, err
	}
	if err := live.Supported(); err != nil {
		return nil, nil, auditError(err)
	}
	s, err := session.Acquire()
	if err != nil {
		return nil, nil, auditError(err)
	}
	for _, n := range s.Notices {
		fmt.Fprintf(stderr, "landlearn: note: %s\n", n)
	}
	l, err := live.Listen()
	if err != nil {
		s.Release()
		return nil, nil, auditError(err)
	}
	return l, func() {
		l.Close()
		if err := s.Release(); err != nil {
			fmt.Fprintf(stderr, "landlearn: %v\n", err)
		}
	}, nil
}

// auditError is exit status 2 with err's message: audit cannot be
// observed, or the command could not be prepared.
// requireRoot refuses early, before any work, when audit cannot be read.
func requireRoot() error {
	if os.Geteuid() != 0 {
		return &exitError{Code: exitUsage, Err: errors.New("reading Landlock denials from the audit log needs root (CAP_AUDIT_READ and CAP_AUDIT_CONTROL); run it with sudo")}
	}
	return nil
}

func auditError(err error) error {
	return &exitError{Code: exitUsage, Err: err}
}
