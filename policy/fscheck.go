package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
//
// Every problem is reported, each as a *LoadError; the error is one or a
// LoadErrors.
func (p *Policy) CheckFilesystem() (skipped []FSRule, err error) {
	el := &errorList{file: p.File}
	for _, r := range p.FS {
		if strings.Contains(r.Path, "${") {
			el.add(r.Line, "path %s still holds a variable; expand the policy (Policy.Expand) before checking it", r.Path)
			continue
		}
		st, err := os.Stat(r.Path)
		switch {
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
		if dirOnly := r.Access & DirOnlyRights(); dirOnly != 0 && !st.IsDir() {
			names := dirOnly.Names()
			verb := "applies"
			if len(names) > 1 {
				verb = "apply"
			}
			el.add(r.Line, "%s %s to directories; %s is %s: remove %s from this rule, or grant %s on the directory %s",
				strings.Join(names, ", "), verb, r.Path, fileKind(r.Path, st),
				pronoun(len(names)), pronoun(len(names)), filepath.Dir(r.Path))
		}
	}
	return skipped, el.err()
}

func pronoun(n int) string {
	if n > 1 {
		return "them"
	}
	return "it"
}

// fileKind describes what a path is, after its symlinks, for messages.
func fileKind(path string, st fs.FileInfo) string {
	var what string
	switch m := st.Mode(); {
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
	if target, err := filepath.EvalSymlinks(path); err == nil && target != filepath.Clean(path) {
		what += fmt.Sprintf(" (through the symlink, %s)", target)
	}
	return what
}

// ResolveSymlinks returns a copy of an expanded policy whose rule paths
// have their symlinks resolved, as the kernel resolves them when it adds
// the rules: a rule on /lib64 applies to /usr/lib64. Compare observed
// (resolved) paths with the result. Missing paths stay as written; rules
// that resolve to the same path merge as in Expand.
func (p *Policy) ResolveSymlinks() *Policy {
	q := p.Clone()
	for i, r := range q.FS {
		if real, err := filepath.EvalSymlinks(r.Path); err == nil {
			q.FS[i].Path = real
		}
	}
	q.FS = mergeSamePaths(q.FS)
	return q
}
