package policy

import (
	"fmt"
	"sort"
	"strings"
)

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
// missing side of Added and Removed), as the mask of the section's set
// type (FSAccess, NetAccess or ScopeSet: Names names them); for "abi"
// they hold the ABI numbers, and for "compat" 0 stands for best-effort
// and 1 for strict.
// OldOptional and NewOptional are the fs rules' optional flags, and
// OldLearned and NewLearned their learned flags: both decide whether a
// missing path is skipped or an error.
type Change struct {
	Kind             ChangeKind
	Section          string
	Key              string
	Old, New         uint64
	OldLine, NewLine int

	OldOptional, NewOptional bool
	OldLearned, NewLearned   bool

	// Note says, for people, what the change means beyond its rights
	// (diff of a per-file policy against a grouped one: "still granted
	// by group system"); Diff leaves it empty for its callers to fill.
	Note string
}

// Granted is what the change adds (for fs, net and handled sections).
func (c Change) Granted() uint64 { return c.New &^ c.Old }

// Revoked is what the change takes away.
func (c Change) Revoked() uint64 { return c.Old &^ c.New }

// Names names the rights of mask m (Old, New, Granted or Revoked) as
// rights of the change's section: fs rights for "fs" and "handled.fs",
// net rights for "net" and "handled.net", scopes for "handled.scoped".
func (c Change) Names(m uint64) []string { return names(sectionKind[c.Section], m) }

// sectionKind is the kind of the rights of each section of a Change.
var sectionKind = map[string]Kind{"fs": KindFS, "handled.fs": KindFS, "net": KindNet,
	"handled.net": KindNet, "handled.scoped": KindScope}

// String is one line for people, such as
// "changed fs /usr: +[write_file] -[execute]".
func (c Change) String() string {
	switch c.Section {
	case "abi":
		return fmt.Sprintf("changed abi: %d -> %d", c.Old, c.New)
	case "compat":
		names := [2]Compat{BestEffort, Strict}
		return fmt.Sprintf("changed compat: %s -> %s", names[c.Old&1], names[c.New&1])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", c.Kind, c.Section)
	if !strings.HasPrefix(c.Section, "handled") {
		fmt.Fprintf(&b, " %s", c.Key)
	}
	b.WriteString(":")
	if g := c.Granted(); g != 0 {
		fmt.Fprintf(&b, " +[%s]", strings.Join(c.Names(g), ", "))
	}
	if r := c.Revoked(); r != 0 {
		fmt.Fprintf(&b, " -[%s]", strings.Join(c.Names(r), ", "))
	}
	if c.OldOptional != c.NewOptional && c.Kind == Changed {
		fmt.Fprintf(&b, " optional: %t -> %t", c.OldOptional, c.NewOptional)
	}
	if c.OldLearned != c.NewLearned && c.Kind == Changed {
		fmt.Fprintf(&b, " learned: %t -> %t", c.OldLearned, c.NewLearned)
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
		out = append(out, Change{Kind: Changed, Section: "abi", Key: "abi", Old: uint64(before.ABI), New: uint64(after.ABI)})
	}
	if compatBit(before.Compat) != compatBit(after.Compat) {
		out = append(out, Change{Kind: Changed, Section: "compat", Key: "compat", Old: compatBit(before.Compat), New: compatBit(after.Compat)})
	}
	for k, pair := range [3][2]uint64{
		{uint64(before.Handled.FS), uint64(after.Handled.FS)},
		{uint64(before.Handled.Net), uint64(after.Handled.Net)},
		{uint64(before.Handled.Scoped), uint64(after.Handled.Scoped)},
	} {
		if pair[0] != pair[1] {
			s := "handled." + handledKeys[k]
			out = append(out, Change{Kind: Changed, Section: s, Key: s, Old: pair[0], New: pair[1]})
		}
	}

	type side struct {
		access   uint64
		line     int
		optional bool
		learned  bool
		ok       bool
	}
	fs := map[string]*[2]side{}
	var paths []string
	for i, p := range []*Policy{before, after} {
		for _, r := range p.FS {
			k := r.key()
			e := fs[k]
			if e == nil {
				e = &[2]side{}
				fs[k] = e
				paths = append(paths, k)
			}
			e[i] = side{e[i].access | uint64(r.Access), r.Line, r.Optional, r.Learned, true}
		}
	}
	sort.Strings(paths)
	for _, k := range paths {
		e := fs[k]
		c := Change{Section: "fs", Key: k, Old: e[0].access, New: e[1].access,
			OldLine: e[0].line, NewLine: e[1].line, OldOptional: e[0].optional, NewOptional: e[1].optional,
			OldLearned: e[0].learned, NewLearned: e[1].learned}
		switch {
		case !e[0].ok:
			c.Kind = Added
		case !e[1].ok:
			c.Kind = Removed
		case c.Old != c.New || c.OldOptional != c.NewOptional || c.OldLearned != c.NewLearned:
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
			e[i] = side{access: e[i].access | uint64(r.Access), line: r.Line, ok: true}
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

func compatBit(c Compat) uint64 {
	if c == Strict {
		return 1
	}
	return 0
}
