package policy

import (
	"fmt"
	"path"
	"strings"
)

// Validate runs the checks of Load on a policy built in memory, such as a
// learned one before it is written: a file landlearn writes must load.
// Messages name p.File and the rules' lines when they are set, and the
// rule's position otherwise. The file system is not consulted: see
// CheckFilesystem.
func (p *Policy) Validate() error {
	el := &errorList{file: p.File}
	validate(p, &positions{}, el)
	return el.err()
}

// linuxOf is the first Linux release of each ABI landlearn enforces, for
// messages that tell which kernel a right needs.
var linuxOf = map[int]string{1: "5.13", 2: "5.19", 3: "6.2", 4: "6.7", 5: "6.10", 6: "6.12", 7: "6.15"}

func abiText(abi int) string {
	if v, ok := linuxOf[abi]; ok {
		return fmt.Sprintf("ABI %d (Linux %s)", abi, v)
	}
	return fmt.Sprintf("ABI %d", abi)
}

// lineOr returns the line of right bit in m, or fallback.
func lineOr(m map[uint64]int, bit uint64, fallback int) int {
	if l, ok := m[bit]; ok && l > 0 {
		return l
	}
	return fallback
}

// validate appends the semantic problems of p to el. pos gives lines for
// a loaded policy; its zero value is fine for a built one.
func validate(p *Policy, pos *positions, el *errorList) {
	switch {
	case p.Version > SchemaVersion:
		el.add(pos.version, "version %d was written by a newer landlearn; this one reads versions %d to %d: upgrade landlearn",
			p.Version, OldestSchemaVersion, SchemaVersion)
	case p.Version < OldestSchemaVersion:
		el.add(pos.version, "version %d is not a policy schema version; this landlearn reads versions %d to %d",
			p.Version, OldestSchemaVersion, SchemaVersion)
	}
	if p.ABI < 1 || p.ABI > NewestABI {
		el.add(pos.abi, "abi %d is not a Landlock ABI version landlearn knows (1..%d)", p.ABI, NewestABI)
		return // every right check below depends on it
	}
	if p.Compat != BestEffort && p.Compat != Strict {
		el.add(pos.compat, "compat %q is unknown; %s", p.Compat, suggest(string(p.Compat), string(BestEffort), string(Strict)))
	}
	masks := [3]uint64{uint64(p.Handled.FS), uint64(p.Handled.Net), uint64(p.Handled.Scoped)}
	for k, m := range masks {
		what := "handled." + handledKeys[k]
		if extra := m &^ allAt(Kind(k), NewestABI); extra != 0 {
			el.add(pos.handled[k], "%s holds unknown bits %#x", what, extra)
		}
		for _, r := range rights {
			if r.Kind == Kind(k) && m&r.Bit != 0 && r.ABI > p.ABI {
				el.add(lineOr(pos.handledRight[k], r.Bit, pos.handled[k]),
					"%s: right %s needs %s but abi is %d; raise abi to %d or remove %s",
					what, r.Name, abiText(r.ABI), p.ABI, r.ABI, r.Name)
			}
		}
	}

	seenPath := map[string]int{}
	for i, r := range p.FS {
		where := ruleWhere("fs", i, r.Line)
		if pos.badPath[i] {
			continue // the parser has reported it; no right check without a path either
		}
		key := pathKey(r.Path)
		if r.Group != "" {
			key = "group " + r.Group
			checkGroupRule(p, r, pos.version, el)
		} else if msg := checkPath(r.Path); msg != "" {
			el.add(r.Line, "%s", msg)
			key = ""
		} else if r.Learned && p.Version < 2 && pos.version == 0 {
			el.add(r.Line, "%s is learned, which needs version 2 of the policy schema", where)
		}
		if j, dup := seenPath[key]; dup && key != "" {
			what := "path " + r.Path
			if r.Group != "" {
				what = "group " + r.Group
			}
			el.add(r.Line, "%s is already granted by %s; merge the two rules into one",
				what, ruleWhere("fs", j, p.FS[j].Line))
		} else if key != "" {
			seenPath[key] = i
		}
		var lines map[uint64]int
		loaded := i < len(pos.fsRight)
		if loaded {
			lines = pos.fsRight[i]
		}
		checkRuleAccess(p, KindFS, uint64(r.Access), uint64(p.Handled.FS), lines, loaded, r.Line, where, el)
	}
	seenPort := map[uint16]int{}
	for i, r := range p.Net {
		where := ruleWhere("net", i, r.Line)
		switch j, dup := seenPort[r.Port]; {
		case pos.badPort[i]:
			// refused by the parser already: its zero is no port 0
		case dup:
			el.add(r.Line, "port %d is already granted by %s; merge the two rules into one",
				r.Port, ruleWhere("net", j, p.Net[j].Line))
		default:
			seenPort[r.Port] = i
		}
		var lines map[uint64]int
		loaded := i < len(pos.netRight)
		if loaded {
			lines = pos.netRight[i]
		}
		checkRuleAccess(p, KindNet, uint64(r.Access), uint64(p.Handled.Net), lines, loaded, r.Line, where, el)
	}
}

