package trace

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/landlearn/landlearn/internal/procfs"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/command"
	"github.com/landlearn/landlearn/internal/reexec"
)

// helperRole is the first argument that makes landlearn act as the
// tracer's keeper or exec helper instead of its command line (see
// internal/reexec).
const helperRole = "__landlearn_trace_exec"

func init() {
	reexec.Register(helperRole, helperMain)
}

// File descriptors the learner hands to the keeper, and the keeper to
// the helper (exec.Cmd.ExtraFiles start at 3).
const (
	keeperLifeFD  = 3 // EOF: the learner is gone or wants the tree dead
	keeperCtlFD   = 4 // keeper → learner: "main STATUS", "done"
	keeperReadyFD = 5 // passed on to the helper
	keeperGoFD    = 6 // passed on to the helper

	helperReadyFD = 3 // helper → learner: "notify PID FD", "trace PID", "busy", "error MSG"
	helperGoFD    = 4 // learner → helper: "go"
)

// helperNoFilter is the helper mode that installs no filter: the
// tracer ptraces every call (see ptrace.go).
const helperNoFilter = "ptrace-all"

// helperMain is the body of the re-executed landlearn: the keeper or
// the exec helper (see runner.run for the process chain).
//
//	helperRole keeper MODE FILTER PATH ARGV...
//	helperRole exec   MODE FILTER PATH ARGV...
func helperMain(args []string) int {
	if len(args) < 5 {
		fmt.Fprintf(os.Stderr, "landlearn: %s is internal to landlearn learn; run `landlearn learn -- CMD` instead\n", helperRole)
		return 2
	}
	switch args[0] {
	case "keeper":
		return keeperMain(args[1:])
	case "exec":
		return execMain(args[1], args[2], args[3], args[4:])
	}
	fmt.Fprintf(os.Stderr, "landlearn: %s: unknown role %q\n", helperRole, args[0])
	return 2
}

// keeperMain is the untraced parent of the traced tree. As a child
// subreaper it inherits every orphan of the tree, so it can wait until
// the last one has exited (ECHILD), and it can find and kill all of them
// when the learner goes away. It ignores the terminal's signals: Ctrl-C
// is for the target, and the keeper must outlive it to report.
func keeperMain(args []string) int {
	for _, fd := range []int{keeperLifeFD, keeperCtlFD, keeperReadyFD, keeperGoFD} {
		unix.CloseOnExec(fd)
	}
	ctl := os.NewFile(keeperCtlFD, "ctl")
	ready, goPipe := os.NewFile(keeperReadyFD, "ready"), os.NewFile(keeperGoFD, "go")
	fail := func(format string, a ...any) int {
		fmt.Fprintf(ready, "error "+format+"\n", a...)
		return 2
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fail("prctl(PR_SET_CHILD_SUBREAPER): %v", err)
	}
	notifyUnlessIgnored(make(chan os.Signal, 1), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)

	helper, err := reexec.Command(helperRole, append([]string{"exec"}, args...)...)
	if err != nil {
		return fail("%v", err)
	}
	helper.Stdin, helper.Stdout, helper.Stderr = os.Stdin, os.Stdout, os.Stderr
	helper.ExtraFiles = []*os.File{ready, goPipe}
	if err := helper.Start(); err != nil {
		return fail("start the exec helper: %v", err)
	}
	ready.Close()
	goPipe.Close()
	mainPid := helper.Process.Pid

	go func() {
		life := os.NewFile(keeperLifeFD, "life")
		var b [64]byte
		for {
			n, err := life.Read(b[:])
			for _, c := range b[:n] {
				switch c {
				case stopAll:
					signalTree(os.Getpid(), 0, unix.SIGTERM)
				case stopOthers:
					signalTree(os.Getpid(), mainPid, unix.SIGTERM)
				}
			}
			if err != nil {
				break
			}
		}
		killTree(os.Getpid())
	}()

	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WALL, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			break // ECHILD: the tree is empty
		}
		if pid == mainPid {
			fmt.Fprintf(ctl, "main %d\n", command.Status(syscall.WaitStatus(ws)))
		}
	}
	fmt.Fprintf(ctl, "done\n")
	return 0
}

// notifyUnlessIgnored catches sigs, except those this process was
// started with ignored: those must stay ignored, so the target inherits
// them (`nohup landlearn learn -- CMD` keeps SIGHUP away from CMD). A
// caught signal would be reset to its default by the next exec.
func notifyUnlessIgnored(c chan<- os.Signal, sigs ...os.Signal) {
	for _, sig := range sigs {
		if !signal.Ignored(sig) {
			signal.Notify(c, sig)
		}
	}
}

// signalTree sends sig to every descendant of root but except (0: none).
func signalTree(root, except int, sig unix.Signal) {
	for _, p := range procfs.Descendants(root) {
		if p != except {
			unix.Kill(p, sig)
		}
	}
}

// killTree SIGKILLs every descendant of root until none is left. It
// scans again after each round: a process may have forked before its
// kill arrived, and killed parents' children become the keeper's.
func killTree(root int) {
	for {
		pids := procfs.Descendants(root)
		if len(pids) == 0 {
			return
		}
		for _, p := range pids {
			unix.Kill(p, unix.SIGKILL)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// execMain installs the filter on a locked thread and execs the target
// from that thread: seccomp filters and no_new_privs belong to a thread,
// and execve keeps the calling thread's.
func execMain(mode, filterHex, path string, argv []string) int {
	runtime.LockOSThread()
	unix.CloseOnExec(helperReadyFD)
	unix.CloseOnExec(helperGoFD)
	ready := os.NewFile(helperReadyFD, "ready")
	fail := func(format string, a ...any) int {
		fmt.Fprintf(ready, "error "+format+"\n", a...)
		return 2
	}
	b, err := hex.DecodeString(filterHex)
	if err != nil {
		return fail("bad filter argument: %v", err)
	}
	prog, err := progFromBytes(b)
	if err != nil {
		return fail("%v", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fail("prctl(PR_SET_NO_NEW_PRIVS): %v", err)
	}
	// If the keeper dies, the target must not run on untraced.
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fail("prctl(PR_SET_PDEATHSIG): %v", err)
	}
	// Both modes ask for a listener: in ptrace mode only to learn, from
	// EBUSY, that an outer listener exists (its SECCOMP_RET_USER_NOTIF
	// would win over our SECCOMP_RET_TRACE). That listener is closed at
	// once; the filter never answers USER_NOTIF in that mode.
	listener := mode == ModeNotify
	fd := -1
	if mode != helperNoFilter {
		fd, err = installFilter(prog)
	}
	switch {
	case errors.Is(err, unix.EBUSY):
		fmt.Fprintf(ready, "busy\n")
		return 0
	case err != nil:
		return fail("%v", err)
	}
	if fd >= 0 && !listener {
		unix.Close(fd)
	}
	if listener {
		fmt.Fprintf(ready, "notify %d %d\n", os.Getpid(), fd)
	} else {
		fmt.Fprintf(ready, "trace %d\n", os.Getpid())
	}
	goPipe := os.NewFile(helperGoFD, "go")
	line, _ := bufio.NewReader(goPipe).ReadString('\n')
	if strings.TrimSpace(line) != "go" {
		return 2 // the learner went away before the target started
	}
	if listener {
		unix.Close(fd)
	}
	ready.Close()
	goPipe.Close()
	err = unix.Exec(path, argv, os.Environ())
	fmt.Fprintf(os.Stderr, "landlearn: exec %s: %v\n", path, err)
	if errors.Is(err, unix.ENOENT) {
		return command.ExitNotFound
	}
	return command.ExitCannotExec
}
