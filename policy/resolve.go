package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// A rule's path is resolved each time a sandbox starts. A symlink that an
// earlier sandboxed run planted where the policy let it create entries
// would carry the rule, and its rights, to whatever the link names: with
// make_sym and remove_file on ${PWD} and read_file on ${PWD}/in.txt, one
// run does `rm in.txt; ln -s /etc/shadow in.txt` and the next one reads
// /etc/shadow. Resolve therefore follows a symlink only where the sandbox
// cannot have put it, and refuses the policy otherwise (a denial of
// service by one run against the next is acceptable; an escape is not).

// ChangeRights are the rights that let a sandbox create, remove or rename
// the entries of a directory, and so plant a symlink or put another
// directory in place of one: a rule granting one of them makes its
// directory, and everything beneath it, changeable by the sandbox.
const ChangeRights = FSMake | FSRemoveDir | FSRemoveFile | FSRefer

// ErrRedirected is wrapped by the error on a rule whose path leads through
// a symlink in a directory that the sandbox may change.
var ErrRedirected = errors.New("the rule's path leads through a symlink the sandbox may have planted")

// Target is where an fs rule of an expanded policy attaches on this host:
// the object its path leads to, with every symlink resolved.
type Target struct {
	// Path names the object without any symlink.
	Path string
	// Dev and Ino identify the object, so that whoever adds the rule to
	// a ruleset can refuse an object that was replaced after the check.
	Dev, Ino uint64
	Mode     fs.FileMode
}

// Resolve finds the Target of each fs rule of an expanded policy,
// as the kernel resolves rule paths, and checks the rules against the
// file system as CheckFilesystem documents. targets has one entry per
// rule of p.FS; a skipped rule's entry is the zero Target.
//
// A symlink met on the way is followed only if the sandbox cannot have
// planted it:
//
//   - it lies in a directory where no rule of p grants a ChangeRight on
//     the directory or an ancestor, and where the ChangeRights that p
//     does not handle (which the sandbox may use wherever this user may
//     write) cannot be used;
//   - or it lies within one of p.Trusted (the values of ${HOME} and
//     ${PWD}, which the user gives when the sandbox starts);
//   - or the kernel made it (/proc, /sys).
//
// Any other symlink is an error on the rule's line that names it and
// wraps ErrRedirected. Directories are compared by identity, not by
// name, as Landlock attaches rules to inodes.
func (p *Policy) Resolve() (targets []Target, skipped []FSRule, err error) {
	targets, skipped, el := p.resolve()
	return targets, skipped, el.err()
}

// resolve is Resolve with its problems in a list.
func (p *Policy) resolve() (targets []Target, skipped []FSRule, el *errorList) {
	el = &errorList{file: p.File}
	rs := p.resolver()
	targets = make([]Target, len(p.FS))
	for i, r := range p.FS {
		if strings.Contains(r.Path, "${") {
			el.add(r.Line, "path %s still holds a variable; expand the policy (Policy.Expand) before checking it", r.Path)
			continue
		}
		t, err := rs.resolve(r.Path)
		var redir *redirect
		switch {
		case errors.As(err, &redir):
			el.addErr(r.Line, ErrRedirected, "%s", redir.message(r.Path))
			continue
		case errors.Is(err, fs.ErrNotExist) && (r.Optional || r.Learned):
			skipped = append(skipped, r)
			continue
		case errors.Is(err, fs.ErrNotExist):
			el.add(r.Line, "%s does not exist; create it, fix the path, or add \"optional: true\" to the rule to skip it when missing", r.Path)
			continue
		case err != nil:
			el.add(r.Line, "cannot use %s: %s", r.Path, errText(err))
			continue
		}
		if id, ok := rs.changeIDs[i]; ok && id != t.id() {
			el.add(r.Line, "%s changed while its rules were being checked; run again", r.Path)
			continue
		}
		targets[i] = t
		if dirOnly := r.Access & DirOnlyRights(); dirOnly != 0 && !t.Mode.IsDir() {
			names := dirOnly.Names()
			verb := "applies"
			if len(names) > 1 {
				verb = "apply"
			}
			el.add(r.Line, "%s %s to directories; %s is %s: remove %s from this rule, or grant %s on the directory %s",
				strings.Join(names, ", "), verb, r.Path, fileKind(r.Path, t),
				pronoun(len(names)), pronoun(len(names)), filepath.Dir(r.Path))
		}
	}
	return targets, skipped, el
}

// fileID identifies a file on this host.
type fileID struct{ dev, ino uint64 }

func (t Target) id() fileID { return fileID{t.Dev, t.Ino} }

