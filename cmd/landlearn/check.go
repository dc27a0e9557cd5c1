package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/internal/textsafe"
	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/learn/audit"
	"github.com/landlearn/landlearn/learn/trace"
	"github.com/landlearn/landlearn/minimize"
	"github.com/landlearn/landlearn/policy"
)

// checkFlags are the flags of `landlearn check`.
type checkFlags struct {
	policy  string
	format  string
	vars    []string
	timeout time.Duration
	grace   time.Duration
}

func init() {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check -p POLICY [--format text|github] [--var K=V]... [--timeout D] [--grace D] -- CMD [ARG...]",
		Short: "For CI: does the policy still cover what the command does?",
		Long: `Run CMD once under the tracer (unconfined, as 'learn' does) and test every
access it makes against POLICY, with its variables expanded and its symlinks
resolved. Nothing is denied while CMD runs: check tells you what a sandboxed
run would have been refused, without breaking the build that found it.

Exit status 0: POLICY covers everything CMD did. Exit status 1: it does not,
and the missing rights are listed, one line per path, port or scope, with the
executables that needed them. Rules this run never used are listed too, as
information (one run rarely takes every code path). Exit status 2: a usage
error, a policy that does not load, or CMD that cannot be started. CMD's own
exit status is shown but does not decide check's.

A server does not exit by itself: --timeout D stops it after D, and so does
Ctrl-C (or SIGTERM, or a closed terminal). CMD gets the signal (SIGTERM at
the timeout), every other process it started SIGTERM, and whatever still
runs after --grace (default 10s) SIGKILL; a second Ctrl-C kills at once.
check then judges what CMD did until then, with the same exit statuses.

--format github prints GitHub Actions annotations instead of text, so that
the pull request shows each gap on the policy line that most likely needs
extending: ::error file=POLICY,line=N::... (line 1 when no rule is close).`,
		Example: `  # In CI, after the tests changed: is landlock.yaml still enough?
  landlearn check -p landlock.yaml -- make test
  landlearn check: landlock.yaml does not cover 1 of this run's accesses:
    /srv/app/cache/index: missing [write_file] (openat by /usr/bin/python3.11, 2 times); closest rule: landlock.yaml:14
  Fix: landlearn learn --merge landlock.yaml -- make test, or add the rights above and review them.

  # The same as annotations on the pull request:
  landlearn check -p landlock.yaml --format github -- make test

  # A policy written for /srv/build, checked in this checkout:
  landlearn check -p landlock.yaml --var PWD=$PWD -- make

  # A server, for 30 seconds while the tests send it requests:
  landlearn check --timeout 30s -p server.yaml -- ./server --port 8080`,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCheck(cmd, args, f)
		},
	}
	cmd.Flags().StringVarP(&f.policy, "policy", "p", "", "the policy file (YAML) to check against")
	cmd.Flags().StringVar(&f.format, "format", "text", "text, or github for GitHub Actions annotations")
	cmd.Flags().StringArrayVar(&f.vars, "var", nil, "give the policy variable K the value V (repeatable), e.g. --var PWD=/srv/build")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 0, "stop CMD after D (e.g. 30s): SIGTERM, then SIGKILL after --grace; 0: wait for it")
	cmd.Flags().DurationVar(&f.grace, "grace", defaultGrace, "time CMD's processes have between SIGTERM and SIGKILL when stopped")
	cmd.MarkFlagFilename("policy", "yaml", "yml")
	cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"text", "github"}, cobra.ShellCompDirectiveNoFileComp
	})
	rootCmd.AddCommand(cmd)
}

