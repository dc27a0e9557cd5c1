package learn

import (
	"bytes"
	"encoding/json"

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
