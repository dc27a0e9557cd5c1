package policy

import (
	"sort"
)

// Clone returns a deep copy of p.
func (p *Policy) Clone() *Policy {
	q := *p
	q.FS = append([]FSRule(nil), p.FS...)
	q.Net = append([]NetRule(nil), p.Net...)
	return &q
}

// Sort orders the rules as landlearn writes them: group rules first, in
// the order of the group table, then fs rules by path, then net rules by
// port. It is stable, so equal keys (possible only in a policy that does
// not validate) keep their order.
func (p *Policy) Sort() {
	sort.SliceStable(p.FS, func(i, j int) bool {
		a, b := p.FS[i], p.FS[j]
		if (a.Group != "") != (b.Group != "") {
			return a.Group != ""
		}
		if a.Group != "" {
			return groupIndex(a.Group) < groupIndex(b.Group)
		}
		return a.Path < b.Path
	})
	sort.SliceStable(p.Net, func(i, j int) bool { return p.Net[i].Port < p.Net[j].Port })
}

// Merge returns the union of a and b, for learn --merge: every rule of
// both (rules for the same path or port merge: union of access, optional
// only if both are), the union of what they handle, the larger ABI, and
// strict if either is strict. Variables are compared as written, so merge
// policies that are both expanded or both unexpanded. Rules keep a's
// order, then b's new ones; the file name, top comment and lines are a's
// where a has them. Either may be nil.
//
// The union of handled can take rights away from b's paths: if only a
// handles write_file, b's rules do not grant it, and the merged policy
// denies it there. That is the least-privilege reading, and what learn
// wants (the new run's observations are in b).
func Merge(a, b *Policy) *Policy {
	switch {
	case a == nil && b == nil:
		return nil
	case a == nil:
		return b.Clone()
	case b == nil:
		return a.Clone()
	}
	m := a.Clone()
	m.Version = SchemaVersion
	m.ABI = max(a.ABI, b.ABI)
	if a.Compat == Strict || b.Compat == Strict {
		m.Compat = Strict
	}
	m.Handled.FS |= b.Handled.FS
	m.Handled.Net |= b.Handled.Net
	m.Handled.Scoped |= b.Handled.Scoped
	if m.Comment == "" {
		m.Comment = b.Comment
	}
	if m.File == "" {
		m.File = b.File
	}
	byPath := map[string]int{}
	for i, r := range m.FS {
		byPath[r.key()] = i
	}
	for _, r := range b.FS {
		if i, ok := byPath[r.key()]; ok {
			m.FS[i] = mergeFS(m.FS[i], r)
			continue
		}
		byPath[r.key()] = len(m.FS)
		m.FS = append(m.FS, r)
	}
	byPort := map[uint16]int{}
	for i, r := range m.Net {
		byPort[r.Port] = i
	}
	for _, r := range b.Net {
		if i, ok := byPort[r.Port]; ok {
			m.Net[i].Access |= r.Access
			m.Net[i].Comment = joinComments(m.Net[i].Comment, r.Comment)
			continue
		}
		byPort[r.Port] = len(m.Net)
		m.Net = append(m.Net, r)
	}
	return m
}

// key is what two fs rules for the same place share: the group's name,
// or the path as pathKey compares it.
func (r FSRule) key() string {
	if r.Group != "" && r.Path == "" {
		return "group " + r.Group
	}
	return pathKey(r.Path)
}

// groupIndex is a group's place in the table, for sorting; unknown
// names go last.
func groupIndex(name string) int {
	for i, g := range groups {
		if g.Name == name {
			return i
		}
	}
	return len(groups)
}