func runCheck(cmd *cobra.Command, args []string, f checkFlags) error {
	argv, err := commandAfterDash(cmd, args)
	if err != nil {
		return err
	}
	if f.policy == "" {
		return usageErrorf("missing -p POLICY: which policy should %s be checked against?\nRun 'landlearn check --help' for usage.", argv[0])
	}
	if f.format != "text" && f.format != "github" {
		return usageErrorf("--format %s: use text or github", f.format)
	}
	vars, err := parseVars(f.vars)
	if err != nil {
		return err
	}
	if err := checkDurations(f.timeout, f.grace); err != nil {
		return err
	}
	p, err := policy.LoadFile(f.policy)
	if err != nil {
		return &exitError{Code: exitUsage, Err: err}
	}
	ep, err := p.Expand(vars)
	if err != nil {
		return &exitError{Code: exitUsage, Err: err}
	}
	// What run would refuse, check refuses too: a gate that passes a
	// policy that cannot be enforced here would be green for nothing.
	if _, err := ep.CheckFilesystem(); err != nil {
		return &exitError{Code: exitUsage, Err: err}
	}
	if ep, err = ep.ResolveSymlinks(); err != nil {
		return &exitError{Code: exitUsage, Err: err}
	}

	prog := newProgress(cmd.ErrOrStderr(), "check")
	defer prog.stop()
	stderr := prog.Writer(cmd.ErrOrStderr())
	cleanStale(stderr)
	// The tracer stops CMD at a signal; this keeps landlearn itself from
	// dying of one before or after the run, and of SIGPIPE on stderr.
	st := newStopper(0, f.grace, stderr)
	defer st.close()
	rec := &learn.Memory{} // check needs the whole run to name the unused rules
	var recorder learn.Recorder = rec
	var started func(func() uint64)
	if prog != nil {
		pc := newPathCounter(rec)
		recorder, started = pc, func(calls func() uint64) { prog.tracing(calls, pc) }
	}
	res, err := trace.Run(context.Background(), argv, trace.Options{
		Timeout: f.timeout, Grace: f.grace, Started: started,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Warnf: func(format string, a ...any) {
			fmt.Fprintf(stderr, "landlearn: warning: %s\n", textsafe.Inline(fmt.Sprintf(format, a...)))
		},
	}, recorder)
	prog.stop()
	if err != nil {
		if errors.Is(err, enforce.ErrNotFound) || errors.Is(err, enforce.ErrCannotExecute) {
			return usageErrorf("%v", err)
		}
		return &exitError{Code: exitUsage, Err: fmt.Errorf("trace %s: %w", argv[0], err)}
	}
	switch {
	case res.TimedOut:
		fmt.Fprintf(stderr, "landlearn check: note: --timeout %v stopped %s (it ended with status %d); the check covers what it did until then\n", f.timeout, argv[0], res.ExitCode)
	case res.Interrupted:
		fmt.Fprintf(stderr, "landlearn check: note: %s stopped %s (it ended with status %d); the check covers what it did until then\n", signalName(res.Signal), argv[0], res.ExitCode)
	case res.ExitCode != 0:
		fmt.Fprintf(stderr, "landlearn check: note: %s exited with status %d; the check covers what it did until then\n", argv[0], res.ExitCode)
	}
	obs := rec.All()
	cr := minimize.Check(ep, obs)
	var fix audit.Namer
	if len(cr.Gaps) > 0 {
		h, _ := learn.NewHeader(argv, nil)
		h.Vars = vars
		fix = minimize.Fixes(obs, &h, minimizeOptions(shape{Collapse: minimize.DefaultCollapse}, vars, nil))
	}
	out := cmd.OutOrStdout()
	// Unused rules are shown as the file writes them (${PWD}/x, not
	// this checkout's path): the reviewer looks for them there.
	written := map[int]string{}
	for _, r := range p.FS {
		if r.Path != "" { // a group's members keep their own paths
			written[r.Line] = r.Path
		}
	}
	for i, r := range ep.FS {
		if w, ok := written[r.Line]; ok && r.Line > 0 {
			ep.FS[i].Path = w
		}
	}
	if f.format == "github" {
		writeGitHub(out, f.policy, ep, cr, fix)
	} else {
		writeCheckText(out, f.policy, append(f.stopFlags(), append([]string{"--"}, argv...)...), ep, cr, fix)
	}
	if len(cr.Gaps) > 0 {
		return exitWith(exitFinding)
	}
	return nil
}

func ruleLine(p *policy.Policy, i int) int {
	if i >= 0 && i < len(p.FS) && p.FS[i].Line > 0 {
		return p.FS[i].Line
	}
	return 1
}

// stopFlags are check's --timeout and --grace as learn takes them, for the
// learn command check suggests: a server learned without them never ends.
func (f checkFlags) stopFlags() []string {
	var out []string
	if f.timeout > 0 {
		out = append(out, "--timeout", f.timeout.String())
	}
	if f.grace != defaultGrace {
		out = append(out, "--grace", f.grace.String())
	}
	return out
}

