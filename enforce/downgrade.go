package enforce

import (
	"errors"
	"fmt"
	"strings"

	"github.com/landlearn/landlearn/internal/kernel"
	"github.com/landlearn/landlearn/policy"
)

// ErrUnsupported is wrapped by every refusal to enforce a policy on the
// running kernel: no Landlock at all, `refer` rules below ABI 2, a policy
// that would restrict nothing here, or `compat: strict` on an older kernel.
var ErrUnsupported = errors.New("the running kernel cannot enforce this policy")

// runningKernel is what the running kernel offers Landlock; a zero ABI
// when it has none.
func runningKernel() kernel.Landlock {
	k, _ := kernel.Running()
	return k
}

// Downgrade is what enforcing a policy on the running kernel gives up
// compared with what the policy handles. A zero Downgrade (see Empty)
// means the kernel enforces the whole policy.
type Downgrade struct {
	// PolicyABI is the policy's abi; KernelABI the running kernel's (as
	// go-landlock uses it, after errata); EnforcedABI the one landlearn
	// enforces: KernelABI, at most policy.KernelABI.
	PolicyABI, KernelABI, EnforcedABI int
	// Dropped are handled rights that stay unrestricted, because the
	// kernel or this landlearn version does not know them.
	Dropped policy.Handled
	// TooNew is the part of Dropped whose ABI is newer than
	// policy.KernelABI: no kernel enforces them with this landlearn.
	TooNew policy.Handled
	// Grants are the rules that lose rights, in policy order.
	Grants []DroppedGrant
	// NoLog is set when audit logging was asked for (Options.Log) but the
	// kernel is older than ABI 7: denials will not reach the audit log.
	NoLog bool
	// MPTCP is set when the enforced domain restricts bind_tcp or
	// connect_tcp on a kernel with erratum 1 fixed: MPTCP sockets (Go's
	// net.Listen and net.Dial default since Go 1.24) stay unrestricted.
	MPTCP bool
	// file names the policy in messages.
	file string
}

// DroppedGrant is one rule that loses rights in a downgrade.
type DroppedGrant struct {
	// Path and FS are set for a filesystem rule, Port and Net for a
	// network rule.
	Path string
	FS   policy.FSAccess
	Port uint16
	Net  policy.NetAccess
	Line int
}

func (g DroppedGrant) String() string {
	what, rights := g.Path, g.FS.Names()
	if g.Net != 0 {
		what, rights = fmt.Sprintf("port %d", g.Port), g.Net.Names()
	}
	s := fmt.Sprintf("%s (%s)", what, strings.Join(rights, ", "))
	if g.Line > 0 {
		s = fmt.Sprintf("line %d: %s", g.Line, s)
	}
	return s
}

// Empty reports whether nothing is dropped. MPTCP is not a drop: it is a
// limit of Landlock on this kernel, whatever the policy's abi.
func (d Downgrade) Empty() bool {
	return d.Dropped == (policy.Handled{}) && len(d.Grants) == 0 && !d.NoLog
}

// Plan compares p, expanded or not, with the running kernel. It returns
// what best-effort enforcement drops, and an error wrapping ErrUnsupported
// when landlearn refuses to enforce p here:
//
//   - the kernel has no Landlock (too old, or disabled at boot: see
//     "lsm=" on the kernel command line);
//   - a rule grants refer and the kernel is ABI 1: go-landlock would then
//     drop the whole sandbox, since ABI 1 cannot express the grant;
//   - p handles rights but none of them can be restricted here;
//   - p is `compat: strict` and the kernel is older than p's abi, or
//     anything would be dropped.
func Plan(p *policy.Policy) (Downgrade, error) {
	return plan(p, runningKernel(), false)
}

// plan is Plan against a given kernel, so that tests can walk through
// every ABI; log says whether audit logging is asked for.
func plan(p *policy.Policy, k kernel.Landlock, log bool) (Downgrade, error) {
	d := Downgrade{PolicyABI: p.ABI, KernelABI: k.UsableABI(), file: p.File}
	d.EnforcedABI = min(d.KernelABI, policy.KernelABI)
	name := nameOf(p)
	wanted := p.Handled
	if wanted == (policy.Handled{}) {
		return d, nil // restricts nothing, on any kernel
	}
	if d.KernelABI == 0 {
		return d, fmt.Errorf("%s: Landlock is not available on this kernel (it needs Linux 5.13 or later, with landlock in the lsm= boot parameter); refusing to run unsandboxed: %w", name, ErrUnsupported)
	}
	eff := enforcedHandled(wanted, d.EnforcedABI)
	d.Dropped = policy.Handled{FS: wanted.FS &^ eff.FS, Net: wanted.Net &^ eff.Net, Scoped: wanted.Scoped &^ eff.Scoped}
	refer := policy.FSRefer
	if eff.FS != 0 {
		// Below ABI 2 refer cannot be handled, but a ruleset that
		// handles any fs right denies reparenting anyway: not a drop.
		d.Dropped.FS &^= refer
	}
	newest := policy.Handled{
		FS:     policy.AllFS(policy.KernelABI),
		Net:    policy.AllNet(policy.KernelABI),
		Scoped: policy.AllScopes(policy.KernelABI),
	}
	d.TooNew = policy.Handled{FS: d.Dropped.FS &^ newest.FS, Net: d.Dropped.Net &^ newest.Net, Scoped: d.Dropped.Scoped &^ newest.Scoped}

	for _, r := range p.FS {
		if lost := r.Access &^ eff.FS; lost != 0 {
			if lost&refer != 0 {
				return d, fmt.Errorf("%s:%d: %s grants refer, which Landlock ABI %d cannot express; go-landlock would drop the whole sandbox, so landlearn refuses (run on Linux 5.19 or later, or remove refer from the rule): %w",
					name, r.Line, r.Path, d.KernelABI, ErrUnsupported)
			}
			d.Grants = append(d.Grants, DroppedGrant{Path: r.Path, FS: lost, Line: r.Line})
		}
	}
	for _, r := range p.Net {
		if lost := r.Access &^ eff.Net; lost != 0 {
			d.Grants = append(d.Grants, DroppedGrant{Port: r.Port, Net: lost, Line: r.Line})
		}
	}
	d.NoLog = log && d.EnforcedABI < kernel.LogABI
	tcp := policy.NetBindTCP | policy.NetConnectTCP
	d.MPTCP = eff.Net&tcp != 0 && k.Fixed(kernel.ErratumTCPOnly)

	if eff == (policy.Handled{}) {
		return d, fmt.Errorf("%s: Landlock ABI %d on this kernel can restrict none of the rights the policy handles (%s); refusing to run unsandboxed: %w",
			name, d.KernelABI, handledText(wanted), ErrUnsupported)
	}
	if p.Compat == policy.Strict && (d.KernelABI < p.ABI || !d.Empty()) {
		need := ""
		if d.Dropped != (policy.Handled{}) {
			need = " (it cannot restrict " + handledText(d.Dropped) + ")"
		}
		return d, fmt.Errorf("%s: compat: strict, and this kernel offers Landlock ABI %d where the policy asks for ABI %d%s; run on a newer kernel, or set compat: best-effort to enforce what this kernel can: %w",
			name, d.KernelABI, p.ABI, need, ErrUnsupported)
	}
	return d, nil
}

