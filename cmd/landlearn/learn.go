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
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/internal/command"
	"github.com/landlearn/landlearn/internal/stale"
	"github.com/landlearn/landlearn/internal/textsafe"
	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/learn/audit/workdir"
	"github.com/landlearn/landlearn/learn/trace"
	"github.com/landlearn/landlearn/policy"
)

// learnFlags are the flags of `landlearn learn`.
type learnFlags struct {
	output   string
	force    bool
	merge    string
	raw      string
	backend  string
	accurate bool
	rounds   int
	timeout  time.Duration
	grace    time.Duration
	shape    shape
	data     []string
	noReset  bool
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
		Use:   "learn [-o FILE] [--force] [--merge OLD.yaml] [--raw FILE.jsonl] [--backend trace|audit|trace+audit] [--accurate] [--rounds N] [--no-reset] [--timeout D] [--grace D] [--data DIR]... [--exact] [--collapse N] [--allow-sensitive] -- CMD [ARG...]",
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
itself runs under a seccomp supervisor, such as another landlearn). io_uring,
and data sent with sendto/sendmsg to an abstract unix socket, are invisible to
it: a warning says so when seen.

CMD runs with no_new_privs, as it will under Landlock: a set-user-ID program it
starts runs without that privilege (a warning says so).

Observations stream to --raw FILE.jsonl as they happen, one JSON object a line
(see 'landlearn minimize'), after a header line that records the command, the
directory and the values of ${HOME}, ${PWD}... at learn time. A file name that
is not valid UTF-8 gets no rule, and a warning names it. Without --raw they go
to a file under $TMPDIR that is removed after the policy is written, or kept
and named when the policy could not be written. --raw never replaces an
existing file without --force, nor writes through a symlink or to a device;
"-" is refused (standard output is CMD's).

Stopping: --timeout D (e.g. 30s, 5m; for servers) sends SIGTERM to CMD and
every process it started after D, in each audit round too. The first Ctrl-C
(or SIGTERM, or a closed terminal) goes to CMD, and the other processes get
SIGTERM. Whatever still runs --grace later (default 10s) is killed with
SIGKILL, and so is everything at a second Ctrl-C. The policy is then written
from what CMD did until it stopped, and the audit rounds keep every round's
denials. If landlearn itself is killed, CMD and everything it started are
killed too.

landlearn refuses to replace an existing FILE, before running anything, unless
--force, or FILE is the OLD.yaml of --merge OLD.yaml (grow OLD.yaml's rules
with what this run needs; without -o, the result replaces OLD.yaml). With
--merge, --force lets FILE and --raw replace other existing files.

Exit status: CMD's (128+N when signal N killed it, 127 when CMD is not found,
126 when it cannot be executed);
0 when --timeout stopped CMD and the policy was written; 2 when landlearn
could not learn or could not write the policy.`,
		Example: `  # Learn what a build needs, then build in the sandbox:
  landlearn learn --raw build.jsonl -- make
  landlearn: trace backend (seccomp-notify): 5310 calls stopped, 812 observations in build.jsonl; make exited 0
  landlearn: wrote landlock.yaml; try it with: landlearn run -p landlock.yaml -- make
  landlearn run -p landlock.yaml -- make

  # Learn a server for a minute, adding to the policy of an earlier run:
  landlearn learn --merge landlock.yaml --timeout 1m -- ./server --port 8080
  landlearn: warning: timeout after 1m0s: stopping ./server and every process it started (SIGTERM, then SIGKILL after 10s)
  landlearn: --timeout 1m0s stopped ./server: the policy covers what it did until then

  # As root, check the traced policy against the kernel's own denials:
  landlearn learn --backend trace+audit --force -- ./tool --selftest`,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLearn(cmd, args, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "landlock.yaml", `write the policy to FILE ("-": standard output, after CMD's own output; with --merge OLD.yaml, default OLD.yaml)`)
	fl.BoolVar(&f.force, "force", false, "replace FILE if it exists")
	fl.StringVar(&f.merge, "merge", "", "grow the policy in OLD.yaml with what this run needs, and write the result to FILE")
	fl.StringVar(&f.raw, "raw", "", "record the observations in FILE.jsonl (kept; input of 'landlearn minimize')")
	fl.StringVar(&f.backend, "backend", backendTrace, "how to learn: trace, audit (root) or trace+audit")
	fl.BoolVar(&f.accurate, "accurate", false, "trace with ptrace: slower, sees each call's real result")
	fl.IntVar(&f.rounds, "rounds", 64, "at most N enforcing runs for --backend audit and trace+audit")
	fl.DurationVar(&f.timeout, "timeout", 0, "stop CMD and every process it started after D (e.g. 30s; each audit round); 0: wait for them")
	fl.DurationVar(&f.grace, "grace", defaultGrace, "time CMD's processes have between SIGTERM and SIGKILL when stopped")
	addShapeFlags(fl, &f.shape)
	fl.StringArrayVar(&f.data, "data", nil, "DIR is data: the next runs read other files there (one rule for DIR; repeatable)")
	cmd.MarkFlagDirname("data")
	fl.BoolVar(&f.noReset, "no-reset", false, "audit backends: do not copy and restore the working directory between rounds (needed above 1 GiB)")
	cmd.MarkFlagFilename("output", "yaml", "yml")
	cmd.MarkFlagFilename("merge", "yaml", "yml")
	cmd.MarkFlagFilename("raw", "jsonl")
	cmd.RegisterFlagCompletionFunc("backend", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{
			backendTrace + "\ttrace the system calls Landlock controls (default)",
			backendAudit + "\troot: rounds under the policy, the kernel's denials",
			backendTraceAudit + "\ttrace once, then audit rounds",
		}, cobra.ShellCompDirectiveNoFileComp
	})
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
	if err := checkDurations(f.timeout, f.grace); err != nil {
		return err
	}
	if err := f.shape.check(); err != nil {
		return err
	}
	for i, d := range f.data {
		abs, err := filepath.Abs(d)
		if err == nil {
			var st os.FileInfo
			if st, err = os.Stat(abs); err == nil && !st.IsDir() {
				err = fmt.Errorf("%s is not a directory", d)
			}
		}
		if err != nil {
			return usageErrorf("--data %s: %v; --data names a directory whose files change from run to run", d, err)
		}
		f.data[i] = abs
	}
	if f.output == "" {
		return usageErrorf("-o needs a file name (or - for standard output)")
	}
	if err := checkPolicyTarget(f.output, f.replaceOutput(), f.merge); err != nil {
		return err
	}
	if err := f.checkRaw(); err != nil {
		return err
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

// replaceOutput says whether an existing -o may be replaced: with
// --force, or when it is the file --merge grows.
func (f learnFlags) replaceOutput() bool {
	return f.force || f.merge != "" && sameFile(f.merge, f.output)
}

// sameFile says whether a and b name the same file: the same path, or
// the same existing file by another name.
func sameFile(a, b string) bool {
	if aa, err := filepath.Abs(a); err == nil {
		if ab, err := filepath.Abs(b); err == nil && aa == ab {
			return true
		}
	}
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

// checkRaw refuses, before the run, a --raw that would replace what it
// must not: an existing file without --force, a symlink, a device, a
// directory, the policy files, or standard output.
func (f learnFlags) checkRaw() error {
	switch {
	case f.raw == "":
		return nil
	case f.raw == "-":
		return usageErrorf("--raw -: standard output is CMD's own, and the observations would be mixed with its output; give a file name")
	case f.merge != "" && sameFile(f.raw, f.merge), f.output != "-" && sameFile(f.raw, f.output):
		return usageErrorf("--raw %s is the policy file: give the observations another name, such as run.jsonl", f.raw)
	}
	dir := filepath.Dir(f.raw)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usageErrorf("--raw %s: directory %s does not exist; create it first, or write elsewhere", f.raw, dir)
	}
	st, err := os.Lstat(f.raw)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return usageErrorf("--raw %v", err)
	case st.IsDir():
		return usageErrorf("--raw %s is a directory; give a file name such as %s", f.raw, filepath.Join(f.raw, "run.jsonl"))
	case st.Mode()&os.ModeSymlink != 0:
		target, _ := os.Readlink(f.raw)
		return usageErrorf("--raw %s is a symbolic link to %s: landlearn does not write through links; give the file itself, or another name", f.raw, target)
	case !st.Mode().IsRegular():
		return usageErrorf("--raw %s is not a regular file (%v): give a file name", f.raw, st.Mode().Type())
	case !f.force:
		return usageErrorf("--raw %s exists: pass --force to replace it, or give another name", f.raw)
	}
	return nil
}

