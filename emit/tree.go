package emit

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/landlearn/landlearn/internal/textsafe"
	"github.com/landlearn/landlearn/policy"
)

// Tree writes the paths p grants as a tree, like tree(1), each granted
// node followed by its rights, then the ports and what the policy
// handles. It is for reviewing a policy at a glance: where a write right
// sits high up in the tree is where to look first.
//
// A rule grants its rights on everything beneath its path, so a node's
// children may hold more rights than it shows but never fewer. Directories
// that only lead to a granted path are folded into one line
// ("usr/share/zoneinfo") when they have a single child; paths that start
// with a variable (${HOME}...) hang from that variable as their own root.
//
//	/
//	├── etc/hostname  [read_file]
//	└── usr  [execute, read_file, read_dir]
//	${HOME}
//	└── .cache/myapp  [write_file, read_file, remove_file, make_reg] (optional)
func Tree(w io.Writer, p *policy.Policy) error { return tree(w, p, nil) }

// Resolution is where a resolved tree is: the variables' values and the
// host whose groups are listed.
type Resolution struct {
	Vars policy.Vars
	Host policy.Host
}

// ResolvedTree is Tree with what the policy becomes on this host: each
// group rule is followed by the paths it stands for here, each variable
// root by its value, and a learned or optional rule whose path is
// missing here says it is skipped. It is what run would enforce; the
// plain tree is what the file says, the same on every host.
func ResolvedTree(w io.Writer, p *policy.Policy, res Resolution) error { return tree(w, p, &res) }

