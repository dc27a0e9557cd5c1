package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/minimize"
	"github.com/landlearn/landlearn/policy"
)

// minimizeFlags are the flags of `landlearn minimize`.
type minimizeFlags struct {
	output  string
	force   bool
	merge   string
	skipBad bool
	shape   shape
}

func init() {
	var f minimizeFlags
	cmd := &cobra.Command{
		Use:   "minimize [-o FILE] [--force] [--merge OLD.yaml] [--skip-bad] [--exact] [--collapse N] [--allow-sensitive] RUN.jsonl...",
		Short: "Turn recorded observations (JSONL) into a least-privilege policy",
		Long: `Read the observations that 'landlearn learn --raw FILE.jsonl' recorded (one
JSON object a line: which program needed which Landlock rights on which path
or port), from one run or several, and write the smallest policy that allows
all of them. Several files are merged: learn once per code path (tests, a
build, a release) and minimize them together. "-" reads standard input.

The policy is written to stdout, or to FILE with -o (atomically; an existing
FILE is replaced only with --force, or when it is the OLD.yaml of --merge
OLD.yaml, which grows that policy as 'learn --merge' does). A summary goes to
stderr: rules, rights, paths observed against files reachable under the
grants, and warnings.

How observations become a policy (README.md, "How observations become a
policy", says it in full): not a rule per file, which would break on other
data or another host, but a class for every access, from facts about the
file, and the rule safe for that class; each rule's comment says which:
  - system files (read or executed only, root's, packaged): a group
    (group: system, linker-config, name-service, certificates...), resolved
    where the policy is enforced, with read_file, read_dir and execute only;
  - data, a directory the program treats as a unit (named on its command
    line, given with 'learn --data DIR', or mostly used by the run): one
    rule on the directory with the read rights used beneath it;
  - language runtimes beneath ${HOME} or outside the system trees (pyenv,
    nvm, rustup, Go modules, a virtualenv): one read-only rule at the root;
  - a file created, replaced or deleted during the run: its nearest
    directory that existed before (a Landlock rule needs an inode), plus
    what a rerun needs (truncate; remove_file for a file renamed into place,
    a symlink, fifo or socket); never /tmp or another directory every user
    may write, which other programs share (a warning says so);
  - /proc/PID of the program becomes /proc/self, its cgroup the group
    own-cgroup; other pids, pty numbers and mkstemp names their directory;
  - a rename between directories never lets a file gain rights: the source
    directory is widened, and a note says so;
  - host configuration probes (/etc/gitconfig, a dotfile) and everything
    else: a rule on the file, "learned: true" ('run' skips it with a note
    where the path is missing);
  - paths under ${HOME}, ${TMPDIR}, ${PWD} and ${XDG_*} become variables,
    with the values the run recorded (a file without a header: minimize's);
  - --collapse N (default 32, 0 for never): N or more files of a directory
    read with the same rights become one rule on it; writes stay on their
    files;
  - no group, runtime, data unit or collapse reaches into a sensitive tree
    (/etc, /proc, ${HOME}, ~/.ssh...; a collapse does with
    --allow-sensitive), and every grant on a sensitive path is warned about,
    also in the file (# WARNING: above the rule);
  - --exact keeps a rule per observed file: no groups, runtime trees, data
    units or rerun rights; such a policy is tied to this host;
  - abi is this kernel's Landlock ABI and handled lists every right of it,
    so a policy that only reads files still restricts writes and TCP.
The same observations always give the same bytes.

A corrupt line is an error naming FILE:LINE (exit 2); --skip-bad skips such
lines and says how many. An empty run gives a valid policy that denies
everything, and a warning.`,
		Example: `  # Learn twice, with raw observations kept, and minimize both runs together:
  landlearn learn --raw unit.jsonl -o unit.yaml -- make test
  landlearn learn --raw build.jsonl -o build.yaml -- make
  landlearn minimize -o landlock.yaml unit.jsonl build.jsonl
  landlearn: 14 rules, 31 rights, 212 paths observed from 5310 observations
  landlearn: files observed vs reachable under the path rules: 180 vs 1840 (outside /proc, /sys and /dev)

  # Collapse less, and look at the result first:
  landlearn minimize --collapse 100 build.jsonl | less`,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMinimize(cmd, args, f)
		},
	}
	cmd.Flags().StringVarP(&f.output, "output", "o", "", "write the policy to FILE instead of stdout")
	cmd.Flags().BoolVar(&f.force, "force", false, "replace FILE if it exists")
	cmd.Flags().StringVar(&f.merge, "merge", "", "grow the policy in OLD.yaml with these observations")
	cmd.Flags().BoolVar(&f.skipBad, "skip-bad", false, "skip lines that are not observations (count them) instead of failing")
	addShapeFlags(cmd.Flags(), &f.shape)
	cmd.MarkFlagFilename("output", "yaml", "yml")
	cmd.MarkFlagFilename("merge", "yaml", "yml")
	cmd.ValidArgsFunction = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"jsonl"}, cobra.ShellCompDirectiveFilterFileExt
	}
	rootCmd.AddCommand(cmd)
}

