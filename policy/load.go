package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// MaxFileSize bounds a policy file. A learned policy of a large program is
// a few hundred lines; anything near this is not a policy, and reading it
// whole would let a mistaken -p /dev/zero eat the memory.
const MaxFileSize = 4 << 20

// LoadFile reads the policy file at path; see Load. A directory, an
// unreadable file and an empty file are errors that name path.
func LoadFile(path string) (*Policy, error) {
	p, el, err := loadFile(path)
	if err == nil {
		err = el.err()
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// loadFile is LoadFile, with the policy as far as it parsed beside its
// problems (see loadPartial).
func loadFile(path string) (*Policy, *errorList, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, &LoadError{File: path, Msg: "cannot read the policy: " + errText(err), Err: err}
	}
	if st.IsDir() {
		return nil, nil, &LoadError{File: path, Msg: fmt.Sprintf(
			"is a directory, not a policy file; did you mean %s?", strings.TrimSuffix(path, "/")+"/landlock.yaml")}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, &LoadError{File: path, Msg: "cannot read the policy: " + errText(err), Err: err}
	}
	defer f.Close()
	return loadPartial(f, path)
}

// errText is err's text without the *PathError's op and path, which the
// LoadError already names.
func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Load reads a policy in the YAML schema, version 1 or 2 (docs/design.md,
// "Policy file"), from r; name is the file name used in messages and
// kept in Policy.File.
//
// Loading is strict, because a typo in a sandbox policy is a silent hole
// or a silent outage: unknown keys, unknown rights, rights of the wrong
// kind, rights newer than abi, a right used in a rule but not handled,
// duplicate paths or ports, relative paths, ports outside 0..65535 and
// empty access lists are errors. Every problem found is reported (up to
// 20), each as "FILE:LINE: message" with the likely fix; the error is a
// *LoadError or a LoadErrors.
//
// Defaults: a missing abi is KernelABI (learn always writes one, so only
// hand-written files rely on it); a missing compat is best-effort; a
// missing handled, or a missing kind inside it, handles every right of
// abi of that kind (write [] to leave a kind unrestricted). A version is
// required.
//
// Each rule keeps its line and the comments written above and beside it
// (in FSRule.Comment and NetRule.Comment), and the comment at the top of
// the file goes to Policy.Comment, so emit can write a loaded policy back
// with its comments. Variables (${HOME}...) stay unexpanded: see Expand.
func Load(r io.Reader, name string) (*Policy, error) {
	p, el, err := loadPartial(r, name)
	if err == nil {
		err = el.err()
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// loadPartial reads and checks a policy. err is a problem with the input as a
// whole (unreadable, too large); otherwise el holds the problems found
// and p, unless the file is no policy at all, the policy as far as it
// parsed: its rules without a problem of their own are as written.
func loadPartial(r io.Reader, name string) (p *Policy, el *errorList, err error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, nil, &LoadError{File: name, Msg: "cannot read the policy: " + errText(err), Err: err}
	}
	if len(data) > MaxFileSize {
		return nil, nil, &LoadError{File: name, Msg: fmt.Sprintf(
			"is larger than %d MiB; that is not a policy file", MaxFileSize>>20)}
	}
	ps := &parser{errorList: errorList{file: name}}
	p = ps.parse(data)
	if p != nil {
		validate(p, &ps.pos, &ps.errorList)
	}
	return p, &ps.errorList, nil
}

// positions remembers where things were in the file, for the semantic
// checks that run after parsing (validate). A policy built in memory has
// none, and its messages fall back to rule lines (0) and indexes.
type positions struct {
	version, abi, compat int
	// handled is the line of handled.fs, handled.net and handled.scoped
	// (the kind's key, or handled itself).
	handled [3]int
	// handledRight is the line of each right named in a handled list.
	handledRight [3]map[uint64]int
	// fsRight and netRight are the line of each right, per rule.
	fsRight, netRight []map[uint64]int
	// badPath holds the fs rules whose path the parser already refused,
	// badPort the net rules whose port it refused (or that have none):
	// their zero value is no port 0 to compare with the others.
	badPath, badPort map[int]bool
}

type parser struct {
	errorList
	pos positions
	// suggested holds the valid keys that the last mapping's unknown keys
	// were probably meant to be, so that "no access" is not reported on
	// top of "unknown key acess; did you mean access?".
	suggested map[string]bool
}

// yamlLine pulls the line out of yaml.v3's syntax errors, which are plain
// errors of the form "yaml: line 3: did not find expected key".
// It is compiled at its first use, which only a broken file reaches:
// every command that loads a policy would otherwise pay for it at start.
var yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

func (ps *parser) yamlError(data []byte, err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine().FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if l := syntaxLine(data, msg, line); l > 0 {
		line = l
	}
	if tabIndented(data, line) {
		msg += " (YAML indents with spaces; this line starts with a tab: replace it with spaces)"
	}
	ps.add(line, "not valid YAML: %s", msg)
}

// tabIndented reports whether line n (1-based) of data is indented with
// a tab, the usual cause of "found character that cannot start any token".
func tabIndented(data []byte, n int) bool {
	if n < 1 {
		return false
	}
	lines := bytes.SplitN(data, []byte("\n"), n+1)
	if len(lines) < n {
		return false
	}
	indent := lines[n-1][:len(lines[n-1])-len(bytes.TrimLeft(lines[n-1], " \t"))]
	return bytes.IndexByte(indent, '\t') >= 0
}

// syntaxLine finds the line where a YAML syntax error shows. yaml.v3
// reports the line of the enclosing block for parser errors (reported),
// one or more lines above the mistake (a mis-indented key is reported at
// its parent, "fs:" for a rule deep in a long list); the first prefix of
// the file, in whole lines, that fails with the same message ends at the
// right line.
//
// Each try parses a prefix again, so the search starts where the parser
// stops reading (failPoint): that line is the answer when its prefix
// fails with msg and the one before parses, which costs three parses
// whatever the file's size. Otherwise the lines from the reported one on
// are searched by halves. The answer is kept only if its message
// matches, since a prefix can also fail for a reason of its own (a flow
// list cut in two).
func syntaxLine(data []byte, msg string, reported int) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	fails := func(n int) string {
		var node yaml.Node
		err := yaml.Unmarshal(bytes.Join(lines[:n], nil), &node)
		if err == nil {
			return ""
		}
		if m := yamlLine().FindStringSubmatch(err.Error()); m != nil {
			return m[2]
		}
		return strings.TrimPrefix(err.Error(), "yaml: ")
	}
	hi, lo := len(lines), max(reported-1, 0) // hi fails with msg, lo parses
	if read := failPoint(data); read >= 0 {
		at := min(bytes.Count(data[:read], []byte("\n"))+1, len(lines))
		if fails(at) == msg {
			if fails(at-1) == "" {
				return at
			}
			hi = at
		}
	}
	if hi == len(lines) && fails(hi) != msg {
		return 0
	}
	if lo >= hi || lo > 0 && fails(lo) != "" {
		lo = 0
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if fails(mid) != "" {
			hi = mid
		} else {
			lo = mid
		}
	}
	if fails(hi) != msg {
		return 0
	}
	return hi
}

// failPoint is how many bytes of data the YAML parser had read when it
// failed, or -1 if it did not fail. It is fed one byte at a time
// (trickleReader), so that it stops reading at the token it could not
// take and the few characters it looks ahead, not at the end of a read
// buffer: the line there is where the mistake is. Loading a valid policy
// does not pay for this: it costs a third more than a plain parse.
func failPoint(data []byte) int {
	r := &trickleReader{data: data}
	var node yaml.Node
	if err := yaml.NewDecoder(r).Decode(&node); err == nil || errors.Is(err, io.EOF) {
		return -1
	}
	return r.n
}

// trickleReader gives data one byte per Read and counts them.
type trickleReader struct {
	data []byte
	n    int
}

func (t *trickleReader) Read(b []byte) (int, error) {
	if t.n >= len(t.data) {
		return 0, io.EOF
	}
	if len(b) == 0 {
		return 0, nil
	}
	b[0] = t.data[t.n]
	t.n++
	return 1, nil
}

const emptyFile = `is empty; a policy starts with "version: 1" ("landlearn learn -- CMD" writes one)`

func (ps *parser) parse(data []byte) *Policy {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			ps.add(0, "%s", emptyFile)
			return nil
		}
		ps.yamlError(data, err)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			ps.yamlError(data, err)
		} else {
			ps.add(extra.Line, "a second YAML document starts here; a policy file holds one (remove the ---)")
		}
		return nil
	}
	if len(doc.Content) == 0 {
		ps.add(0, "%s", emptyFile)
		return nil
	}
	if ps.refuseAliases(&doc) {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		ps.add(root.Line, `a policy is a YAML mapping that starts with "version: 1", not %s`, describe(root))
		return nil
	}
	f := ps.mapping(root, "the policy", "version", "abi", "compat", "handled", "fs", "net")
	p := &Policy{File: ps.file, Compat: BestEffort}
	p.Comment = commentText(doc.HeadComment)
	if p.Comment == "" && len(root.Content) > 0 {
		p.Comment = commentText(root.Content[0].HeadComment)
	}

	if v, ok := f["version"]; ok {
		ps.pos.version = v.key.Line
		p.Version = SchemaVersion // one error is enough
		if n, ok := ps.integer(v, "version"); ok {
			p.Version = int(n)
		}
	} else {
		ps.add(root.Line, `version is missing; add "version: %d" at the top`, SchemaVersion)
		p.Version = SchemaVersion
	}

	p.ABI = KernelABI
	if v, ok := f["abi"]; ok {
		ps.pos.abi = v.key.Line
		if n, ok := ps.integer(v, "abi"); ok {
			if n < 1 || n > NewestABI {
				ps.add(v.val.Line, "abi %d is not a Landlock ABI version landlearn knows (1..%d)", n, NewestABI)
			} else {
				p.ABI = int(n)
			}
		}
	}

	if v, ok := f["compat"]; ok {
		ps.pos.compat = v.key.Line
		if s, ok := ps.str(v, "compat"); ok {
			switch Compat(s) {
			case BestEffort, Strict:
				p.Compat = Compat(s)
			default:
				ps.add(v.val.Line, "compat %q is unknown; %s", s, suggest(s, "best-effort", "strict"))
			}
		}
	}

	p.Handled = ps.handled(p.ABI, f)

	if v, ok := f["fs"]; ok {
		ps.fsRules(p, v)
	}
	if v, ok := f["net"]; ok {
		ps.netRules(p, v)
	}
	return p
}

