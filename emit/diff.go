package emit

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/landlearn/landlearn/internal/textsafe"
	"github.com/landlearn/landlearn/policy"
)

// diffSections is the order sections are printed in.
var diffSections = []string{"abi", "compat", "handled.fs", "handled.net", "handled.scoped", "fs", "net"}

// Diff writes changes (from policy.Diff) for people, one section at a
// time, one line per grant:
//
//	fs:
//	  + /usr/lib  [read_file]
//	  - /opt/tool  [execute, read_file]
//	  ~ /etc/x  [read_file] -> [read_file, write_file]
//	net:
//	  + 443  [connect_tcp]
//
// "+" is a rule only the new policy has, "-" one only the old has, "~" one
// whose rights or optional or learned flag changed; a change's Note follows it in
// parentheses. A handled right works the other
// way round: adding one to handled restricts more, so those lines say
// what is now restricted and what is no longer. The output depends only
// on the set of changes, not their order; no changes writes nothing.
func Diff(w io.Writer, changes []policy.Change) error {
	sorted := slices.Clone(changes)
	slices.SortStableFunc(sorted, func(a, b policy.Change) int {
		if c := cmp.Compare(sectionRank(a.Section), sectionRank(b.Section)); c != 0 {
			return c
		}
		if a.Section == "net" {
			pa, _ := strconv.Atoi(a.Key)
			pb, _ := strconv.Atoi(b.Key)
			return cmp.Compare(pa, pb)
		}
		return strings.Compare(a.Key, b.Key)
	})
	var b bytes.Buffer
	section := ""
	for _, c := range sorted {
		if c.Section != section {
			section = c.Section
			b.WriteString(section + ":\n")
		}
		line := diffLine(c)
		if c.Note != "" {
			line += "  (" + textsafe.Inline(c.Note) + ")"
		}
		b.WriteString("  " + line + "\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

func sectionRank(s string) int {
	if i := slices.Index(diffSections, s); i >= 0 {
		return i
	}
	return len(diffSections)
}

// diffLine is one change, without the section.
func diffLine(c policy.Change) string {
	list := func(a uint64) string { return flowList(c.Names(a)) }
	switch c.Section {
	case "abi":
		return fmt.Sprintf("~ %d -> %d", c.Old, c.New)
	case "compat":
		names := [2]policy.Compat{policy.BestEffort, policy.Strict}
		return fmt.Sprintf("~ %s -> %s", names[c.Old&1], names[c.New&1])
	case "handled.fs", "handled.net", "handled.scoped":
		line := fmt.Sprintf("~ %s -> %s", list(c.Old), list(c.New))
		var notes []string
		if g := c.Granted(); g != 0 {
			notes = append(notes, "now restricted: "+strings.Join(c.Names(g), ", "))
		}
		if r := c.Revoked(); r != 0 {
			notes = append(notes, "no longer restricted: "+strings.Join(c.Names(r), ", "))
		}
		if len(notes) > 0 {
			line += "  (" + strings.Join(notes, "; ") + ")"
		}
		return line
	}
	key := c.Key
	if c.Section == "fs" && !strings.HasPrefix(key, "group ") {
		key = textsafe.Name(key)
	}
	opt := func(o bool) string {
		if o {
			return " (optional)"
		}
		return ""
	}
	switch c.Kind {
	case policy.Added:
		return fmt.Sprintf("+ %s  %s%s", key, list(c.New), opt(c.NewOptional))
	case policy.Removed:
		return fmt.Sprintf("- %s  %s%s", key, list(c.Old), opt(c.OldOptional))
	}
	line := fmt.Sprintf("~ %s  %s", key, list(c.Old))
	if c.Old != c.New {
		line += " -> " + list(c.New)
	}
	if c.OldOptional != c.NewOptional {
		line += fmt.Sprintf("  optional: %t -> %t", c.OldOptional, c.NewOptional)
	}
	if c.OldLearned != c.NewLearned {
		// learned: true skips the rule where its path is missing.
		line += fmt.Sprintf("  learned: %t -> %t", c.OldLearned, c.NewLearned)
	}
	return line
}
