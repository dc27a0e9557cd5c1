package policy

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
)

// Vars are the values of the ${NAME} references in rule paths. A policy
// file says ${HOME}/.cache/app instead of /home/alice/.cache/app so that
// the same file works for another user, checkout or CI runner; the values
// are filled in only where the policy is enforced or compared with the
// system (run, verify, check, learn --merge), never when it is printed.
type Vars map[string]string

// DefaultVars returns the variables every policy may use, from the
// environment of the calling process:
//
//   - HOME: $HOME, or the user database's home of the current user;
//   - TMPDIR: $TMPDIR, or /tmp;
//   - PWD: the working directory (os.Getwd: $PWD only when it is the same
//     directory as ".", so it may name it through a symlink; a parent may
//     have left $PWD stale);
//   - XDG_CONFIG_HOME, XDG_CACHE_HOME, XDG_DATA_HOME, XDG_STATE_HOME:
//     the variable, or the XDG base-directory spec's default under HOME
//     (~/.config, ~/.cache, ~/.local/share, ~/.local/state);
//   - XDG_RUNTIME_DIR: the variable, or /run/user/UID when that directory
//     exists (the spec has no default; this is where systemd puts it).
//
// As the XDG spec says, a value that is empty or relative is ignored. A
// variable with no value is left out, and a policy using it fails to
// expand with a message asking for --var NAME=VALUE.
func DefaultVars() Vars {
	v := Vars{}
	env := func(name string) string {
		if s := os.Getenv(name); filepath.IsAbs(s) {
			return filepath.Clean(s)
		}
		return ""
	}
	home := env("HOME")
	if home == "" {
		if u, err := user.Current(); err == nil && filepath.IsAbs(u.HomeDir) {
			home = filepath.Clean(u.HomeDir)
		}
	}
	if home != "" {
		v["HOME"] = home
	}
	v["TMPDIR"] = "/tmp"
	if t := env("TMPDIR"); t != "" {
		v["TMPDIR"] = t
	}
	if wd, err := os.Getwd(); err == nil {
		v["PWD"] = wd
	}
	for name, def := range map[string]string{
		"XDG_CONFIG_HOME": ".config",
		"XDG_CACHE_HOME":  ".cache",
		"XDG_DATA_HOME":   ".local/share",
		"XDG_STATE_HOME":  ".local/state",
	} {
		if s := env(name); s != "" {
			v[name] = s
		} else if home != "" {
			v[name] = filepath.Join(home, def)
		}
	}
	if s := env("XDG_RUNTIME_DIR"); s != "" {
		v["XDG_RUNTIME_DIR"] = s
	} else if d := fmt.Sprintf("/run/user/%d", os.Getuid()); isDir(d) {
		v["XDG_RUNTIME_DIR"] = d
	}
	return v
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// ParseVar splits the argument of --var NAME=VALUE. The name follows the
// shell's rules; the value must not be empty, since ${NAME}/x with an
// empty NAME would silently grant /x.
func ParseVar(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, "=")
	switch {
	case !ok:
		return "", "", fmt.Errorf("--var %s: want NAME=VALUE, such as --var DATA=/srv/data", s)
	case !validVarName(name):
		return "", "", fmt.Errorf("--var %s: %q is not a variable name; use letters, digits and _, such as DATA", s, name)
	case value == "":
		return "", "", fmt.Errorf("--var %s: the value is empty; give a path, such as --var %s=/srv/data", s, name)
	}
	return name, value, nil
}

// With returns a copy of v where name is value (for --var, which wins over
// the defaults).
func (v Vars) With(name, value string) Vars {
	out := make(Vars, len(v)+1)
	for k, x := range v {
		out[k] = x
	}
	out[name] = value
	return out
}

// Expand returns a copy of p where every ${NAME} in a rule path is replaced
// by its value in v, once (a value holding "${" stays as it is) and the
// path is cleaned, and where every group rule is replaced by a rule for
// each of the group's members on this host (see ExpandOn). A variable
// that v does not set is an error on the rule's line that asks for --var
// NAME=...; so is a path that the values make relative.
//
// Rules that become the same path merge into the first one: their access
// is the union, and the merged rule is optional (or learned) only if both
// may be skipped when missing (a required grant stays required). Comments
// are joined.
func (p *Policy) Expand(v Vars) (*Policy, error) {
	return p.ExpandOn(v, Host{})
}

