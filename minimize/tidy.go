package minimize

import (
	"path"

	"github.com/landlearn/landlearn/policy"
)

// Tidy applies rule 9 to a policy that was not made by Policy, such as
// the merge of an old policy with a new run (learn --merge): each fs rule
// loses the rights that a rule on an ancestor path already grants, and a
// rule left with none goes. It returns how many rules it removed.
//
// Paths are compared as written, variables unexpanded (${PWD}/src is
// beneath ${PWD}, not beneath /home/alice), so Tidy never removes a grant
// that expansion would not also cover. Optional ancestors do not count:
// they are skipped when missing, and the rights beneath them with them.
func Tidy(p *policy.Policy) int {
	granted := map[string]policy.FSAccess{}
	for _, r := range p.FS {
		if !r.Optional {
			granted[path.Clean(r.Path)] |= r.Access
		}
	}
	above := func(q string) policy.FSAccess {
		var a policy.FSAccess
		for {
			parent := path.Dir(q) // ends at "/", or at "." for ${VAR}
			if parent == q {
				return a
			}
			q = parent
			a |= granted[q]
		}
	}
	trimmed := make([]policy.FSAccess, len(p.FS))
	for i, r := range p.FS {
		trimmed[i] = r.Access &^ above(path.Clean(r.Path))
	}
	out := p.FS[:0]
	removed := 0
	for i, r := range p.FS {
		r.Access = trimmed[i]
		if r.Access == 0 {
			removed++
			continue
		}
		out = append(out, r)
	}
	p.FS = out
	return removed
}