// resolver resolves the rule paths of one policy.
type resolver struct {
	// changeable are the directories (and files) where a rule grants a
	// ChangeRight, with that rule's line.
	changeable map[fileID]int
	// changeIDs are what the rules with a ChangeRight led to when the
	// changeable set was built, by rule index: a rule that leads
	// elsewhere on the second look was swapped in between.
	changeIDs map[int]fileID
	// unhandled are the ChangeRights the policy leaves unrestricted.
	unhandled FSAccess
	trusted   []string
	// dirs are the directories met so far, by their path, which holds
	// no symlink: most rules share them, and a rule whose directory is
	// known costs one lstat.
	dirs map[string]*node
}

// node is a file met on the way, without symlinks; its parent is the
// directory it was found in (nil for /).
type node struct {
	path   string
	id     fileID
	mode   fs.FileMode
	parent *node
}

// resolver builds the resolver of p: the rules that grant a ChangeRight
// are resolved first (following every symlink, as the kernel would),
// and their targets make up the changeable set.
func (p *Policy) resolver() *resolver {
	rs := &resolver{
		changeable: map[fileID]int{},
		changeIDs:  map[int]fileID{},
		// refer is denied everywhere when it is not handled: only the
		// other ChangeRights are free when unhandled.
		unhandled: ChangeRights &^ FSRefer &^ p.Handled.FS,
		dirs:      map[string]*node{},
	}
	for _, t := range p.Trusted {
		if filepath.IsAbs(t) && filepath.Clean(t) != "/" {
			rs.trusted = append(rs.trusted, filepath.Clean(t))
		}
	}
	follow := &resolver{dirs: rs.dirs}
	for i, r := range p.FS {
		if r.Access&ChangeRights == 0 || strings.Contains(r.Path, "${") {
			continue
		}
		t, err := follow.resolve(r.Path)
		if err != nil {
			continue // the rule's own error comes with the second look
		}
		rs.changeIDs[i] = t.id()
		if _, dup := rs.changeable[t.id()]; !dup {
			rs.changeable[t.id()] = r.Line
		}
	}
	return rs
}

// maxLinks is the kernel's limit on symlinks followed in one resolution.
const maxLinks = 40

// step is one component still to resolve; trusted components came from
// the value of a trusted variable, or from a symlink met there.
type step struct {
	name    string
	trusted bool
}

// resolve walks path from / one component at a time, with lstat, as the
// kernel walks it (from the path's directory when that was met before);
// a symlink is refused (*redirect) unless the sandbox cannot have
// planted it. Errors of a component are *os.PathError naming it.
func (rs *resolver) resolve(path string) (Target, error) {
	cur, err := rs.root()
	if err != nil {
		return Target{}, err
	}
	var todo []step
	nTrusted := rs.trustedComponents(path)
	if d, ok := rs.dirs[filepath.Dir(path)]; ok && path != "/" {
		cur = d
		todo = append(todo, step{filepath.Base(path), nTrusted > strings.Count(path, "/")-1})
	} else {
		for i, name := range components(path) {
			todo = append(todo, step{name, i < nTrusted})
		}
	}
	links := 0
	for len(todo) > 0 {
		s := todo[0]
		todo = todo[1:]
		switch s.name {
		case ".":
			continue
		case "..":
			if cur.parent != nil {
				cur = cur.parent
			}
			continue
		}
		p := cur.path + "/" + s.name
		if cur.parent == nil {
			p = "/" + s.name
		}
		if d, ok := rs.dirs[p]; ok {
			cur = d
			continue
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return Target{}, &os.PathError{Op: "lstat", Path: p, Err: err}
		}
		if st.Mode&unix.S_IFMT == unix.S_IFLNK {
			if links++; links > maxLinks {
				return Target{}, &os.PathError{Op: "resolve", Path: path, Err: unix.ELOOP}
			}
			target, err := os.Readlink(p)
			if err != nil {
				return Target{}, err
			}
			if why := plantedByOther(cur.path, &st); why != "" {
				return Target{}, &redirect{link: p, target: target, dir: cur.path, why: why, other: true}
			}
			if !s.trusted {
				if why := rs.changeableBy(cur); why != "" {
					return Target{}, &redirect{link: p, target: target, dir: cur.path, why: why}
				}
			}
			var next []step
			for _, name := range components(target) {
				next = append(next, step{name, s.trusted})
			}
			todo = append(next, todo...)
			if filepath.IsAbs(target) {
				cur, _ = rs.root()
			}
			continue
		}
		n := &node{path: p, id: idOf(&st), mode: modeOf(&st), parent: cur}
		switch {
		case n.mode.IsDir():
			rs.dirs[p] = n
		case len(todo) > 0:
			return Target{}, &os.PathError{Op: "resolve", Path: p, Err: unix.ENOTDIR}
		}
		cur = n
	}
	return Target{Path: cur.path, Dev: cur.id.dev, Ino: cur.id.ino, Mode: cur.mode}, nil
}