// ExpandOn is Expand with the groups resolved on host h. A group's
// members get rules that are skipped when missing (Optional) and keep the
// group's name in Group; a member that holds the value of ${HOME},
// ${PWD} or ${TMPDIR} is split around it, so that a group never grants
// the user's files. A group with no member on h grants nothing, and the
// returned policy's Notes say so: never a silent grant, never a silent
// loss.
func (p *Policy) ExpandOn(v Vars, h Host) (*Policy, error) {
	q, el := p.expandOn(v, h)
	if err := el.err(); err != nil {
		return nil, err
	}
	return q, nil
}

// expandOn is ExpandOn with the rules that expand, beside the problems
// of the others.
func (p *Policy) expandOn(v Vars, h Host) (*Policy, *errorList) {
	q := p.Clone()
	q.Notes = append([]string(nil), p.Notes...)
	q.Trusted = v.trusted()
	el := &errorList{file: p.File}
	fs := make([]FSRule, 0, len(q.FS))
	// Made once, when a rule first needs them: each reads the system.
	var anchors []string
	var pl *places
	for i, r := range q.FS {
		if r.Group != "" {
			if anchors == nil {
				anchors = v.Anchors()
			}
			members, note, ok := expandGroup(p.File, i, r, anchors, h)
			if !ok {
				el.add(r.Line, "group %q is unknown; the groups are %s", r.Group, strings.Join(GroupNames(), ", "))
			}
			if note != "" {
				q.Notes = append(q.Notes, note)
			}
			fs = append(fs, members...)
			continue
		}
		exp, missing := expandVars(r.Path, v)
		switch {
		case missing != "":
			el.add(r.Line, "variable ${%s} in %s is not set; pass --var %s=/some/path", missing, r.Path, missing)
			continue
		case !strings.HasPrefix(exp, "/"):
			el.add(r.Line, "path %s expands to %q, which is not absolute; give the variable an absolute value with --var", r.Path, exp)
			continue
		}
		r.Path = filepath.Clean(exp)
		if _, ok := rootVar(p.FS[i].Path); ok {
			if pl == nil {
				pl = newPlaces(v, h)
			}
			if msg := pl.tooWide(p.FS[i].Path, r.Path, r.Access, v, h); msg != "" {
				el.add(r.Line, "%s", msg)
				continue
			}
		}
		if n := sharedNote(p.FS[i].Path, r.Path, r.Access, h); n != "" {
			q.Notes = append(q.Notes, n)
		}
		fs = append(fs, r)
	}
	q.FS = mergeSamePaths(fs)
	return q, el
}

// LaterVariable reports whether rule path p holds "${" after its leading
// variable: a learned path has at most one, the ${NAME} that minimize
// puts for a prefix (${PWD}/out), so a later one is a file name's literal
// "${" (Maven's ${project.basedir}), which expansion would replace.
func LaterVariable(p string) bool {
	if strings.HasPrefix(p, "${") {
		if i := strings.IndexByte(p, '}'); i > 0 {
			p = p[i+1:]
		}
	}
	return strings.Contains(p, "${")
}

// ExpandGroups returns a copy of p where every group rule is replaced by
// its members on host h, as ExpandOn does, and nothing else changes:
// for tools that cannot express groups (landlockconfig), which keep the
// ${VARS} of path rules. v gives the anchors a group must not grant.
// Unknown groups are left out and named in Notes.
func (p *Policy) ExpandGroups(v Vars, h Host) *Policy {
	q := p.Clone()
	q.Notes = append([]string(nil), p.Notes...)
	q.FS = q.FS[:0]
	var anchors []string
	for i, r := range p.FS {
		if r.Group == "" {
			q.FS = append(q.FS, r)
			continue
		}
		if anchors == nil {
			anchors = v.Anchors()
		}
		members, note, ok := expandGroup(p.File, i, r, anchors, h)
		if !ok {
			note = fmt.Sprintf("%s: group %q is unknown, left out", where(p.File, ruleWhere("fs", i, r.Line)), r.Group)
		}
		if note != "" {
			q.Notes = append(q.Notes, note)
		}
		q.FS = append(q.FS, members...)
	}
	q.FS = mergeSamePaths(q.FS)
	return q
}

// expandGroup returns the rules that group rule r (the i-th of file)
// stands for on host h, split around anchors (Vars.Anchors), and a note
// when it stands for nothing; ok is false for an unknown group.
func expandGroup(file string, i int, r FSRule, anchors []string, h Host) (rules []FSRule, note string, ok bool) {
	g, ok := LookupGroup(r.Group)
	if !ok {
		return nil, "", false
	}
	members := g.Members(h, anchors)
	if len(members) == 0 {
		note = fmt.Sprintf("%s: group %s has no member on this host, so it grants nothing here",
			where(file, ruleWhere("fs", i, r.Line)), r.Group)
	}
	for _, m := range members {
		rules = append(rules, FSRule{Path: m, Group: r.Group, Access: r.Access, Optional: true, Comment: r.Comment, Line: r.Line})
	}
	return rules, note, true
}

