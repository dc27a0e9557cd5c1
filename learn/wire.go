package learn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/landlearn/landlearn/policy"
)

// wire is an observation as a JSONL line spells it: the order of the
// fields is the order of the keys on a line, and the rights are one list
// of the kernel's names.
type wire struct {
	Seq     uint64   `json:"seq"`
	Syscall string   `json:"syscall,omitempty"`
	PID     int      `json:"pid,omitempty"`
	Exe     string   `json:"exe,omitempty"`
	Path    string   `json:"path,omitempty"`
	Type    string   `json:"type,omitempty"`
	Access  []string `json:"access,omitempty"`
	Created bool     `json:"created,omitempty"`
	Deleted bool     `json:"deleted,omitempty"`
	Src     string   `json:"src,omitempty"`
	Dst     string   `json:"dst,omitempty"`
	Port    *uint16  `json:"port,omitempty"`
	Scope   string   `json:"scope,omitempty"`
	Target  any      `json:"target,omitempty"`
	Warning string   `json:"warning,omitempty"`
}

// MarshalJSON writes o as one line of the JSONL format, without the
// newline: the keys of the README's Observations section, with FS, Net
// and Unknown as one "access" list (AccessNames).
func (o Observation) MarshalJSON() ([]byte, error) {
	w := wire{o.Seq, o.Syscall, o.PID, o.Exe, o.Path, o.Type, o.AccessNames(), o.Created, o.Deleted,
		o.Src, o.Dst, o.Port, o.Scope, o.Target, o.Warning}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON reads one line of the JSONL format. A key the format
// does not have is an error; a right name it does not know is kept in
// Unknown.
func (o *Observation) UnmarshalJSON(b []byte) error {
	var w wire
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return err
	}
	*o = Observation{Seq: w.Seq, Syscall: w.Syscall, PID: w.PID, Exe: w.Exe, Path: w.Path, Type: w.Type,
		Created: w.Created, Deleted: w.Deleted, Src: w.Src, Dst: w.Dst, Port: w.Port, Scope: w.Scope,
		Target: w.Target, Warning: w.Warning}
	o.FS, o.Net, o.Unknown = decodeRights(w.Access)
	return nil
}

// decodeRights sorts right names into fs and net rights; any other name
// (unknown here, or a scope, which has a key of its own) is unknown.
// LookupRight's fs./net. prefixes (the audit log's spelling) are
// accepted, as they always were.
func decodeRights(names []string) (fs policy.FSAccess, net policy.NetAccess, unknown []string) {
	for _, n := range names {
		r, ok := policy.LookupRight(n)
		switch {
		case ok && r.Kind == policy.KindFS:
			fs |= policy.FSAccess(r.Bit)
		case ok && r.Kind == policy.KindNet:
			net |= policy.NetAccess(r.Bit)
		default:
			unknown = append(unknown, n)
		}
	}
	return fs, net, unknown
}

// ValidUTF8 returns o when its strings are valid UTF-8, which JSON (the
// observations) and YAML (the policy) need to hold them exactly. A path
// that is not (a file name in Latin-1, say) would come back as another
// path: encoding/json turns its bad bytes into U+FFFD, and the policy
// would grant that other name. So an observation naming one becomes a
// warning that names it Go-quoted ("/tmp/caf\xe9"), and no rule is
// learned for it. In the strings that are only read by people (exe,
// warning, target...) the bad bytes become the text \xNN.
func ValidUTF8(o Observation) Observation {
	for _, p := range [...]string{o.Path, o.Src, o.Dst} {
		if !utf8.ValidString(p) {
			return Observation{Seq: o.Seq, Syscall: escapeInvalid(o.Syscall), PID: o.PID, Exe: escapeInvalid(o.Exe),
				Warning: fmt.Sprintf("%s: %q is not valid UTF-8, which the observations and the policy cannot hold exactly: "+
					"no rule is learned for it (rename it, or grant its directory by hand)", escapeInvalid(o.Syscall), p)}
		}
	}
	o.Syscall, o.Exe, o.Type = escapeInvalid(o.Syscall), escapeInvalid(o.Exe), escapeInvalid(o.Type)
	o.Scope, o.Warning = escapeInvalid(o.Scope), escapeInvalid(o.Warning)
	if t, ok := o.Target.(string); ok {
		o.Target = escapeInvalid(t)
	}
	for i, n := range o.Unknown {
		if !utf8.ValidString(n) {
			o.Unknown = slices.Clone(o.Unknown)
			o.Unknown[i] = escapeInvalid(n)
		}
	}
	return o
}

// escapeInvalid writes the bytes of s that are not valid UTF-8 as \xNN.
func escapeInvalid(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, `\x%02x`, s[i])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