// root is the node of /.
func (rs *resolver) root() (*node, error) {
	if r, ok := rs.dirs["/"]; ok {
		return r, nil
	}
	var st unix.Stat_t
	if err := unix.Lstat("/", &st); err != nil {
		return nil, &os.PathError{Op: "lstat", Path: "/", Err: err}
	}
	r := &node{path: "/", id: idOf(&st), mode: modeOf(&st)}
	rs.dirs["/"] = r
	return r, nil
}

// changeableBy says why the sandbox may change the entries of directory
// d (a rule on it or an ancestor, or an unhandled right this user could
// use there), or "" if it cannot.
func (rs *resolver) changeableBy(d *node) string {
	var sfs unix.Statfs_t
	if unix.Statfs(d.path, &sfs) == nil && (sfs.Type == unix.PROC_SUPER_MAGIC || sfs.Type == unix.SYSFS_MAGIC) {
		return "" // the kernel's own links, such as /proc/self
	}
	for a := d; a != nil; a = a.parent {
		if line, ok := rs.changeable[a.id]; ok {
			what := "the rule"
			if line > 0 {
				what = fmt.Sprintf("the rule on line %d", line)
			}
			if a == d {
				return what + " lets the sandbox create, remove or rename entries there"
			}
			return fmt.Sprintf("%s lets the sandbox create, remove or rename entries beneath %s", what, a.path)
		}
	}
	if rs.unhandled != 0 && userMayWrite(d.path) {
		return fmt.Sprintf("handled.fs leaves %s unrestricted, so the sandbox may use %s wherever this user may write",
			strings.Join(rs.unhandled.Names(), ", "), pronoun(rs.unhandled.Count()))
	}
	return ""
}

// plantedByOther says why a symlink (link, its lstat) in directory dir
// may have been planted by another user, or "": dir is sticky and
// writable by everyone (/tmp), and the link belongs neither to dir's
// owner nor to this user. The kernel refuses to follow such a link where
// fs.protected_symlinks is 1 (most distributions); landlearn refuses it
// wherever it runs, so that a rule never leads where another user
// points it (a ${TMPDIR}/app.cache planted to lead to a victim's ~/.ssh).
func plantedByOther(dir string, link *unix.Stat_t) string {
	var st unix.Stat_t
	if unix.Stat(dir, &st) != nil || st.Mode&unix.S_ISVTX == 0 || st.Mode&0o002 == 0 {
		return ""
	}
	if link.Uid == st.Uid || int(link.Uid) == os.Geteuid() {
		return ""
	}
	return fmt.Sprintf("the symlink belongs to uid %d, neither this user nor the owner of that directory, which every user may write (sticky, mode 1777; the kernel's fs.protected_symlinks refuses to follow such links)", link.Uid)
}

// userMayWrite reports whether this process may create entries in
// directory d, or could give itself the right to (it owns d).
func userMayWrite(d string) bool {
	if unix.Faccessat(unix.AT_FDCWD, d, unix.W_OK, unix.AT_EACCESS) == nil {
		return true
	}
	var st unix.Stat_t
	return unix.Stat(d, &st) == nil && int(st.Uid) == os.Geteuid()
}

// trustedComponents is how many leading components of path belong to the
// value of a trusted variable (the longest that holds it).
func (rs *resolver) trustedComponents(path string) int {
	n := 0
	for _, t := range rs.trusted {
		if path == t || strings.HasPrefix(path, t+"/") {
			n = max(n, strings.Count(t, "/"))
		}
	}
	return n
}

// components splits a path into its names, without empty ones.
func components(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

func idOf(st *unix.Stat_t) fileID { return fileID{st.Dev, st.Ino} }

// modeOf turns a stat mode into the fs.FileMode type bits.
func modeOf(st *unix.Stat_t) fs.FileMode {
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		return fs.ModeDevice
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFSOCK:
		return fs.ModeSocket
	}
	return 0
}

// redirect is a symlink that a rule's path leads through, in a directory
// the sandbox may change.
type redirect struct {
	link, target, dir, why string
	other                  bool // planted by another user, not by a sandbox
}

func (r *redirect) Error() string { return r.message(r.link) }

// message says which symlink the rule's path (expanded) leads through.
func (r *redirect) message(path string) string {
	what := fmt.Sprintf("%s leads through the symlink %s", path, r.link)
	if path == r.link {
		what = path + " is a symlink"
	}
	who := "a sandboxed run"
	if r.other {
		who = "another user"
	}
	return fmt.Sprintf("%s (to %s) in %s, and %s: %s may have planted it to redirect this rule; remove the symlink, or write the rule on the path it leads to",
		what, r.target, r.dir, r.why, who)
}
