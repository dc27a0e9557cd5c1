package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/landlearn/landlearn/emit"
	"github.com/landlearn/landlearn/policy"
)

func init() {
	rootCmd.AddCommand(&cobra.Command{
		Use:   "diff OLD.yaml NEW.yaml",
		Short: "Compare two policies: which grants were added, removed or changed",
		Long: `diff compares two landlearn policies and prints what NEW grants and restricts
differently from OLD, section by section:

  + PATH  [rights]                 a rule only NEW has
  - PATH  [rights]                 a rule only OLD has
  ~ PATH  [old] -> [new]           a rule whose rights (or optional flag) changed

and the same for ports, the abi, compat and the handled rights (a right added
to handled is now restricted everywhere it is not granted). Comments, rule
order and spelling (/usr/ and /usr) do not count. Variables such as ${HOME}
are compared as written, not expanded. One of the files may be "-" (stdin).

Exit status: 0 when the policies are the same, 1 when they differ, 2 when a
policy cannot be read (the message names FILE:LINE and the problem). That
makes diff a CI gate: regenerate the policy, then fail the build if it moved.`,
		Example: `  # Did the program start needing more since the committed policy?
  landlearn learn -o new.yaml --force -- make test
  landlearn diff landlock.yaml new.yaml

  # In CI, compare against the policy of the main branch:
  git show main:landlock.yaml | landlearn diff - landlock.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageErrorf("diff takes two policy files, OLD and NEW, got %d %s\nUsage: %s", len(args), pluralWord(len(args), "argument"), cmd.UseLine())
			}
			if args[0] == "-" && args[1] == "-" {
				return usageErrorf("diff can read only one of OLD and NEW from stdin (-)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			// Load both before failing, so that both files' problems show.
			var ps [2]*policy.Policy
			var errs []error
			for i, arg := range args {
				p, err := loadEmitInput(arg)
				if err != nil {
					errs = append(errs, errors.Unwrap(err))
				}
				ps[i] = p
			}
			if len(errs) > 0 {
				return &exitError{Code: exitUsage, Err: errors.Join(errs...)}
			}
			changes := policy.Diff(ps[0], ps[1])
			if err := emit.Diff(cmd.OutOrStdout(), changes); err != nil {
				return &exitError{Code: exitUsage, Err: err}
			}
			if len(changes) > 0 {
				return exitWith(exitFinding)
			}
			return nil
		},
	})
}
