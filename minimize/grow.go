package minimize

import (
	"fmt"
	"path"
	"strings"

	"github.com/landlearn/landlearn/policy"
)

// Grow returns old grown with what learned grants and old does not, for
// learn --merge. Every rule of old stays as it was written (its path or
// group, its rights, optional, learned, its comment): a person may have
// edited it, and a reviewer must not see a right disappear. A rule of
// learned is left out where old already grants its rights on its path
// (on the path itself, on an ancestor, by name, or through a group, as
// resolved on this host with v's ${HOME}, ${PWD} and ${TMPDIR});
// otherwise what old lacks is added: to old's rule for the same path or
// group, whose comment then says so, or as a new rule. Ports are grown
// the same way. What is handled is the union, as policy.Merge makes it,
// and so are the ABI and compat.
func Grow(old, learned *policy.Policy, v policy.Vars) *policy.Policy {
	head := *learned
	head.FS, head.Net = nil, nil
	m := policy.Merge(old, &head)
	m.FS = append([]policy.FSRule(nil), old.FS...)
	m.Net = append([]policy.NetRule(nil), old.Net...)
	index := map[string]int{}
	for i, r := range m.FS {
		index[ruleKey(r)] = i
	}
	granted := oldGrants(old, v)
	for _, r := range learned.FS {
		missing := r.Access &^ granted(r)
		if missing == 0 {
			continue
		}
		if i, ok := index[ruleKey(r)]; ok {
			m.FS[i].Access |= missing
			m.FS[i].Comment = joinLines(m.FS[i].Comment, fmt.Sprintf("grown by learn --merge with %s", missing))
			continue
		}
		r.Access = missing
		index[ruleKey(r)] = len(m.FS)
		m.FS = append(m.FS, r)
	}
	ports := map[uint16]int{}
	for i, r := range m.Net {
		ports[r.Port] = i
	}
	for _, r := range learned.Net {
		i, ok := ports[r.Port]
		switch {
		case !ok:
			ports[r.Port] = len(m.Net)
			m.Net = append(m.Net, r)
		case r.Access&^m.Net[i].Access != 0:
			missing := r.Access &^ m.Net[i].Access
			m.Net[i].Access |= missing
			m.Net[i].Comment = joinLines(m.Net[i].Comment, fmt.Sprintf("grown by learn --merge with %s", missing))
		}
	}
	return m
}

// oldGrants returns what old grants on a learned rule's path or group:
// the rules on the path and its ancestors, by name, and old's groups
// whose members hold the path on this host.
func oldGrants(old *policy.Policy, v policy.Vars) func(policy.FSRule) policy.FSAccess {
	byName := map[string]policy.FSAccess{}
	type member struct {
		prefix string
		access policy.FSAccess
	}
	var members []member
	anchors := anchorDirs(policy.Vars{"HOME": v["HOME"], "PWD": v["PWD"], "TMPDIR": v["TMPDIR"]})
	for _, r := range old.FS {
		if r.Optional {
			continue // skipped where its path is missing, and what it covers with it
		}
		if r.Group == "" {
			byName[path.Clean(r.Path)] |= r.Access
			continue
		}
		byName["group "+r.Group] |= r.Access
		if g, ok := policy.LookupGroup(r.Group); ok {
			for _, m := range g.Members(policy.Host{}, anchors) {
				members = append(members, member{m, r.Access})
			}
		}
	}
	return func(r policy.FSRule) policy.FSAccess {
		if r.Group != "" {
			return byName["group "+r.Group]
		}
		var a policy.FSAccess
		ancestorsByName(path.Clean(r.Path), true, func(q string) { a |= byName[q] })
		if strings.HasPrefix(r.Path, "/") {
			for _, m := range members {
				if beneath(r.Path, m.prefix) {
					a |= m.access
				}
			}
		}
		return a
	}
}

// ruleKey is what two fs rules for the same place share.
func ruleKey(r policy.FSRule) string {
	if r.Group != "" {
		return "group " + r.Group
	}
	return path.Clean(r.Path)
}

func joinLines(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}
