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

How observations become rules:
  - a file the run read or wrote gets a rule on that file, with those rights;
  - a file created, replaced (write to a temporary, rename over) or deleted
    during the run gets its rights on the nearest directory that existed
    before, because a Landlock rule needs an inode when the sandbox starts;
  - a rename or link between two directories must not let the moved file gain
    rights (the kernel answers EXDEV): the source directory is widened, and a
    note says so;
  - /proc/PID of the program becomes /proc/self; pty numbers, pids and mkstemp
    names become their directory;
  - paths under ${HOME}, ${TMPDIR}, ${PWD} and ${XDG_*} become variables, so
    the file works for another user or checkout; ${PWD} is the directory you
    run minimize in;
  - N or more files used in one directory become one rule on the directory
    (--collapse N, default 32, 0 for never) with the rights at least N of
    them used (a right fewer files used stays on those files), except in
    sensitive trees (/etc, /proc, /dev, /root, ${HOME}/.ssh...) unless
    --allow-sensitive; every grant on a sensitive path is warned about;
  - rights that a rule on a parent directory grants are left out;
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
