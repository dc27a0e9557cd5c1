package minimize

import (
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/landlearn/landlearn/policy"
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
// credentials (keys, tokens, passwords; GNOME's and KDE's wallets), and
// those whose contents run outside any sandbox (login scripts, the
// user's systemd units and autostart entries): writing there escapes.
var secretDirs = []string{".ssh", ".gnupg", ".aws", ".kube", ".docker", ".netrc", ".git-credentials",
	".pgpass", ".password-store", ".config/gh", ".config/gcloud", ".azure",
	".local/share/keyrings", ".local/share/kwalletd",
	".config/systemd", ".config/autostart", ".local/share/systemd", ".config/fish",
	".profile", ".bash_profile", ".bashrc", ".bash_login", ".bash_logout", ".zshrc", ".zprofile", ".zshenv", ".xprofile"}

// newSensitiveSet is the sensitive set of runs whose ${HOME}s are homes:
// every run's home is guarded, so that a rule a second run's paths named
// is checked against that run's secrets too. The same paths by name
// (${HOME}, ${HOME}/.ssh...) are in the set as well: a rule is checked by
// its name as much as by the concrete path of the run it came from.
//
// /root is a home like any other only when every run's ${HOME} is /root;
// otherwise it is a tree of secrets as a whole, and so is every home of
// others (other users' homes, from the user database).
func newSensitiveSet(others []string, homes ...string) sensitiveSet {
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
	for _, o := range others {
		if !slices.Contains(s.exact, o) && !slices.Contains(s.trees, o) {
			s.trees = append(s.trees, o)
			s.secret = append(s.secret, o)
		}
	}
	return s
}

// holds returns a sensitive path strictly beneath the directory d (a
// home, a tree of secrets), or "": a rule on d reaches all of it.
func (s sensitiveSet) holds(d string) string {
	for _, set := range [][]string{s.exact, s.trees} {
		for _, p := range set {
			if p != d && p != "/" && beneath(p, d) {
				return p
			}
		}
	}
	return ""
}

// userHomes are the homes of the user database of the host at root that
// lie where people's homes lie (/home, /var/home, /root): a service's
// home in /var/lib or /var/www is its data, not a person's secrets. Each
// is there as given and with symlinks resolved, as the tracer's paths
// are (/home/bob -> /srv/data/bob).
func userHomes(root string) []string {
	out := policy.UserHomes(policy.Host{Root: root})
	for _, h := range out {
		if r, err := filepath.EvalSymlinks(root + h); err == nil {
			if r = strings.TrimPrefix(r, root); r != h && r != "/" && strings.HasPrefix(r, "/") && !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
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
