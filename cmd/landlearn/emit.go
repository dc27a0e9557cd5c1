package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/landlearn/landlearn/emit"
	"github.com/landlearn/landlearn/policy"
)

// emitFormats are the --format values of emit, in help order.
var emitFormats = []struct {
	name  string
	doc   string
	write func(io.Writer, *policy.Policy) error
}{
	{"yaml", "the policy file, normalized: rules sorted, rights in kernel order, comments kept", emit.YAML},
	{"tree", "the granted paths as a tree with their rights, then ports and handled rights", emit.Tree},
	{"landlockconfig-json", "landlock-lsm/landlockconfig JSON (camelCase keys)", emit.LandlockConfigJSON},
	{"landlockconfig-toml", "landlock-lsm/landlockconfig TOML (snake_case keys)", emit.LandlockConfigTOML},
}

func emitFormatNames() []string {
	names := make([]string, len(emitFormats))
	for i, f := range emitFormats {
		names[i] = f.name
	}
	return names
}

func init() {
	var format string
	cmd := &cobra.Command{
		Use:   "emit [--format FORMAT] POLICY",
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
landlearn policy says: "optional" is dropped (landlockconfig skips every
missing path), "compat: strict" is dropped (it is always best effort), and
each ${VAR} is declared as a variable without a value: add its value
("literal") before use, or the rules under it match nothing. A policy using
rights newer than landlockconfig knows (resolve_unix, UDP) is refused.

Exit status: 0 on success, 2 when the policy cannot be read or expressed in
the format.`,
		Example: `  # Review what a learned policy grants, as a tree:
  landlearn emit --format tree landlock.yaml

  # Normalize a hand-edited policy in place (sorted, canonical spelling):
  landlearn emit landlock.yaml > landlock.yaml.new && mv landlock.yaml.new landlock.yaml

  # Hand the policy to a landlockconfig consumer:
  landlearn emit -f landlockconfig-json landlock.yaml > landlock.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("emit takes one POLICY file (or - for stdin), got %d arguments\nUsage: %s", len(args), cmd.UseLine())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			write := emitWriter(format)
			if write == nil {
				return usageErrorf("unknown --format %q; valid formats are %s", format, strings.Join(emitFormatNames(), ", "))
			}
			p, err := loadEmitInput(args[0])
			if err != nil {
				return err
			}
			if err := write(cmd.OutOrStdout(), p); err != nil {
				return &exitError{Code: exitUsage, Err: fmt.Errorf("%s: %w", emitInputName(args[0]), err)}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "yaml", "output format: "+strings.Join(emitFormatNames(), ", "))
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, f := range emitFormats {
			out = append(out, f.name+"\t"+f.doc)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	rootCmd.AddCommand(cmd)
}

func emitFormatHelp() string {
	var b strings.Builder
	for _, f := range emitFormats {
		fmt.Fprintf(&b, "  %-20s %s\n", f.name, f.doc)
	}
	return b.String()
}

func emitWriter(format string) func(io.Writer, *policy.Policy) error {
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