// runLearn is `landlearn learn`.
func runLearn(cmd *cobra.Command, args []string, f learnFlags) error {
	argv, err := learnCommand(cmd, args)
	if err != nil {
		return err
	}
	if f.merge != "" && !cmd.Flags().Changed("output") {
		f.output = f.merge // --merge OLD grows OLD unless -o says where else
	}
	if err := f.check(cmd); err != nil {
		return err
	}
	// CMD's stderr is the terminal's or the caller's; landlearn's own
	// messages go through the progress line when there is one.
	cmdStderr := cmd.ErrOrStderr()
	prog := newProgress(cmdStderr, "learn")
	defer prog.stop()
	stderr := prog.Writer(cmdStderr)
	cleanStale(stderr)
	// Caught from here to the end: a signal between the trace and the
	// rounds, or while the policy is written, must not lose the run.
	st := newStopper(f.timeout, f.grace, stderr)
	defer st.close()
	raw, err := openRaw(f.raw, f.force)
	if err != nil {
		return err
	}
	rec := &teeRecorder{w: raw.w}
	// The header records the run as minimize will need it later,
	// elsewhere: the command, the directory and the variables' values.
	header, warnings := learn.NewHeader(argv, f.data)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "landlearn: warning: %s\n", textsafe.Inline(w))
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
	// until says what ended the run early, for the final line: "SIGINT
	// interrupted it"; timedOut makes the exit status 0.
	until, timedOut := "", false
	var keep []string
	if f.raw != "" {
		keep = append(keep, f.raw)
	}
	// A command that is not there is said at once, as the trace backend
	// says it, before the audit rounds switch audit on.
	if f.backend == backendAudit {
		if _, err := command.LookPath(argv[0], command.PathOf(os.Environ()), ""); err != nil {
			raw.discard()
			return &exitError{Code: command.ExitStatus(err), Err: err}
		}
	}
	// trace+audit: the audit rounds must start from the directory as it
	// was before the trace run, not with the files that run made.
	var snap *workdir.Snapshot
	if f.backend == backendTraceAudit {
		wd, err := os.Getwd()
		if err == nil {
			snap, err = workdir.TakeSnapshot(wd, !f.noReset, keep...)
		}
		if err != nil {
			raw.discard()
			return usageErrorf("--backend trace+audit: %v", err)
		}
	}
	if f.backend != backendAudit {
		var recorder learn.Recorder = rec
		var started func(func() uint64)
		if prog != nil {
			pc := newPathCounter(rec)
			recorder, started = pc, func(calls func() uint64) { prog.tracing(calls, pc) }
		}
		lessGC := collectLessOften(200)
		res, err := trace.Run(ctx, argv, trace.Options{
			Accurate: f.accurate,
			Timeout:  f.timeout,
			Grace:    f.grace,
			Stdin:    cmd.InOrStdin(),
			Stdout:   cmd.OutOrStdout(),
			Stderr:   cmdStderr,
			Started:  started,
			Warnf: func(format string, a ...any) {
				fmt.Fprintf(stderr, "landlearn: warning: %s\n", textsafe.Inline(fmt.Sprintf(format, a...)))
			},
		}, recorder)
		lessGC()
		if errors.Is(err, enforce.ErrNotFound) || errors.Is(err, enforce.ErrCannotExecute) {
			raw.discard()
			return &exitError{Code: res.ExitCode, Err: err}
		}
		if err != nil {
			raw.keep(stderr, rec.Len(), "learning failed", f)
			return &exitError{Code: exitUsage, Err: fmt.Errorf("trace %s: %w", argv[0], err)}
		}
		code = res.ExitCode
		fmt.Fprintf(stderr, "landlearn: trace backend (%s): %d calls stopped, %d observations%s; %s %s\n",
			res.Mode, res.Calls, rec.Len(), raw.where(), argv[0], describeStatus(code))
		switch {
		case res.Interrupted:
			until = signalName(res.Signal) + " interrupted it"
		case res.TimedOut:
			timedOut = true
			fmt.Fprintf(stderr, "landlearn: --timeout %v stopped %s: the policy covers what it did until then\n", f.timeout, argv[0])
		}
	}
	if until == "" && st.signal() != nil {
		until = signalName(st.signal()) + " interrupted learning"
	}
	// The policy is built from the observations where they are: a copy
	// of a large run costs its page faults.
	observed := rec.Values()
	nobs := rec.Len()
	if f.backend != backendTrace && until == "" {
		seed := rec.All()
		ar, err := runAuditRounds(ctx, argv, seed, auditRounds{
			Rounds: f.rounds, Merge: f.merge, NoReset: f.noReset, Stderr: stderr,
			Shape: f.shape, Header: &header, Snapshot: snap,
			Keep: keep, Timeout: f.timeout, Grace: f.grace, Stopper: st, Progress: prog, CmdStderr: cmdStderr,
			Record: func(o learn.Observation) { rec.w.Record(o) },
		})
		if err != nil {
			raw.keep(stderr, len(ar.Observations), "the audit backend failed", f)
			return withExit(err, exitUsage)
		}
		code = ar.ExitCode
		timedOut = ar.TimedOut
		if ar.Interrupted > 0 {
			until = fmt.Sprintf("%s interrupted audit round %d", ar.Signal, ar.Interrupted)
		}
		fmt.Fprintf(stderr, "landlearn: audit backend: %d observations in all; %s %s in the last round\n", len(ar.Observations), argv[0], describeStatus(code))
		observed, nobs = slices.Values(ar.Observations), len(ar.Observations)
	}
	prog.stop()
	if err := raw.close(); err != nil {
		return &exitError{Code: exitUsage, Err: fmt.Errorf("write %s: %w", raw.f.Name(), err)}
	}
	err = writeLearnedPolicy(observed, policyOutput{
		Path:    f.output,
		Force:   f.replaceOutput(),
		Merge:   f.merge,
		Shape:   f.shape,
		Header:  &header,
		Stderr:  stderr,
		Stdout:  cmd.OutOrStdout(),
		Command: argv,
		Until:   until,
	})
	if err != nil {
		raw.keep(stderr, nobs, "the policy was not written", f)
		return withExit(err, exitUsage)
	}
	raw.discard()
	if code != 0 && !(timedOut && until == "") {
		return exitWith(code)
	}
	return nil
}

