package policy

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	if err := New(KernelABI).Validate(); err != nil {
		t.Errorf("New(%d): %v", KernelABI, err)
	}
	for abi := 1; abi <= NewestABI; abi++ {
		if err := New(abi).Validate(); err != nil {
			t.Errorf("New(%d): %v", abi, err)
		}
	}
	p := New(3)
	p.File = "learned.yaml"
	p.Compat = ""
	p.Handled.Net = NetBindTCP
	p.FS = []FSRule{
		{Path: "/usr", Access: FSReadFile},
		{Path: "rel", Access: FSReadFile},
		{Path: "/usr/", Access: FSExecute},
		{Path: "/tmp", Access: 0},
		{Path: "/x", Access: 1 << 40},
	}
	p.Net = []NetRule{{Port: 1, Access: NetBindTCP}, {Port: 1, Access: NetBindTCP}}
	want := []string{
		`learned.yaml: compat "" is unknown; valid ones are best-effort and strict`,
		`learned.yaml: handled.net: right bind_tcp needs ABI 4 (Linux 6.7) but abi is 3; raise abi to 4 or remove bind_tcp`,
		`learned.yaml: path "rel" is relative; write an absolute path such as ${PWD}/rel`,
		`learned.yaml: path /usr/ is already granted by fs rule 1; merge the two rules into one`,
		`learned.yaml: fs rule 4 grants nothing (access is empty); list at least one right or remove the rule`,
		`learned.yaml: fs rule 5 holds unknown fs bits 0x10000000000`,
		`learned.yaml: right bind_tcp needs ABI 4 (Linux 6.7) but abi is 3; raise abi to 4 or remove bind_tcp`,
		`learned.yaml: port 1 is already granted by net rule 1; merge the two rules into one`,
		`learned.yaml: right bind_tcp needs ABI 4 (Linux 6.7) but abi is 3; raise abi to 4 or remove bind_tcp`,
	}
	err := p.Validate()
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("Validate =\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
	q := New(7)
	q.Version = 0
	if err := q.Validate(); err == nil || err.Error() != "version 0 is not a policy schema version; this landlearn reads versions 1 to 2" {
		t.Errorf("version 0: %v", err)
	}
	q = New(7)
	q.ABI = 0
	if err := q.Validate(); err == nil || !strings.Contains(err.Error(), "abi 0 is not a Landlock ABI version") {
		t.Errorf("abi 0: %v", err)
	}
}
