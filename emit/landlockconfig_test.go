package emit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/policy"
)

// The rules below are those of landlockconfig's published JSON schema
// (schema/landlockconfig.json in landlock-lsm/landlockconfig): the keys
// each object may hold, the ones it must hold, and the right names.
var (
	lcTopKeys      = []string{"abi", "variable", "ruleset", "pathBeneath", "netPort"}
	lcRulesetKeys  = []string{"handledAccessFs", "handledAccessNet", "scoped"}
	lcAccessFsEnum = []string{"abi.all", "abi.read_execute", "abi.read_write", "execute", "write_file",
		"read_file", "read_dir", "remove_dir", "remove_file", "make_char", "make_dir", "make_reg",
		"make_sock", "make_fifo", "make_block", "make_sym", "refer", "truncate", "ioctl_dev"}
	lcAccessNetEnum = []string{"abi.all", "bind_tcp", "connect_tcp"}
	lcScopeEnum     = []string{"abi.all", "abstract_unix_socket", "signal"}
)

// checkLCSchema checks a decoded landlockconfig document against the
// schema's rules and returns the violations.
func checkLCSchema(doc map[string]any) []string {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	list := func(v any, where string) []any {
		l, ok := v.([]any)
		if !ok || len(l) == 0 {
			fail("%s must be a non-empty array, is %#v", where, v)
		}
		return l
	}
	enum := func(v any, where string, allowed []string) {
		for i, item := range list(v, where) {
			s, ok := item.(string)
			if !ok || !slices.Contains(allowed, s) {
				fail("%s[%d] = %#v is not one of %v", where, i, item, allowed)
			}
		}
	}
	object := func(v any, where string, keys, required []string) map[string]any {
		m, ok := v.(map[string]any)
		if !ok {
			fail("%s must be an object", where)
			return nil
		}
		for k := range m {
			if !slices.Contains(keys, k) {
				fail("%s has key %q, the schema allows %v", where, k, keys)
			}
		}
		for _, k := range required {
			if _, ok := m[k]; !ok {
				fail("%s lacks required key %q", where, k)
			}
		}
		return m
	}
	object(doc, "top", lcTopKeys, nil)
	if len(doc) == 0 || (len(doc) == 1 && doc["abi"] != nil) {
		fail("the schema needs one of variable, ruleset, pathBeneath, netPort")
	}
	if abi, ok := doc["abi"]; ok {
		if n, ok := abi.(float64); !ok || n < 1 || n != float64(int(n)) {
			fail("abi = %#v is not an integer >= 1", abi)
		}
	}
	if v, ok := doc["variable"]; ok {
		for i, item := range list(v, "variable") {
			m := object(item, fmt.Sprintf("variable[%d]", i), []string{"name", "literal"}, []string{"name"})
			if _, ok := m["name"].(string); !ok {
				fail("variable[%d].name is not a string", i)
			}
			if lit, ok := m["literal"]; ok {
				list(lit, fmt.Sprintf("variable[%d].literal", i))
			}
		}
	}
	if v, ok := doc["ruleset"]; ok {
		for i, item := range list(v, "ruleset") {
			where := fmt.Sprintf("ruleset[%d]", i)
			m := object(item, where, lcRulesetKeys, nil)
			if len(m) == 0 {
				fail("%s is empty (minProperties 1)", where)
			}
			if a, ok := m["handledAccessFs"]; ok {
				enum(a, where+".handledAccessFs", lcAccessFsEnum)
			}
			if a, ok := m["handledAccessNet"]; ok {
				enum(a, where+".handledAccessNet", lcAccessNetEnum)
			}
			if a, ok := m["scoped"]; ok {
				enum(a, where+".scoped", lcScopeEnum)
			}
		}
	}
	if v, ok := doc["pathBeneath"]; ok {
		for i, item := range list(v, "pathBeneath") {
			where := fmt.Sprintf("pathBeneath[%d]", i)
			m := object(item, where, []string{"allowedAccess", "parent"}, []string{"allowedAccess", "parent"})
			enum(m["allowedAccess"], where+".allowedAccess", lcAccessFsEnum)
			for j, p := range list(m["parent"], where+".parent") {
				if _, ok := p.(string); !ok {
					fail("%s.parent[%d] is not a string", where, j)
				}
			}
		}
	}
	if v, ok := doc["netPort"]; ok {
		for i, item := range list(v, "netPort") {
			where := fmt.Sprintf("netPort[%d]", i)
			m := object(item, where, []string{"allowedAccess", "port"}, []string{"allowedAccess", "port"})
			enum(m["allowedAccess"], where+".allowedAccess", lcAccessNetEnum)
			for j, p := range list(m["port"], where+".port") {
				if n, ok := p.(float64); !ok || n < 0 || n != float64(int64(n)) {
					fail("%s.port[%d] = %#v is not an unsigned integer", where, j, p)
				}
			}
		}
	}
	return bad
}

