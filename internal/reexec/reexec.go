// Package reexec starts landlearn's helper processes. A helper is the
// running executable started again with a role as its first argument:
// the sandbox helper of enforce.Command (it restricts its own thread and
// execs the command, so that the Go parent stays unrestricted), the
// tracer's keeper and exec helper (seccomp filter, then exec), and the
// keeper of internal/keeper. Re-executing the binary, rather than
// forking the Go runtime, is the only way to run code of ours between
// fork and exec.
//
// Each package registers its role in an init function; the program, or a
// test binary, calls Main first thing, which runs the role the process
// was started as. One dispatch serves every role the binary links in.
package reexec

import (
	"fmt"
	"os"
	"os/exec"
)

var roles = map[string]func(args []string) int{}

// Register makes role a part this executable can be started in: Main
// runs fn with the arguments after the role and exits with what it
// returns. Call it from an init function; a role registered twice
// panics. Role names start with "__landlearn_" so that no command line
// of a user is mistaken for one.
func Register(role string, fn func(args []string) int) {
	if _, dup := roles[role]; dup {
		panic("reexec: role " + role + " registered twice")
	}
	roles[role] = fn
}

// Main runs the role os.Args[1] names and exits with its status. When
// the process was started as no role, it returns at once. Call it first
// in main, and in TestMain of a test binary whose tests start helpers.
func Main() {
	if len(os.Args) < 2 {
		return
	}
	if fn, ok := roles[os.Args[1]]; ok {
		os.Exit(fn(os.Args[2:]))
	}
}

// Command returns a Cmd that starts this executable (os.Executable) in
// role with args; set its streams, files and environment, then start it.
func Command(role string, args ...string) (*exec.Cmd, error) {
	if _, ok := roles[role]; !ok {
		return nil, fmt.Errorf("reexec: no role %s in this program", role)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find landlearn's own executable to start its helper: %w", err)
	}
	return &exec.Cmd{Path: self, Args: append([]string{self, role}, args...)}, nil
}
