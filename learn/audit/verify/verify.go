package verify

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/landlearn/landlearn/internal/textsafe"
	"github.com/landlearn/landlearn/learn/audit"
	"github.com/landlearn/landlearn/learn/audit/live"
	"github.com/landlearn/landlearn/policy"
)

// Command proves the listener works (live.Listener.SelfCheck), then runs
// cmd (which must restrict itself with logging, such as enforce.Command
// with Options.Log, below a keeper.Tree; live.Exec adapts an *exec.Cmd)
// and returns what its domain denied. An empty
// Run.Denials means the policy allowed everything the command did, unless
// Run.Loss is set.
func Command(ctx context.Context, l *live.Listener, cmd live.Command) (*live.Run, error) {
	if err := l.SelfCheck(ctx); err != nil {
		return nil, err
	}
	return l.Observe(ctx, cmd)
}

// ObjectDenials are the denials of one object (a path, a port, a
// process, a socket), with the rights they lacked, merged.
type ObjectDenials struct {
	Object  string
	Denials []audit.Denial
	// Rights are the kernel names of the missing rights, in kernel order,
	// then the blockers no rule can allow (ptrace...).
	Rights []string
}

// fix returns the rule that allows every denial of the object (see
// audit.Denial.FixRule).
func (o ObjectDenials) fix(n audit.Namer) string { return o.merged().FixRuleNamed(n) }

// merged is the object's first denial with the blockers of all of them,
// each once, in the order they were first denied.
func (o ObjectDenials) merged() audit.Denial {
	d := o.Denials[0]
	d.Blockers = nil
	for _, ds := range o.Denials {
		for _, b := range ds.Blockers {
			if !slices.Contains(d.Blockers, b) {
				d.Blockers = append(d.Blockers, b)
			}
		}
	}
	return d
}

// GroupByObject groups denials by object, in the order the objects were
// first denied.
func GroupByObject(ds []audit.Denial) []ObjectDenials {
	var out []ObjectDenials
	index := map[string]int{}
	for _, d := range ds {
		key := d.Object()
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, ObjectDenials{Object: key})
		}
		out[i].Denials = append(out[i].Denials, d)
	}
	for i := range out {
		fs, net, scopes, other := out[i].merged().Rights()
		out[i].Rights = slices.Concat(fs.Names(), net.Names(), scopes.Names(), other)
	}
	return out
}

// WriteReport writes run's denials for people: each object, the rights it
// lacked, who asked and with which syscall, and the rule that fixes it.
// Denials of the sandboxes the program set up itself come apart, after
// them: they are not the policy's. p, when not nil, is the policy (with
// its variables expanded and its symlinks resolved, as check compares
// it): a nested denial that p allows says so instead of suggesting a rule
// p already has. n names the rules it suggests (nil: by the paths the
// kernel logged).
func WriteReport(w io.Writer, run *live.Run, p *policy.Policy, n audit.Namer) {
	sep := ""
	if run.Domain != nil && len(run.Denials) > 0 {
		fmt.Fprintf(w, "The policy denied %s to the command (pid %d, domain %s):\n",
			accessCount(len(run.Denials)), run.PID, textsafe.Inline(run.Domain.ID))
		writeGroups(w, GroupByObject(run.Denials), run.PID, run.Domain.Exe, nil, n)
		sep = "\n"
	}
	if len(run.NestedDenials) > 0 {
		fmt.Fprintf(w, "%sThe program's own sandbox also denied %s (%s); the kernel names the youngest domain that denies, so the policy may deny these too:\n",
			sep, accessCount(len(run.NestedDenials)), describeNested(run.Nested))
		writeGroups(w, GroupByObject(run.NestedDenials), 0, "", p, n)
		sep = "\n"
	}
	if len(run.Lingering) > 0 {
		fmt.Fprintf(w, "%sNote: processes that pid %d started still hold domain %s after it exited: what they do later is not checked.\n",
			sep, run.PID, textsafe.Inline(strings.Join(run.Lingering, ", ")))
	}
}

