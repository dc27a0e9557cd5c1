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

// secretDirs are the files and directories of a home that hold
// credentials: keys, tokens, passwords.
var secretDirs = []string{".ssh", ".gnupg", ".aws", ".kube", ".docker", ".netrc", ".git-credentials",
	".pgpass", ".password-store", ".config/gh", ".config/gcloud", ".azure"}

// newSensitiveSet is the sensitive set of runs whose ${HOME}s are homes:
// every run's home is guarded, so that a rule a second run's paths named
// is checked against that run's secrets too. The same paths by name
// (${HOME}, ${HOME}/.ssh...) are in the set as well: a rule is checked by
// its name as much as by the concrete path of the run it came from.
//
// /root is a home like any other only when every run's ${HOME} is /root;
// otherwise it is a tree of secrets as a whole.
func newSensitiveSet(homes ...string) sensitiveSet {
	s := sensitiveSet{
		exact:  []string{"/", "${HOME}"},
		trees:  []string{"/etc", "/root", "/proc", "/sys", "/dev", "/boot", "/run/secrets"},
		secret: []string{"/etc", "/root", "/boot", "/run/secrets"},
	}
	for _, d := range secretDirs {
		s.trees = append(s.trees, "${HOME}/"+d)
		s.secret = append(s.secret, "${HOME}/"+d)
	}
	allRoot := false
	for _, home := range homes {
		if home == "" || path.Clean(home) == "/" {
			continue
		}
		home = path.Clean(home)
		allRoot = home == "/root"
		if !allRoot {
			break
		}
	}
	if allRoot {
		// root's own home is a home like any other: guarded itself and
		// in its secret trees, not as a whole, or nothing of a project
		// root keeps in it could ever be one rule.
		s.trees = slices.DeleteFunc(s.trees, func(d string) bool { return d == "/root" })
		s.secret = slices.DeleteFunc(s.secret, func(d string) bool { return d == "/root" })
	}
	for _, home := range homes {
		if home == "" || path.Clean(home) == "/" {
			continue
		}
		home = path.Clean(home)
		if slices.Contains(s.exact, home) {
			continue
		}
		s.exact = append(s.exact, home)
		for _, d := range secretDirs {
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

// homeBelow returns a guarded home strictly beneath the directory d, or
// "": a rule on d reaches everything in that home.
func (s sensitiveSet) homeBelow(d string) string {
	for _, h := range s.exact {
		if strings.HasPrefix(h, "/") && h != d && beneath(h, d) {
			return h
		}
	}
	return ""
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
