package enforce

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/landlearn/landlearn/internal/command"
	"github.com/landlearn/landlearn/policy"
)

// Options tune Exec, Command and RestrictWith. The zero value is right for
// most callers.
type Options struct {
	// Vars are the values of the policy's ${NAME} references; nil means
	// policy.DefaultVars() of the calling process.
	Vars policy.Vars
	// Log sets LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON, so that denials of
	// the executed program reach the audit log (ABI 7+; the kernel logs
	// nothing after an exec by default). verify and audit learning need it.
	Log bool
	// Mark makes the sandbox, once restricted and before it execs the
	// program, attempt one harmless access that every Landlock domain
	// denies and logs: reading a byte of its parent's memory
	// (process_vm_readv, a ptrace access to a process outside the
	// domain). Its record names the policy's domain, which an audit
	// reader (live.Listener.Observe) then tells from the domains the
	// program creates itself in the same process (a program that
	// sandboxes itself after the exec, landlearn run under landlearn
	// verify), and leaves out of the program's denials. Needs root or
	// CAP_SYS_PTRACE, as audit does, for the kernel to reach Landlock's
	// check; only Command uses it.
	Mark bool
	// Stderr receives the notices printed before enforcing (dropped
	// rights; the MPTCP limit is MPTCPNote's); nil means os.Stderr. io.Discard silences
	// them, for a caller that enforces the same policy many times and has
	// already shown them once.
	Stderr io.Writer
}

// Exit statuses of a command that could not be started under a policy,
// as shells use them. Exec returns errors that map to them (ExitStatus);
// the helper process of Command exits with them.
const (
	// ExitSetup: the sandbox could not be set up (bad policy, kernel
	// refused). The command did not run.
	ExitSetup = 125
	// ExitCannotExec: the command exists but execve(2) failed, most often
	// because the policy does not grant execute and read_file on it or on
	// its interpreter.
	ExitCannotExec = command.ExitCannotExec
	// ExitNotFound: the command is not in PATH, or does not exist.
	ExitNotFound = command.ExitNotFound
)

// The errors of a command that could not be started. They are the
// learn/trace package's too: learn and run find a command the same way.
var (
	// ErrNotFound: the command does not exist or is not in PATH.
	ErrNotFound = command.ErrNotFound
	// ErrCannotExecute: the command is not executable, or execve(2)
	// failed.
	ErrCannotExecute = command.ErrCannotExecute
)

// ExitStatus maps an error of Exec to the exit status a shell would use:
// ExitNotFound, ExitCannotExec, or ExitSetup for anything else.
func ExitStatus(err error) int {
	if s := command.ExitStatus(err); s != 0 {
		return s
	}
	return ExitSetup
}

// Exec replaces the calling process with argv running under p: the same
// pid, the same stdio and open descriptors without close-on-exec, env as
// its environment (nil: os.Environ()). argv[0] is looked up in env's PATH
// when it has no slash, skipping its relative entries (see the README's
// Commands section).
//
// p is expanded with o.Vars, its paths are checked (a missing optional
// path is skipped, a missing required one is an error naming its line)
// and it is compared with the kernel (Plan); the notices go to o.Stderr.
// Then the calling goroutine's OS thread is locked, gets no_new_privs and
// the Landlock domain, and calls execve(2).
//
// Exec returns only on failure. An error wrapping ErrNotFound or
// ErrCannotExecute comes from execve(2), after the calling thread was
// restricted: the caller should report it and exit (ExitStatus gives the
// status). Other errors (a policy error is a *policy.LoadError or
// policy.LoadErrors) come before anything was restricted.
func Exec(p *policy.Policy, argv []string, env []string, o Options) error {
	if len(argv) == 0 {
		return errors.New("enforce.Exec: no command given")
	}
	if env == nil {
		env = os.Environ()
	}
	path, err := command.LookPath(argv[0], command.PathOf(env), "")
	if err != nil {
		return err
	}
	r, err := prepare(p, o)
	if err != nil {
		return err
	}
	if err := restrictThread(r); err != nil {
		return err
	}
	return execError(path, syscall.Exec(path, argv, env))
}

// execError explains a failed execve(2) under the sandbox.
func execError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: %w (or its interpreter is missing): %v", path, ErrNotFound, err)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("%s: %w: %v; does the policy grant execute and read_file on it and on its interpreter (ld.so, or the #! line)?", path, ErrCannotExecute, err)
	}
	return fmt.Errorf("%s: %w: %v", path, ErrCannotExecute, err)
}
