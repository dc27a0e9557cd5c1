package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/landlearn/landlearn/emit"
	"github.com/landlearn/landlearn/internal/textsafe"
	"github.com/landlearn/landlearn/policy"
)

// emitFormats are the --format values of emit, in help order.
// Each writer gets the landlockconfig settings; only the landlockconfig
// formats use them.
var emitFormats = []struct {
	name  string
	doc   string
	write func(emit.LandlockConfig, io.Writer, *policy.Policy) error
}{
	{"yaml", "the policy file, normalized: rules sorted, rights in kernel order, comments kept",
		func(_ emit.LandlockConfig, w io.Writer, p *policy.Policy) error { return emit.YAML(w, p) }},
	{"tree", "the granted paths as a tree with their rights, then ports and handled rights",
		func(_ emit.LandlockConfig, w io.Writer, p *policy.Policy) error { return emit.Tree(w, p) }},
	{"landlockconfig-json", "landlock-lsm/landlockconfig JSON (camelCase keys)", emit.LandlockConfig.JSON},
	{"landlockconfig-toml", "landlock-lsm/landlockconfig TOML (snake_case keys)", emit.LandlockConfig.TOML},
}

func emitFormatNames() []string {
	names := make([]string, len(emitFormats))
	for i, f := range emitFormats {
		names[i] = f.name
	}
	return names
}