// refuseAliases rejects anchors and aliases: a policy is reviewed by
// people, who should see each grant where it applies, and following
// aliases is how "billion laughs" files blow up a loader.
func (ps *parser) refuseAliases(n *yaml.Node) bool {
	bad := false
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if bad {
			return
		}
		if n.Kind == yaml.AliasNode || n.Anchor != "" {
			ps.add(n.Line, "anchors (&name) and aliases (*name) are not allowed in a policy; write each value out")
			bad = true
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return bad
}

// field is one key: value pair of a mapping.
type field struct{ key, val *yaml.Node }

// keyHints are suggestions for keys that belong elsewhere or are spelled
// as other tools spell them.
var keyHints = map[string]string{
	"paths": "fs", "files": "fs", "filesystem": "fs", "rules": "fs",
	"ports": "net", "network": "net", "scopes": "scoped", "scope": "scoped",
	"rights": "access", "allowed_access": "access", "allowedaccess": "access",
	"parent": "path", "dir": "path", "file": "path",
	"handled_access_fs": "handled", "handledaccessfs": "handled", "ruleset": "handled",
}

// mapping checks that n is a mapping with only the valid keys, each once,
// and returns its fields by key.
func (ps *parser) mapping(n *yaml.Node, where string, valid ...string) map[string]field {
	out := map[string]field{}
	ps.suggested = map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
			ps.add(k.Line, "a key in %s is %s; keys are names such as %s", where, describe(k), valid[0])
			continue
		}
		if prev, dup := out[k.Value]; dup {
			ps.add(k.Line, "key %s appears twice in %s (first on line %d); keep one", k.Value, where, prev.key.Line)
			continue
		}
		known := false
		for _, name := range valid {
			known = known || name == k.Value
		}
		if !known {
			hint := keyHints[strings.ToLower(k.Value)]
			found := false
			for _, name := range valid {
				found = found || name == hint
			}
			if !found {
				hint = closest(k.Value, valid...)
			}
			if hint != "" {
				ps.suggested[hint] = true
				ps.add(k.Line, "unknown key %q in %s; did you mean %s?", k.Value, where, hint)
			} else {
				ps.add(k.Line, "unknown key %q in %s; %s", k.Value, where, suggest(k.Value, valid...))
			}
			continue
		}
		out[k.Value] = field{k, v}
	}
	return out
}

