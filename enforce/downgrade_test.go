package enforce

import (
	"errors"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/internal/kernel"
	"github.com/landlearn/landlearn/policy"
)

// kern is a kernel with Landlock ABI abi and the errata mask errata.
func kern(abi, errata int) kernel.Landlock {
	return kernel.Landlock{ABI: abi, Errata: errata}
}

// full is an ABI 7 policy handling everything, with rules that use the
// newer rights.
func full() *policy.Policy {
	p := policy.New(7)
	p.File = "p.yaml"
	p.FS = []policy.FSRule{
		{Path: "/usr", Access: policy.FSExecute | policy.FSReadFile | policy.FSReadDir, Line: 8},
		{Path: "/dev/null", Access: policy.FSWriteFile | policy.FSTruncate | policy.FSIoctlDev, Line: 10},
	}
	p.Net = []policy.NetRule{{Port: 443, Access: policy.NetConnectTCP, Line: 13}}
	return p
}

func TestPlanOnEachKernel(t *testing.T) {
	fixed := kernel.ErratumTCPOnly | kernel.ErratumSignalScope
	for _, tc := range []struct {
		name    string
		k       kernel.Landlock
		dropped policy.Handled
		grants  []string
		mptcp   bool
	}{
		{"ABI 7", kern(7, fixed), policy.Handled{}, nil, true},
		{"ABI 7 without erratum 1 fix", kern(7, kernel.ErratumSignalScope), policy.Handled{}, nil, false},
		{"ABI 8 is capped at 7", kern(8, fixed), policy.Handled{}, nil, true},
		{"ABI 6", kern(6, fixed), policy.Handled{}, nil, true},
		{"ABI 7 without the signal scope fix acts as 5", kern(7, kernel.ErratumTCPOnly),
			policy.Handled{Scoped: policy.ScopeAbstractUnixSocket | policy.ScopeSignal}, nil, true},
		{"ABI 4", kern(4, fixed), policy.Handled{FS: policy.FSIoctlDev, Scoped: policy.ScopeAbstractUnixSocket | policy.ScopeSignal},
			[]string{"line 10: /dev/null (ioctl_dev)"}, true},
		{"ABI 3", kern(3, 0), policy.Handled{FS: policy.FSIoctlDev, Net: policy.NetBindTCP | policy.NetConnectTCP, Scoped: policy.ScopeAbstractUnixSocket | policy.ScopeSignal},
			[]string{"line 10: /dev/null (ioctl_dev)", "line 13: port 443 (connect_tcp)"}, false},
		{"ABI 1 keeps refer denied", kern(1, 0), policy.Handled{FS: policy.FSTruncate | policy.FSIoctlDev, Net: policy.NetBindTCP | policy.NetConnectTCP, Scoped: policy.ScopeAbstractUnixSocket | policy.ScopeSignal},
			[]string{"line 10: /dev/null (truncate, ioctl_dev)", "line 13: port 443 (connect_tcp)"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := plan(full(), tc.k, false)
			if err != nil {
				t.Fatal(err)
			}
			if d.Dropped != tc.dropped {
				t.Errorf("dropped %s, want %s", handledText(d.Dropped), handledText(tc.dropped))
			}
			var grants []string
			for _, g := range d.Grants {
				grants = append(grants, g.String())
			}
			if strings.Join(grants, "|") != strings.Join(tc.grants, "|") {
				t.Errorf("grants %q, want %q", grants, tc.grants)
			}
			if d.MPTCP != tc.mptcp {
				t.Errorf("MPTCP %v, want %v", d.MPTCP, tc.mptcp)
			}
			if d.Empty() != (tc.dropped == policy.Handled{} && tc.grants == nil) {
				t.Errorf("Empty() = %v", d.Empty())
			}
			if n := d.Notice(); d.Empty() != (n == "") {
				t.Errorf("notice %q for Empty() = %v", n, d.Empty())
			}
		})
	}
}

