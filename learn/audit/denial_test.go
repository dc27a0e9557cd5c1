package audit

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/landlearn/landlearn/policy"
)

func TestFixRule(t *testing.T) {
	for _, tc := range []struct {
		d    Denial
		want string
	}{
		{Denial{Blockers: []string{"fs.read_file"}, Path: "/etc/hosts"}, "- path: /etc/hosts\n  access: [read_file]"},
		{Denial{Blockers: []string{"fs.write_file", "fs.read_file"}, Path: "/dev/tty"}, "- path: /dev/tty\n  access: [write_file, read_file]"},
		{Denial{Blockers: []string{"fs.make_reg"}, Path: "/tmp/a b"}, "- path: \"/tmp/a b\"\n  access: [make_reg]"},
		{Denial{Blockers: []string{"fs.read_file"}, Path: "/tmp/x\"y:#z"}, "- path: \"/tmp/x\\\"y:#z\"\n  access: [read_file]"},
		{Denial{Blockers: []string{"fs.read_file"}, Path: "/tmp/f (deleted)"},
			"# deleted when it was denied: a rule needs the file to exist when the policy is enforced\n- path: /tmp/f\n  access: [read_file]"},
		{Denial{Blockers: []string{"fs.read_file"}, Path: "pipe:[1234]"},
			"# \"pipe:[1234]\" has no path in the file system: Landlock rules cannot name it; rights [read_file]"},
		{Denial{Blockers: []string{"fs.make_reg", "fs.refer"}, Path: "/usr/local"},
			"# refer: both directories of the rename or link need it, and the moved file must gain no right at its destination\n- path: /usr/local\n  access: [make_reg, refer]"},
		{Denial{Blockers: []string{"net.connect_tcp"}, Port: 443}, "- port: 443\n  access: [connect_tcp]"},
		{Denial{Blockers: []string{"net.connect_tcp"}, Port: 99999999}, "# the record's port 99999999 is not a TCP port (0..65535): no rule derived; rights [connect_tcp]"},
		{Denial{Blockers: []string{"net.bind_tcp"}, Port: 0}, "- port: 0\n  access: [bind_tcp]"},
		{Denial{Blockers: []string{"scope.signal"}, Opid: 1},
			"remove signal from handled.scoped (a scope has no rules: this allows it towards every process outside the domain)"},
		{Denial{Blockers: []string{"ptrace"}, Opid: 1}, "Landlock never allows ptrace of a process outside the domain: not fixable by a rule"},
		{Denial{Blockers: []string{"fs.change_topology"}, Path: "/mnt"},
			"Landlock denies mount, umount and pivot_root to every domain that handles fs rights: not fixable by a rule"},
		{Denial{Blockers: []string{"net.read_file"}}, "blocker \"net.read_file\" is unknown to landlearn (a newer kernel?): no rule derived"},
	} {
		if got := tc.d.FixRule(); got != tc.want {
			t.Errorf("FixRule(%v %q) =\n%s\nwant\n%s", tc.d.Blockers, tc.d.Path, got, tc.want)
		}
	}
}

func TestRights(t *testing.T) {
	d := Denial{Blockers: []string{"fs.read_file", "fs.execute", "net.bind_tcp", "scope.signal", "ptrace", "fs.bogus"}}
	fs, net, scopes, other := d.Rights()
	if fs != policy.FSReadFile|policy.FSExecute || net != policy.NetBindTCP ||
		scopes != policy.ScopeSignal || !reflect.DeepEqual(other, []string{"ptrace", "fs.bogus"}) {
		t.Errorf("Rights() = %v %v %v %v", fs, net, scopes, other)
	}
}

func ExampleDenial_FixRule() {
	d := Denial{Blockers: []string{"fs.make_reg"}, Path: "/var/cache/app"}
	fmt.Println(d.FixRule())
	d = Denial{Blockers: []string{"net.connect_tcp"}, Port: 443}
	fmt.Println(d.FixRule())
	// Output:
	// - path: /var/cache/app
	//   access: [make_reg]
	// - port: 443
	//   access: [connect_tcp]
}