// suggest is the "did you mean" part of a message about value s, which
// should have been one of valid.
func suggest(s string, valid ...string) string {
	if best := closest(s, valid...); best != "" {
		return "did you mean " + best + "?"
	}
	if len(valid) == 1 {
		return "the only valid one is " + valid[0]
	}
	return "valid ones are " + strings.Join(valid[:len(valid)-1], ", ") + " and " + valid[len(valid)-1]
}

// closest is the valid value nearest to s in spelling, or "".
func closest(s string, valid ...string) string {
	best, bestDist := "", len(s)/2+2
	for _, v := range valid {
		if d := editDistance(strings.ToLower(s), v); d < bestDist {
			best, bestDist = v, d
		}
	}
	return best
}

// describe names a node's kind for messages about wrong types.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "empty"
		case "!!str":
			return fmt.Sprintf("the text %q", n.Value)
		case "!!int", "!!float", "!!bool":
			return fmt.Sprintf("the %s %s", strings.TrimPrefix(n.Tag, "!!"), n.Value)
		}
		return fmt.Sprintf("a %q value", n.Tag)
	}
	return "something else"
}

func (ps *parser) integer(f field, what string) (int64, bool) {
	var n int64
	if f.val.Kind != yaml.ScalarNode || f.val.Tag != "!!int" || f.val.Decode(&n) != nil {
		ps.add(f.val.Line, "%s must be a whole number, not %s", what, describe(f.val))
		return 0, false
	}
	return n, true
}

