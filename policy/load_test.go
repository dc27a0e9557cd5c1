package policy

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func load(t *testing.T, src string) (*Policy, error) {
	t.Helper()
	return Load(strings.NewReader(src), "policy.yaml")
}

func mustLoad(t *testing.T, src string) *Policy {
	t.Helper()
	p, err := load(t, src)
	if err != nil {
		t.Fatalf("Load: %v\n%s", err, src)
	}
	return p
}

const designExample = `version: 1
abi: 7                      # the ABI whose rights all and the default handled mean
compat: best-effort         # or strict
handled:
  fs: all
  net: [bind_tcp, connect_tcp]
  scoped: [abstract_unix_socket, signal]
fs:
  - path: /usr
    access: [execute, read_file, read_dir]
  - path: ${HOME}/.cache/myapp
    access: [read_file, write_file, truncate, make_reg, remove_file]
    optional: true          # skip if missing at enforcement
net:
  - port: 443
    access: [connect_tcp]
`

func TestLoadDesignExample(t *testing.T) {
	p := mustLoad(t, designExample)
	if p.Version != 1 || p.ABI != 7 || p.Compat != BestEffort || p.File != "policy.yaml" {
		t.Errorf("header = %d %d %q %q", p.Version, p.ABI, p.Compat, p.File)
	}
	if p.Handled.FS != AllFS(7) || p.Handled.Net != NetBindTCP|NetConnectTCP ||
		p.Handled.Scoped != ScopeAbstractUnixSocket|ScopeSignal {
		t.Errorf("handled = %+v", p.Handled)
	}
	want := []FSRule{
		{Path: "/usr", Access: FSExecute | FSReadFile | FSReadDir, Line: 9},
		{Path: "${HOME}/.cache/myapp", Access: FSReadFile | FSWriteFile | FSTruncate |
			FSMakeReg | FSRemoveFile, Optional: true, Line: 11, Comment: "skip if missing at enforcement"},
	}
	if len(p.FS) != len(want) {
		t.Fatalf("fs = %+v", p.FS)
	}
	for i := range want {
		if p.FS[i] != want[i] {
			t.Errorf("fs[%d] = %+v, want %+v", i, p.FS[i], want[i])
		}
	}
	if len(p.Net) != 1 || p.Net[0] != (NetRule{Port: 443, Access: NetConnectTCP, Line: 15}) {
		t.Errorf("net = %+v", p.Net)
	}
}

func TestLoadDefaults(t *testing.T) {
	p := mustLoad(t, "version: 1\n")
	if p.ABI != KernelABI || p.Compat != BestEffort {
		t.Errorf("abi %d compat %q, want %d best-effort", p.ABI, p.Compat, KernelABI)
	}
	if p.Handled != (Handled{AllFS(KernelABI), AllNet(KernelABI), AllScopes(KernelABI)}) {
		t.Errorf("handled = %+v, want everything of ABI %d", p.Handled, KernelABI)
	}

	p = mustLoad(t, "version: 1\nabi: 3\nhandled:\n  fs: [read_file]\n")
	if p.Handled != (Handled{FS: FSReadFile}) {
		t.Errorf("abi 3: handled = %+v; a kind left out means every right of abi 3, and net and scopes need 4 and 6", p.Handled)
	}

	p = mustLoad(t, "version: 1\nabi: 6\nhandled:\n  net: []\n")
	if p.Handled.Net != 0 || p.Handled.FS != AllFS(6) || p.Handled.Scoped != AllScopes(6) {
		t.Errorf("net: [] handled = %+v", p.Handled)
	}

	p = mustLoad(t, "version: 1\nabi: 9\nhandled: {fs: all}\nfs:\n  - {path: /run/x.sock, access: [resolve_unix]}\n")
	if p.ABI != 9 || p.Handled.FS&FSResolveUnix == 0 || len(p.FS) != 1 {
		t.Errorf("abi 9 policy = %+v", p)
	}

	p = mustLoad(t, "version: 1\nfs:\nnet: []\n")
	if len(p.FS) != 0 || len(p.Net) != 0 {
		t.Errorf("empty rule lists: %+v", p)
	}

	p = mustLoad(t, "version: 1\nfs:\n  - path: /\n    access: [\"fs.read_file\"]\n")
	if p.FS[0].Access != FSReadFile {
		t.Errorf("the audit log's fs. prefix: %v", p.FS[0].Access)
	}
}

