package enforce

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

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
	ExitCannotExec = 126
	// ExitNotFound: the command is not in PATH, or does not exist.
	ExitNotFound = 127
)

var (
	// ErrNotFound: the command does not exist or is not in PATH.
	ErrNotFound = errors.New("command not found")
	// ErrCannotExecute: execve(2) of the command failed.
	ErrCannotExecute = errors.New("cannot execute")
)

// ExitStatus maps an error of Exec to the exit status a shell would use:
// ExitNotFound, ExitCannotExec, or ExitSetup for anything else.
func ExitStatus(err error) int {
	switch {
	case errors.Is(err, ErrNotFound):
		return ExitNotFound
	case errors.Is(err, ErrCannotExecute):
		return ExitCannotExec
	}
	return ExitSetup
}

// ExitCode is how a shell reports the end of a process: its exit status,
// or 128+N when signal N killed it.
func ExitCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// Exec replaces the calling process with argv running under p: the same
// pid, the same stdio and open descriptors without close-on-exec, env as
// its environment (nil: os.Environ()). argv[0] is looked up in env's PATH
// when it has no slash.
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
	path, err := lookPath(argv[0], pathOf(env))
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

// pathOf is the PATH that execvp(3) would search with env.
func pathOf(env []string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], "PATH="); ok {
			return v
		}
	}
	return "/usr/local/bin:/usr/bin:/bin"
}

// lookPath finds file as execvp(3) would, in the directories of path. A
// name with a slash is used as it is. It checks that the file is
// executable by its mode, so that a later EACCES from execve(2) points at
// the policy rather than at chmod. Relative directories in path are
// ignored, as os/exec does, so that a stray "." in PATH does not make a
// sandboxed run pick a binary from the working directory.
func lookPath(file, path string) (string, error) {
	if strings.Contains(file, "/") {
		st, err := os.Stat(file)
		switch {
		case err != nil:
			return "", fmt.Errorf("%s: %w", file, ErrNotFound)
		case st.IsDir():
			return "", fmt.Errorf("%s: is a directory: %w", file, ErrCannotExecute)
		case st.Mode()&0o111 == 0:
			return "", fmt.Errorf("%s: not executable (mode %v): %w", file, st.Mode().Perm(), ErrCannotExecute)
		}
		return file, nil
	}
	var denied string
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) {
			continue
		}
		cand := filepath.Join(dir, file)
		st, err := os.Stat(cand)
		if err != nil || st.IsDir() {
			continue
		}
		if st.Mode()&0o111 != 0 {
			return cand, nil
		}
		if denied == "" {
			denied = cand
		}
	}
	if denied != "" {
		return "", fmt.Errorf("%s: not executable: %w", denied, ErrCannotExecute)
	}
	return "", fmt.Errorf("%s: %w", file, ErrNotFound)
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
