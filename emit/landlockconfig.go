package emit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/landlearn/landlearn/policy"
)

// The landlock-lsm/landlockconfig format is the Landlock maintainers'
// configuration language, read by their Rust library, its C binding and
// its sandboxer; its JSON schema is schema/landlockconfig.json in
// https://github.com/landlock-lsm/landlockconfig. A file has optional
// top-level keys abi, variable, ruleset, pathBeneath and netPort (TOML:
// path_beneath, net_port, allowed_access, handled_access_fs,
// handled_access_net), each a non-empty list. Rights are spelled as in
// landlearn (read_file, bind_tcp, signal...); the "abi.all" style groups
// are not used here, so that the file says exactly what the policy says.
//
// What does not carry over:
//   - Variables. landlockconfig substitutes ${name} from [[variable]]
//     entries. By default landlearn declares each variable its paths use
//     without a value, because the value belongs to the machine that
//     enforces the policy; LandlockConfig.Vars (emit --var NAME=VALUE)
//     fills in "literal". A variable left without a value makes its rules
//     match nothing (the sandbox gets stricter, not looser). Do not supply
//     the values by composing with a variables-only config: composition
//     intersects the handled rights, and a config that handles nothing
//     would leave no sandbox. A literal "$" in a path is written "$$",
//     landlockconfig's escape.
//   - optional: landlockconfig skips every rule whose path is missing.
//   - compat: landlockconfig is always best effort.
//   - Rights newer than landlockconfig's schema (resolve_unix, the UDP
//     rights): an error, since dropping a handled right would silently
//     allow it everywhere.

// The rights landlockconfig's schema accepts.
const (
	lcSchemaFS = policy.FSExecute | policy.FSWriteFile | policy.FSReadFile |
		policy.FSReadDir | policy.FSRemoveDir | policy.FSRemoveFile |
		policy.FSMake | policy.FSRefer | policy.FSTruncate | policy.FSIoctlDev
	lcSchemaNet    = policy.NetBindTCP | policy.NetConnectTCP
	lcSchemaScopes = policy.ScopeAbstractUnixSocket | policy.ScopeSignal
)

// lcConfig is a landlockconfig file; the field order is the output order.
type lcConfig struct {
	ABI         int             `json:"abi"`
	Variable    []lcVariable    `json:"variable,omitempty"`
	Ruleset     []lcRuleset     `json:"ruleset,omitempty"`
	PathBeneath []lcPathBeneath `json:"pathBeneath,omitempty"`
	NetPort     []lcNetPort     `json:"netPort,omitempty"`
}

type lcVariable struct {
	Name    string   `json:"name"`
	Literal []string `json:"literal,omitempty"`
}

type lcRuleset struct {
	HandledAccessFs  []string `json:"handledAccessFs,omitempty"`
	HandledAccessNet []string `json:"handledAccessNet,omitempty"`
	Scoped           []string `json:"scoped,omitempty"`
}

type lcPathBeneath struct {
	AllowedAccess []string `json:"allowedAccess"`
	Parent        []string `json:"parent"`
	// comments are the rules' comments, for the TOML form.
	comments []string
}

type lcNetPort struct {
	AllowedAccess []string `json:"allowedAccess"`
	Port          []uint16 `json:"port"`
	comments      []string
}

// LandlockConfig writes the landlock-lsm/landlockconfig formats. Its
// zero value declares the policy's variables without values.
type LandlockConfig struct {
	// Vars gives variables their values, written as their "literal". It
	// is not used to expand paths: ${HOME}/x stays a template, so the file
	// still shows where each grant came from.
	Vars policy.Vars
}

// LandlockConfigJSON writes p in the landlock-lsm/landlockconfig JSON
// format; see LandlockConfig.JSON.
func LandlockConfigJSON(w io.Writer, p *policy.Policy) error {
	return LandlockConfig{}.JSON(w, p)
}

// LandlockConfigTOML writes p in the landlock-lsm/landlockconfig TOML
// format; see LandlockConfig.TOML.
func LandlockConfigTOML(w io.Writer, p *policy.Policy) error {
	return LandlockConfig{}.TOML(w, p)
}

// Missing returns the variables p's paths use that c gives no value, in
// order: in the landlockconfig output their rules match nothing until a
// value is added.
func (lc LandlockConfig) Missing(p *policy.Policy) []string {
	var out []string
	for _, name := range policyVars(p) {
		if _, ok := lc.Vars[name]; !ok {
			out = append(out, name)
		}
	}
	return out
}