// checkGroupRule checks what only a group rule can get wrong, in a
// policy built in memory as well as a loaded one (whose parser has
// already refused unknown groups and groups in version 1).
func checkGroupRule(p *Policy, r FSRule, versionLine int, el *errorList) {
	g, known := LookupGroup(r.Group)
	if !known && versionLine == 0 {
		el.add(r.Line, "group %q is unknown; the groups are %s", r.Group, strings.Join(GroupNames(), ", "))
		return
	}
	if p.Version < 2 && versionLine == 0 {
		el.add(r.Line, "group %s needs version 2 of the policy schema", r.Group)
	}
	if extra := r.Access &^ GroupRights; extra != 0 {
		el.add(r.Line, "group %s is read-only: a group rule may grant %s, not %s; grant those in a rule with a path",
			g.Name, GroupRights, extra)
	}
	if r.Optional {
		el.add(r.Line, "optional does not apply to a group: members missing on a host are always skipped; remove it")
	}
	if r.Learned {
		el.add(r.Line, "learned does not apply to a group: members missing on a host are always skipped; remove it")
	}
}

// ruleWhere names a rule for messages: by line when loaded, by position
// when built in memory.
func ruleWhere(section string, i, line int) string {
	if line > 0 {
		return fmt.Sprintf("the rule on line %d", line)
	}
	return fmt.Sprintf("%s rule %d", section, i+1)
}

func checkRuleAccess(p *Policy, k Kind, a, handled uint64, lines map[uint64]int, loaded bool, line int, where string, el *errorList) {
	if a == 0 {
		if !loaded {
			// The parser already reported a loaded rule without rights.
			el.add(line, "%s grants nothing (access is empty); list at least one right or remove the rule", where)
		}
		return
	}
	if extra := a &^ allAt(k, NewestABI); extra != 0 {
		el.add(line, "%s holds unknown %s bits %#x", where, k, extra)
	}
	for _, r := range rights {
		bit := r.Bit
		if r.Kind != k || a&bit == 0 {
			continue
		}
		l := lineOr(lines, bit, line)
		switch {
		case r.ABI > p.ABI:
			el.add(l, "right %s needs %s but abi is %d; raise abi to %d or remove %s",
				r.Name, abiText(r.ABI), p.ABI, r.ABI, r.Name)
		case handled&bit == 0:
			el.add(l, "right %s is granted but not handled, so it is allowed everywhere anyway; add %s to handled.%s or remove it here",
				r.Name, r.Name, handledKeys[k])
		}
	}
}

// checkPath returns what is wrong with a rule path as written (before
// expansion), or "".
func checkPath(p string) string {
	switch {
	case p == "":
		return "path is empty; write an absolute path such as /usr or ${HOME}/.config/app"
	case strings.ContainsRune(p, 0):
		return fmt.Sprintf("path %q holds a NUL byte", p)
	}
	if msg := checkVars(p); msg != "" {
		return msg
	}
	if !strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "${") {
		return fmt.Sprintf("path %q is relative; write an absolute path such as %s", p, absoluteHint(p))
	}
	return ""
}

// absoluteHint turns a relative path into the absolute spelling the user
// probably meant.
func absoluteHint(p string) string {
	switch {
	case p == "~" || strings.HasPrefix(p, "~/"):
		return "${HOME}" + p[1:]
	case strings.HasPrefix(p, "$"):
		name := p[1:]
		rest := ""
		if i := strings.IndexByte(name, '/'); i >= 0 {
			name, rest = name[:i], name[i:]
		}
		return "${" + name + "}" + rest
	}
	c := path.Clean(p)
	if c == "." {
		return "${PWD}"
	}
	return "${PWD}/" + c
}

// checkVars checks the ${NAME} references of p.
func checkVars(p string) string {
	for rest := p; ; {
		i := strings.Index(rest, "${")
		if i < 0 {
			return ""
		}
		rest = rest[i+2:]
		j := strings.IndexByte(rest, '}')
		if j < 0 {
			return fmt.Sprintf("path %q has a ${ without its }; write ${NAME}", p)
		}
		if name := rest[:j]; !validVarName(name) {
			return fmt.Sprintf("path %q uses ${%s}; a variable name is letters, digits and _ (like ${HOME})", p, name)
		}
		rest = rest[j+1:]
	}
}

func validVarName(name string) bool {
	if name == "" {
		return false
	}
	for i, c := range name {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// IsClean reports whether p is absolute and already what path.Clean
// would make of it: "/", or no empty, "." or ".." element and no
// trailing slash. That is true of nearly every path a tracer reports, so
// a caller can skip Clean's work (minimize does, per observation).
func IsClean(p string) bool {
	if p == "/" {
		return true
	}
	if len(p) == 0 || p[0] != '/' || p[len(p)-1] == '/' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if p[i] == '.' && p[i-1] == '/' {
			if i+1 == len(p) || p[i+1] == '/' || (p[i+1] == '.' && (i+2 == len(p) || p[i+2] == '/')) {
				return false
			}
		} else if p[i] == '/' && p[i-1] == '/' {
			return false
		}
	}
	return true
}

// pathKey is the form of a rule path that two rules for the same place
// share: /usr/ and /usr//./ are /usr. Paths with variables are compared
// as written, minus trailing slashes, since ".." after a variable cannot
// be resolved before it is expanded.
func pathKey(p string) string {
	if IsClean(p) {
		return p // the common case, without the cost of Clean on every lookup
	}
	if strings.HasPrefix(p, "/") && !strings.Contains(p, "${") {
		return path.Clean(p)
	}
	if t := strings.TrimRight(p, "/"); t != "" {
		return t
	}
	return p
}