func (ps *parser) str(f field, what string) (string, bool) {
	if f.val.Kind != yaml.ScalarNode || f.val.Tag != "!!str" {
		ps.add(f.val.Line, "%s must be text, not %s", what, describe(f.val))
		return "", false
	}
	return f.val.Value, true
}

var handledKeys = [3]string{"fs", "net", "scoped"}

// exampleRight is a right of each kind to show in messages.
var exampleRight = [3]string{"read_file", "connect_tcp", "signal"}

// handled parses the handled mapping, whose kinds default to every right
// of the policy's abi.
func (ps *parser) handled(abi int, f map[string]field) Handled {
	var masks [3]uint64
	for k := range masks {
		masks[k] = allAt(Kind(k), abi)
	}
	typed := func() Handled { return Handled{FSAccess(masks[0]), NetAccess(masks[1]), ScopeSet(masks[2])} }
	h, ok := f["handled"]
	if !ok {
		return typed()
	}
	for k := range masks {
		ps.pos.handled[k] = h.key.Line
	}
	if h.val.Kind != yaml.MappingNode {
		ps.add(h.val.Line, "handled must be a mapping with fs, net and scoped, each \"all\" or a list of rights, not %s", describe(h.val))
		return typed()
	}
	hf := ps.mapping(h.val, "handled", handledKeys[:]...)
	for k, key := range handledKeys {
		v, ok := hf[key]
		if !ok {
			continue
		}
		ps.pos.handled[k] = v.key.Line
		what := "handled." + key
		if v.val.Kind == yaml.ScalarNode && v.val.Tag == "!!str" {
			switch v.val.Value {
			case "all":
				continue
			case "none", "":
				ps.add(v.val.Line, "%s: write [] to restrict no %s right", what, key)
				continue
			}
		}
		if v.val.Kind != yaml.SequenceNode {
			ps.add(v.val.Line, `%s must be "all" or a list of rights such as [%s], not %s`,
				what, strings.Join(names(Kind(k), allAt(Kind(k), KernelABI)), ", "), describe(v.val))
			continue
		}
		masks[k], ps.pos.handledRight[k] = ps.rights(v.val, Kind(k), what)
	}
	return typed()
}

