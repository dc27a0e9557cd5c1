package main

import (
	"errors"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/learn/audit/session"
	"github.com/landlearn/landlearn/policy"
)

// runFlags are the flags of `landlearn run`.
type runFlags struct {
	policy string
	log    bool
	vars   []string
}

func init() {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run -p POLICY [--log] [--var K=V]... -- CMD [ARG...]",
		Short: "Run a command under a Landlock policy",
		Long: `Run CMD under the Landlock policy in POLICY. landlearn checks the policy,
asks the kernel for the sandbox, and then becomes CMD (execve in place): CMD
keeps landlearn's pid, stdin, stdout, stderr and environment, and landlearn's
exit status is CMD's own (a shell shows 128+N when signal N killed it). What
the policy does not grant fails with the kernel's error: EACCES (Permission
denied) or EXDEV for files, EACCES for TCP ports, EPERM for signals.

Before CMD starts, the policy's variables (${HOME}, ${TMPDIR}, ${PWD},
${XDG_*}) get their values, or the ones given with --var, and every path must
exist: a missing path is an error naming its line, unless the rule says
"optional: true", in which case it is skipped, or "learned: true" (a rule
learn wrote for one file another host may lack, such as /etc/gitconfig or a
dotfile), in which case it is skipped with a note on stderr: skipping a rule
only removes access.

On a kernel older than the policy's abi, "compat: best-effort" enforces what
the kernel can and prints, on stderr, which rights stay unrestricted;
"compat: strict" refuses. landlearn refuses to run CMD unsandboxed: on a
kernel without Landlock, or where a rule's refer right cannot be expressed.
On kernels with Landlock erratum 1 fixed (this is the kernel's choice, not a
bug of the policy), bind_tcp and connect_tcp restrict IPPROTO_TCP sockets
only: MPTCP sockets, which Go programs use by default since Go 1.24, bind and
connect freely. learn and verify say so for a policy that grants TCP ports;
run says so only when stderr is a terminal, to keep CMD's stderr its own in
scripts and CI logs.

With --log, the kernel logs CMD's denials to the audit log (Landlock ABI 7,
Linux 6.15; audit must be enabled). 'landlearn explain' reads them.

Exit status: CMD's; 127 when CMD is not found; 126 when it cannot be
executed (often: the policy does not grant execute and read_file on it);
2 for a usage or policy error, before CMD ran.`,
		Example: `  # Run cat under the read-only example policy: it may read /etc/hostname...
  landlearn run -p examples/cat-hostname.yaml -- cat /etc/hostname
  # ...but not a file the policy does not grant:
  landlearn run -p examples/cat-hostname.yaml -- cat /root/.profile
  cat: /root/.profile: Permission denied

  # A policy written for one checkout, run in another:
  landlearn run -p landlock.yaml --var PWD=/srv/build -- make test`,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd, args, f)
		},
	}
	cmd.Flags().StringVarP(&f.policy, "policy", "p", "", "the policy file (YAML) to enforce")
	cmd.Flags().BoolVar(&f.log, "log", false, "log CMD's denials to the audit log (LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON)")
	cmd.Flags().StringArrayVar(&f.vars, "var", nil, "give the policy variable K the value V (repeatable), e.g. --var DATA=/srv/data")
	cmd.MarkFlagFilename("policy", "yaml", "yml")
	rootCmd.AddCommand(cmd)
}

// runRun checks the command line, loads the policy and execs CMD under it.
// It returns only on failure.
func runRun(cmd *cobra.Command, args []string, f runFlags) error {
	argv, err := commandAfterDash(cmd, args)
	if err != nil {
		return err
	}
	if f.policy == "" {
		return usageErrorf("missing -p POLICY: which policy should %s run under?\nRun 'landlearn run --help' for usage.", argv[0])
	}
	vars, err := parseVars(f.vars)
	if err != nil {
		return err
	}
	p, err := policy.LoadFileChecked(f.policy, vars)
	if err != nil {
		return &exitError{Code: exitUsage, Err: err}
	}
	if f.log {
		io.WriteString(cmd.ErrOrStderr(), logNote(session.Enabled))
	}
	// The MPTCP note is about the kernel, not the policy: learn and
	// verify show it; run adds it to CMD's stderr only for a person.
	if w, ok := cmd.ErrOrStderr().(*os.File); ok && isTerminal(w) {
		io.WriteString(w, mptcpNote(p))
	}
	err = enforce.Exec(p, argv, os.Environ(), enforce.Options{Vars: vars, Log: f.log, Stderr: cmd.ErrOrStderr()})
	switch {
	case errors.Is(err, enforce.ErrNotFound):
		return &exitError{Code: enforce.ExitNotFound, Err: err}
	case errors.Is(err, enforce.ErrCannotExecute):
		return &exitError{Code: enforce.ExitCannotExec, Err: err}
	}
	return &exitError{Code: exitUsage, Err: err}
}

// commandAfterDash returns the CMD [ARG...] that follows "--", or a usage
// error saying what is missing.
func commandAfterDash(cmd *cobra.Command, args []string) ([]string, error) {
	dash := cmd.ArgsLenAtDash()
	switch {
	case dash < 0 && len(args) > 0:
		return nil, usageErrorf("put -- before the command, so that its flags are not taken for landlearn's: landlearn %s ... -- %s", cmd.Name(), args[0])
	case dash < 0 || dash == len(args):
		return nil, usageErrorf("missing the command to run: landlearn %s -p POLICY -- CMD [ARG...]", cmd.Name())
	case dash > 0:
		return nil, usageErrorf("unexpected %q before --; the command goes after --: landlearn %s -p POLICY -- CMD [ARG...]", args[0], cmd.Name())
	}
	return args[dash:], nil
}

// logNote warns that --log will record nothing because audit is off, or
// returns "" (audit on, or its state unknown: not root).
func logNote(enabled func() (bool, error)) string {
	if on, err := enabled(); err != nil || on {
		return ""
	}
	return "landlearn: note: audit is off, so --log records nothing; switch it on (auditctl -e 1), or use 'landlearn verify', which does it for the run\n"
}