func TestLoadComments(t *testing.T) {
	p := mustLoad(t, `# Learned by landlearn from: make
# second line

version: 1
fs:
  # the compiler
  # and its libraries
  - path: /usr   # beside the path
    access: [read_file]
  - path: /etc
    # above access
    access:
      - read_file
net:
  # https
  - port: 443
    access: [connect_tcp]
`)
	if p.Comment != "Learned by landlearn from: make\nsecond line" {
		t.Errorf("top comment = %q", p.Comment)
	}
	if p.FS[0].Comment != "the compiler\nand its libraries\nbeside the path" {
		t.Errorf("fs[0] comment = %q", p.FS[0].Comment)
	}
	if p.FS[1].Comment != "above access" {
		t.Errorf("fs[1] comment = %q", p.FS[1].Comment)
	}
	if p.Net[0].Comment != "https" {
		t.Errorf("net[0] comment = %q", p.Net[0].Comment)
	}

	p = mustLoad(t, "# no blank line after me\nversion: 1\n")
	if p.Comment != "no blank line after me" {
		t.Errorf("top comment without blank line = %q", p.Comment)
	}
}

// TestLoadErrors checks every message of the loader: its line, and that
// it says what the fix is.
func TestLoadErrors(t *testing.T) {
	const head = "version: 1\n"
	tests := []struct {
		name string
		src  string
		line int
		msg  string
	}{
		// keys
		{"unknown top key", head + "abii: 7\n", 2, `unknown key "abii" in the policy; did you mean abi?`},
		{"key hint", head + "ports:\n  - port: 1\n", 2, `unknown key "ports" in the policy; did you mean net?`},
		{"unknown key, no suggestion", head + "zzzzzzzz: 1\n", 2, `valid ones are version, abi, compat, handled, fs and net`},
		{"unknown rule key", head + "fs:\n  - path: /usr\n    acess: [read_file]\n", 4, `unknown key "acess" in an fs rule; did you mean access?`},
		{"unknown net key", head + "net:\n  - prot: 80\n    access: [bind_tcp]\n", 3, `unknown key "prot" in a net rule; did you mean port?`},
		{"unknown handled key", head + "handled:\n  scopes: all\n", 3, `unknown key "scopes" in handled; did you mean scoped?`},
		{"duplicate key", head + "abi: 7\nabi: 6\n", 3, `key abi appears twice in the policy (first on line 2); keep one`},
		{"non-text key", head + "1: x\n", 2, `a key in the policy is the int 1`},

		// version, abi, compat
		{"missing version", "abi: 7\n", 1, `version is missing; add "version: 2" at the top`},
		{"newer version", "version: 3\n", 1, `version 3 was written by a newer landlearn; this one reads versions 1 to 2: upgrade landlearn`},
		{"version 0", "version: 0\n", 1, `version 0 is not a policy schema version; this landlearn reads versions 1 to 2`},
		{"version as text", "version: \"1\"\n", 1, `version must be a whole number, not the text "1"`},
		{"abi 0", head + "abi: 0\n", 2, `abi 0 is not a Landlock ABI version landlearn knows (1..11)`},
		{"abi 12", head + "abi: 12\n", 2, `abi 12 is not a Landlock ABI version`},
		{"abi as text", head + "abi: seven\n", 2, `abi must be a whole number, not the text "seven"`},
		{"compat", head + "compat: besteffort\n", 2, `compat "besteffort" is unknown; did you mean best-effort?`},
		{"compat far", head + "compat: yolo\n", 2, `valid ones are best-effort and strict`},

		// handled
		{"handled none", head + "handled:\n  net: none\n", 3, `handled.net: write [] to restrict no net right`},
		{"handled scalar", head + "handled:\n  fs: read_file\n", 3, `handled.fs must be "all" or a list of rights such as [execute, write_file`},
		{"handled list", head + "handled: [fs]\n", 2, `handled must be a mapping with fs, net and scoped`},
		{"handled wrong kind", head + "handled:\n  net: [read_file]\n", 3, `read_file is an fs right; list it under handled.fs, not handled.net`},
		{"handled scope in fs", head + "handled:\n  fs:\n    - read_file\n    - signal\n", 5, `signal is a scoped right; list it under handled.scoped, not handled.fs`},
		{"handled newer than abi", head + "abi: 4\nhandled:\n  fs:\n    - read_file\n    - ioctl_dev\n", 6, `handled.fs: right ioctl_dev needs ABI 5 (Linux 6.10) but abi is 4; raise abi to 5 or remove ioctl_dev`},
		{"handled unknown right", head + "handled:\n  fs: [read]\n", 3, `right "read" is unknown; did you mean read_file?`},
		{"handled item not text", head + "handled:\n  fs: [[read_file]]\n", 3, `handled.fs: each right is a name such as read_file, not a list`},

		// rights in rules
		{"unknown right", head + "fs:\n  - path: /usr\n    access:\n      - execute\n      - read\n", 6, `right "read" is unknown; did you mean read_file?`},
		{"unknown right far", head + "fs:\n  - path: /usr\n    access: [xyzzyplughfoo]\n", 4, `right "xyzzyplughfoo" is unknown; the fs rights are execute, ioctl_dev, make_block`},
		{"net right in fs rule", head + "fs:\n  - path: /usr\n    access: [bind_tcp]\n", 4, `bind_tcp is a net right; grant it in a net rule (net: [{port: N, access: [bind_tcp]}])`},
		{"fs right in net rule", head + "net:\n  - port: 80\n    access: [read_file]\n", 4, `read_file is an fs right; grant it in an fs rule`},
		{"scope in rule", head + "fs:\n  - path: /usr\n    access: [signal]\n", 4, `signal is a scope, and scopes have no rules: list it in handled.scoped to forbid it, leave it out of handled.scoped to allow it`},
		{"not handled", head + "handled:\n  fs: [read_file]\nfs:\n  - path: /tmp\n    access: [read_file, write_file]\n", 6, `right write_file is granted but not handled, so it is allowed everywhere anyway; add write_file to handled.fs`},
		{"net not handled", head + "handled:\n  net: []\nnet:\n  - port: 80\n    access: [bind_tcp]\n", 6, `right bind_tcp is granted but not handled`},
		{"newer than abi", head + "abi: 2\nfs:\n  - path: /tmp\n    access: [truncate]\n", 5, `right truncate needs ABI 3 (Linux 6.2) but abi is 2; raise abi to 3 or remove truncate`},
		{"net newer than abi", head + "abi: 3\nnet:\n  - port: 80\n    access: [bind_tcp]\n", 5, `right bind_tcp needs ABI 4 (Linux 6.7) but abi is 3; raise abi to 4`},
		{"beyond kernel abi", head + "fs:\n  - path: /run/s\n    access: [resolve_unix]\n", 4, `right resolve_unix needs ABI 9 but abi is 7; raise abi to 9`},
		{"empty access", head + "fs:\n  - path: /usr\n    access: []\n", 4, `access is empty; list at least one right or remove the rule`},
		{"missing access", head + "fs:\n  - path: /usr\n", 3, `this fs rule has no access; add access: [read_file]`},
		{"net missing access", head + "net:\n  - port: 80\n", 3, `this net rule has no access; add access: [connect_tcp]`},
		{"access scalar", head + "fs:\n  - path: /usr\n    access: read_file\n", 4, `access must be a list of rights such as [read_file], not the text "read_file"`},
		{"access all", head + "fs:\n  - path: /usr\n    access: all\n", 4, `"all" is only for handled, rules list their rights`},

		// paths
		{"relative", head + "fs:\n  - path: build/out\n    access: [read_file]\n", 3, `path "build/out" is relative; write an absolute path such as ${PWD}/build/out`},
		{"relative dot", head + "fs:\n  - path: ./src/\n    access: [read_file]\n", 3, `such as ${PWD}/src`},
		{"tilde", head + "fs:\n  - path: ~/.cache\n    access: [read_file]\n", 3, `path "~/.cache" is relative; write an absolute path such as ${HOME}/.cache`},
		{"shell variable", head + "fs:\n  - path: $HOME/.cache\n    access: [read_file]\n", 3, `such as ${HOME}/.cache`},
		{"unterminated var", head + "fs:\n  - path: ${HOME/x\n    access: [read_file]\n", 3, `path "${HOME/x" has a ${ without its }; write ${NAME}`},
		{"bad var name", head + "fs:\n  - path: /a/${my-dir}\n    access: [read_file]\n", 3, `uses ${my-dir}; a variable name is letters, digits and _`},
		{"empty path", head + "fs:\n  - path: \"\"\n    access: [read_file]\n", 3, `path is empty; write an absolute path`},
		{"path not text", head + "fs:\n  - path: 42\n    access: [read_file]\n", 3, `path must be text, not the int 42`},
		{"missing path", head + "fs:\n  - access: [read_file]\n", 3, `this fs rule has no path; add path: /some/dir`},
		{"duplicate path", head + "fs:\n  - path: /usr\n    access: [read_file]\n  - path: /usr/\n    access: [execute]\n", 5, `path /usr/ is already granted by the rule on line 3; merge the two rules into one`},
		{"duplicate var path", head + "fs:\n  - path: ${HOME}/a\n    access: [read_file]\n  - path: ${HOME}/a\n    access: [execute]\n", 5, `already granted by the rule on line 3`},
		{"optional not bool", head + "fs:\n  - path: /usr\n    access: [read_file]\n    optional: yes\n", 5, `optional must be true or false, not the text "yes"`},

		// ports
		{"port too big", head + "net:\n  - port: 65536\n    access: [bind_tcp]\n", 3, `port 65536 is outside 0..65535`},
		{"port negative", head + "net:\n  - port: -1\n    access: [bind_tcp]\n", 3, `port -1 is outside 0..65535`},
		{"port name", head + "net:\n  - port: https\n    access: [connect_tcp]\n", 3, `port must be a whole number, not the text "https"`},
		// a port refused is no port 0: no "port 0 is already granted" on top
		{"port name beside port 0", head + "net:\n  - port: https\n    access: [connect_tcp]\n  - port: 0\n    access: [bind_tcp]\n", 3, `port must be a whole number, not the text "https"`},
		{"missing port", head + "net:\n  - access: [connect_tcp]\n", 3, `this net rule has no port; add port: N`},
		{"duplicate port", head + "net:\n  - port: 80\n    access: [bind_tcp]\n  - port: 80\n    access: [connect_tcp]\n", 5, `port 80 is already granted by the rule on line 3; merge the two rules into one`},

		// structure
		{"rules not a list", head + "fs: /usr\n", 2, `fs must be a list of rules (each starting with "- "), not the text "/usr"`},
		{"rule not a mapping", head + "fs:\n  - /usr\n", 3, `each fs rule is a mapping, not the text "/usr"`},
		{"root not a mapping", "- version: 1\n", 1, `a policy is a YAML mapping that starts with "version: 1", not a list`},
		{"anchor", head + "fs:\n  - path: /usr\n    access: &r [read_file]\n  - path: /etc\n    access: *r\n", 4, `anchors (&name) and aliases (*name) are not allowed in a policy; write each value out`},
		{"two documents", head + "---\nversion: 1\n", 2, `a second YAML document starts here; a policy file holds one (remove the ---)`},
		{"syntax", head + "fs:\n  - path: /usr\n   access: [read_file]\n", 4, `not valid YAML: `},
		{"syntax unclosed list", head + "fs:\n  - path: /usr\n    access: [read_file\n", 4, `not valid YAML: did not find expected ',' or ']'`},
		{"syntax after a flow list", head + "fs:\n  - path: /usr\n    access: [read_file,\n      execute]\n  - path: /x\n     access: [read_file]\n", 7, `not valid YAML: mapping values are not allowed in this context`},
		{"syntax unclosed quote", head + "fs:\n  - path: \"/usr\n    access: [read_file]\n", 3, `not valid YAML: found unexpected end of stream`},
		{"syntax dedented key", head + "fs:\n  - path: /usr\n  access: [read_file]\n", 4, `not valid YAML: did not find expected '-' indicator`},
		{"tab", head + "fs:\n\t- path: /usr\n", 3, `not valid YAML: found character that cannot start any token (YAML indents with spaces; this line starts with a tab: replace it with spaces)`},
		// found by FuzzLoad: one problem stays one line
		{"tag with a newline", "!%0A\n", 1, `a policy is a YAML mapping that starts with "version: 1", not a "!\n" value`},
		{"path with a newline", head + "fs:\n  - path: \"/a\\nb\"\n    access: [read_file]\n  - path: \"/a\\nb\"\n    access: [read_file]\n", 5, `path /a\nb is already granted by the rule on line 3`},
		// a policy under review must not drive the terminal (issue 12)
		{"path with escapes", head + "fs:\n  - path: \"/x\\e]0;owned\\a\\u202e\"\n    access: [read_file]\n  - path: \"/x\\e]0;owned\\a\\u202e\"\n    access: [read_file]\n", 5, `path /x\x1b]0;owned\a\u202e is already granted by the rule on line 3`},
		{"empty", "", 0, `is empty; a policy starts with "version: 1"`},
		{"comments only", "# nothing\n", 0, `is empty; a policy starts with "version: 1"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.src)
			if err == nil {
				t.Fatalf("loaded without error:\n%s", tc.src)
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %T is not a *LoadError: %v", err, err)
			}
			var list LoadErrors
			if errors.As(err, &list) {
				t.Fatalf("want exactly one error, got:\n%v", err)
			}
			if le.File != "policy.yaml" || le.Line != tc.line || !strings.Contains(le.Msg, tc.msg) {
				t.Errorf("got  %v\nwant policy.yaml:%d: ...%s...", err, tc.line, tc.msg)
			}
			want := "policy.yaml:"
			if tc.line == 0 {
				want = "policy.yaml: "
			}
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("%q does not start with %q", err, want)
			}
		})
	}
}

func TestLoadManyErrors(t *testing.T) {
	_, err := load(t, "version: 1\nfs:\n  - path: rel\n    access: [read]\nnet:\n  - port: 99999\n    access: [bind_tcp]\n")
	var list LoadErrors
	if !errors.As(err, &list) || len(list) != 3 {
		t.Fatalf("want 3 errors, got %v", err)
	}
	for i, line := range []int{3, 4, 6} {
		if list[i].Line != line {
			t.Errorf("error %d on line %d, want %d: %v", i, list[i].Line, line, list[i])
		}
	}
	if got := err.Error(); strings.Count(got, "\n") != 2 || !strings.HasPrefix(got, "policy.yaml:3: ") {
		t.Errorf("text = %q", got)
	}

	var b strings.Builder
	b.WriteString("version: 1\nfs:\n")
	for range 30 {
		b.WriteString("  - path: rel\n    access: [read_file]\n")
	}
	_, err = load(t, b.String())
	if !errors.As(err, &list) || len(list) != maxErrors+1 || !strings.Contains(list[maxErrors].Msg, "10 more problems not shown") {
		t.Errorf("30 errors: got %d: %v", len(list), err)
	}
}

func TestLoadTooLarge(t *testing.T) {
	_, err := Load(strings.NewReader(strings.Repeat("#", MaxFileSize+1)), "big.yaml")
	var le *LoadError
	if !errors.As(err, &le) || le.File != "big.yaml" || !strings.Contains(le.Msg, "larger than 4 MiB") {
		t.Errorf("got %v", err)
	}
}

// largePolicy is a policy of about size bytes whose rules are fine but
// for a mistake (a rule's access indented one space too far) in the rule
// before the last few, and the line of that mistake.
func largePolicy(size int) (data []byte, line int) {
	var b strings.Builder
	b.WriteString("version: 1\nfs:\n")
	n := 2
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "  # rule %d\n  - path: /usr/share/doc/package-%d/changelog.gz\n    access: [read_file]\n", i, i)
		n += 3
	}
	fmt.Fprintf(&b, "  - path: /x\n     access: [read_file]\n")
	line = n + 2
	for i := range 5 {
		fmt.Fprintf(&b, "  - path: /y%d\n    access: [read_file]\n", i)
	}
	return []byte(b.String()), line
}

// TestSyntaxErrorInALargePolicy: yaml.v3 reports a mistake deep in a
// long list at the list's own line ("fs:", line 2); the real line is
// found at any size up to MaxFileSize (it was only up to 256 KiB).
func TestSyntaxErrorInALargePolicy(t *testing.T) {
	for _, size := range []int{4 << 10, 300 << 10, MaxFileSize - 4096} {
		data, line := largePolicy(size)
		_, err := Load(bytes.NewReader(data), "big.yaml")
		var le *LoadError
		if !errors.As(err, &le) || le.Line != line || !strings.Contains(le.Msg, "not valid YAML") {
			t.Errorf("%d bytes: %v, want a YAML error on line %d", len(data), err, line)
		}
	}
}

// BenchmarkSyntaxErrorInALargePolicy is the cost of finding the line of
// a mistake near the end of a policy of MaxFileSize.
func BenchmarkSyntaxErrorInALargePolicy(b *testing.B) {
	data, _ := largePolicy(MaxFileSize - 4096)
	for b.Loop() {
		Load(bytes.NewReader(data), "big.yaml")
	}
}