// rights parses a list of right names that must be of kind k, and the
// line of each.
func (ps *parser) rights(n *yaml.Node, k Kind, what string) (uint64, map[uint64]int) {
	var a uint64
	lines := map[uint64]int{}
	for _, item := range n.Content {
		if item.Kind != yaml.ScalarNode || item.Tag != "!!str" {
			ps.add(item.Line, "%s: each right is a name such as %s, not %s", what, exampleRight[k], describe(item))
			continue
		}
		r, ok := LookupRight(item.Value)
		if !ok {
			if s := SuggestRight(item.Value); s != "" {
				ps.add(item.Line, "right %q is unknown; did you mean %s?", item.Value, s)
			} else {
				ps.add(item.Line, "right %q is unknown; the %s rights are %s", item.Value, k,
					strings.Join(RightNames(k), ", "))
			}
			continue
		}
		if r.Kind != k {
			ps.add(item.Line, "%s", wrongKind(r, k, what))
			continue
		}
		a |= r.Bit
		if _, seen := lines[r.Bit]; !seen {
			lines[r.Bit] = item.Line
		}
	}
	return a, lines
}

// wrongKind explains where right r belongs when it was found among
// rights of kind k (in what: "handled.net", "an fs rule"...).
func wrongKind(r Right, k Kind, what string) string {
	switch {
	case r.Kind == KindScope && !strings.HasPrefix(what, "handled"):
		return fmt.Sprintf("%s is a scope, and scopes have no rules: list it in handled.scoped to forbid it, leave it out of handled.scoped to allow it", r.Name)
	case strings.HasPrefix(what, "handled"):
		return fmt.Sprintf("%s is a%s %s right; list it under handled.%s, not %s", r.Name, article(r.Kind), r.Kind, r.Kind, what)
	case r.Kind == KindNet:
		return fmt.Sprintf("%s is a net right; grant it in a net rule (net: [{port: N, access: [%s]}])", r.Name, r.Name)
	}
	return fmt.Sprintf("%s is an fs right; grant it in an fs rule (fs: [{path: /dir, access: [%s]}])", r.Name, r.Name)
}

func article(k Kind) string {
	if k == KindFS {
		return "n"
	}
	return ""
}

func (ps *parser) ruleList(v field, what string) []*yaml.Node {
	if v.val.Kind == yaml.ScalarNode && v.val.Tag == "!!null" {
		return nil
	}
	if v.val.Kind != yaml.SequenceNode {
		ps.add(v.val.Line, "%s must be a list of rules (each starting with \"- \"), not %s", what, describe(v.val))
		return nil
	}
	var out []*yaml.Node
	for _, item := range v.val.Content {
		if item.Kind != yaml.MappingNode {
			ps.add(item.Line, "each %s rule is a mapping, not %s", what, describe(item))
			continue
		}
		out = append(out, item)
	}
	return out
}

func (ps *parser) fsRules(p *Policy, v field) {
	for _, item := range ps.ruleList(v, "fs") {
		f := ps.mapping(item, "an fs rule", "path", "group", "access", "optional", "learned")
		r := FSRule{Line: item.Line, Comment: ruleComment(item)}
		ok := false
		pv, hasPath := f["path"]
		gv, hasGroup := f["group"]
		switch {
		case hasPath && hasGroup:
			ps.add(gv.key.Line, "a rule has a path or a group, not both; split it into two rules")
		case hasPath:
			r.Path, ok = ps.str(pv, "path")
		case hasGroup:
			r.Group, ok = ps.group(gv, p.Version)
		case !ps.suggested["path"] && !ps.suggested["group"]:
			ps.add(item.Line, "this fs rule has no path; add path: /some/dir (or group: NAME, one of %s)", strings.Join(GroupNames(), ", "))
		}
		if !ok {
			if ps.pos.badPath == nil {
				ps.pos.badPath = map[int]bool{}
			}
			ps.pos.badPath[len(p.FS)] = true
		}
		var a uint64
		a, ps.pos.fsRight = ps.access(f, item, KindFS, "an fs rule", ps.pos.fsRight)
		r.Access = FSAccess(a)
		r.Optional = ps.flag(f, "optional", 1, p.Version)
		r.Learned = ps.flag(f, "learned", 2, p.Version)
		p.FS = append(p.FS, r)
	}
}

// group parses the value of a rule's group key: a known group, in a
// version 2 file.
func (ps *parser) group(v field, version int) (string, bool) {
	name, ok := ps.str(v, "group")
	if !ok {
		return "", false
	}
	if version < 2 {
		ps.add(v.key.Line, "group rules need version 2 of the policy schema; write version: 2 at the top")
	}
	if _, known := LookupGroup(name); !known {
		hint := ""
		if c := closest(name, GroupNames()...); c != "" {
			hint = "did you mean " + c + "? "
		}
		ps.add(v.val.Line, "group %q is unknown; %sthe groups are %s", name, hint, strings.Join(GroupNames(), ", "))
		return name, false
	}
	return name, true
}

