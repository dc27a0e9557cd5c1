package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/landlearn/landlearn/emit"
	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/learn/audit/workdir"
	"github.com/landlearn/landlearn/learn/trace"
	"github.com/landlearn/landlearn/minimize"
	"github.com/landlearn/landlearn/policy"
)

// learnFlags are the flags of `landlearn learn`.
type learnFlags struct {
	output         string
	force          bool
	merge          string
	raw            string
	backend        string
	accurate       bool
	rounds         int
	timeout        time.Duration
	collapse       int
	allowSensitive bool
	noReset        bool
}

// Backends of `learn --backend`.
const (
	backendTrace      = "trace"
	backendAudit      = "audit"
	backendTraceAudit = "trace+audit"
)

func init() {
	var f learnFlags
	cmd := &cobra.Command{
		Use:   "learn [-o FILE] [--force|--merge OLD.yaml] [--raw FILE.jsonl] [--backend trace|audit|trace+audit] [--accurate] [--rounds N] [--no-reset] [--timeout D] [--collapse N] [--allow-sensitive] -- CMD [ARG...]",
		Short: "Run a command and write the Landlock policy it needs",
		Long: `Run CMD, watch what it does, and write the least-privilege Landlock policy
that allows it to FILE (default landlock.yaml). Review the file like code, then
enforce it with 'landlearn run -p FILE -- CMD'.

Backends (--backend):
  trace        (default) CMD runs unconfined while landlearn stops each system
               call Landlock controls (open, exec, mkdir, rename, bind, kill...)
               and computes the rights it needs, with the kernel's rules. No
               privilege needed. Every process and thread CMD starts is
               followed, also those that outlive it, until the last one exits.
  audit        root: run CMD under the enforcing policy with Landlock's audit
               log, grant what the kernel denied, run again, until a run has no
               denial (at most --rounds N). Kernel-exact, but CMD runs N times.
  trace+audit  trace once, then audit rounds starting from what trace found.

The trace backend uses seccomp user notification; --accurate uses ptrace
instead, which is slower but sees each call's real result (it is also used,
with a message, where a seccomp listener cannot be installed: when landlearn
itself runs under a seccomp supervisor, such as another landlearn). io_uring, and data sent with sendto/sendmsg to an
abstract unix socket, are invisible to it: a warning says so when seen.

CMD runs with no_new_privs, as it will under Landlock: a set-user-ID program it
starts runs without that privilege (a warning says so).

Observations stream to --raw FILE.jsonl as they happen, one JSON object a line
(see 'landlearn minimize'), after a header line that records the command, the
directory and the values of ${HOME}, ${PWD}... at learn time. A file name that
is not valid UTF-8 gets no rule, and a warning names it. Without --raw they go to a file under $TMPDIR that
is removed after the policy is written, or kept and named when learning was
interrupted or the policy could not be written.

Ctrl-C goes to CMD; landlearn waits for what is left of CMD's processes and
still writes the policy from what it saw. A second Ctrl-C stops them all.
--timeout D stops them after D (e.g. 30s, 5m): for servers. If landlearn itself
is killed, CMD and everything it started are killed too.

landlearn refuses to replace an existing FILE, before running anything, unless
--force, or --merge OLD.yaml (grow OLD.yaml's rules with what this run needs).

Exit status: CMD's (128+N when signal N killed it, 127 when CMD is not found);
2 when landlearn could not learn or could not write the policy.`,
		Example: `  # Learn what a build needs, then build in the sandbox:
  landlearn learn --raw build.jsonl -- make
  landlearn: trace backend (seccomp-notify): 5310 calls stopped, 812 observations in build.jsonl; make exited 0
  landlearn: wrote landlock.yaml; try it with: landlearn run -p landlock.yaml -- CMD
  landlearn run -p landlock.yaml -- make

  # Learn a server for a minute, adding to the policy of an earlier run:
  landlearn learn --merge landlock.yaml --timeout 1m -- ./server --port 8080

  # As root, check the traced policy against the kernel's own denials:
  landlearn learn --backend trace+audit --force -- ./tool --selftest`,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLearn(cmd, args, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "landlock.yaml", `write the policy to FILE ("-": standard output, after CMD's own output)`)
	fl.BoolVar(&f.force, "force", false, "replace FILE if it exists")
	fl.StringVar(&f.merge, "merge", "", "grow the policy in OLD.yaml with what this run needs, and write the result to FILE")
	fl.StringVar(&f.raw, "raw", "", "record the observations in FILE.jsonl (kept; input of 'landlearn minimize')")
	fl.StringVar(&f.backend, "backend", backendTrace, "how to learn: trace, audit (root) or trace+audit")
	fl.BoolVar(&f.accurate, "accurate", false, "trace with ptrace: slower, sees each call's real result")
	fl.IntVar(&f.rounds, "rounds", 64, "at most N enforcing runs for --backend audit and trace+audit")
	fl.DurationVar(&f.timeout, "timeout", 0, "stop CMD and every process it started after D (e.g. 30s); 0: wait for them")
	fl.IntVar(&f.collapse, "collapse", minimize.DefaultCollapse, "make one directory rule from N or more sibling file rules (0: never)")
	fl.BoolVar(&f.allowSensitive, "allow-sensitive", false, "allow collapsing into sensitive trees (/etc, ${HOME}, /proc...)")
	fl.BoolVar(&f.noReset, "no-reset", false, "audit backends: do not copy and restore the working directory between rounds (needed above 1 GiB)")
	cmd.MarkFlagFilename("output", "yaml", "yml")
	cmd.MarkFlagFilename("merge", "yaml", "yml")
	cmd.MarkFlagFilename("raw", "jsonl")
	rootCmd.AddCommand(cmd)
}

// learnCommand returns the CMD [ARG...] after "--".
func learnCommand(cmd *cobra.Command, args []string) ([]string, error) {
	dash := cmd.ArgsLenAtDash()
	switch {
	case dash < 0 && len(args) > 0:
		return nil, usageErrorf("put -- before the command, so that its flags are not taken for landlearn's: landlearn learn ... -- %s", args[0])
	case dash < 0 || dash == len(args):
		return nil, usageErrorf("missing the command to learn: landlearn learn [-o FILE] -- CMD [ARG...]")
	case dash > 0:
		return nil, usageErrorf("unexpected %q before --; the command goes after --: landlearn learn [-o FILE] -- CMD [ARG...]", args[0])
	}
	return args[dash:], nil
}

// check refuses flag combinations that make no sense, before anything runs.
func (f learnFlags) check(cmd *cobra.Command) error {
	switch f.backend {
	case backendTrace, backendAudit, backendTraceAudit:
	default:
		hint := ""
		switch strings.ToLower(f.backend) {
		case "ptrace", "seccomp", "strace", "notify":
			hint = "; for ptrace tracing use --accurate"
		case "trace,audit", "audit+trace", "both":
			hint = "; did you mean trace+audit?"
		}
		return usageErrorf("--backend %q is not one of trace, audit, trace+audit%s", f.backend, hint)
	}
	if f.force && f.merge != "" {
		return usageErrorf("--force and --merge %s cannot be used together: --merge grows the policy, --force replaces it", f.merge)
	}
	if f.accurate && f.backend == backendAudit {
		return usageErrorf("--accurate is a way of tracing; --backend audit does not trace. Did you mean --backend trace+audit?")
	}
	if f.noReset && f.backend == backendTrace {
		return usageErrorf("--no-reset is for --backend audit or trace+audit, whose rounds run CMD again; the trace backend runs CMD once")
	}
	if cmd.Flags().Changed("rounds") && f.backend == backendTrace {
		return usageErrorf("--rounds counts enforcing runs of --backend audit or trace+audit; the trace backend runs CMD once")
	}
	if f.rounds < 1 {
		return usageErrorf("--rounds %d: at least one round is needed", f.rounds)
	}
	if f.timeout < 0 {
		return usageErrorf("--timeout %v: a duration must be positive (e.g. 30s), or 0 for none", f.timeout)
	}
	if f.collapse < 0 {
		return usageErrorf("--collapse %d: use a number of files, or 0 to never collapse", f.collapse)
	}
	if f.output == "" {
		return usageErrorf("-o needs a file name (or - for standard output)")
	}
	if f.output != "-" {
		// Fail now, not after a long run, if the policy cannot be written.
		dir := filepath.Dir(f.output)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return usageErrorf("-o %s: directory %s does not exist; create it first, or write elsewhere", f.output, dir)
		}
	}
	if f.output != "-" {
		// Refuse before the run what the write would refuse after it: an
		// existing policy (without --force or --merge), a device, a fifo,
		// a symlink or a directory at -o.
		if err := emit.CheckTarget(f.output, f.force || f.merge != ""); errors.Is(err, emit.ErrExists) {
			return usageErrorf("%s exists: pass --force to replace it, or --merge %s to grow it with what this run needs", f.output, f.output)
		} else if err != nil {
			return usageErrorf("-o %v", err)
		}
	}
	if f.backend != backendTrace {
		if err := requireRoot(); err != nil {
			return err
		}
	}
	if f.merge != "" {
		if _, err := policy.LoadFile(f.merge); err != nil {
			return &exitError{Code: exitUsage, Err: fmt.Errorf("--merge: %w", err)}
		}
	}
	return nil
}