func init() {
	var (
		format      string
		vars        []string
		varsFromEnv bool
		resolved    bool
	)
	cmd := &cobra.Command{
		Use:   "emit [-f FORMAT] [--resolved] [--var K=V]... [--vars-from-env] POLICY",
		Short: "Print a policy as normalized YAML, a tree, or landlockconfig JSON/TOML",
		Long: `emit reads a landlearn policy file and prints it in another form, on stdout.
POLICY "-" reads the policy from stdin. The policy is checked as strictly as
"run" checks it (a malformed policy exits with status 2 and FILE:LINE: the
problem), but the file system is not consulted and variables such as ${HOME}
are kept as written.

Formats (--format, -f):
` + emitFormatHelp() + `
landlockconfig is the Landlock maintainers' configuration format
(https://github.com/landlock-lsm/landlockconfig). It cannot say everything a
landlearn policy says: group rules become the paths the group stands for on
this machine, "optional" is dropped, with a warning naming the rules
(landlockconfig skips every missing path), "compat: strict" is dropped (it is always best effort), and
each ${VAR} is declared as a variable without a value: give it one with
--var NAME=VALUE or --vars-from-env (written as its "literal"; the paths stay
templates), or add it by hand, or the rules under it match nothing. A policy
using rights newer than landlockconfig knows (resolve_unix, UDP) is refused.

Exit status: 0 on success, 2 when the policy cannot be read or expressed in
the format.`,
		Example: `  # Review what a learned policy grants, as a tree:
  landlearn emit --format tree landlock.yaml

  # ...and what its groups and variables are on this machine:
  landlearn emit --format tree --resolved landlock.yaml

  # Normalize a hand-edited policy in place (sorted, canonical spelling):
  landlearn emit landlock.yaml > landlock.yaml.new && mv landlock.yaml.new landlock.yaml

  # Hand the policy to a landlockconfig consumer on this machine:
  landlearn emit -f landlockconfig-json --vars-from-env landlock.yaml > landlock.json

  # ...or for another user's machine:
  landlearn emit -f landlockconfig-toml --var HOME=/home/alice landlock.yaml`,
		DisableFlagsInUseLine: true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("emit takes one POLICY file (or - for stdin), got %d %s\nUsage: %s", len(args), pluralWord(len(args), "argument"), cmd.UseLine())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			write := emitWriter(format)
			if write == nil {
				return usageErrorf("unknown --format %q; valid formats are %s", format, strings.Join(emitFormatNames(), ", "))
			}
			isLC := strings.HasPrefix(format, "landlockconfig-")
			if resolved {
				if format != "tree" {
					return usageErrorf("--resolved shows what groups and variables become on this host in a tree; use it with --format tree")
				}
				v, err := parseVars(vars)
				if err != nil {
					return err
				}
				p, err := loadEmitInput(args[0])
				if err != nil {
					return err
				}
				return emit.ResolvedTree(cmd.OutOrStdout(), p, emit.Resolution{Vars: v})
			}
			if (len(vars) > 0 || varsFromEnv) && !isLC {
				return usageErrorf("--var and --vars-from-env give values to landlockconfig variables; %s keeps ${VAR} as written (use -f landlockconfig-json or -f landlockconfig-toml)", format)
			}
			lc := emit.LandlockConfig{}
			if varsFromEnv {
				lc.Vars = policy.DefaultVars()
			}
			given := map[string]bool{}
			for _, v := range vars {
				name, value, err := policy.ParseVar(v)
				if err != nil {
					return usageErrorf("%v", err)
				}
				if lc.Vars == nil {
					lc.Vars = policy.Vars{}
				}
				lc.Vars = lc.Vars.With(name, value)
				given[name] = true
			}
			p, err := loadEmitInput(args[0])
			if err != nil {
				return err
			}
			if err := write(lc, cmd.OutOrStdout(), p); err != nil {
				return &exitError{Code: exitUsage, Err: fmt.Errorf("%s: %w", emitInputName(args[0]), err)}
			}
			if isLC {
				warnEmitVars(cmd.ErrOrStderr(), lc, p, given)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "yaml", "output format: "+strings.Join(emitFormatNames(), ", "))
	cmd.Flags().StringArrayVar(&vars, "var", nil, "landlockconfig only: give variable NAME the value VALUE (NAME=VALUE, repeatable)")
	cmd.Flags().BoolVar(&resolved, "resolved", false, "tree only: show what each group and variable becomes on this host (--var sets a variable)")
	cmd.Flags().BoolVar(&varsFromEnv, "vars-from-env", false, "landlockconfig only: give HOME, TMPDIR, PWD and XDG_* this machine's values, as run would (--var wins)")
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, f := range emitFormats {
			out = append(out, f.name+"\t"+f.doc)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	rootCmd.AddCommand(cmd)
}

// warnEmitVars says on stderr which variables the landlockconfig output
// leaves without a value (their rules match nothing) and which --var
// the policy does not use (probably a typo).
func warnEmitVars(stderr io.Writer, lc emit.LandlockConfig, p *policy.Policy, given map[string]bool) {
	// landlockconfig has no optional rule: the marker is lost, and the
	// reader of the output should know which rules had it.
	var optional []string
	for _, r := range p.FS {
		if r.Optional {
			name := textsafe.Name(r.Path)
			if r.Path == "" {
				name = "group " + textsafe.Name(r.Group)
			}
			optional = append(optional, fmt.Sprintf("%s (line %d)", name, r.Line))
		}
	}
	if len(optional) > 0 {
		fmt.Fprintf(stderr, "landlearn: warning: landlockconfig cannot say \"optional: true\", which these rules had; they are written as plain rules (landlockconfig skips any missing path): %s\n", strings.Join(optional, ", "))
	}
	for _, n := range lc.Groups(p).Notes {
		fmt.Fprintf(stderr, "landlearn: warning: %s\n", textsafe.Inline(n))
	}
	for _, name := range lc.Missing(p) {
		fmt.Fprintf(stderr, "landlearn: warning: ${%s} has no value in the landlockconfig output, so its rules match nothing; add --var %s=/path\n", name, name)
	}
	used := map[string]bool{}
	for _, name := range (emit.LandlockConfig{}).Missing(p) {
		used[name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(given)) {
		if !used[name] {
			fmt.Fprintf(stderr, "landlearn: warning: --var %s: the policy uses no ${%s}\n", name, name)
		}
	}
}

func emitFormatHelp() string {
	var b strings.Builder
	for _, f := range emitFormats {
		fmt.Fprintf(&b, "  %-20s %s\n", f.name, f.doc)
	}
	return b.String()
}

func emitWriter(format string) func(emit.LandlockConfig, io.Writer, *policy.Policy) error {
	for _, f := range emitFormats {
		if f.name == format {
			return f.write
		}
	}
	return nil
}

// emitStdinName is how a policy read from stdin is named in messages.
const emitStdinName = "<stdin>"

func emitInputName(arg string) string {
	if arg == "-" {
		return emitStdinName
	}
	return arg
}

// loadEmitInput loads the policy named on the command line ("-" is
// stdin) without expanding variables. Any problem is an input error
// (exit 2) that carries the loader's "FILE:LINE: message" lines.
func loadEmitInput(arg string) (*policy.Policy, error) {
	var p *policy.Policy
	var err error
	if arg == "-" {
		p, err = policy.Load(os.Stdin, emitStdinName)
	} else {
		p, err = policy.LoadFile(arg)
	}
	if err != nil {
		return nil, &exitError{Code: exitUsage, Err: err}
	}
	return p, nil
}
