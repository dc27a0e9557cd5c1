package main

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/landlearn/landlearn/emit"
	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/internal/kernel"
	"github.com/landlearn/landlearn/internal/textsafe"
	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/minimize"
	"github.com/landlearn/landlearn/policy"
)

// policyOutput says where and how `learn` writes the policy it learned.
type policyOutput struct {
	Path  string // -o, default landlock.yaml
	Force bool   // overwrite an existing file (--force, or -o is the --merge file)
	Merge string // --merge OLD.yaml: grow that policy instead
	Shape shape
	// Header describes the learning run (its command line, directory,
	// variables and data directories), for minimize; nil: none.
	Header *learn.Header
	Stderr io.Writer
	// Offline leaves out what is about this kernel rather than the
	// policy (the MPTCP note): minimize, unlike learn, enforces nothing.
	Offline bool
	// Stdout receives the policy when Path is "-" (minimize without -o).
	Stdout io.Writer
	// Command is the learned command line, for the "try it with" hint;
	// nil (minimize) prints CMD.
	Command []string
	// Until says what ended learning early ("SIGINT interrupted it"), for
	// the line that says what was written; "" when the run ended by
	// itself (or at --timeout, said before).
	Until string
	// Vars abstract the learned paths (${HOME}, ${PWD}...); nil means
	// policy.DefaultVars() of this process, whose working directory is
	// the traced program's.
	Vars policy.Vars
}

// vars is v, or this process's variables when v is nil.
func vars(v policy.Vars) policy.Vars {
	if v == nil {
		return policy.DefaultVars()
	}
	return v
}

// reachableLimit bounds the walk that counts the files a policy reaches,
// for the summary: a grant on / must not cost minutes.
const reachableLimit = 200000

// writeLearnedPolicy minimizes the observations of a learning run and
// writes the policy to out.Path atomically (temp file, rename), printing
// the summary on out.Stderr.
func writeLearnedPolicy(obs iter.Seq[learn.Observation], out policyOutput) error {
	b := minimize.New(minimizeOptions(out.Shape, out.Vars, out.Stderr))
	b.StartRun(out.Header)
	for o := range obs {
		b.Add(o)
	}
	p, rep := b.Policy()
	return writePolicy(p, rep, out)
}

// shape are the flags of learn and minimize that shape the policy.
type shape struct {
	Collapse       int  // --collapse N
	AllowSensitive bool // --allow-sensitive
	Exact          bool // --exact
}

// args are the flags that give s, for a command line landlearn suggests
// (the minimize that writes what learn was asked to write).
func (s shape) args() []string {
	var out []string
	if s.Exact {
		out = append(out, "--exact")
	}
	if s.Collapse != minimize.DefaultCollapse {
		out = append(out, "--collapse", strconv.Itoa(s.Collapse))
	}
	if s.AllowSensitive {
		out = append(out, "--allow-sensitive")
	}
	return out
}

// addShapeFlags adds the flags of s to fl.
func addShapeFlags(fl *pflag.FlagSet, s *shape) {
	fl.IntVar(&s.Collapse, "collapse", minimize.DefaultCollapse, "make one directory rule from N or more sibling file rules (0: never)")
	fl.BoolVar(&s.AllowSensitive, "allow-sensitive", false, "let --collapse make directory rules in sensitive trees (/etc, /proc, ~/.ssh...)")
	fl.BoolVar(&s.Exact, "exact", false, "a rule per observed file: no groups of system files, no data directories (not portable to another host)")
}

// check refuses values that make no sense.
func (s shape) check() error {
	if s.Collapse < 0 {
		return usageErrorf("--collapse %d: give 0 (never collapse) or a number of files, such as --collapse %d", s.Collapse, minimize.DefaultCollapse)
	}
	return nil
}

// minimizeOptions are the options learn and minimize share: the running
// kernel's ABI (capped at what landlearn knows), the shape flags and the
// default variables.
func minimizeOptions(s shape, vars policy.Vars, stderr io.Writer) minimize.Options {
	if vars == nil {
		vars = policy.DefaultVars()
	}
	return minimize.Options{
		ABI:            runningABI(stderr),
		Collapse:       s.Collapse,
		AllowSensitive: s.AllowSensitive,
		Exact:          s.Exact,
		Vars:           vars,
		Launcher:       launcher(),
	}
}

// launcher is this landlearn binary as /proc/PID/exe shows it: the
// tracer's helper is a re-execution of it, and it execs the program.
func launcher() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		return real
	}
	return exe
}

// runningABI is the Landlock ABI of this kernel, at most policy.KernelABI.
// Without Landlock, a policy for the newest ABI is still useful (it is
// meant for another machine), so that is what is written, with a note.
func runningABI(stderr io.Writer) int {
	k, err := kernel.Running()
	if err != nil {
		if stderr != nil {
			fmt.Fprintf(stderr, "landlearn: note: %v; writing a policy for ABI %d\n", err, policy.KernelABI)
		}
		return policy.KernelABI
	}
	return min(k.ABI, policy.KernelABI)
}

