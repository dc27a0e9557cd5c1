package enforce

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"unsafe"

	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/kernel"
	"github.com/landlearn/landlearn/internal/textsafe"
	"github.com/landlearn/landlearn/policy"
)

// ruleset is a policy reduced to what the kernel receives: no variables,
// no missing optional paths, only rights the running kernel enforces. It
// is also what Command hands to the helper process, as JSON.
type ruleset struct {
	Handled policy.Handled `json:"handled"`
	Paths   []pathGrant    `json:"paths,omitempty"`
	Ports   []portGrant    `json:"ports,omitempty"`
	// Log asks for LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON.
	Log bool `json:"log,omitempty"`
	// Mark asks for Options.Mark's denial.
	Mark bool `json:"mark,omitempty"`
	// File and Trusted are the policy's, for resolving the paths again
	// where they are enforced (policy.Policy.Resolve).
	File    string   `json:"file,omitempty"`
	Trusted []string `json:"trusted,omitempty"`
}

// pathGrant is a rule with its path expanded but not resolved: the
// process that enforces it resolves it, so that /proc/self is its own.
type pathGrant struct {
	Path   string          `json:"path"`
	Access policy.FSAccess `json:"access"`
	// Optional rules stay optional up to landlock_add_rule: a path that
	// disappears between the check and the ruleset is skipped, not fatal.
	Optional bool `json:"optional,omitempty"`
	Line     int  `json:"line,omitempty"`
}

type portGrant struct {
	Port   uint16           `json:"port"`
	Access policy.NetAccess `json:"access"`
}

// prepare expands p with o.Vars, checks its paths, plans the downgrade on
// the running kernel, prints the notices once on o's stderr and returns
// the ruleset to enforce.
func prepare(p *policy.Policy, o Options) (ruleset, error) {
	vars := o.Vars
	if vars == nil {
		vars = policy.DefaultVars()
	}
	q, err := p.Expand(vars)
	if err != nil {
		return ruleset{}, err
	}
	skipped, err := q.CheckFilesystem()
	if err != nil {
		return ruleset{}, err
	}
	d, err := plan(q, runningKernel(), o.Log)
	if err != nil {
		return ruleset{}, err
	}
	w := o.stderr()
	for _, n := range q.Notes {
		// Notes hold rule paths of a policy that may be under review.
		fmt.Fprintf(w, "landlearn: note: %s\n", textsafe.Inline(n))
	}
	if s := skippedLearned(skipped); s != "" {
		fmt.Fprintf(w, "landlearn: note: %s\n", s)
	}
	if q.Handled == (policy.Handled{}) {
		fmt.Fprintf(w, "landlearn: note: %s handles no right (handled: fs, net and scoped are all empty): nothing is restricted\n", nameOf(q))
	}
	io.WriteString(w, d.Notice())
	r := newRuleset(q, skipped, d.EnforcedABI, o.Log)
	r.Mark = o.Mark
	return r, nil
}

// skippedLearned says which learned rules were skipped because their
// paths are missing here, or "". Learned paths that another host lacks
// (/etc/gitconfig, a dotfile) only remove access when skipped, so they
// are no error, but a person should hear about them.
func skippedLearned(skipped []policy.FSRule) string {
	var paths []string
	for _, r := range skipped {
		if r.Learned {
			paths = append(paths, textsafe.Name(r.Path))
		}
	}
	n := len(paths)
	switch {
	case n == 0:
		return ""
	case n == 1:
		return fmt.Sprintf("1 learned rule is skipped: %s does not exist here", paths[0])
	case n > 3:
		paths = append(paths[:3], fmt.Sprintf("%d more", n-3))
	}
	return fmt.Sprintf("%d learned rules are skipped, as their paths do not exist here: %s", n, strings.Join(paths, ", "))
}

// newRuleset keeps what ABI abi enforces of the expanded policy q, minus
// the skipped (missing optional) rules.
func newRuleset(q *policy.Policy, skipped []policy.FSRule, abi int, log bool) ruleset {
	eff := enforcedHandled(q.Handled, abi)
	r := ruleset{Handled: eff, Log: log && abi >= kernel.LogABI, File: q.File, Trusted: q.Trusted}
	gone := map[string]bool{}
	for _, s := range skipped {
		gone[s.Path] = true
	}
	for _, f := range q.FS {
		if a := f.Access & eff.FS; a != 0 && !gone[f.Path] {
			r.Paths = append(r.Paths, pathGrant{Path: f.Path, Access: a, Optional: f.Optional || f.Learned, Line: f.Line})
		}
	}
	for _, n := range q.Net {
		if a := n.Access & eff.Net; a != 0 {
			r.Ports = append(r.Ports, portGrant{Port: n.Port, Access: a})
		}
	}
	return r
}