// enforcedHandled is the part of h that Landlock ABI abi restricts.
func enforcedHandled(h policy.Handled, abi int) policy.Handled {
	return policy.Handled{
		FS:     h.FS & policy.AllFS(abi),
		Net:    h.Net & policy.AllNet(abi),
		Scoped: h.Scoped & policy.AllScopes(abi),
	}
}

// handledText lists h as "fs: a, b; net: c".
func handledText(h policy.Handled) string {
	var parts []string
	for _, k := range []struct {
		kind  policy.Kind
		names []string
	}{{policy.KindFS, h.FS.Names()}, {policy.KindNet, h.Net.Names()}, {policy.KindScope, h.Scoped.Names()}} {
		if len(k.names) > 0 {
			parts = append(parts, k.kind.String()+": "+strings.Join(k.names, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

// Notice is what landlearn prints on stderr before enforcing: the dropped
// rights, or "" when nothing is dropped. The MPTCP limit is MPTCPNotice.
func (d Downgrade) Notice() string {
	if d.Empty() {
		return ""
	}
	var b strings.Builder
	name := d.file
	if name == "" {
		name = "the policy"
	}
	if d.Dropped != (policy.Handled{}) || len(d.Grants) > 0 {
		fmt.Fprintf(&b, "landlearn: %s asks for Landlock ABI %d; this kernel enforces ABI %d (compat: best-effort), so these rights stay unrestricted:\n",
			name, d.PolicyABI, d.EnforcedABI)
		if d.Dropped != (policy.Handled{}) {
			fmt.Fprintf(&b, "  %s\n", handledText(d.Dropped))
		}
		if d.TooNew != (policy.Handled{}) {
			fmt.Fprintf(&b, "  (%s: newer than ABI %d, which is the newest this landlearn enforces)\n", handledText(d.TooNew), policy.KernelABI)
		}
		if len(d.Grants) > 0 {
			g := make([]string, len(d.Grants))
			for i, x := range d.Grants {
				g[i] = x.String()
			}
			fmt.Fprintf(&b, "  grants that have no effect here: %s\n", strings.Join(g, "; "))
		}
		b.WriteString("  Set compat: strict in the policy to refuse instead.\n")
	}
	if d.NoLog {
		fmt.Fprintf(&b, "landlearn: denials cannot be logged to audit: that needs Landlock ABI 7 (Linux 6.15), this kernel has ABI %d\n", d.KernelABI)
	}
	return b.String()
}

// MPTCPNotice is the one line to show when d.MPTCP: bind_tcp and
// connect_tcp do not cover MPTCP sockets on this kernel, and Go programs
// since Go 1.24 use MPTCP for net.Listen and net.Dial by default. It is a
// property of the kernel, not of a policy, so enforcement does not print
// it; see MPTCPNote.
func (d Downgrade) MPTCPNotice() string {
	if !d.MPTCP {
		return ""
	}
	return "landlearn: note: bind_tcp/connect_tcp do not restrict MPTCP sockets on this kernel (Go's default for net.Listen/Dial since 1.24)\n"
}

// MPTCPNote is the line to show people who rely on p's TCP rules on this
// kernel, or "" when there is nothing to say: the kernel has Landlock
// erratum 1 fixed (LANDLOCK_CREATE_RULESET_ERRATA bit 0), under which only
// IPPROTO_TCP sockets are subject to bind_tcp and connect_tcp, and p
// restricts one of them. MPTCP, SMC and SCTP sockets bind and connect
// freely. Exec, Command and Restrict do not print it: a sandboxed
// program's stderr is not landlearn's to fill on every start. landlearn
// prints it where a policy is made or judged (learn, verify) and on a
// terminal for run.
func MPTCPNote(p *policy.Policy) string {
	d, err := plan(p, runningKernel(), false)
	if err != nil {
		return ""
	}
	return d.MPTCPNotice()
}

// nameOf names p in messages: its file, or "policy" when built in memory.
func nameOf(p *policy.Policy) string {
	if p.File == "" {
		return "policy"
	}
	return p.File
}