// runLearn is `landlearn learn`.
func runLearn(cmd *cobra.Command, args []string, f learnFlags) error {
	argv, err := learnCommand(cmd, args)
	if err != nil {
		return err
	}
	if err := f.check(cmd); err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	raw, err := openRaw(f.raw)
	if err != nil {
		return err
	}
	rec := &teeRecorder{w: learn.NewWriter(raw.f)}
	// The header records the run as minimize will need it later,
	// elsewhere: the command, the directory and the variables' values.
	header, warnings := learn.NewHeader(argv, nil)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "landlearn: warning: %s\n", w)
	}
	if err := rec.w.WriteHeader(header); err != nil {
		raw.discard()
		return &exitError{Code: exitUsage, Err: fmt.Errorf("%s: %w", raw.f.Name(), err)}
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}

	code := 0
	interrupted := false
	// trace+audit: the audit rounds must start from the directory as it
	// was before the trace run, not with the files that run made.
	var snap *workdir.Snapshot
	if f.backend == backendTraceAudit {
		wd, err := os.Getwd()
		if err == nil {
			snap, err = workdir.TakeSnapshot(wd, !f.noReset)
		}
		if err != nil {
			raw.discard()
			return usageErrorf("--backend trace+audit: %v", err)
		}
	}
	if f.backend != backendAudit {
		lessGC := collectLessOften(200)
		res, err := trace.Run(ctx, argv, trace.Options{
			Accurate: f.accurate,
			Timeout:  f.timeout,
			Stdin:    cmd.InOrStdin(),
			Stdout:   cmd.OutOrStdout(),
			Stderr:   stderr,
			Warnf: func(format string, a ...any) {
				fmt.Fprintf(stderr, "landlearn: warning: "+format+"\n", a...)
			},
		}, rec)
		lessGC()
		if errors.Is(err, trace.ErrNotFound) {
			raw.discard()
			return &exitError{Code: 127, Err: err}
		}
		if err != nil {
			raw.keep(stderr, rec.Len(), "learning failed")
			return &exitError{Code: exitUsage, Err: fmt.Errorf("trace %s: %w", argv[0], err)}
		}
		code = res.ExitCode
		interrupted = res.Interrupted
		fmt.Fprintf(stderr, "landlearn: trace backend (%s): %d calls stopped, %d observations%s; %s %s\n",
			res.Mode, res.Calls, rec.Len(), raw.where(), argv[0], describeStatus(code))
		if res.TimedOut {
			fmt.Fprintf(stderr, "landlearn: --timeout %v stopped %s: the policy covers what it did until then\n", f.timeout, argv[0])
		}
	}
	// The policy is built from the observations where they are: a copy
	// of a large run costs its page faults.
	observed := rec.Values()
	nobs := rec.Len()
	if f.backend != backendTrace && !interrupted {
		seed := rec.All()
		var err error
		var obs []learn.Observation
		obs, code, err = runAuditRounds(ctx, argv, seed, auditRounds{
			Rounds: f.rounds, Merge: f.merge, NoReset: f.noReset, Stderr: stderr,
			Collapse: f.collapse, AllowSensitive: f.allowSensitive, Snapshot: snap,
		})
		if err != nil {
			raw.keep(stderr, rec.Len(), "the audit backend failed")
			return withExit(err, exitUsage)
		}
		if len(obs) >= len(seed) {
			for _, o := range obs[len(seed):] {
				rec.w.Record(o)
			}
		}
		fmt.Fprintf(stderr, "landlearn: audit backend: %d observations in all; %s %s in the last round\n", len(obs), argv[0], describeStatus(code))
		observed, nobs = slices.Values(obs), len(obs)
	}
	if interrupted {
		raw.keep(stderr, rec.Len(), "learning was interrupted")
	}
	if err := raw.f.Close(); err != nil {
		return &exitError{Code: exitUsage, Err: fmt.Errorf("write %s: %w", raw.f.Name(), err)}
	}
	err = writeLearnedPolicy(observed, policyOutput{
		Path:           f.output,
		Force:          f.force,
		Merge:          f.merge,
		Collapse:       f.collapse,
		AllowSensitive: f.allowSensitive,
		Stderr:         stderr,
		Stdout:         cmd.OutOrStdout(),
		Command:        argv,
	})
	if err != nil {
		raw.keep(stderr, nobs, "the policy was not written")
		return withExit(err, exitUsage)
	}
	if !interrupted {
		raw.discard()
	}
	if code != 0 {
		return exitWith(code)
	}
	return nil
}