func runMinimize(cmd *cobra.Command, args []string, f minimizeFlags) error {
	if len(args) == 0 {
		return usageErrorf("missing RUN.jsonl: which observations should be minimized? (landlearn learn --raw FILE.jsonl records them)\nRun 'landlearn minimize --help' for usage.")
	}
	if err := f.shape.check(); err != nil {
		return err
	}
	if f.force && f.output == "" {
		return usageErrorf("--force replaces the -o FILE; without -o the policy goes to stdout. Did you mean -o landlock.yaml --force?")
	}
	if f.merge != "" {
		if _, err := policy.LoadFile(f.merge); err != nil {
			return &exitError{Code: exitUsage, Err: fmt.Errorf("--merge: %w", err)}
		}
	}
	if f.output != "" {
		replace := f.force || f.merge != "" && sameFile(f.merge, f.output)
		if err := checkPolicyTarget(f.output, replace, f.merge); err != nil {
			return err
		}
	}
	stderr := cmd.ErrOrStderr()
	b := minimize.New(minimizeOptions(f.shape, nil, stderr))
	// While the files are read, the heap is mostly the Builder's maps,
	// which live until the policy is written: collecting less often
	// saves the garbage collector re-marking them, for a few tens of
	// megabytes more.
	lessGC := collectLessOften(400)
	skipped := 0
	for _, name := range args {
		n, err := addRun(b, name, cmd.InOrStdin(), f.skipBad)
		skipped += n
		if err != nil {
			return err
		}
	}
	lessGC()
	p, rep := b.Policy()
	switch {
	case skipped == 1:
		rep.Warnings = append(rep.Warnings, "skipped 1 line that is not an observation (--skip-bad)")
	case skipped > 1:
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("skipped %d lines that are not observations (--skip-bad)", skipped))
	}
	out := policyOutput{Path: f.output, Force: f.force || f.merge != "" && sameFile(f.merge, f.output), Merge: f.merge,
		Stderr: stderr, Stdout: cmd.OutOrStdout(), Offline: true, Shape: f.shape, Command: b.Command()}
	if out.Path == "" {
		out.Path = "-"
	}
	return writePolicy(p, rep, out)
}

// addRun streams the observations of one JSONL file into b and returns
// how many lines it skipped.
func addRun(b *minimize.Builder, name string, stdin io.Reader, skipBad bool) (int, error) {
	var r io.Reader = stdin
	if name != "-" {
		fh, err := os.Open(name)
		if err != nil {
			return 0, usageErrorf("%v; give the JSONL files that landlearn learn --raw recorded", err)
		}
		defer fh.Close()
		if st, err := fh.Stat(); err == nil && st.IsDir() {
			return 0, usageErrorf("%s is a directory; give the JSONL files recorded by landlearn learn --raw", name)
		}
		r = fh
	} else {
		name = "stdin"
	}
	rd := learn.NewReader(r, name)
	rd.SkipBad = skipBad
	err := minimize.ReadRun(b, rd)
	var le *learn.LineError
	switch {
	case errors.Is(err, learn.ErrNewerFormat):
		return rd.Skipped, usageErrorf("%v", err)
	case errors.As(err, &le):
		return rd.Skipped, usageErrorf("%v\nFix or delete that line, or pass --skip-bad to skip lines that are not observations.", err)
	case err != nil:
		return rd.Skipped, usageErrorf("%v", err)
	}
	return rd.Skipped, nil
}