// JSON writes p in the landlockconfig JSON format (see the notes above on
// what does not carry over). Rules with the same rights share one
// pathBeneath or netPort entry. The output is deterministic and validates
// against landlockconfig's JSON schema.
func (lc LandlockConfig) JSON(w io.Writer, p *policy.Policy) error {
	c, err := lc.convert(lc.Groups(p))
	if err != nil {
		return err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

// TOML writes p in the landlockconfig TOML format: the same content as
// JSON in snake_case keys, with p.Comment as a header and the rules'
// comments above their entry.
func (lc LandlockConfig) TOML(w io.Writer, p *policy.Policy) error {
	p = lc.Groups(p)
	c, err := lc.convert(p)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString(tomlComment(p.Comment))
	if p.Comment != "" {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "abi = %d\n", c.ABI)
	if p.Compat == policy.Strict {
		b.WriteString("# The landlearn policy asks for compat: strict; landlockconfig is always best effort.\n")
	}
	if missing := lc.Missing(p); len(missing) > 0 {
		fmt.Fprintf(&b, "\n# landlearn keeps paths such as ${%s}/x unexpanded. Give each [[variable]]\n"+
			"# without a literal its value, here (literal = [\"/path\"]) or with\n"+
			"# landlearn emit --var %s=/path; until then its rules match nothing.\n"+
			"# (Composing with a config that only sets variables would intersect the\n"+
			"# handled rights away.)\n", missing[0], missing[0])
	}
	for _, v := range c.Variable {
		b.WriteString("\n")
		fmt.Fprintf(&b, "[[variable]]\nname = %s\n", tomlString(v.Name))
		if v.Literal != nil {
			fmt.Fprintf(&b, "literal = %s\n", tomlArray(v.Literal))
		}
	}
	for _, r := range c.Ruleset {
		b.WriteString("\n[[ruleset]]\n")
		if r.HandledAccessFs != nil {
			fmt.Fprintf(&b, "handled_access_fs = %s\n", tomlArray(r.HandledAccessFs))
		}
		if r.HandledAccessNet != nil {
			fmt.Fprintf(&b, "handled_access_net = %s\n", tomlArray(r.HandledAccessNet))
		}
		if r.Scoped != nil {
			fmt.Fprintf(&b, "scoped = %s\n", tomlArray(r.Scoped))
		}
	}
	for _, r := range c.PathBeneath {
		b.WriteString("\n")
		b.WriteString(tomlComment(strings.Join(r.comments, "\n")))
		fmt.Fprintf(&b, "[[path_beneath]]\nallowed_access = %s\nparent = %s\n", tomlArray(r.AllowedAccess), tomlArray(r.Parent))
	}
	for _, r := range c.NetPort {
		b.WriteString("\n")
		b.WriteString(tomlComment(strings.Join(r.comments, "\n")))
		ports := make([]string, len(r.Port))
		for i, port := range r.Port {
			ports[i] = fmt.Sprint(port)
		}
		fmt.Fprintf(&b, "[[net_port]]\nallowed_access = %s\nport = [%s]\n", tomlArray(r.AllowedAccess), strings.Join(ports, ", "))
	}
	_, err = w.Write(b.Bytes())
	return err
}

// Groups returns p with its group rules expanded into the paths they
// stand for on this host (landlockconfig has no groups): what JSON and
// TOML write. Its Notes name the groups that have no member here.
func (lc LandlockConfig) Groups(p *policy.Policy) *policy.Policy {
	v := policy.DefaultVars()
	for name, value := range lc.Vars {
		v[name] = value
	}
	return p.ExpandGroups(v, policy.Host{})
}

// convert converts p, refusing what landlockconfig cannot say.
func (lc LandlockConfig) convert(p *policy.Policy) (*lcConfig, error) {
	c := &lcConfig{ABI: p.ABI}
	// checked returns the names of a set's rights, or an error when some
	// of them (extra) are not in the schema.
	checked := func(names, extra []string, where string) ([]string, error) {
		if len(extra) > 0 {
			return nil, fmt.Errorf("%s: landlockconfig's schema has no right %s (it knows the rights up to ABI 6); remove it from the policy to emit it as landlockconfig",
				where, strings.Join(extra, ", "))
		}
		return names, nil
	}
	fsNames := func(a policy.FSAccess, where string) ([]string, error) {
		return checked(a.Names(), (a &^ lcSchemaFS).Names(), where)
	}
	netNames := func(a policy.NetAccess, where string) ([]string, error) {
		return checked(a.Names(), (a &^ lcSchemaNet).Names(), where)
	}
	var rs lcRuleset
	var err error
	if rs.HandledAccessFs, err = fsNames(p.Handled.FS, "handled.fs"); err != nil {
		return nil, err
	}
	if rs.HandledAccessNet, err = netNames(p.Handled.Net, "handled.net"); err != nil {
		return nil, err
	}
	if rs.Scoped, err = checked(p.Handled.Scoped.Names(), (p.Handled.Scoped &^ lcSchemaScopes).Names(), "handled.scoped"); err != nil {
		return nil, err
	}
	if rs.HandledAccessFs != nil || rs.HandledAccessNet != nil || rs.Scoped != nil {
		c.Ruleset = []lcRuleset{rs}
	}

	vars := map[string]bool{}
	byAccess := map[policy.FSAccess]int{} // index in c.PathBeneath
	for _, r := range sortedFS(p.FS) {
		if r.Access == 0 {
			continue // grants nothing; the schema wants at least one right
		}
		where := "fs rule " + r.Path
		if r.Line > 0 && p.File != "" {
			where = fmt.Sprintf("%s:%d", p.File, r.Line)
		}
		access, err := fsNames(r.Access, where)
		if err != nil {
			return nil, err
		}
		parent, used, err := lcTemplate(r.Path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		for _, v := range used {
			vars[v] = true
		}
		i, ok := byAccess[r.Access]
		if !ok {
			i = len(c.PathBeneath)
			byAccess[r.Access] = i
			c.PathBeneath = append(c.PathBeneath, lcPathBeneath{AllowedAccess: access})
		}
		pb := &c.PathBeneath[i]
		pb.Parent = append(pb.Parent, parent)
		if cm := strings.Trim(r.Comment, "\n"); cm != "" {
			pb.comments = append(pb.comments, r.Path+":", indentLines(cm, "  "))
		}
	}
	byNetAccess := map[policy.NetAccess]int{}
	for _, r := range sortedNet(p.Net) {
		if r.Access == 0 {
			continue
		}
		access, err := netNames(r.Access, fmt.Sprintf("net rule for port %d", r.Port))
		if err != nil {
			return nil, err
		}
		i, ok := byNetAccess[r.Access]
		if !ok {
			i = len(c.NetPort)
			byNetAccess[r.Access] = i
			c.NetPort = append(c.NetPort, lcNetPort{AllowedAccess: access})
		}
		np := &c.NetPort[i]
		np.Port = append(np.Port, r.Port)
		if cm := strings.Trim(r.Comment, "\n"); cm != "" {
			np.comments = append(np.comments, fmt.Sprintf("port %d:", r.Port), indentLines(cm, "  "))
		}
	}
	for _, v := range slices.Sorted(maps.Keys(vars)) {
		lv := lcVariable{Name: v}
		if value, ok := lc.Vars[v]; ok {
			if !utf8.ValidString(value) {
				return nil, fmt.Errorf("the value of ${%s} is not valid UTF-8, which JSON and TOML cannot hold", v)
			}
			lv.Literal = []string{value}
		}
		c.Variable = append(c.Variable, lv)
	}
	if c.Ruleset == nil && c.PathBeneath == nil && c.NetPort == nil {
		return nil, fmt.Errorf("the policy handles no right and grants nothing; landlockconfig has no way to write an empty ruleset")
	}
	return c, nil
}

// policyVars returns the variable names p's rule paths use, sorted.
func policyVars(p *policy.Policy) []string {
	seen := map[string]bool{}
	for _, r := range p.FS {
		if _, used, err := lcTemplate(r.Path); err == nil {
			for _, v := range used {
				seen[v] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// lcTemplate turns a landlearn rule path into a landlockconfig template
// string: ${NAME} stays a variable reference, every other "$" is doubled
// (landlockconfig reads "$$" as one literal "$"). It returns the variable
// names used.
func lcTemplate(path string) (string, []string, error) {
	if !utf8.ValidString(path) {
		return "", nil, fmt.Errorf("path %q is not valid UTF-8, which JSON and TOML cannot hold", path)
	}
	var b strings.Builder
	var used []string
	for rest := path; rest != ""; {
		i := strings.IndexByte(rest, '$')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		rest = rest[i:]
		if strings.HasPrefix(rest, "${") {
			if j := strings.IndexByte(rest, '}'); j > 0 {
				name := rest[2:j]
				if !lcVarName(name) {
					return "", nil, fmt.Errorf("variable ${%s}: landlockconfig names start with a letter and hold letters, digits and _", name)
				}
				used = append(used, name)
				b.WriteString(rest[:j+1])
				rest = rest[j+1:]
				continue
			}
		}
		b.WriteString("$$")
		rest = rest[1:]
	}
	return b.String(), used, nil
}

// lcVarName is landlockconfig's rule for a variable name.
func lcVarName(name string) bool {
	if name == "" || !isASCIILetter(name[0]) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isASCIILetter(c) && !(c >= '0' && c <= '9') && c != '_' {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func indentLines(s, indent string) string {
	return indent + strings.ReplaceAll(s, "\n", "\n"+indent)
}

// tomlComment writes text as "# " lines.
func tomlComment(text string) string {
	return commentLines(text, "")
}

// tomlString quotes s as a TOML basic string. JSON's string escapes are a
// subset of TOML's (\", \\, \n, \t, \uXXXX...), so encoding/json does the
// work, with HTML escaping off to keep "<" readable. TOML also forbids a
// raw DEL, which JSON allows.
func tomlString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.ReplaceAll(strings.TrimSuffix(b.String(), "\n"), "\x7f", `\u007f`)
}

func tomlArray(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = tomlString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
