package enforce

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/command"
	"github.com/landlearn/landlearn/internal/reexec"
	"github.com/landlearn/landlearn/policy"
)

// helperFD is the descriptor where the helper finds its payload: the first
// of exec.Cmd.ExtraFiles.
const helperFD = 3

// payload is what Command sends its helper process.
type payload struct {
	Rules ruleset  `json:"rules"`
	Path  string   `json:"path"`
	Argv  []string `json:"argv"`
}

// Command returns an *exec.Cmd whose process is argv running under p, for
// callers that watch the command from outside the sandbox (verify, audit
// learning): cmd.Process.Pid is the command's pid, which is the pid of the
// audit log's LANDLOCK_DOMAIN record. Set Stdin, Stdout, Stderr, Dir and
// Env on it as usual, then Start or Run it. p is prepared as in Exec, now;
// argv[0] is looked up in this process's PATH when it has no slash, and an
// error wrapping ErrNotFound or ErrCannotExecute says when it is missing
// or not executable (a relative path with a slash is left to the helper,
// since it depends on cmd.Dir).
//
// The Cmd runs the current executable (os.Executable) as a helper: it
// locks its thread, sets no_new_privs, enforces the domain and execs
// argv, so that the Go parent stays unrestricted. Every program that calls
// Command must therefore call MaybeHelper first thing in main (as
// landlearn does), and so must a test binary, in TestMain:
//
//	func TestMain(m *testing.M) {
//		enforce.MaybeHelper()
//		os.Exit(m.Run())
//	}
//
// The policy travels in a sealed memfd as cmd.ExtraFiles[0] (fd 3 in the
// helper, closed before the exec), never in the command's argv, env or
// stdin. Append to ExtraFiles, do not replace it; the parent's copy can be
// closed once the Cmd has started.
//
// When the helper fails before the exec it prints "landlearn: ..." on the
// Cmd's stderr and exits with ExitNotFound (argv[0] does not exist),
// ExitCannotExec (execve(2) failed, often because the policy does not
// grant execute and read_file on the binary) or ExitSetup (the sandbox
// could not be set up).
func Command(p *policy.Policy, argv []string, o Options) (*exec.Cmd, error) {
	if len(argv) == 0 {
		return nil, errors.New("enforce.Command: no command given")
	}
	path := argv[0]
	if !strings.Contains(path, "/") || filepath.IsAbs(path) {
		// A relative path with a slash depends on cmd.Dir, which the
		// caller sets later: the helper looks it up.
		var err error
		if path, err = command.LookPath(argv[0], command.PathOf(os.Environ()), ""); err != nil {
			return nil, err
		}
	}
	r, err := prepare(p, o)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(payload{Rules: r, Path: path, Argv: argv})
	if err != nil {
		return nil, err
	}
	f, err := sealedFile("landlearn-policy", data)
	if err != nil {
		return nil, err
	}
	cmd, err := reexec.Command(helperRole, strconv.Itoa(helperFD))
	if err != nil {
		f.Close()
		return nil, err
	}
	cmd.ExtraFiles = []*os.File{f}
	return cmd, nil
}

// sealedFile returns a memfd holding data, sealed against any change, read
// from its start.
func sealedFile(name string, data []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), name)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, fmt.Errorf("write the policy for the sandbox helper: %w", err)
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, unix.F_SEAL_SEAL|unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_WRITE); err != nil {
		f.Close()
		return nil, fmt.Errorf("seal the policy for the sandbox helper: %w", err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