// collectLessOften sets GOGC to percent, unless the GOGC variable says
// otherwise, and returns what restores it. For the tracer (200): the
// receiver works in the traced program's critical path, and the heap
// grows only with what it observes: GOGC=200 trades a little peak
// memory for less of the learner's CPU (the README's Performance section
// has the numbers).
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
	w    *learn.Writer // on f
	temp bool
	kept bool
}

// openRaw opens --raw (checked before the run by checkRaw: an existing
// file only with force, never through a symlink), or a temporary file.
func openRaw(path string, force bool) (*rawFile, error) {
	if path != "" {
		// Read and write: the Writer maps the file (learn.NewFileWriter).
		flags := os.O_RDWR | os.O_CREATE | os.O_EXCL | syscall.O_NOFOLLOW
		if force {
			flags = os.O_RDWR | os.O_CREATE | os.O_TRUNC | syscall.O_NOFOLLOW
		}
		f, err := os.OpenFile(path, flags, 0o644)
		if err != nil {
			return nil, usageErrorf("--raw: %v", err)
		}
		if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
			f.Close()
			return nil, usageErrorf("--raw %s is not a regular file: give a file name", path)
		}
		return &rawFile{f: f, w: learn.NewFileWriter(f)}, nil
	}
	f, err := os.CreateTemp("", stale.Pattern(stale.RawPrefix, ".jsonl"))
	if err != nil {
		return nil, &exitError{Code: exitUsage, Err: fmt.Errorf("create a file for the observations under %s (set TMPDIR, or use --raw FILE.jsonl): %w", os.TempDir(), err)}
	}
	return &rawFile{f: f, w: learn.NewFileWriter(f), temp: true}, nil
}

// close ends the file after its last line and closes it.
func (r *rawFile) close() error {
	err := r.w.Close()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// where is " in FILE" for --raw, "" for the temporary file.
func (r *rawFile) where() string {
	if r.temp {
		return ""
	}
	return " in " + r.f.Name()
}

// keep names the temporary file so the user can minimize it later, with
// the command that writes what learn was asked to write.
func (r *rawFile) keep(stderr io.Writer, n int, why string, f learnFlags) {
	if !r.temp || r.kept {
		return
	}
	r.kept = true
	r.w.Close()
	args := []string{"landlearn", "minimize"}
	if f.output != "-" {
		args = append(args, "-o", f.output)
		if f.replaceOutput() {
			args = append(args, "--force")
		}
	}
	if f.merge != "" {
		args = append(args, "--merge", f.merge)
	}
	args = append(args, f.shape.args()...)
	args = append(args, r.f.Name())
	fmt.Fprintf(stderr, "landlearn: %s; the %d observations are kept in %s (make the policy from them with: %s)\n", why, n, r.f.Name(), shellCommand(args))
}

// discard removes the temporary file.
func (r *rawFile) discard() {
	r.close()
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