func TestPlanNotice(t *testing.T) {
	d, err := plan(full(), kern(3, 0), true)
	if err != nil {
		t.Fatal(err)
	}
	want := `landlearn: p.yaml asks for Landlock ABI 7; this kernel enforces ABI 3 (compat: best-effort), so these rights stay unrestricted:
  fs: ioctl_dev; net: bind_tcp, connect_tcp; scoped: abstract_unix_socket, signal
  grants that have no effect here: line 10: /dev/null (ioctl_dev); line 13: port 443 (connect_tcp)
  Set compat: strict in the policy to refuse instead.
landlearn: denials cannot be logged to audit: that needs Landlock ABI 7 (Linux 6.15), this kernel has ABI 3
`
	if got := d.Notice(); got != want {
		t.Errorf("notice:\n%s\nwant:\n%s", got, want)
	}
	if d.MPTCPNotice() != "" {
		t.Errorf("MPTCP notice on a kernel without net rights: %q", d.MPTCPNotice())
	}
}

func TestPlanRefuses(t *testing.T) {
	refer := full()
	refer.FS = append(refer.FS, policy.FSRule{Path: "/srv", Access: policy.FSRefer | policy.FSMakeReg, Line: 20})
	netOnly := policy.New(7)
	netOnly.Handled = policy.Handled{Net: policy.NetConnectTCP}
	strict := full()
	strict.Compat = policy.Strict
	for _, tc := range []struct {
		name string
		p    *policy.Policy
		k    kernel.Landlock
		msg  string
	}{
		{"no Landlock", full(), kern(0, 0), "Landlock is not available"},
		{"refer on ABI 1", refer, kern(1, 0), "p.yaml:20: /srv grants refer"},
		{"nothing enforceable", netOnly, kern(3, 0), "can restrict none of the rights"},
		{"strict on an older kernel", strict, kern(6, 3), "compat: strict"},
		{"strict with a drop", strict, kern(4, 3), "cannot restrict fs: ioctl_dev"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := plan(tc.p, tc.k, false)
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("plan: %v; want ErrUnsupported and %q", err, tc.msg)
			}
		})
	}
	if _, err := plan(refer, kern(2, 0), false); err != nil {
		t.Errorf("refer on ABI 2: %v", err)
	}
	if _, err := plan(strict, kern(7, 3), false); err != nil {
		t.Errorf("strict on ABI 7: %v", err)
	}
}

func TestPlanTooNew(t *testing.T) {
	p := policy.New(10)
	p.FS = []policy.FSRule{{Path: "/run/sock", Access: policy.FSResolveUnix, Line: 5}}
	d, err := plan(p, kern(10, 3), false)
	if err != nil {
		t.Fatal(err)
	}
	want := policy.Handled{FS: policy.FSResolveUnix, Net: policy.NetBindUDP | policy.NetConnectSendUDP}
	if d.TooNew != want || d.Dropped != want || d.EnforcedABI != 7 {
		t.Errorf("too new %s, dropped %s, enforced ABI %d; want %s, ABI 7", handledText(d.TooNew), handledText(d.Dropped), d.EnforcedABI, handledText(want))
	}
	if !strings.Contains(d.Notice(), "newest this landlearn enforces") {
		t.Errorf("notice does not explain the rights newer than landlearn:\n%s", d.Notice())
	}
}

func TestPlanHandlesNothing(t *testing.T) {
	p := policy.New(7)
	p.Handled = policy.Handled{}
	if d, err := plan(p, kern(0, 0), true); err != nil || !d.Empty() {
		t.Errorf("a policy that handles nothing: %+v, %v", d, err)
	}
}

func TestNewRuleset(t *testing.T) {
	p := full()
	p.FS = append(p.FS, policy.FSRule{Path: "/opt/gone", Access: policy.FSReadFile, Optional: true, Line: 12})
	r := newRuleset(p, []policy.FSRule{p.FS[2]}, 3, true)
	want := []pathGrant{
		{Path: "/usr", Access: policy.FSExecute | policy.FSReadFile | policy.FSReadDir, Line: 8},
		{Path: "/dev/null", Access: policy.FSWriteFile | policy.FSTruncate, Line: 10},
	}
	if len(r.Paths) != 2 || r.Paths[0] != want[0] || r.Paths[1] != want[1] {
		t.Errorf("paths %+v, want %+v", r.Paths, want)
	}
	if len(r.Ports) != 0 || r.Log || r.Handled.Net != 0 || r.Handled.FS != policy.AllFS(3) {
		t.Errorf("ruleset on ABI 3: %+v", r)
	}
}
