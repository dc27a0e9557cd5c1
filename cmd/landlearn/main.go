// Command landlearn learns least-privilege Landlock policies by watching a
// program run, writes them as reviewable YAML, and enforces them.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/internal/keeper"
	"github.com/landlearn/landlearn/learn/trace"
)

// Exit statuses shared by every subcommand (DESIGN.md, "Command line").
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
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case enforce.HelperArg:
			enforce.HelperMain(os.Args[2:])
		case trace.HelperArg:
			trace.HelperMain(os.Args[2:])
		case keeper.HelperArg:
			keeper.MaybeHelper()
		}
	}
	os.Exit(execute(os.Args[1:]))
}

// execute runs the command line args and returns the exit status.
func execute(args []string) int {
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
			fmt.Fprintf(os.Stderr, "landlearn: %v\n", ee.Err)
		}
		return ee.Code
	}
	// cobra's own errors (unknown command, bad args) are usage errors.
	fmt.Fprintf(os.Stderr, "landlearn: %v\n", err)
	return exitUsage
}

// notImplemented is the body of a subcommand another issue owns.
func notImplemented(name string) error {
	return usageErrorf("%s is not implemented yet", name)
}
