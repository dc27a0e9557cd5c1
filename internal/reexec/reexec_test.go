package reexec

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

const testRole = "__landlearn_reexec_test"

func init() {
	Register(testRole, func(args []string) int {
		fmt.Print(strings.Join(args, " "))
		return 7
	})
}

func TestMain(m *testing.M) {
	Main()
	os.Exit(m.Run())
}

// TestCommand: the executable started in a role runs that role's
// function with the arguments after it, and exits with its status.
func TestCommand(t *testing.T) {
	cmd, err := Command(testRole, "a", "b c")
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.Output()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 7 || string(out) != "a b c" {
		t.Errorf("role: output %q, %v; want %q and exit status 7", out, err, "a b c")
	}
	if _, err := Command("__landlearn_no_such_role"); err == nil {
		t.Error("Command of an unregistered role: no error")
	}
}

func TestRegisterTwice(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("registering a role twice did not panic")
		}
	}()
	Register(testRole, func([]string) int { return 0 })
}