// config translates r for go-landlock. The Config is not best-effort: r
// already holds only what the kernel enforces, so a disagreement between
// Plan and go-landlock is an error instead of a silent drop.
//
// The path rules name their objects through /proc/self/fd: config
// resolves the paths again in this process (policy.Policy.Resolve, which
// refuses a symlink the sandbox may have planted), opens each object
// without following any symlink and checks that it is the one resolved,
// so that nothing swapped in after a check gets the rule. release closes
// the descriptors once the ruleset is built.
func (r ruleset) config() (c landlock.Config, rules []landlock.Rule, release func(), err error) {
	c = landlock.Config{
		HandledAccessFS:  landlock.AccessFSSet(r.Handled.FS),
		HandledAccessNet: landlock.AccessNetSet(r.Handled.Net),
		Scoped:           landlock.ScopedSet(r.Handled.Scoped),
	}
	if r.Log {
		c = c.EnableLoggingForSubprocesses()
	}
	fds, err := r.openPaths()
	release = func() {
		for _, fd := range fds {
			if fd >= 0 {
				unix.Close(fd)
			}
		}
	}
	if err != nil {
		release()
		return c, nil, nil, err
	}
	for i, g := range r.Paths {
		if fds[i] >= 0 {
			rules = append(rules, landlock.PathAccess(landlock.AccessFSSet(g.Access), fmt.Sprintf("/proc/self/fd/%d", fds[i])))
		}
	}
	for _, g := range r.Ports {
		if g.Access.Has(policy.NetBindTCP) {
			rules = append(rules, landlock.BindTCP(g.Port))
		}
		if g.Access.Has(policy.NetConnectTCP) {
			rules = append(rules, landlock.ConnectTCP(g.Port))
		}
	}
	return c, rules, release, nil
}

// openPaths resolves r's paths and opens their objects (O_PATH), one
// descriptor per path, -1 for an optional path that is missing.
func (r ruleset) openPaths() ([]int, error) {
	if len(r.Paths) == 0 {
		return nil, nil
	}
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		return nil, fmt.Errorf("enforcing a policy needs /proc, to hand the kernel the files it checked: %w", err)
	}
	p := &policy.Policy{File: r.File, Handled: r.Handled, Trusted: r.Trusted}
	for _, g := range r.Paths {
		p.FS = append(p.FS, policy.FSRule{Path: g.Path, Access: g.Access, Optional: g.Optional, Line: g.Line})
	}
	targets, _, err := p.Resolve()
	if err != nil {
		return nil, err
	}
	fds := make([]int, len(targets))
	for i := range fds {
		fds[i] = -1
	}
	for i, t := range targets {
		if t.Path == "" {
			continue // an optional path that is missing
		}
		fd, err := openTarget(t)
		if errors.Is(err, unix.ENOENT) && r.Paths[i].Optional {
			continue
		}
		if err != nil {
			for _, fd := range fds[:i] {
				if fd >= 0 {
					unix.Close(fd)
				}
			}
			return nil, fmt.Errorf("%s: %w", where(r.File, r.Paths[i].Line), err)
		}
		fds[i] = fd
	}
	return fds, nil
}

// openTarget opens t's object without following a symlink anywhere on
// its path and checks that it is still the object t names.
func openTarget(t policy.Target) (int, error) {
	fd, err := unix.Openat2(unix.AT_FDCWD, t.Path, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_NO_SYMLINKS,
	})
	switch {
	case errors.Is(err, unix.ELOOP):
		return -1, fmt.Errorf("%s now leads through a symlink: it was replaced while the sandbox was being set up; run again", t.Path)
	case err != nil:
		return -1, fmt.Errorf("open %s: %w", t.Path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("stat %s: %w", t.Path, err)
	}
	if st.Dev != t.Dev || st.Ino != t.Ino {
		unix.Close(fd)
		return -1, fmt.Errorf("%s was replaced while the sandbox was being set up; run again", t.Path)
	}
	return fd, nil
}

// where names a rule's line for messages.
func where(file string, line int) string {
	switch {
	case file == "":
		return fmt.Sprintf("line %d", line)
	case line == 0:
		return file
	}
	return fmt.Sprintf("%s:%d", file, line)
}

// restrictThread locks the calling goroutine to its OS thread for good and
// puts that thread, alone, in r's domain, with no_new_privs. The caller
// must then exec or exit: the thread is never unlocked, so the Go runtime
// ends it instead of giving it to another goroutine.
func restrictThread(r ruleset) error {
	c, rules, release, err := r.config()
	if err != nil {
		return err
	}
	fd, flags, err := c.NewRulesetFD(rules...)
	release()
	if err != nil {
		return fmt.Errorf("build the Landlock ruleset: %w", err)
	}
	if fd < 0 {
		return nil // the policy handles nothing: nothing to restrict
	}
	defer unix.Close(fd)
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	if err := ll.LandlockRestrictSelf(fd, flags); err != nil {
		if errors.Is(err, unix.E2BIG) {
			return fmt.Errorf("landlock_restrict_self: this process is already in 16 nested Landlock domains, the kernel's limit: %w", err)
		}
		return fmt.Errorf("landlock_restrict_self: %w", err)
	}
	if r.Mark {
		markDomain()
	}
	return nil
}

// markDomain makes Options.Mark's denial from the calling (restricted)
// thread: a read of one byte of the parent's memory, which Landlock
// refuses to any domain towards a process outside it. Its result is
// not looked at: the audit record is what counts, and the program runs
// either way.
func markDomain() {
	var b [1]byte
	local := []unix.Iovec{{Base: &b[0], Len: 1}}
	remote := []unix.RemoteIovec{{Base: uintptr(unsafe.Pointer(&b[0])), Len: 1}}
	unix.ProcessVMReadv(os.Getppid(), local, remote, 0)
}

func (o Options) stderr() io.Writer {
	if o.Stderr == nil {
		return os.Stderr
	}
	return o.Stderr
}