// checkPolicyTarget refuses, before any work (a long run, a large set of
// observations), what writing the policy to path would refuse after it:
// a directory that does not exist, an existing policy (unless replace:
// --force, or the --merge file itself), a device, a fifo, a symlink or a
// directory. "-" is standard output.
func checkPolicyTarget(path string, replace bool, merge string) error {
	if path == "-" {
		return nil
	}
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usageErrorf("-o %s: directory %s does not exist; create it first, or write elsewhere", path, dir)
	}
	err := emit.CheckTarget(path, replace)
	switch {
	case errors.Is(err, emit.ErrExists) && merge != "":
		return usageErrorf("%s exists and is not %s, the policy --merge grows: pass --force to replace it, or -o %s to write the merged policy there", path, merge, merge)
	case errors.Is(err, emit.ErrExists):
		return usageErrorf("%s exists: pass --force to replace it, or --merge %s to grow it with what this run needs", path, path)
	case err != nil:
		return usageErrorf("-o %v", err)
	}
	return nil
}

// writePolicy merges p into out.Merge if asked, writes it (to out.Path,
// or stdout when out.Path is "-"), and prints the summary.
func writePolicy(p *policy.Policy, rep *minimize.Report, out policyOutput) error {
	if out.Merge != "" {
		old, err := policy.LoadFile(out.Merge)
		if err != nil {
			return &exitError{Code: exitUsage, Err: fmt.Errorf("--merge: %w", err)}
		}
		p = minimize.Grow(old, p, vars(out.Vars))
		rep.Merged(out.Merge)
		p.File = ""
		for i := range p.FS {
			p.FS[i].Line = 0
		}
		for i := range p.Net {
			p.Net[i].Line = 0
		}
		// The summary counts the file written, not this run alone.
		rep.FSRules, rep.NetRules, rep.Rights = len(p.FS), len(p.Net), 0
		for _, r := range p.FS {
			rep.Rights += r.Access.Count()
		}
		for _, r := range p.Net {
			rep.Rights += r.Access.Count()
		}
		n := len(old.FS) + len(old.Net)
		rep.Notes = append(rep.Notes, fmt.Sprintf("merged with %s, which had %d %s: the counts are the merged policy's",
			out.Merge, n, pluralWord(n, "rule")))
	}
	// The summary's count of reachable files walks the granted
	// directories: it runs while the policy is written (and loaded back).
	counted := make(chan struct{})
	if ep, err := p.Expand(vars(out.Vars)); err == nil {
		go func() {
			defer close(counted)
			rep.CountReachable(ep, reachableLimit)
		}()
	} else {
		close(counted)
	}
	defer func() { <-counted }()
	var err error
	if out.Path == "-" {
		err = emit.YAML(out.Stdout, p)
	} else {
		err = emit.WriteFile(out.Path, p, out.Force)
	}
	var big *emit.TooLargeError
	if errors.As(err, &big) {
		why := "; landlearn writes no policy it cannot read back"
		if out.Shape.Exact {
			why = ": --exact keeps a rule per observed file; without it, landlearn grants system files through groups and the directories the run treats as units"
		}
		return &exitError{Code: exitUsage, Err: fmt.Errorf("%v%s", err, why)}
	}
	if out.Path == "-" {
		if err != nil {
			return &exitError{Code: exitUsage, Err: fmt.Errorf("write the policy: %w", err)}
		}
	} else if err != nil {
		switch {
		case errors.Is(err, emit.ErrExists):
			return usageErrorf("%v: pass --force to replace it, or --merge %s to grow it", err, out.Path)
		case errors.Is(err, emit.ErrNotRegular):
			return usageErrorf("-o %v", err)
		}
		return &exitError{Code: exitUsage, Err: fmt.Errorf("write the policy: %w", err)}
	}
	<-counted
	if out.Stderr != nil {
		// The summary names observed paths and programs: escaped.
		var summary strings.Builder
		rep.WriteSummary(&summary)
		io.WriteString(out.Stderr, textsafe.Lines(summary.String()))
		if !out.Offline {
			io.WriteString(out.Stderr, mptcpNote(p))
		}
		what := ""
		if out.Until != "" && len(out.Command) > 0 {
			what = fmt.Sprintf(" from what %s did until %s", out.Command[0], out.Until)
		}
		if out.Path != "-" {
			fmt.Fprintf(out.Stderr, "landlearn: wrote %s%s; try it with: landlearn run -p %s -- %s\n", out.Path, what, shellQuote(out.Path), shellCommand(out.Command))
		} else if what != "" {
			fmt.Fprintf(out.Stderr, "landlearn: wrote the policy%s\n", what)
		}
	}
	return nil
}

// mptcpNote is the MPTCP note (enforce.MPTCPNote) where it matters: the
// policy grants TCP ports, whose rules MPTCP sockets escape on this
// kernel. A program that uses no TCP is not told about it; one that used
// an MPTCP socket while traced got the tracer's warning, naming the port.
func mptcpNote(p *policy.Policy) string {
	if len(p.Net) == 0 {
		return ""
	}
	return enforce.MPTCPNote(p)
}

// shellCommand formats argv for a person to paste into a shell; no argv
// gives the placeholder CMD.
func shellCommand(argv []string) string {
	if len(argv) == 0 {
		return "CMD"
	}
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// plainly safe characters. A string that a terminal would act on or hide
// (control characters, escape sequences, invisible characters, bytes that
// are not UTF-8) is written $'...' with those escaped, so that the line
// stays one printable line and still pastes into bash, zsh or dash.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	if textsafe.Inline(s) != s {
		q := strconv.Quote(s)
		return "$'" + strings.ReplaceAll(q[1:len(q)-1], "'", `\'`) + "'"
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
