package enforce

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"

	"github.com/landlearn/landlearn/internal/command"
	"github.com/landlearn/landlearn/internal/reexec"
	"github.com/landlearn/landlearn/internal/textsafe"
)

// helperRole is the first argument that makes landlearn act as the
// restricted-exec helper of Command instead of its command line.
const helperRole = "__landlearn_enforce_exec"

func init() {
	reexec.Register(helperRole, helperMain)
}

// MaybeHelper runs the helper landlearn started this process as, and then
// exits; otherwise it returns at once. The helper is Command's, or one of
// the other landlearn packages the program links in (the tracer's, for
// one). Call it first in main, or in TestMain, of any program that uses
// Command.
func MaybeHelper() {
	reexec.Main()
}

// helperMain is the helper's body; args are the arguments after
// helperRole (the payload's descriptor number). It execs the command, or
// prints "landlearn: ..." on stderr and returns ExitNotFound,
// ExitCannotExec or ExitSetup.
func helperMain(args []string) int {
	err := helper(args)
	fmt.Fprintf(os.Stderr, "landlearn: %s\n", textsafe.Lines(err.Error()))
	return ExitStatus(err)
}

// helper reads the payload, restricts its thread and execs; it returns
// only on failure.
func helper(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("sandbox helper: want 1 argument (the policy's descriptor), got %d; %s is for landlearn's own use", len(args), helperRole)
	}
	fd, err := strconv.Atoi(args[0])
	if err != nil || fd < 3 {
		return fmt.Errorf("sandbox helper: bad descriptor %q", args[0])
	}
	f := os.NewFile(uintptr(fd), "policy")
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("sandbox helper: read the policy: %w", err)
	}
	var p payload
	if err := json.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("sandbox helper: decode the policy: %w", err)
	}
	if len(p.Argv) == 0 {
		return fmt.Errorf("sandbox helper: no command in the payload")
	}
	path, err := command.LookPath(p.Path, "", "")
	if err != nil {
		return err
	}
	if err := restrictThread(p.Rules); err != nil {
		return err
	}
	return execError(path, syscall.Exec(path, p.Argv, os.Environ()))
}
