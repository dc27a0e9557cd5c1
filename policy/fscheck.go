package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"slices"
)

// CheckFilesystem checks an expanded policy against the file system, just
// before it is enforced: Landlock rules attach to inodes that exist, and
// the kernel refuses (EINVAL) a directory-only right on a rule whose path
// is not a directory, without saying which rule.
//
//   - A missing path of an optional or learned rule is returned in
//     skipped (the caller leaves the rule out and says so for learned
//     rules: a learned path that is missing here, such as /etc/gitconfig
//     on another host, only removes access).
//   - A missing path of a required rule is an error on its line that
//     suggests optional: true.
//   - A directory-only right (read_dir, remove_*, make_*, refer) on a path
//     that, after its symlinks, is not a directory is an error naming the
//     rights and what the path is: /dev/null is a character device.
//   - A path that cannot be examined (EACCES on a parent) is an error.
//   - A path that leads through a symlink the sandbox may have planted
//     is an error naming the symlink (see Resolve).
//
// Every problem is reported, each as a *LoadError; the error is one or a
// LoadErrors.
func (p *Policy) CheckFilesystem() (skipped []FSRule, err error) {
	_, skipped, err = p.Resolve()
	return skipped, err
}

func pronoun(n int) string {
	if n > 1 {
		return "them"
	}
	return "it"
}

// fileKind describes what t, where path leads, is for messages.
func fileKind(path string, t Target) string {
	var what string
	switch m := t.Mode; {
	case m.IsRegular():
		what = "a file"
	case m&fs.ModeCharDevice != 0:
		what = "a character device"
	case m&fs.ModeDevice != 0:
		what = "a block device"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	default:
		what = "not a directory"
	}
	if t.Path != filepath.Clean(path) {
		what += fmt.Sprintf(" (through the symlink, %s)", t.Path)
	}
	return what
}

// ResolveSymlinks returns a copy of an expanded policy whose rule paths
// have their symlinks resolved, as the kernel resolves them when it adds
// the rules: a rule on /lib64 applies to /usr/lib64. Compare observed
// (resolved) paths with the result. Missing or unusable paths stay as
// written; rules that resolve to the same path merge as in Expand. A rule
// that leads through a symlink the sandbox may have planted (see
// Resolve) is an error wrapping ErrRedirected, as where it is enforced.
func (p *Policy) ResolveSymlinks() (*Policy, error) {
	q := p.Clone()
	el := &errorList{file: p.File}
	rs := p.resolver()
	for i, r := range q.FS {
		t, err := rs.resolve(r.Path)
		var redir *redirect
		switch {
		case errors.As(err, &redir):
			el.addErr(r.Line, ErrRedirected, "%s", redir.message(r.Path))
		case err == nil:
			q.FS[i].Path = t.Path
		}
	}
	if err := el.err(); err != nil {
		return nil, err
	}
	q.FS = mergeSamePaths(q.FS)
	return q, nil
}

// LoadFileChecked loads the policy file at path as LoadFile does, and
// checks it as enforcing it with the variables v would: expanded
// (Expand) and against the file system (CheckFilesystem). The problems of
// the three are reported at once, in line order, so that a person fixing
// a policy sees them in one go instead of the schema's first, then the
// unset variables, then the missing paths. A rule with a problem of its
// own is left out of the later checks. It returns the policy as loaded,
// with its variables.
func LoadFileChecked(path string, v Vars) (*Policy, error) {
	p, el, err := loadFile(path)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, el.err()
	}
	q := p.Clone()
	q.FS = rulesWithoutProblems(p, el)
	q.Net = nil
	e, expandErrs := q.expandOn(v, Host{})
	el.errs = append(el.errs, expandErrs.errs...)
	_, _, fsErrs := e.resolve()
	el.errs = append(el.errs, fsErrs.errs...)
	if err := el.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// rulesWithoutProblems are the fs rules of p that el says nothing about:
// no problem is on a line from the rule's own to the next rule's.
func rulesWithoutProblems(p *Policy, el *errorList) []FSRule {
	var starts []int
	for _, r := range p.FS {
		starts = append(starts, r.Line)
	}
	for _, r := range p.Net {
		starts = append(starts, r.Line)
	}
	slices.Sort(starts)
	var out []FSRule
	for _, r := range p.FS {
		i, _ := slices.BinarySearch(starts, r.Line+1)
		end := math.MaxInt
		if i < len(starts) {
			end = starts[i]
		}
		if !slices.ContainsFunc(el.errs, func(e *LoadError) bool { return e.Line >= r.Line && e.Line < end }) {
			out = append(out, r)
		}
	}
	return out
}
