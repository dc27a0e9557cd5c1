// Package command finds the program a command line names and says how
// it ended, the same way for every landlearn command that starts one:
// learn and check (the tracer), run, verify and learn --backend audit
// (enforce). One lookup means that, for the same PATH, a policy is
// learned for the binary it is later enforced on.
package command

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Exit statuses of a command that could not be started, as shells use
// them.
const (
	// ExitCannotExec: the command exists but cannot be executed (not
	// executable, a directory, or execve(2) failed).
	ExitCannotExec = 126
	// ExitNotFound: the command is not in PATH, or does not exist.
	ExitNotFound = 127
)

var (
	// ErrNotFound: the command does not exist or is not in PATH.
	ErrNotFound = errors.New("command not found")
	// ErrCannotExecute: the command is not executable, or execve(2)
	// failed.
	ErrCannotExecute = errors.New("cannot execute")
)

// DefaultPath is searched when the environment has no PATH, as
// execvp(3) searches its own default.
const DefaultPath = "/usr/local/bin:/usr/bin:/bin"

// PathOf is the PATH of env (its last PATH= entry, as getenv reads it),
// or DefaultPath without one.
func PathOf(env []string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], "PATH="); ok {
			return v
		}
	}
	return DefaultPath
}

// LookPath finds the program file names, for a process that will run in
// dir ("" is the current directory).
//
// A name with a slash is used as it is, relative to dir. A name without
// one is searched in the absolute directories of path, in order: empty
// and relative entries (".", "bin") are skipped, as Go's os/exec does,
// where execvp(3) would search the working directory. A stray "." or
// trailing ":" in PATH must not make landlearn learn, or run sandboxed,
// a binary the working directory happens to hold; `./CMD` names one on
// purpose.
//
// The file must exist, not be a directory and have an execute bit, so
// that a later EACCES from execve(2) under a policy points at the policy
// rather than at chmod. The error wraps ErrNotFound, or ErrCannotExecute
// when the only match is not executable.
func LookPath(file, path, dir string) (string, error) {
	if strings.Contains(file, "/") {
		p := file
		if !filepath.IsAbs(p) && dir != "" {
			p = filepath.Join(dir, p)
		}
		st, err := os.Stat(p)
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
	for _, d := range filepath.SplitList(path) {
		if !filepath.IsAbs(d) {
			continue
		}
		cand := filepath.Join(d, file)
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
	local := file
	if dir != "" {
		local = filepath.Join(dir, file)
	}
	if st, err := os.Stat(local); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
		return "", fmt.Errorf("%s: %w in PATH (the working directory is not searched; to run the one there, name it ./%s)", file, ErrNotFound, file)
	}
	return "", fmt.Errorf("%s: %w", file, ErrNotFound)
}

// ExitStatus is the status a shell gives a lookup error: ExitNotFound,
// ExitCannotExec, or 0 when err is neither.
func ExitStatus(err error) int {
	switch {
	case errors.Is(err, ErrNotFound):
		return ExitNotFound
	case errors.Is(err, ErrCannotExecute):
		return ExitCannotExec
	}
	return 0
}

// Status is how a shell reports the end of a process from its wait
// status: its exit status, or 128+N when signal N killed it (255 for
// a status that is neither, such as a stop).
func Status(ws syscall.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return 255
}

// ExitCode is Status of a process that exec.Cmd waited for.
func ExitCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok {
		return Status(ws)
	}
	return ps.ExitCode()
}