// writeGroups prints each object's denials. Every name in them comes
// from the program (a file name, its executable, its comm) and is printed
// through textsafe: a file named "x\n    fix:" must not forge a block.
func writeGroups(w io.Writer, groups []ObjectDenials, helper int, helperExe string, p *policy.Policy, n audit.Namer) {
	for _, g := range groups {
		fmt.Fprintf(w, "\n  %s\n", g.Text())
		fmt.Fprintf(w, "    denied: %s", textsafe.Inline(strings.Join(g.Rights, ", ")))
		if len(g.Denials) > 1 {
			fmt.Fprintf(w, " (%d times)", len(g.Denials))
		}
		fmt.Fprintln(w)
		for _, who := range askers(g.Denials, helper, helperExe) {
			fmt.Fprintf(w, "    by:     %s\n", who)
		}
		if p != nil {
			if allows(p, g.merged()) {
				fmt.Fprintln(w, "    policy: allows this; only the program's own sandbox denies it")
				continue
			}
			fmt.Fprintln(w, "    policy: does not allow this either")
		}
		fmt.Fprintln(w, "    fix:")
		for line := range strings.SplitSeq(g.fix(n), "\n") {
			fmt.Fprintf(w, "      %s\n", textsafe.Inline(line))
		}
	}
}

// NestedNotAllowed counts the objects that the program's own sandbox
// denied (run.NestedDenials) and p does not allow either: the policy
// would have denied them as well, had the program not sandboxed itself
// (the kernel logs only the youngest domain that denies).
func NestedNotAllowed(run *live.Run, p *policy.Policy) int {
	n := 0
	for _, g := range GroupByObject(run.NestedDenials) {
		if !allows(p, g.merged()) {
			n++
		}
	}
	return n
}

// allows says whether p grants every right d lacked.
func allows(p *policy.Policy, d audit.Denial) bool {
	fs, net, scopes, other := d.Rights()
	switch {
	case len(other) > 0, p.ScopesDenied(scopes) != 0:
		return false
	case fs != 0 && p.MissingFS(d.Path, fs) != 0:
		return false
	case net != 0 && (d.Port < 0 || d.Port > 0xffff || p.MissingNet(uint16(d.Port), net) != 0):
		return false
	}
	return true
}

// Text names the object for people: a path quoted when it holds anything
// but printable characters, other objects ("process 12 (comm)") escaped.
func (o ObjectDenials) Text() string {
	if d := o.Denials[0]; d.Path != "" && o.Object == d.Path {
		return textsafe.Name(d.Path)
	}
	return textsafe.Inline(o.Object)
}

// askers lists the distinct (exe, syscall) pairs that were denied. The
// exec of the command by landlearn's helper (pid helper, running
// helperExe, the creator of the run's domain) names landlearn, not where
// its binary is installed.
func askers(ds []audit.Denial, helper int, helperExe string) []string {
	var out []string
	for _, d := range ds {
		if !d.Joined {
			continue
		}
		s := textsafe.Name(d.Exe)
		if d.Exe == "" {
			s = textsafe.Name(d.Comm)
		}
		if d.PID == helper && helper > 0 && d.Exe == helperExe && strings.HasPrefix(d.SyscallName, "execve") {
			s = "landlearn, starting the command"
		}
		s += " (pid " + strconv.Itoa(d.PID)
		if d.SyscallName != "" {
			s += ", " + d.SyscallName
		}
		s += ")"
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
		if len(out) == 5 {
			break
		}
	}
	return out
}

func describeCreator(d audit.Domain) string {
	s := "pid " + strconv.Itoa(d.PID)
	if d.Exe != "" {
		s += " " + textsafe.Name(d.Exe)
	}
	return s
}

func describeNested(ds []audit.Domain) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, "domain "+d.ID+" created by "+describeCreator(d))
	}
	return strings.Join(parts, "; ")
}

// accessCount says "1 access", "2 accesses".
func accessCount(n int) string {
	if n == 1 {
		return "1 access"
	}
	return strconv.Itoa(n) + " accesses"
}