func lcJSON(t *testing.T, p *policy.Policy) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := LandlockConfigJSON(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func lcTOML(t *testing.T, p *policy.Policy) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := LandlockConfigTOML(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func decodeJSON(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("not valid JSON: %v\n%s", err, data)
	}
	return doc
}

// tomlAsJSON decodes TOML output and renames its snake_case keys to the
// JSON form's, so both forms can be compared.
func tomlAsJSON(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		t.Fatalf("not valid TOML: %v\n%s", err, data)
	}
	rename := map[string]string{"path_beneath": "pathBeneath", "net_port": "netPort",
		"allowed_access": "allowedAccess", "handled_access_fs": "handledAccessFs", "handled_access_net": "handledAccessNet"}
	// A JSON round trip turns TOML's int64 and []map into JSON's types.
	var walk func(v any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, x := range v {
				if r, ok := rename[k]; ok {
					k = r
				}
				out[k] = walk(x)
			}
			return out
		case []map[string]any:
			out := make([]any, len(v))
			for i, x := range v {
				out[i] = walk(x)
			}
			return out
		case []any:
			out := make([]any, len(v))
			for i, x := range v {
				out[i] = walk(x)
			}
			return out
		case int64:
			return float64(v)
		}
		return v
	}
	return walk(doc).(map[string]any)
}

func TestLandlockConfigGolden(t *testing.T) {
	p := samplePolicy()
	p.FS = append(p.FS, policy.FSRule{Path: "/usr/lib/locale", Access: policy.FSReadFile | policy.FSReadDir | policy.FSExecute})
	testkit.Golden(t, "testdata/sample.landlockconfig.json", lcJSON(t, p))
	testkit.Golden(t, "testdata/sample.landlockconfig.toml", lcTOML(t, p))
}

func TestLandlockConfigSchema(t *testing.T) {
	policies := map[string]*policy.Policy{"sample": samplePolicy()}
	for abi := 1; abi <= 8; abi++ {
		p := policy.New(abi)
		p.FS = []policy.FSRule{{Path: "/usr", Access: policy.FSReadFile}}
		policies[fmt.Sprintf("abi %d", abi)] = p
	}
	onlyNet := policy.New(7)
	onlyNet.Handled = policy.Handled{Net: policy.NetConnectTCP}
	onlyNet.Net = []policy.NetRule{{Port: 443, Access: policy.NetConnectTCP}}
	policies["only net"] = onlyNet
	for name, p := range policies {
		t.Run(name, func(t *testing.T) {
			jdoc := decodeJSON(t, lcJSON(t, p))
			if bad := checkLCSchema(jdoc); len(bad) > 0 {
				t.Errorf("JSON breaks the schema:\n%s", strings.Join(bad, "\n"))
			}
			tdoc := tomlAsJSON(t, lcTOML(t, p))
			if bad := checkLCSchema(tdoc); len(bad) > 0 {
				t.Errorf("TOML breaks the schema:\n%s", strings.Join(bad, "\n"))
			}
			if !reflect.DeepEqual(jdoc, tdoc) {
				t.Errorf("TOML and JSON differ:\nJSON %v\nTOML %v", jdoc, tdoc)
			}
		})
	}
}

// TestLandlockConfigContent checks the meaning: every grant and handled
// right is there, grouped by rights, and nothing else.
func TestLandlockConfigContent(t *testing.T) {
	p := policy.New(7)
	p.Handled.Scoped = policy.ScopeSignal
	rx := policy.FSReadFile | policy.FSExecute
	p.FS = []policy.FSRule{
		{Path: "/usr", Access: rx},
		{Path: "/bin", Access: rx},
		{Path: "/etc/hostname", Access: policy.FSReadFile},
		{Path: "${HOME}/a$b/${XDG_CACHE_HOME}", Access: policy.FSReadFile},
	}
	p.Net = []policy.NetRule{{Port: 80, Access: policy.NetConnectTCP}, {Port: 443, Access: policy.NetConnectTCP}}
	doc := decodeJSON(t, lcJSON(t, p))
	want := map[string]any{
		"abi":      float64(7),
		"variable": []any{map[string]any{"name": "HOME"}, map[string]any{"name": "XDG_CACHE_HOME"}},
		"ruleset": []any{map[string]any{
			"handledAccessFs":  toAny(policy.AllFS(7).Names()),
			"handledAccessNet": []any{"bind_tcp", "connect_tcp"},
			"scoped":           []any{"signal"},
		}},
		"pathBeneath": []any{
			map[string]any{"allowedAccess": []any{"read_file"}, "parent": []any{"${HOME}/a$$b/${XDG_CACHE_HOME}", "/etc/hostname"}},
			map[string]any{"allowedAccess": []any{"execute", "read_file"}, "parent": []any{"/bin", "/usr"}},
		},
		"netPort": []any{map[string]any{"allowedAccess": []any{"connect_tcp"}, "port": []any{float64(80), float64(443)}}},
	}
	if !reflect.DeepEqual(doc, want) {
		got, _ := json.MarshalIndent(doc, "", " ")
		exp, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("got\n%s\nwant\n%s", got, exp)
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

func TestLandlockConfigRefuses(t *testing.T) {
	tests := []struct {
		name string
		p    func() *policy.Policy
		want string
	}{
		{"right newer than the schema", func() *policy.Policy { return policy.New(9) }, "resolve_unix"},
		{"udp", func() *policy.Policy {
			p := policy.New(7)
			p.ABI = 10
			p.Handled.Net |= policy.NetBindUDP
			return p
		}, "bind_udp"},
		{"empty", func() *policy.Policy {
			p := policy.New(7)
			p.Handled = policy.Handled{}
			return p
		}, "empty ruleset"},
		{"bad variable name", func() *policy.Policy {
			p := policy.New(7)
			p.FS = []policy.FSRule{{Path: "${_X}/a", Access: policy.FSReadFile}}
			return p
		}, "${_X}"},
		{"invalid UTF-8", func() *policy.Policy {
			p := policy.New(7)
			p.FS = []policy.FSRule{{Path: "/a\xff", Access: policy.FSReadFile}}
			return p
		}, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range []func(*bytes.Buffer, *policy.Policy) error{
				func(b *bytes.Buffer, p *policy.Policy) error { return LandlockConfigJSON(b, p) },
				func(b *bytes.Buffer, p *policy.Policy) error { return LandlockConfigTOML(b, p) },
			} {
				var b bytes.Buffer
				err := f(&b, tt.p())
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error = %v, want one naming %q", err, tt.want)
				}
				if b.Len() != 0 {
					t.Errorf("wrote %d bytes before failing", b.Len())
				}
			}
		})
	}
}

