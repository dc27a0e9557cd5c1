package policy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/textsafe"
)

// guardedTrees are the system trees a rule rooted at a variable may never
// be, or hold, as a whole.
var guardedTrees = []string{"/etc", "/root", "/boot", "/proc", "/sys", "/dev"}

// implicitVar reports whether a variable takes its value from where and
// how the command is started (the environment, the working directory)
// rather than only from an explicit --var, which, like an absolute path,
// means what it says.
func implicitVar(name string) bool {
	return name == "HOME" || name == "PWD" || name == "TMPDIR" || strings.HasPrefix(name, "XDG_")
}

// placeGuard is a directory a rule rooted at an implicit variable may
// never be or hold, with what to call it in the refusal.
type placeGuard struct{ dir, what string }

// places are the guards of tooWide on one host with one set of values,
// made once for a policy's expansion: /, ${HOME}, the trees of secrets
// and the homes of /etc/passwd.
type places struct {
	home   string
	guards []placeGuard
}

func newPlaces(v Vars, h Host) *places {
	pl := &places{guards: []placeGuard{{"/", "the whole file system"}}}
	if x := v["HOME"]; filepath.IsAbs(x) && filepath.Clean(x) != "/" {
		pl.home = filepath.Clean(x)
		pl.guards = append(pl.guards, placeGuard{pl.home, pl.home + " (${HOME})"})
	}
	for _, d := range guardedTrees {
		pl.guards = append(pl.guards, placeGuard{d, d})
	}
	for _, d := range UserHomes(h) {
		if d != pl.home {
			pl.guards = append(pl.guards, placeGuard{d, d + " (a home in /etc/passwd)"})
		}
	}
	return pl
}

// tooWide says why a rule written as path, rooted at a variable (${PWD},
// ${TMPDIR}, ${HOME} or ${XDG_*}; see implicitVar), that expanded to
// p must not be enforced, or returns "". A variable's value comes from
// where and how the command is started: a systemd unit without
// WorkingDirectory= starts in /, cron in ${HOME}, and an environment can
// say XDG_CACHE_HOME=/etc. Such a rule is refused when p is /, or is or
// holds ${HOME}, a home in /etc/passwd or a tree of secrets (/etc,
// /root, ...). Directories are compared by identity (device and inode),
// so a symlink or a bind mount to / is /. Two exceptions: a ${HOME} rule
// is ${HOME} by definition, and a ${TMPDIR} that holds a throwaway
// ${HOME} (a CI job's, a test's) held it when the policy was learned too.
// A rule written with an absolute path means what it says.
func (pl *places) tooWide(path, p string, access FSAccess, v Vars, h Host) string {
	name, ok := rootVar(path)
	if !ok {
		return ""
	}
	home := pl.home
	for _, g := range pl.guards {
		is, holds := h.relation(p, g.dir)
		if !is && !holds {
			continue
		}
		if g.dir == home && (name == "HOME" && is || name == "TMPDIR" && !is) {
			continue
		}
		what := path + " is " + p + " here"
		if path != "${"+name+"}" {
			what += " (${" + name + "} is " + v[name] + ")"
		}
		rel := ", which holds " + g.what
		switch {
		case is && p != g.dir:
			rel = ", which is the same directory as " + g.what
		case is && g.dir == "/":
			rel = ", the whole file system"
		case is && g.dir == home:
			rel = ", which is ${HOME}"
		case is && g.what != g.dir:
			rel = ", " + strings.TrimSuffix(strings.TrimPrefix(g.what, g.dir+" ("), ")")
		case is:
			rel = ""
		}
		fix := "run from the directory the policy was learned for (cd DIR; WorkingDirectory= in a systemd unit), or pass --var " + name + "=DIR"
		if name != "PWD" {
			fix = "set " + name + " to the directory the policy was learned for, or pass --var " + name + "=DIR"
		}
		return what + rel + ": the rule would grant " + access.String() + " on all of it; " + fix
	}
	return ""
}

// relation reports whether directory p is dir, or holds it, on host h: by
// name, and by identity where both exist, so that a symlink or bind mount
// to / or /etc is / or /etc. Identity is compared along dir's ancestors
// as written and as its symlinks resolve.
func (h Host) relation(p, dir string) (is, holds bool) {
	if p == dir {
		return true, false
	}
	if p == "/" || strings.HasPrefix(dir, p+"/") {
		return false, true
	}
	pid, ok := h.identity(p)
	if !ok {
		return false, false
	}
	chains := []string{dir}
	if r, err := filepath.EvalSymlinks(h.abs(dir)); err == nil {
		if r = strings.TrimPrefix(r, strings.TrimSuffix(h.Root, "/")); r != dir && filepath.IsAbs(r) {
			chains = append(chains, r)
		}
	}
	for _, c := range chains {
		for d, first := c, true; ; d, first = filepath.Dir(d), false {
			if id, ok := h.identity(d); ok && id == pid {
				return first, !first
			}
			if d == "/" {
				break
			}
		}
	}
	return false, false
}

func (h Host) identity(p string) (fileID, bool) {
	var st unix.Stat_t
	if err := unix.Stat(h.abs(p), &st); err != nil {
		return fileID{}, false
	}
	return idOf(&st), true
}

// sharedNote says, for a rule written as path, rooted at a variable, that
// expanded to p, a directory other programs share (sticky and writable
// by all: /tmp, /dev/shm, /run/lock), when the rule lets the program
// change or remove what is in it: other programs' files and sockets are
// there too. A policy learned with a private TMPDIR and run with /tmp
// grants more than the run that learned it used, and a person should
// hear it.
func sharedNote(path, p string, access FSAccess, h Host) string {
	name, ok := rootVar(path)
	changes := access & (FSWriteFile | FSTruncate | FSRemoveFile | FSRemoveDir | FSRefer)
	if !ok || changes == 0 || !h.shared(p) {
		return ""
	}
	fix := "run it with a temp directory of its own (TMPDIR=$(mktemp -d) landlearn run ...)"
	if name != "TMPDIR" {
		fix = "run it where the policy was learned, or pass --var " + name + "=DIR"
	}
	return textsafe.Name(path) + " is " + textsafe.Name(p) + " here, a directory shared with other programs: the rule grants " +
		changes.String() + " on everything in it, their files and sockets included; " + fix
}

// shared reports whether directory p is sticky and writable by all.
func (h Host) shared(p string) bool {
	st, err := os.Stat(h.abs(p))
	return err == nil && st.IsDir() && st.Mode()&os.ModeSticky != 0 && st.Mode().Perm()&0o002 != 0
}

// rootVar returns the implicit variable (see implicitVar) a rule path
// starts with.
func rootVar(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "${")
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, "}")
	return name, ok && implicitVar(name)
}

// UserHomes returns the homes of the accounts in host h's /etc/passwd
// that hold a person's files: /root and those beneath /home and
// /var/home. Service accounts' homes (/var/lib/..., /nonexistent) are
// not among them.
func UserHomes(h Host) []string {
	data, err := os.ReadFile(h.abs("/etc/passwd"))
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 7 || !filepath.IsAbs(f[5]) {
			continue
		}
		d := filepath.Clean(f[5])
		if d == "/root" || strings.HasPrefix(d, "/home/") || strings.HasPrefix(d, "/var/home/") {
			if !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
	}
	return out
}