// flag parses an optional boolean key of an fs rule, which needs
// version since or later.
func (ps *parser) flag(f map[string]field, key string, since, version int) bool {
	v, ok := f[key]
	if !ok {
		return false
	}
	var b bool
	if v.val.Kind != yaml.ScalarNode || v.val.Tag != "!!bool" || v.val.Decode(&b) != nil {
		ps.add(v.val.Line, "%s must be true or false, not %s", key, describe(v.val))
		return false
	}
	if version < since {
		ps.add(v.key.Line, "%s needs version %d of the policy schema; write version: %d at the top", key, since, since)
	}
	return b
}

func (ps *parser) netRules(p *Policy, v field) {
	for _, item := range ps.ruleList(v, "net") {
		f := ps.mapping(item, "a net rule", "port", "access")
		r := NetRule{Line: item.Line, Comment: ruleComment(item)}
		parsed := false
		if pv, ok := f["port"]; ok {
			if n, ok := ps.integer(pv, "port"); ok {
				if n < 0 || n > 65535 {
					ps.add(pv.val.Line, "port %d is outside 0..65535", n)
				} else {
					r.Port, parsed = uint16(n), true
				}
			}
		} else if !ps.suggested["port"] {
			ps.add(item.Line, "this net rule has no port; add port: N (0 allows binding ephemeral ports)")
		}
		if !parsed {
			if ps.pos.badPort == nil {
				ps.pos.badPort = map[int]bool{}
			}
			ps.pos.badPort[len(p.Net)] = true
		}
		var a uint64
		a, ps.pos.netRight = ps.access(f, item, KindNet, "a net rule", ps.pos.netRight)
		r.Access = NetAccess(a)
		p.Net = append(p.Net, r)
	}
}

// access parses a rule's access list and appends the lines of its rights
// to lines (one entry per rule, so indexes match the rule slices).
func (ps *parser) access(f map[string]field, item *yaml.Node, k Kind, what string, lines []map[uint64]int) (uint64, []map[uint64]int) {
	av, ok := f["access"]
	if !ok {
		if !ps.suggested["access"] {
			ps.add(item.Line, "this %s rule has no access; add access: [%s]", k, exampleRight[k])
		}
		return 0, append(lines, nil)
	}
	if av.val.Kind != yaml.SequenceNode {
		hint := ""
		if av.val.Kind == yaml.ScalarNode && av.val.Value != "" {
			hint = fmt.Sprintf(" such as [%s]", av.val.Value)
			if av.val.Value == "all" {
				hint = `; "all" is only for handled, rules list their rights`
			}
		}
		ps.add(av.val.Line, "access must be a list of rights%s, not %s", hint, describe(av.val))
		return 0, append(lines, nil)
	}
	if len(av.val.Content) == 0 {
		ps.add(av.val.Line, "access is empty; list at least one right or remove the rule")
		return 0, append(lines, nil)
	}
	a, l := ps.rights(av.val, k, what)
	return a, append(lines, l)
}

// commentText turns a yaml.v3 comment ("# a\n# b") into the text kept in
// Policy.Comment and the rules' Comment ("a\nb").
func commentText(c string) string {
	if c == "" {
		return ""
	}
	lines := strings.Split(c, "\n")
	for i, l := range lines {
		l = strings.TrimSpace(l)
		l = strings.TrimPrefix(l, "#")
		lines[i] = strings.TrimPrefix(l, " ")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// ruleComment gathers a rule's comments: the one above it, then the ones
// above or beside its keys and values. Emit writes them all above the
// rule, so a comment moves but is never lost in a load/emit round trip.
func ruleComment(item *yaml.Node) string {
	var parts []string
	add := func(c string) {
		if t := commentText(c); t != "" {
			parts = append(parts, t)
		}
	}
	add(item.HeadComment)
	add(item.LineComment)
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		for _, c := range n.Content {
			add(c.HeadComment)
			add(c.LineComment)
			add(c.FootComment)
			walk(c)
		}
	}
	walk(item)
	add(item.FootComment)
	return strings.Join(parts, "\n")
}
