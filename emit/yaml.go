package emit

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/landlearn/landlearn/policy"
)

// YAML writes p as a landlearn policy file (the README's "The policy
// file") that policy.Load reads back to an equal policy. The version is
// p's, raised to 2 where p uses what version 2 added (group rules, the
// learned marker): a version 1 file stays version 1.
//
// The output is meant to be reviewed and diffed: fs rules are sorted by
// path and net rules by port, rights are listed in the kernel's bit order
// in flow style (access: [execute, read_file]), handled is always written
// out (so a policy that only reads files still restricts TCP and scopes
// when it is later loaded), and handled.fs is "all" when it is every fs
// right of the policy's abi. p.Comment becomes the file's "# " header and
// each rule's Comment (provenance, one line per "\n") is written as "# "
// lines right above the rule. Paths are quoted only when YAML needs it.
//
// A path that is not valid UTF-8 cannot be written in YAML without
// changing it, so it is an error rather than a silently different grant.
func YAML(w io.Writer, p *policy.Policy) error {
	var b bytes.Buffer
	if err := renderYAML(&b, p); err != nil {
		return err
	}
	if err := checkSize(b.Bytes(), p); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// TooLargeError is a policy whose YAML is larger than policy.Load reads
// (policy.MaxFileSize): writing it would leave a file nothing can use.
type TooLargeError struct {
	Rules, Bytes int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the policy has %d rules, %.1f MiB of YAML: more than a policy file may hold (%d MiB)",
		e.Rules, float64(e.Bytes)/(1<<20), policy.MaxFileSize>>20)
}

// checkSize refuses YAML that policy.Load would refuse for its size.
func checkSize(data []byte, p *policy.Policy) error {
	if len(data) > policy.MaxFileSize {
		return &TooLargeError{Rules: len(p.FS) + len(p.Net), Bytes: len(data)}
	}
	return nil
}

func renderYAML(b *bytes.Buffer, p *policy.Policy) error {
	if c := commentLines(p.Comment, ""); c != "" {
		b.WriteString(c)
		b.WriteString("\n")
	}
	version := p.Version
	if version == 0 {
		version = policy.SchemaVersion
	}
	for _, r := range p.FS {
		if r.Group != "" || r.Learned {
			version = max(version, 2)
		}
	}
	compat := p.Compat
	if compat == "" {
		compat = policy.BestEffort
	}
	fmt.Fprintf(b, "version: %d\n", version)
	fmt.Fprintf(b, "abi: %d\n", p.ABI)
	fmt.Fprintf(b, "compat: %s\n", yamlScalar(string(compat)))
	b.WriteString("handled:\n")
	if p.Handled.FS != 0 && p.Handled.FS == policy.AllFS(p.ABI) {
		b.WriteString("  fs: all\n")
	} else {
		fmt.Fprintf(b, "  fs: %s\n", flowList(p.Handled.FS.Names()))
	}
	fmt.Fprintf(b, "  net: %s\n", flowList(p.Handled.Net.Names()))
	fmt.Fprintf(b, "  scoped: %s\n", flowList(p.Handled.Scoped.Names()))

	if len(p.FS) > 0 {
		b.WriteString("fs:\n")
		for _, r := range sortedFS(p.FS) {
			b.WriteString(commentLines(r.Comment, "  "))
			if r.Group != "" {
				fmt.Fprintf(b, "  - group: %s\n", yamlScalar(r.Group))
			} else {
				path, err := yamlPath(r.Path)
				if err != nil {
					return err
				}
				fmt.Fprintf(b, "  - path: %s\n", path)
			}
			fmt.Fprintf(b, "    access: %s\n", flowList(r.Access.Names()))
			if r.Optional {
				b.WriteString("    optional: true\n")
			}
			if r.Learned {
				b.WriteString("    learned: true\n")
			}
		}
	}
	if len(p.Net) > 0 {
		b.WriteString("net:\n")
		for _, r := range sortedNet(p.Net) {
			b.WriteString(commentLines(r.Comment, "  "))
			fmt.Fprintf(b, "  - port: %d\n", r.Port)
			fmt.Fprintf(b, "    access: %s\n", flowList(r.Access.Names()))
		}
	}
	return nil
}

