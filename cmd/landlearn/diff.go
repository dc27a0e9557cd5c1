package main

import (
	"errors"
	"fmt"
	"strings"

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
		DisableFlagsInUseLine: true,
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
			annotate(changes, ps[1])
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

// annotate says, for the fs rules NEW no longer has or grants less on,
// when NEW still grants what was taken away (through a group or a rule on
// a directory above), and, for a new group rule, what the group stands
// for on this host: a reviewer of a per-file policy replaced by a grouped
// one sees which rights really went.
func annotate(changes []policy.Change, after *policy.Policy) {
	v := policy.DefaultVars()
	var anchors []string
	for i, c := range changes {
		if c.Section != "fs" {
			continue
		}
		r := policy.FSRule{Path: c.Key, Access: policy.FSAccess(c.Revoked())}
		if name, ok := strings.CutPrefix(c.Key, "group "); ok {
			r = policy.FSRule{Group: name}
			if g, ok := policy.LookupGroup(name); ok && c.Kind == policy.Added {
				if anchors == nil {
					anchors = v.Anchors() // once: it reads the mount table
				}
				if m := g.Members(policy.Host{}, anchors); len(m) > 0 {
					changes[i].Note = "here: " + strings.Join(m, ", ")
				} else {
					changes[i].Note = "no member on this host"
				}
			}
		}
		lost := policy.FSAccess(c.Revoked())
		if lost == 0 || r.Group != "" {
			continue
		}
		q := *after
		q.FS = nil
		for _, f := range after.FS {
			if f.Path != c.Key {
				q.FS = append(q.FS, f)
			}
		}
		granted, by := q.GrantsOn(r, v, policy.Host{})
		switch still := lost & granted; {
		case still == lost:
			changes[i].Note = "still granted by " + strings.Join(by, ", ")
		case still != 0:
			changes[i].Note = fmt.Sprintf("%s still granted by %s; %s no longer", still, strings.Join(by, ", "), lost&^still)
		}
	}
}