// where prefixes a rule's description with the file it is in.
func where(file, rule string) string {
	if file == "" {
		return rule
	}
	return file + ": " + rule
}

// Anchors are the directories a group must never grant: the values of
// ${HOME}, ${PWD} and ${TMPDIR}, as given, with symlinks resolved, and
// under the other names a bind mount gives them (mountAliases).
// Group.Members splits a member around them.
func (v Vars) Anchors() []string {
	out := []string{}
	var mounts []mount
	for _, name := range []string{"HOME", "PWD", "TMPDIR"} {
		val := v[name]
		if !filepath.IsAbs(val) {
			continue
		}
		val = filepath.Clean(val)
		out = append(out, val)
		r, err := filepath.EvalSymlinks(val)
		if err != nil {
			continue
		}
		if r != val {
			out = append(out, r)
		}
		if mounts == nil {
			mounts = readMounts()
		}
		out = append(out, mountAliases(mounts, r)...)
	}
	return out
}

// trusted are the values of ${HOME} and ${PWD}, for Policy.Trusted.
func (v Vars) trusted() []string {
	var out []string
	for _, name := range []string{"HOME", "PWD"} {
		if val := v[name]; filepath.IsAbs(val) {
			out = append(out, filepath.Clean(val))
		}
	}
	return out
}

// mergeSamePaths merges rules that name the same path into the first of
// them (mergeFS), keeping the order of first appearance. It reuses the
// backing array of rules.
func mergeSamePaths(rules []FSRule) []FSRule {
	byPath := map[string]int{}
	out := rules[:0]
	for _, r := range rules {
		if i, dup := byPath[r.Path]; dup {
			out[i] = mergeFS(out[i], r)
			continue
		}
		byPath[r.Path] = len(out)
		out = append(out, r)
	}
	return out
}

// mergeFS merges rule b into rule a, which keeps its place and line.
// The merged rule may be skipped when missing only if both could be.
func mergeFS(a, b FSRule) FSRule {
	a.Access |= b.Access
	skippable := (a.Optional || a.Learned) && (b.Optional || b.Learned)
	a.Optional = a.Optional && b.Optional
	a.Learned = skippable && !a.Optional
	if a.Group == "" {
		a.Group = b.Group
	}
	a.Comment = joinComments(a.Comment, b.Comment)
	return a
}

func joinComments(a, b string) string {
	switch {
	case b == "" || a == b:
		return a
	case a == "":
		return b
	}
	return a + "\n" + b
}

// expandVars replaces each ${NAME} of s by v[NAME]; missing is the first
// name that v lacks (or has empty).
func expandVars(s string, v Vars) (out, missing string) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), ""
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String(), ""
		}
		name := s[i+2 : i+j]
		val := v[name]
		if val == "" {
			return "", name
		}
		b.WriteString(s[:i])
		b.WriteString(val)
		s = s[i+j+1:]
	}
}

// Abstract is the opposite of Expand, for learning: it replaces the
// longest prefix of the absolute path p that is the value of a variable
// by ${NAME}, so that /home/alice/.cache/app/x becomes
// ${XDG_CACHE_HOME}/app/x. Values match whole path components only
// (/tmpfoo is not under /tmp) and are compared both as given and with
// their symlinks resolved, because observed paths are resolved (a TMPDIR
// of /var/tmp -> /tmp still matches). A value of "/" or "" is never used.
// Ties between variables of the same value go to the alphabetically
// first name, so the result does not depend on map order.
//
// Abstract resolves symlinks of every value on each call; to abstract
// many paths, use Abstracter.
func (v Vars) Abstract(p string) string {
	return v.Abstracter()(p)
}

// Abstracter returns Abstract with the variables' values resolved once.
func (v Vars) Abstracter() func(p string) string {
	type cand struct{ name, value string }
	var cands []cand
	for name, val := range v {
		if !filepath.IsAbs(val) {
			continue
		}
		val = filepath.Clean(val)
		vals := []string{val}
		if r, err := filepath.EvalSymlinks(val); err == nil && r != val {
			vals = append(vals, r)
		}
		for _, x := range vals {
			if x != "/" {
				cands = append(cands, cand{name, x})
			}
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		if len(cands[i].value) != len(cands[j].value) {
			return len(cands[i].value) > len(cands[j].value)
		}
		return cands[i].name < cands[j].name
	})
	return func(p string) string {
		for _, c := range cands {
			if p == c.value || strings.HasPrefix(p, c.value+"/") {
				return "${" + c.name + "}" + p[len(c.value):]
			}
		}
		return p
	}
}
