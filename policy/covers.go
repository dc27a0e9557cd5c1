package policy

import (
	"path/filepath"
	"strings"
)

// covers reports whether a rule on rulePath applies to path: Landlock
// rules apply to the inode they name and to everything beneath it.
// Both are compared as absolute, cleaned strings: callers pass resolved
// paths and an expanded (and, for exactness, symlink-resolved) policy.
func covers(rulePath, path string) bool {
	rp := pathKey(rulePath)
	if rp == "/" {
		return strings.HasPrefix(path, "/")
	}
	return strings.HasPrefix(path, rp) && (len(path) == len(rp) || path[len(rp)] == '/')
}

// CoveringFS returns the indexes of the fs rules that apply to path: the
// rules on path itself and on each of its ancestors. A rule that covers
// no observed path was never used.
func (p *Policy) CoveringFS(path string) []int {
	path = cleanAbs(path)
	var out []int
	for i, r := range p.FS {
		if covers(r.Path, path) {
			out = append(out, i)
		}
	}
	return out
}

func cleanAbs(p string) string {
	if strings.HasPrefix(p, "/") {
		return filepath.Clean(p)
	}
	return p
}

// AllowedFS is what the policy allows on path: the union of the access of
// every rule on path or an ancestor (this is how Landlock evaluates a path
// walk), plus every fs right the policy does not handle.
func (p *Policy) AllowedFS(path string) FSAccess {
	path = cleanAbs(path)
	allowed := AllFS(NewestABI) &^ p.Handled.FS
	for _, r := range p.FS {
		if covers(r.Path, path) {
			allowed |= r.Access
		}
	}
	return allowed
}

// MissingFS returns the rights of want that the policy does not allow on
// the absolute path: want minus AllowedFS(path). Rights granted by a rule
// on a directory apply to everything beneath it, file rights (read_file,
// write_file...) to the files beneath; rights that are not handled are
// always allowed. The path should be resolved as the kernel resolves it
// (the observations are), and the policy expanded (Expand) and, where
// its rule paths go through symlinks, resolved (ResolveSymlinks).
//
// It answers for one object. A rename or link across directories also
// needs the moved object to gain no right at its destination, which the
// caller checks with AllowedFS on both sides.
func (p *Policy) MissingFS(path string, want FSAccess) FSAccess {
	return want &^ p.AllowedFS(path)
}

// MissingNet returns the rights of want that the policy does not allow on
// TCP port: net rules match the port exactly, and unhandled rights are
// always allowed.
func (p *Policy) MissingNet(port uint16, want NetAccess) NetAccess {
	allowed := AllNet(NewestABI) &^ p.Handled.Net
	for _, r := range p.Net {
		if r.Port == port {
			allowed |= r.Access
		}
	}
	return want &^ allowed
}

// ScopesDenied returns the scopes of need that the policy restricts.
// need holds the scopes a program needs left off (it signalled a process
// outside its domain, or reached an abstract unix socket outside it);
// scopes have no rules, so any of them that is handled is denied.
func (p *Policy) ScopesDenied(need ScopeSet) ScopeSet {
	return need & p.Handled.Scoped
}

// GrantsOn returns what p grants, wherever it is used, on the place rule
// r names (its path, with variables as written, or its group), and which
// of p's rules grant some of r's rights there ("group system",
// "${PWD}/src"): the rules on the
// path and on its ancestors by name (Landlock adds them up; ${PWD}/src is
// beneath ${PWD}, never beneath what ${PWD} is on this host), a rule for
// the same group, and the groups whose members on host h (around v's
// ${HOME}, ${PWD} and ${TMPDIR}) hold an absolute path. Optional rules do
// not count: they are skipped where their path is missing, and what they
// cover with them.
func (p *Policy) GrantsOn(r FSRule, v Vars, h Host) (FSAccess, []string) {
	var a FSAccess
	var by []string
	add := func(q FSRule) {
		if q.Access&r.Access&^a != 0 {
			by = append(by, q.key())
		}
		a |= q.Access
	}
	if r.Group != "" {
		for _, q := range p.FS {
			if q.Group == r.Group && q.Path == "" {
				add(q)
			}
		}
		return a, by
	}
	target := pathKey(r.Path)
	var anchors []string
	for _, q := range p.FS {
		switch {
		case q.Optional:
		case q.Group == "":
			if rp := pathKey(q.Path); rp == "/" || target == rp || strings.HasPrefix(target, rp+"/") {
				add(q)
			}
		case strings.HasPrefix(target, "/"):
			g, ok := LookupGroup(q.Group)
			if !ok {
				continue
			}
			if anchors == nil {
				anchors = v.Anchors()
			}
			for _, m := range g.Members(h, anchors) {
				if target == m || strings.HasPrefix(target, m+"/") {
					add(q)
					break
				}
			}
		}
	}
	return a, by
}
