package minimize

import (
	"path"
	"slices"
	"strings"
)

// sensitiveSet knows the paths of rule 6 (docs/design.md): where a directory
// rule hands out far more than the run used, or hands out secrets.
type sensitiveSet struct {
	// exact are sensitive themselves but not everything beneath them:
	// a project under ${HOME} is not a secret, ${HOME} is.
	exact []string
	// trees are sensitive with everything beneath them.
	trees []string
	// secret trees also warn about write rights and widened rules beneath
	// them, not only about rules on their root.
	secret []string
}

func newSensitiveSet(home string) sensitiveSet {
	s := sensitiveSet{
		exact:  []string{"/"},
		trees:  []string{"/etc", "/root", "/proc", "/sys", "/dev", "/boot", "/run/secrets"},
		secret: []string{"/etc", "/root", "/boot", "/run/secrets"},
	}
	if home != "" && home != "/" {
		home = path.Clean(home)
		if home == "/root" {
			// root's own home is a home like any other: guarded itself
			// and in its secret trees, not as a whole, or nothing of a
			// project root keeps in it could ever be one rule.
			s.trees = slices.DeleteFunc(s.trees, func(d string) bool { return d == home })
			s.secret = slices.DeleteFunc(s.secret, func(d string) bool { return d == home })
		}
		s.exact = append(s.exact, home)
		for _, d := range []string{".ssh", ".gnupg", ".aws", ".kube"} {
			s.trees = append(s.trees, home+"/"+d)
			s.secret = append(s.secret, home+"/"+d)
		}
	}
	return s
}

// beneath reports whether p is dir or a path below it (dir without a
// trailing slash; nothing is beneath "/" but itself).
func beneath(p, dir string) bool {
	return p == dir || len(p) > len(dir) && p[len(dir)] == '/' && strings.HasPrefix(p, dir)
}

// isRoot reports whether p is one of the sensitive paths itself.
func (s sensitiveSet) isRoot(p string) bool {
	for _, d := range s.exact {
		if p == d {
			return true
		}
	}
	for _, d := range s.trees {
		if p == d {
			return true
		}
	}
	return false
}

// inTree reports whether p is a sensitive path or beneath a sensitive
// tree: collapsing there needs AllowSensitive.
func (s sensitiveSet) inTree(p string) bool {
	if s.isRoot(p) {
		return true
	}
	for _, d := range s.trees {
		if beneath(p, d) {
			return true
		}
	}
	return false
}

// inSecret reports whether p is beneath a tree that holds secrets or
// system configuration.
func (s sensitiveSet) inSecret(p string) bool {
	for _, d := range s.secret {
		if beneath(p, d) {
			return true
		}
	}
	return false
}