// writeCheckText writes check's report; learnArgs are the arguments of
// the learn command that would fill the gaps, after its --merge.
func writeCheckText(w io.Writer, name string, learnArgs []string, p *policy.Policy, cr *minimize.CheckResult, fix audit.Namer) {
	if len(cr.Gaps) == 0 {
		fmt.Fprintf(w, "landlearn check: %s covers all %d observed accesses of this run\n", name, cr.Observations)
	} else {
		fmt.Fprintf(w, "landlearn check: %s does not cover %d of this run's accesses:\n", name, len(cr.Gaps))
		for _, g := range cr.Gaps {
			fmt.Fprintf(w, "  %s", gapText(g))
			if g.Rule >= 0 {
				fmt.Fprintf(w, "; closest rule: %s:%d", name, ruleLine(p, g.Rule))
			}
			fmt.Fprintln(w)
			if f := fixText(g, fix); f != "" {
				fmt.Fprintf(w, "    fix: %s\n", f)
			}
		}
		fmt.Fprintf(w, "Fix: landlearn learn --merge %s %s, or add the rights above and review them.\n", shellQuote(name), shellCommand(learnArgs))
	}
	if len(cr.UnusedFS)+len(cr.UnusedNet) > 0 {
		fmt.Fprintf(w, "rules this run never used (information):\n")
		for _, i := range cr.UnusedFS {
			r := p.FS[i]
			what := textsafe.Name(r.Path)
			if r.Group != "" {
				what = "group " + r.Group + " (" + what + ")" // one of the group's members here
			}
			fmt.Fprintf(w, "  %s:%d: %s %s\n", name, r.Line, what, r.Access)
		}
		for _, i := range cr.UnusedNet {
			fmt.Fprintf(w, "  %s:%d: port %d [%s]\n", name, p.Net[i].Line, p.Net[i].Port, strings.Join(p.Net[i].Access.Names(), ", "))
		}
	}
	for _, s := range cr.Warnings {
		fmt.Fprintf(w, "warning: %s\n", textsafe.Inline(s))
	}
}

// fixText is the rule that closes an fs gap, as learn would name it
// ("- path: ${PWD}/static [read_file]", "- group: system [execute]"), or
// "" for other gaps.
func fixText(g minimize.Gap, fix audit.Namer) string {
	if g.What != "fs" || fix == nil || g.Missing == 0 {
		return ""
	}
	r := fix(g.Path, g.Missing)
	if r.Group != "" {
		return "- group: " + r.Group + " " + g.Missing.String()
	}
	return "- path: " + textsafe.Name(r.Path) + " " + g.Missing.String()
}

// gapText is a gap for people, with the names the program chose (paths,
// executables) quoted where they hold anything but printable characters.
func gapText(g minimize.Gap) string {
	g.Path, g.Dst, g.Exes = textsafe.Name(g.Path), textsafe.Name(g.Dst), textsafe.Names(g.Exes)
	return g.String()
}

// writeGitHub prints workflow commands (GitHub Actions annotations).
func writeGitHub(w io.Writer, name string, p *policy.Policy, cr *minimize.CheckResult, fix audit.Namer) {
	file := ghProperty(name)
	for _, g := range cr.Gaps {
		msg := gapText(g)
		if f := fixText(g, fix); f != "" {
			msg += "; fix: " + f
		}
		fmt.Fprintf(w, "::error file=%s,line=%d,title=landlearn check::%s\n", file, ruleLine(p, g.Rule), ghData(msg))
	}
	for _, i := range cr.UnusedFS {
		fmt.Fprintf(w, "::notice file=%s,line=%d,title=landlearn check::rule not used by this run: %s\n", file, ruleLine(p, i), ghData(textsafe.Name(p.FS[i].Path)))
	}
	for _, s := range cr.Warnings {
		fmt.Fprintf(w, "::warning file=%s,line=1,title=landlearn check::%s\n", file, ghData(s))
	}
}

// ghData escapes a workflow command's message; the log view shows it, so
// escape sequences in it are escaped too.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(textsafe.Lines(s))
}

// ghProperty escapes a workflow command's property value.
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