// collectLessOften sets GOGC to percent, unless the GOGC variable says
// otherwise, and returns what restores it. For the tracer (200): the
// receiver works in the traced program's critical path, and the heap
// grows only with what it observes: on `find /usr/share -type f | xargs
// cat` (47k calls, 2 vCPUs) GOGC=200 takes 0.1 s of the learner's 1.3 s
// of CPU for 13 MB more peak RSS (66 MB).
func collectLessOften(percent int) (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(percent)
	return func() { debug.SetGCPercent(old) }
}

// withExit keeps an *exitError's code, and gives others code.
func withExit(err error, code int) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return &exitError{Code: code, Err: err}
}

// describeStatus says how the target ended, for the summary line.
func describeStatus(code int) string {
	switch {
	case code == 0:
		return "exited 0"
	case code > 128 && code < 128+65:
		return fmt.Sprintf("was killed by signal %d (status %d)", code-128, code)
	}
	return fmt.Sprintf("exited %d", code)
}

// rawFile is where observations stream: --raw, or a temporary file that
// is removed once the policy is written and kept otherwise.
type rawFile struct {
	f    *os.File
	temp bool
	kept bool
}

func openRaw(path string) (*rawFile, error) {
	if path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, usageErrorf("--raw: %v", err)
		}
		return &rawFile{f: f}, nil
	}
	f, err := os.CreateTemp("", "landlearn-*.jsonl")
	if err != nil {
		return nil, &exitError{Code: exitUsage, Err: fmt.Errorf("create a file for the observations under %s (set TMPDIR, or use --raw FILE.jsonl): %w", os.TempDir(), err)}
	}
	return &rawFile{f: f, temp: true}, nil
}

// where is " in FILE" for --raw, "" for the temporary file.
func (r *rawFile) where() string {
	if r.temp {
		return ""
	}
	return " in " + r.f.Name()
}

// keep names the temporary file so the user can minimize it later.
func (r *rawFile) keep(stderr io.Writer, n int, why string) {
	if !r.temp || r.kept {
		return
	}
	r.kept = true
	fmt.Fprintf(stderr, "landlearn: %s; the %d observations are kept in %s (make a policy from them with: landlearn minimize -o landlock.yaml %s)\n", why, n, r.f.Name(), r.f.Name())
}

// discard removes the temporary file.
func (r *rawFile) discard() {
	r.f.Close()
	if r.temp && !r.kept {
		os.Remove(r.f.Name())
	}
}

// teeRecorder writes each observation to the JSONL file and keeps it
// for the policy.
type teeRecorder struct {
	learn.Memory
	w *learn.Writer
}

func (t *teeRecorder) Record(o learn.Observation) error {
	t.Memory.Record(o)
	return t.w.Record(o)
}
