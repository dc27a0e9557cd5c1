package emit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/policy"
)

// TestResolvedTree: the resolved tree lists what each group stands for on
// the host and what each variable is; the plain tree names them only.
func TestResolvedTree(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"usr/bin", "etc"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(root, "etc/ld.so.cache"), nil, 0o644)
	p := policy.New(7)
	p.FS = []policy.FSRule{
		{Group: "linker-config", Access: policy.FSReadFile},
		{Group: "system", Access: policy.FSExecute | policy.FSReadFile},
		{Group: "certificates", Access: policy.FSReadFile},
		{Path: "${PWD}/src", Access: policy.FSReadFile, Learned: true},
		{Path: "${DATA}/in", Access: policy.FSReadFile},
	}
	var b strings.Builder
	if err := ResolvedTree(&b, p, Resolution{Vars: policy.Vars{"PWD": "/work/x"}, Host: policy.Host{Root: root}}); err != nil {
		t.Fatal(err)
	}
	want := `group:system  [execute, read_file]
└── /usr
group:linker-config  [read_file]
└── /etc/ld.so.cache
group:certificates  [read_file]
└── (no member on this host: the rule grants nothing here)
${DATA} (not set here)
└── in  [read_file]
${PWD} = /work/x
└── src  [read_file]
`
	if got := b.String(); !strings.HasPrefix(got, want) {
		t.Errorf("resolved tree:\n%s\nwant it to start with:\n%s", got, want)
	}
	b.Reset()
	Tree(&b, p)
	if strings.Contains(b.String(), "/usr\n") || strings.Contains(b.String(), "/work/x") {
		t.Errorf("the plain tree resolves:\n%s", b.String())
	}
}