// sortedFS returns the rules as policy.Sort orders them (groups first,
// then paths bytewise, so the order does not depend on the locale),
// leaving the caller's slice alone.
func sortedFS(rules []policy.FSRule) []policy.FSRule {
	q := policy.Policy{FS: slices.Clone(rules)}
	q.Sort()
	return q.FS
}

// sortedNet returns the rules sorted by port.
func sortedNet(rules []policy.NetRule) []policy.NetRule {
	out := slices.Clone(rules)
	slices.SortStableFunc(out, func(a, b policy.NetRule) int { return int(a.Port) - int(b.Port) })
	return out
}

// flowList formats right names (in kernel bit order, from Names) as a
// YAML flow sequence: "[execute, read_file]", or "[]" for no right.
func flowList(names []string) string {
	return "[" + strings.Join(names, ", ") + "]"
}

// commentLines turns text into "# " lines at the given indentation, one per
// line of text; blank lines become a bare "#" so that the comment stays one
// block. Trailing spaces are dropped, as the loader drops them too.
func commentLines(text, indent string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(commentSafe(l), " \t")
	}
	// Blank lines at either end would load back as nothing: drop them here
	// too, so that emitting a loaded policy gives the same bytes.
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	var b strings.Builder
	for _, l := range lines {
		if l == "" {
			b.WriteString(indent + "#\n")
			continue
		}
		b.WriteString(indent + "# " + l + "\n")
	}
	return b.String()
}

// commentSafe replaces what a YAML comment cannot hold (invalid UTF-8,
// control characters) so that a stray byte in provenance text cannot make
// the file unreadable. Comments are not grants: changing them is safe.
func commentSafe(l string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || (r >= 0x20 && r != 0x7f && (r < 0x80 || r >= 0xa0) && r != 0xfeff && r != 0x2028 && r != 0x2029) {
			return r
		}
		return '?'
	}, strings.ToValidUTF8(l, "\uFFFD"))
}

// yamlPath formats a rule path as a YAML scalar.
func yamlPath(p string) (string, error) {
	if !utf8.ValidString(p) {
		return "", fmt.Errorf("path %q is not valid UTF-8, which a YAML policy cannot hold", p)
	}
	return yamlScalar(p), nil
}

// yamlScalar returns s as a plain scalar when that is unambiguous, else
// double-quoted. The plain form is allowed only for text that starts with
// "/", "$" or a letter and holds nothing but letters, digits and a few
// punctuation marks that mean nothing to YAML (so "/a: b", "/a #b",
// "*x", "&x", "true" or a path with a space are all quoted): being too
// careful costs two quote marks, being wrong changes a grant.
func yamlScalar(s string) string {
	if plainSafe(s) {
		return s
	}
	return yamlQuote(s)
}

func plainSafe(s string) bool {
	if s == "" {
		return false
	}
	switch c := s[0]; {
	case c == '/', c == '$':
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		// A word could be read as a bool or null ("yes", "null", "on").
		switch strings.ToLower(s) {
		case "y", "yes", "n", "no", "true", "false", "on", "off", "null":
			return false
		}
	default:
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("/_.-+@%=,${}~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// yamlQuote returns s as a YAML double-quoted scalar. Only '"', '\\' and
// characters that are not printable are escaped; the rest of the UTF-8
// text is kept as is, so the file stays readable.
func yamlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xfeff || r == 0x2028 || r == 0x2029 {
				b.WriteString(`\u` + leftPad(strconv.FormatInt(int64(r), 16), 4))
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func leftPad(s string, n int) string {
	return strings.Repeat("0", max(0, n-len(s))) + s
}
