package minimize

import (
	"fmt"
	"path"

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
// the same way.
//
// The head of old stays too: its ABI, compat, handled rights and top
// comment. A person who narrowed what the policy handles (left truncate
// unhandled, pinned abi: 4 for older kernels) keeps that choice: a right
// old does not handle is never restricted, so learned's rules for it
// are left out rather than handled and granted on this run's paths only.
// learned's top comment is used only where old has none. The one change
// to the head is a scope learned left off because the run needed it off
// (a signal to a process outside the sandbox): a scope has no rules to
// grow, so it is no longer handled.
func Grow(old, learned *policy.Policy, v policy.Vars) *policy.Policy {
	m := old.Clone()
	m.Version = policy.SchemaVersion
	m.Handled.Scoped &^= policy.AllScopes(learned.ABI) &^ learned.Handled.Scoped
	if m.Comment == "" {
		m.Comment = learned.Comment
	}
	index := map[string]int{}
	for i, r := range m.FS {
		index[ruleKey(r)] = i
	}
	for _, r := range learned.FS {
		if r.Access &= old.Handled.FS; r.Access == 0 {
			continue
		}
		granted, _ := old.GrantsOn(r, v, policy.Host{})
		missing := r.Access &^ granted
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
		if r.Access &= old.Handled.Net; r.Access == 0 {
			continue
		}
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