func TestTOMLStrings(t *testing.T) {
	for _, s := range []string{`/a"b`, `/a\b`, "/tab\t", "/nl\n", "/del\x7f", "/ctl\x01", "/ü<>&", "/\u2028"} {
		doc := map[string]any{}
		src := "x = " + tomlString(s) + "\n"
		if _, err := toml.Decode(src, &doc); err != nil {
			t.Errorf("%q: %v in %q", s, err, src)
			continue
		}
		if doc["x"] != s {
			t.Errorf("%q came back as %q", s, doc["x"])
		}
	}
}

func TestLandlockConfigVars(t *testing.T) {
	p := samplePolicy() // uses ${HOME} and ${TMPDIR}
	lc := LandlockConfig{Vars: policy.Vars{"HOME": "/home/alice", "UNUSED": "/x"}}
	if got := lc.Missing(p); strings.Join(got, ",") != "TMPDIR" {
		t.Errorf("Missing = %v, want [TMPDIR]", got)
	}
	if got := (LandlockConfig{}).Missing(p); strings.Join(got, ",") != "HOME,TMPDIR" {
		t.Errorf("Missing of the zero value = %v", got)
	}
	var js, tm bytes.Buffer
	if err := lc.JSON(&js, p); err != nil {
		t.Fatal(err)
	}
	if err := lc.TOML(&tm, p); err != nil {
		t.Fatal(err)
	}
	jdoc := decodeJSON(t, js.Bytes())
	if bad := checkLCSchema(jdoc); len(bad) > 0 {
		t.Errorf("JSON breaks the schema:\n%s", strings.Join(bad, "\n"))
	}
	want := []any{
		map[string]any{"name": "HOME", "literal": []any{"/home/alice"}},
		map[string]any{"name": "TMPDIR"},
	}
	if !reflect.DeepEqual(jdoc["variable"], want) {
		t.Errorf("variable = %#v, want %#v", jdoc["variable"], want)
	}
	if tdoc := tomlAsJSON(t, tm.Bytes()); !reflect.DeepEqual(jdoc, tdoc) {
		t.Errorf("TOML and JSON differ:\nJSON %v\nTOML %v", jdoc, tdoc)
	}
	// Paths stay templates: the value is not substituted.
	if strings.Contains(js.String(), "/home/alice/.cache") {
		t.Errorf("a path was expanded:\n%s", js.String())
	}
	if !strings.Contains(tm.String(), "--var TMPDIR=") {
		t.Errorf("TOML does not say how to fill TMPDIR:\n%s", tm.String())
	}
}

// TestLandlockConfigExpandsGroups: landlockconfig has no groups, so a
// group rule is written as the paths it stands for on this host.
func TestLandlockConfigExpandsGroups(t *testing.T) {
	p := policy.New(7)
	p.FS = []policy.FSRule{{Group: "linker-config", Access: policy.FSReadFile}, {Group: "system", Access: policy.FSReadFile | policy.FSExecute}}
	var b strings.Builder
	if err := LandlockConfigJSON(&b, p); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"/etc/ld.so.cache"`, `"/usr"`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %s in\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "group") {
		t.Errorf("a group name is left in\n%s", b.String())
	}
}
