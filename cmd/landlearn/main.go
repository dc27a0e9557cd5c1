// Command landlearn learns least-privilege Landlock policies by watching a
// program run, writes them as reviewable YAML, and enforces them.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/landlearn/landlearn/internal/reexec"
	"github.com/landlearn/landlearn/internal/textsafe"
)

// Exit statuses shared by every subcommand (docs/design.md, "Command line").
const (
	exitFinding = 1 // denials, drift, a diff
	exitUsage   = 2 // usage, input or landlearn error
)

// exitError carries the status a subcommand wants landlearn to exit with.
// A nil Err exits silently with Code (the target's own status).
type exitError struct {
	Code int
	Err  error
}

func (e *exitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *exitError) Unwrap() error { return e.Err }

// usageErrorf is a usage or input error: exit 2 with the message.
func usageErrorf(format string, args ...any) error {
	return &exitError{Code: exitUsage, Err: fmt.Errorf(format, args...)}
}

// exitWith returns an error that makes landlearn exit with code and print
// nothing more.
func exitWith(code int) error { return &exitError{Code: code} }

var rootCmd = &cobra.Command{
	Use:   "landlearn",
	Short: "Learn least-privilege Landlock sandbox policies by watching a program run",
	Long: `landlearn learns a least-privilege Landlock policy by watching a program run,
writes it as a YAML file you review like code, and enforces it with the kernel.

  learn     run a command and write the policy it needs (landlock.yaml)
  minimize  turn recorded observations (JSONL) into a policy
  run       run a command under a policy
  verify    run a command under a policy and prove, with the audit log, that
            nothing was denied
  check     for CI: does the policy still cover what the command does?
  explain   read Landlock denials from audit logs and say how to fix them
  emit      print a policy as YAML, a tree, or landlockconfig JSON/TOML
  diff      compare two policies`,
	Example: `  # Learn what "git status" needs, then run it sandboxed:
  landlearn learn -- git status
  landlearn run -p landlock.yaml -- git status`,
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	// landlearn re-executes itself for its helpers: the sandbox helper
	// of run and verify, the tracer's, and the keeper of a process tree.
	reexec.Main()
	os.Exit(execute(os.Args[1:]))
}

// usageTemplate is cobra's, with the examples last, after the flags: a
// worked example is what a reader of --help looks for at the end.
const usageTemplate = `Usage:{{if .Runnable}}
  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [command]{{end}}{{if gt (len .Aliases) 0}}

Aliases:
  {{.NameAndAliases}}{{end}}{{if .HasAvailableSubCommands}}

Available Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

Flags:
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

Global Flags:
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableSubCommands}}

Use "{{.CommandPath}} [command] --help" for more information about a command.{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}
`

// Examples of the commands cobra adds itself.
const (
	helpExample = `  # What learn does, its flags and a worked example:
  landlearn help learn
  landlearn learn --help`
	completionExample = `  # bash (needs the bash-completion package), for this shell, then for good:
  source <(landlearn completion bash)
  landlearn completion bash > /etc/bash_completion.d/landlearn
  # zsh and fish:
  landlearn completion zsh > "${fpath[1]}/_landlearn"
  landlearn completion fish > ~/.config/fish/completions/landlearn.fish
  # Then: landlearn learn --backend <TAB> offers trace, audit and trace+audit.`
)

// initCommands gives cobra's own commands (help, completion) their
// examples, and every command the usage template.
func initCommands() {
	rootCmd.SetUsageTemplate(usageTemplate)
	rootCmd.InitDefaultHelpCmd()
	rootCmd.InitDefaultCompletionCmd()
	for _, c := range rootCmd.Commands() {
		switch c.Name() {
		case "help":
			c.Example = helpExample
			c.RunE = helpRunE(c.Run)
		case "completion":
			c.Example = completionExample
			for _, sub := range c.Commands() {
				sub.Example = "  landlearn completion " + sub.Name() + " > landlearn." + sub.Name()
			}
			c.Use = "completion " + strings.Join(commandNames(c), "|")
			c.DisableFlagsInUseLine = true
			c.Args = cobra.ArbitraryArgs // completionRunE names the shells
			c.ValidArgsFunction = cobra.NoFileCompletions
			c.RunE = completionRunE
		}
	}
}

// helpRunE is cobra's help command, run, with an unknown topic a usage
// error (cobra prints the root's usage and exits 0).
func helpRunE(run func(*cobra.Command, []string)) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, args []string) error {
		if target, _, err := c.Root().Find(args); err != nil || target == nil {
			return usageErrorf("unknown help topic %q; the commands are: %s", strings.Join(args, " "), strings.Join(commandNames(c.Root()), ", "))
		}
		run(c, args)
		return nil
	}
}

// completionRunE is `landlearn completion` without a shell it knows:
// with none its help, as cobra gives, and with another an error naming
// the shells (cobra prints the help and exits 0).
func completionRunE(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return c.Help()
	}
	return usageErrorf("completion: unknown shell %q; the shells are: %s", args[0], strings.Join(commandNames(c), ", "))
}

// commandNames are the names of c's subcommands, help included, sorted.
func commandNames(c *cobra.Command) []string {
	var names []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() || sub.Name() == "help" {
			names = append(names, sub.Name())
		}
	}
	return names
}

// execute runs the command line args and returns the exit status.
func execute(args []string) int {
	initCommands()
	rootCmd.SetArgs(args)
	rootCmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErrorf("%v\nRun '%s --help' for usage.", err, c.CommandPath())
	})
	err := rootCmd.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			printError(ee.Err)
		}
		return ee.Code
	}
	// cobra's own errors (unknown command, bad args) are usage errors.
	printError(err)
	return exitUsage
}

// printError prints err on stderr, each of its lines escaped: errors name
// files, programs and arguments that may hold anything.
func printError(err error) {
	fmt.Fprintf(os.Stderr, "landlearn: %s\n", textsafe.Lines(err.Error()))
}

// notImplemented is the body of a subcommand another issue owns.
func notImplemented(name string) error {
	return usageErrorf("%s is not implemented yet", name)
}
