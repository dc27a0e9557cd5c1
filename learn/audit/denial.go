package audit

import (
	"fmt"
	pathpkg "path"
	"strconv"
	"strings"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// Rights maps the denial's blockers to rights: fs and net rights that a
// rule can grant, scopes that only leaving them unhandled allows, and the
// other blockers (ptrace, fs.change_topology on newer kernels, names this
// landlearn does not know), which no policy can allow.
func (d Denial) Rights() (fs policy.FSAccess, net policy.NetAccess, scopes policy.ScopeSet, other []string) {
	for _, b := range d.Blockers {
		r, ok := policy.LookupRight(b)
		if !ok || !kindMatches(b, r.Kind) {
			other = append(other, b)
			continue
		}
		switch r.Kind {
		case policy.KindFS:
			fs |= policy.FSAccess(r.Bit)
		case policy.KindNet:
			net |= policy.NetAccess(r.Bit)
		case policy.KindScope:
			scopes |= policy.ScopeSet(r.Bit)
		}
	}
	return fs, net, scopes, other
}

// kindMatches checks the blocker's prefix against the right's kind, so
// that a hypothetical "net.read_file" is not taken for an fs right.
func kindMatches(blocker string, k policy.Kind) bool {
	prefix, _, found := strings.Cut(blocker, ".")
	if !found {
		return false
	}
	switch prefix {
	case "fs":
		return k == policy.KindFS
	case "net":
		return k == policy.KindNet
	case "scope":
		return k == policy.KindScope
	}
	return false
}

// AbstractSocketName returns the name of the abstract unix socket a
// scope.abstract_unix_socket denial is about, as "@name", or "".
// The kernel logs the peer's address as hex starting with a NUL byte.
func (d Denial) AbstractSocketName() string {
	if p, ok := strings.CutPrefix(d.Path, "\x00"); ok {
		return "@" + strings.ReplaceAll(p, "\x00", "@")
	}
	return ""
}

// Object names what was denied, for people: a path, a TCP port, a process,
// an abstract socket.
func (d Denial) Object() string {
	fs, net, scopes, other := d.Rights()
	switch {
	case net != 0:
		s := "tcp port " + strconv.Itoa(d.Port)
		if d.Addr != "" {
			s += " (" + d.Addr + ")"
		}
		return s
	case scopes&policy.ScopeAbstractUnixSocket != 0:
		if n := d.AbstractSocketName(); n != "" {
			return "abstract unix socket " + n
		}
		return "an abstract unix socket"
	case scopes != 0 || (fs == 0 && len(other) > 0 && d.Opid != 0):
		return d.processObject()
	case d.Path != "":
		return d.Path
	}
	return "(unknown object)"
}

func (d Denial) processObject() string {
	s := "process " + strconv.Itoa(d.Opid)
	if d.Ocomm != "" {
		s += " (" + d.Ocomm + ")"
	}
	return s
}

// FixRule returns what would make the kernel allow this access: the YAML
// rule to add to the policy's fs: or net: list, such as
// "- path: /etc/hosts\n  access: [read_file]", or, when no rule can allow it, a sentence that says why (a scope has no
// rules; ptrace of an outside process is never allowed). For make_*,
// remove_* and refer the kernel already logs the parent directory, which
// is where those rights are granted.
func (d Denial) FixRule() string { return d.FixRuleNamed(nil) }

// Namer names the rule that grants rights fs on a path the kernel logged,
// as learn would write it: with the same variables (${PWD}/static, not
// /srv/app/static) and the same classes (a system library's group, a
// directory the run treats as a unit). minimize.Fixes makes one.
type Namer func(path string, fs policy.FSAccess) policy.FSRule

// FixRuleNamed is FixRule with the fs rule named by n; nil names it by
// the path the kernel logged.
func (d Denial) FixRuleNamed(n Namer) string {
	fs, net, scopes, other := d.Rights()
	var parts []string
	if fs != 0 {
		parts = append(parts, fsRule(d.Path, fs, n))
	}
	switch {
	case net != 0 && (d.Port < 0 || d.Port > 0xffff):
		// A log is outside input: a port no TCP socket has is no rule.
		parts = append(parts, fmt.Sprintf("# the record's port %d is not a TCP port (0..65535): no rule derived; rights [%s]", d.Port, strings.Join(net.Names(), ", ")))
	case net != 0:
		parts = append(parts, fmt.Sprintf("- port: %d\n  access: [%s]", d.Port, strings.Join(net.Names(), ", ")))
	}
	for _, s := range scopes.Names() {
		parts = append(parts, fmt.Sprintf("remove %s from handled.scoped (a scope has no rules: this allows it towards every process outside the domain)", s))
	}
	for _, o := range other {
		parts = append(parts, WhyNoRule(o))
	}
	return strings.Join(parts, "\n")
}

func fsRule(path string, fs policy.FSAccess, n Namer) string {
	rights := "[" + strings.Join(fs.Names(), ", ") + "]"
	if !strings.HasPrefix(path, "/") {
		if path == "" {
			return "# the record names no path: no rule can be derived; rights " + rights
		}
		return fmt.Sprintf("# %s has no path in the file system: Landlock rules cannot name it; rights %s", strconv.Quote(path), rights)
	}
	// A log is outside input: the kernel logs d_path, absolute and
	// clean, and never a NUL byte in a path.
	if strings.IndexByte(path, 0) >= 0 {
		return "# the record's path holds a NUL byte, which no file name has (the kernel logs none such): no rule can hold it; rights " + rights
	}
	var comment string
	if p, ok := strings.CutSuffix(path, " (deleted)"); ok {
		path = p
		comment = "# deleted when it was denied: a rule needs the file to exist when the policy is enforced\n"
	}
	if !policy.IsClean(path) {
		path = pathpkg.Clean(path)
		comment += "# the record's path is not clean (the kernel logs none such: a damaged or forged log?); the rule names it cleaned\n"
	}
	if strings.Contains(path, "${") {
		// Written into a rule it would be expanded as a variable. The
		// object line names the path; this note does not repeat it.
		return comment + "# the path holds \"$\" followed by \"{\", which a policy reads as the start of a variable: no rule can name it exactly; grant " +
			yamlString(learn.VariableFreeDir(path)) + " by hand if it needs " + rights
	}
	if fs&policy.FSRefer != 0 {
		comment += "# refer: both directories of the rename or link need it, and the moved file must gain no right at its destination\n"
	}
	if n != nil {
		if r := n(path, fs); r.Group != "" {
			return comment + "- group: " + r.Group + "\n  access: " + rights
		} else if r.Path != "" && !policy.LaterVariable(r.Path) {
			path = r.Path
		}
	}
	return comment + "- path: " + yamlString(path) + "\n  access: " + rights
}

// WhyNoRule says why no rule can allow blocker, one of the blockers
// Rights returns as other: ptrace, fs.change_topology, or a name this
// landlearn does not know.
func WhyNoRule(blocker string) string {
	switch blocker {
	case "ptrace":
		return "Landlock never allows ptrace of a process outside the domain: not fixable by a rule"
	case "fs.change_topology":
		return "Landlock denies mount, umount and pivot_root to every domain that handles fs rights: not fixable by a rule"
	}
	return fmt.Sprintf("blocker %q is unknown to landlearn (a newer kernel?): no rule derived", blocker)
}

// yamlString writes s as a YAML scalar: plain when that is unambiguous
// (an absolute path of ordinary characters), double-quoted otherwise.
func yamlString(s string) string {
	plain := strings.HasPrefix(s, "/") || strings.HasPrefix(s, "${")
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("/._+-@%~:,=${}", c)) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return strconv.Quote(s)
}

// Kind says what sort of object a denial is about.
func (d Denial) Kind() string {
	fs, net, scopes, other := d.Rights()
	switch {
	case fs != 0:
		return "fs"
	case net != 0:
		return "net"
	case scopes != 0:
		return "scope"
	case len(other) > 0:
		return other[0]
	}
	return "unknown"
}

// RightNames are the blockers without their fs./net./scope. prefix: the
// rights' names in landlearn's vocabulary.
func (d Denial) RightNames() []string {
	out := make([]string, 0, len(d.Blockers))
	for _, b := range d.Blockers {
		if r, ok := policy.LookupRight(b); ok && kindMatches(b, r.Kind) {
			out = append(out, r.Name)
		} else {
			out = append(out, b)
		}
	}
	return out
}
