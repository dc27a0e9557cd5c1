package policy

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// Clone returns a deep copy of p.
func (p *Policy) Clone() *Policy {
	q := *p
	q.FS = append([]FSRule(nil), p.FS...)
	q.Net = append([]NetRule(nil), p.Net...)
	return &q
}

// Sort orders the rules as landlearn writes them: fs rules by path, net
// rules by port. It is stable, so equal keys (possible only in a policy
// that does not validate) keep their order.
func (p *Policy) Sort() {
	sort.SliceStable(p.FS, func(i, j int) bool { return p.FS[i].Path < p.FS[j].Path })
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
		byPath[pathKey(r.Path)] = i
	}
	for _, r := range b.FS {
		if i, ok := byPath[pathKey(r.Path)]; ok {
			m.FS[i] = mergeFS(m.FS[i], r)
			continue
		}
		byPath[pathKey(r.Path)] = len(m.FS)
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

// ChangeKind says how a grant differs between two policies.
type ChangeKind int

const (
	// Added is in the new policy only.
	Added ChangeKind = iota + 1
	// Removed is in the old policy only.
	Removed
	// Changed is in both, with other rights or settings.
	Changed
)

func (k ChangeKind) String() string {
	switch k {
	case Added:
		return "added"
	case Removed:
		return "removed"
	case Changed:
		return "changed"
	}
	return fmt.Sprintf("ChangeKind(%d)", int(k))
}

// Change is one difference between two policies, as Diff reports it.
//
// Section is "abi", "compat", "handled.fs", "handled.net",
// "handled.scoped", "fs" or "net". Key is the rule's path (as written,
// variables unexpanded) or port for fs and net, and the section name
// otherwise. Old and New are the rights before and after (0 for the
// missing side of Added and Removed); for "abi" they hold the ABI
// numbers, and for "compat" 0 stands for best-effort and 1 for strict.
// OldOptional and NewOptional are the fs rules' optional flags.
type Change struct {
	Kind             ChangeKind
	Section          string
	Key              string
	Old, New         Access
	OldLine, NewLine int

	OldOptional, NewOptional bool
}

// Granted is what the change adds (for fs, net and handled sections).
func (c Change) Granted() Access { return c.New &^ c.Old }

// Revoked is what the change takes away.
func (c Change) Revoked() Access { return c.Old &^ c.New }

// String is one line for people, such as
// "changed fs /usr: +[write_file] -[execute]".
func (c Change) String() string {
	kind := map[string]Kind{"fs": KindFS, "handled.fs": KindFS, "net": KindNet,
		"handled.net": KindNet, "handled.scoped": KindScope}
	switch c.Section {
	case "abi":
		return fmt.Sprintf("changed abi: %d -> %d", c.Old, c.New)
	case "compat":
		names := [2]Compat{BestEffort, Strict}
		return fmt.Sprintf("changed compat: %s -> %s", names[c.Old&1], names[c.New&1])
	}
	k := kind[c.Section]
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", c.Kind, c.Section)
	if !strings.HasPrefix(c.Section, "handled") {
		fmt.Fprintf(&b, " %s", c.Key)
	}
	b.WriteString(":")
	if g := c.Granted(); g != 0 {
		fmt.Fprintf(&b, " +[%s]", strings.Join(g.Names(k), ", "))
	}
	if r := c.Revoked(); r != 0 {
		fmt.Fprintf(&b, " -[%s]", strings.Join(r.Names(k), ", "))
	}
	if c.OldOptional != c.NewOptional && c.Kind == Changed {
		fmt.Fprintf(&b, " optional: %t -> %t", c.OldOptional, c.NewOptional)
	}
	return b.String()
}

// Diff lists how after differs from before: ABI, compat, each handled kind,
// then fs rules by path and net rules by port, each section sorted by key,
// so the same two policies always give the same list. Paths are compared
// as written (/usr/ is /usr; ${HOME} is not /home/alice): diff policies
// that are both expanded or both not. An empty list means they grant and
// restrict the same; comments and rule order do not count.
func Diff(before, after *Policy) []Change {
	var out []Change
	if before.ABI != after.ABI {
		out = append(out, Change{Kind: Changed, Section: "abi", Key: "abi", Old: Access(before.ABI), New: Access(after.ABI)})
	}
	if compatBit(before.Compat) != compatBit(after.Compat) {
		out = append(out, Change{Kind: Changed, Section: "compat", Key: "compat", Old: compatBit(before.Compat), New: compatBit(after.Compat)})
	}
	for k, pair := range [3][2]Access{
		{before.Handled.FS, after.Handled.FS},
		{before.Handled.Net, after.Handled.Net},
		{before.Handled.Scoped, after.Handled.Scoped},
	} {
		if pair[0] != pair[1] {
			s := "handled." + handledKeys[k]
			out = append(out, Change{Kind: Changed, Section: s, Key: s, Old: pair[0], New: pair[1]})
		}
	}

	type side struct {
		access   Access
		line     int
		optional bool
		ok       bool
	}
	fs := map[string]*[2]side{}
	var paths []string
	for i, p := range []*Policy{before, after} {
		for _, r := range p.FS {
			k := pathKey(r.Path)
			e := fs[k]
			if e == nil {
				e = &[2]side{}
				fs[k] = e
				paths = append(paths, k)
			}
			e[i] = side{e[i].access | r.Access, r.Line, r.Optional, true}
		}
	}
	sort.Strings(paths)
	for _, k := range paths {
		e := fs[k]
		c := Change{Section: "fs", Key: k, Old: e[0].access, New: e[1].access,
			OldLine: e[0].line, NewLine: e[1].line, OldOptional: e[0].optional, NewOptional: e[1].optional}
		switch {
		case !e[0].ok:
			c.Kind = Added
		case !e[1].ok:
			c.Kind = Removed
		case c.Old != c.New || c.OldOptional != c.NewOptional:
			c.Kind = Changed
		default:
			continue
		}
		out = append(out, c)
	}

	net := map[uint16]*[2]side{}
	var ports []int
	for i, p := range []*Policy{before, after} {
		for _, r := range p.Net {
			e := net[r.Port]
			if e == nil {
				e = &[2]side{}
				net[r.Port] = e
				ports = append(ports, int(r.Port))
			}
			e[i] = side{e[i].access | r.Access, r.Line, false, true}
		}
	}
	sort.Ints(ports)
	for _, port := range ports {
		e := net[uint16(port)]
		c := Change{Section: "net", Key: fmt.Sprint(port), Old: e[0].access, New: e[1].access,
			OldLine: e[0].line, NewLine: e[1].line}
		switch {
		case !e[0].ok:
			c.Kind = Added
		case !e[1].ok:
			c.Kind = Removed
		case c.Old != c.New:
			c.Kind = Changed
		default:
			continue
		}
		out = append(out, c)
	}
	return out
}

func compatBit(c Compat) Access {
	if c == Strict {
		return 1
	}
	return 0
}

// covers reports whether a rule on rulePath applies to path: Landlock
// rules apply to the inode they name and to everything beneath it.
// Both are compared as absolute, cleaned strings: callers pass resolved
// paths and an expanded (and, for exactness, symlink-resolved) policy.
func covers(rulePath, path string) bool {
	rp := pathKey(rulePath)
	if rp == "/" {
		return strings.HasPrefix(path, "/")
	}
	return strings.HasPrefix(path, rp) && (len(path) == len(rp) || path[len(rp)] == '/')
}

// CoveringFS returns the indexes of the fs rules that apply to path: the
// rules on path itself and on each of its ancestors. A rule that covers
// no observed path was never used.
func (p *Policy) CoveringFS(path string) []int {
	path = cleanAbs(path)
	var out []int
	for i, r := range p.FS {
		if covers(r.Path, path) {
			out = append(out, i)
		}
	}
	return out
}

func cleanAbs(p string) string {
	if strings.HasPrefix(p, "/") {
		return filepath.Clean(p)
	}
	return p
}

// AllowedFS is what the policy allows on path: the union of the access of
// every rule on path or an ancestor (this is how Landlock evaluates a path
// walk), plus every fs right the policy does not handle.
func (p *Policy) AllowedFS(path string) FSAccess {
	path = cleanAbs(path)
	allowed := AllAt(KindFS, NewestABI) &^ p.Handled.FS
	for _, r := range p.FS {
		if covers(r.Path, path) {
			allowed |= r.Access
		}
	}
	return allowed
}

// MissingFS returns the rights of want that the policy does not allow on
// the absolute path: want minus AllowedFS(path). Rights granted by a rule
// on a directory apply to everything beneath it, file rights (read_file,
// write_file...) to the files beneath; rights that are not handled are
// always allowed. The path should be resolved as the kernel resolves it
// (the observations are), and the policy expanded (Expand) and, where
// its rule paths go through symlinks, resolved (ResolveSymlinks).
//
// It answers for one object. A rename or link across directories also
// needs the moved object to gain no right at its destination, which the
// caller checks with AllowedFS on both sides.
func (p *Policy) MissingFS(path string, want FSAccess) FSAccess {
	return want &^ p.AllowedFS(path)
}

// MissingNet returns the rights of want that the policy does not allow on
// TCP port: net rules match the port exactly, and unhandled rights are
// always allowed.
func (p *Policy) MissingNet(port uint16, want NetAccess) NetAccess {
	allowed := AllAt(KindNet, NewestABI) &^ p.Handled.Net
	for _, r := range p.Net {
		if r.Port == port {
			allowed |= r.Access
		}
	}
	return want &^ allowed
}

// ScopesDenied returns the scopes of need that the policy restricts.
// need holds the scopes a program needs left off (it signalled a process
// outside its domain, or reached an abstract unix socket outside it);
// scopes have no rules, so any of them that is handled is denied.
func (p *Policy) ScopesDenied(need Scopes) Scopes {
	return need & p.Handled.Scoped
}