func tree(w io.Writer, p *policy.Policy, res *Resolution) error {
	var b bytes.Buffer
	roots := map[string]*treeNode{}
	for _, r := range p.FS {
		root, parts := splitRulePath(r.Path)
		if r.Group != "" {
			root, parts = "group:"+r.Group, nil
		}
		n := roots[root]
		if n == nil {
			n = &treeNode{name: root}
			roots[root] = n
		}
		for _, part := range parts {
			n = n.child(part)
		}
		n.rules = append(n.rules, r)
	}
	names := make([]string, 0, len(roots))
	for name := range roots {
		names = append(names, name)
	}
	// Groups first, then "/", then the variables in order.
	slices.SortFunc(names, func(a, b string) int {
		if ga, gb := strings.HasPrefix(a, "group:"), strings.HasPrefix(b, "group:"); ga != gb {
			if ga {
				return -1
			}
			return 1
		} else if ga {
			return slices.Index(policy.GroupNames(), a[len("group:"):]) - slices.Index(policy.GroupNames(), b[len("group:"):])
		}
		if (a == "/") != (b == "/") {
			if a == "/" {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	if len(names) == 0 {
		b.WriteString("(no paths granted)\n")
	}
	for _, name := range names {
		root := roots[name]
		name := textsafe.Name(root.name)
		if res != nil && strings.HasPrefix(root.name, "${") {
			if v, ok := res.Vars[strings.TrimSuffix(strings.TrimPrefix(root.name, "${"), "}")]; ok {
				name += " = " + textsafe.Name(v)
			} else {
				name += " (not set here)"
			}
		}
		b.WriteString(name + rulesLabel(root.rules) + "\n")
		if g, ok := strings.CutPrefix(root.name, "group:"); ok && res != nil {
			writeMembers(&b, g, res)
			continue
		}
		root.writeChildren(&b, "")
	}

	b.WriteString("\nports:\n")
	if len(p.Net) == 0 {
		b.WriteString("  (none granted)\n")
	}
	for _, r := range sortedNet(p.Net) {
		note := ""
		if r.Port == 0 && r.Access.Has(policy.NetBindTCP) {
			note = "  (bind to an ephemeral port)"
		}
		fmt.Fprintf(&b, "  %d  %s%s\n", r.Port, flowList(r.Access.Names()), note)
	}

	compat := p.Compat
	if compat == "" {
		compat = policy.BestEffort
	}
	fmt.Fprintf(&b, "\nhandled (abi %d, %s):\n", p.ABI, compat)
	kinds := []struct {
		label         string
		handled, free []string
		all           bool
	}{
		{"fs", p.Handled.FS.Names(), (policy.AllFS(p.ABI) &^ p.Handled.FS).Names(), p.Handled.FS == policy.AllFS(p.ABI)},
		{"net", p.Handled.Net.Names(), (policy.AllNet(p.ABI) &^ p.Handled.Net).Names(), p.Handled.Net == policy.AllNet(p.ABI)},
		{"scoped", p.Handled.Scoped.Names(), (policy.AllScopes(p.ABI) &^ p.Handled.Scoped).Names(), p.Handled.Scoped == policy.AllScopes(p.ABI)},
	}
	for _, k := range kinds {
		switch {
		case len(k.handled) == 0:
			fmt.Fprintf(&b, "  %-7s none\n", k.label+":")
		case k.all:
			fmt.Fprintf(&b, "  %-7s all (%s)\n", k.label+":", strings.Join(k.handled, ", "))
		default:
			fmt.Fprintf(&b, "  %-7s %s\n", k.label+":", strings.Join(k.handled, ", "))
		}
	}
	var free []string
	for _, k := range kinds {
		free = append(free, k.free...)
	}
	if len(free) > 0 {
		fmt.Fprintf(&b, "  allowed everywhere (not handled): %s\n", strings.Join(free, ", "))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// writeMembers lists what group g stands for on res's host.
func writeMembers(b *bytes.Buffer, g string, res *Resolution) {
	grp, ok := policy.LookupGroup(g)
	var members []string
	if ok {
		members = grp.Members(res.Host, res.Vars.Anchors())
	}
	if len(members) == 0 {
		b.WriteString("└── (no member on this host: the rule grants nothing here)\n")
	}
	for i, m := range members {
		branch := "├── "
		if i == len(members)-1 {
			branch = "└── "
		}
		b.WriteString(branch + textsafe.Name(m) + "\n")
	}
}

type treeNode struct {
	name     string
	rules    []policy.FSRule
	children map[string]*treeNode
}

func (n *treeNode) child(name string) *treeNode {
	if n.children == nil {
		n.children = map[string]*treeNode{}
	}
	c := n.children[name]
	if c == nil {
		c = &treeNode{name: name}
		n.children[name] = c
	}
	return c
}

func (n *treeNode) sortedChildren() []*treeNode {
	out := make([]*treeNode, 0, len(n.children))
	for _, c := range n.children {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *treeNode) int { return strings.Compare(a.name, b.name) })
	return out
}

func (n *treeNode) writeChildren(b *bytes.Buffer, prefix string) {
	kids := n.sortedChildren()
	for i, c := range kids {
		// Fold a chain of directories that are only on the way.
		label := c.name
		for len(c.rules) == 0 && len(c.children) == 1 {
			c = c.sortedChildren()[0]
			label += "/" + c.name
		}
		branch, indent := "├── ", "│   "
		if i == len(kids)-1 {
			branch, indent = "└── ", "    "
		}
		b.WriteString(prefix + branch + treeLabel(label, c.rules) + "\n")
		c.writeChildren(b, prefix+indent)
	}
}

// treeLabel is a node's name followed by what its rules grant. Two rules
// can land on one node ("/usr" and "/usr/"): each is shown.
func treeLabel(name string, rules []policy.FSRule) string {
	return textsafe.Name(name) + rulesLabel(rules)
}

// rulesLabel is what rules grant, for a node's label.
func rulesLabel(rules []policy.FSRule) string {
	name := ""
	for _, r := range rules {
		name += "  " + flowList(r.Access.Names())
		if r.Optional {
			name += " (optional)"
		}
	}
	return name
}

// splitRulePath splits a rule path into its tree root ("/" or a leading
// variable such as "${HOME}") and the names below it. Empty components
// ("//", a trailing "/") are dropped; "." and ".." are kept as written,
// since the tree shows the policy, not the file system.
func splitRulePath(p string) (string, []string) {
	root, rest := "/", p
	if strings.HasPrefix(p, "${") {
		if i := strings.IndexByte(p, '}'); i > 0 {
			root, rest = p[:i+1], p[i+1:]
		}
		// "${HOME}x/y": the first name is "${HOME}x", not "${HOME}/x".
		if rest != "" && rest[0] != '/' {
			j := strings.IndexByte(rest, '/')
			if j < 0 {
				j = len(rest)
			}
			root, rest = root+rest[:j], rest[j:]
		}
	}
	var parts []string
	for part := range strings.SplitSeq(rest, "/") {
		if part != "" {
			parts = append(parts, part)
		}
	}
	return root, parts
}
