package learn

import (
	"strconv"
	"strings"
)

// appendLine appends o as encoding/json (HTML escaping off) writes it,
// with its newline, for the observations a tracer records by the
// thousand: every string printable ASCII without '"' or '\', no Target,
// no Unknown right. lists holds the access lists written so far, as
// their JSON: a run needs a few dozen.
// ok is false for any other observation, which the caller encodes with
// encoding/json. The Writer records in the traced program's critical
// path, where this saves most of a line's time and its allocation
// (BenchmarkWriterRecord).
// TestAppendLineMatchesJSON holds it to encoding/json's bytes.
func appendLine(b []byte, o *Observation, lists map[[2]uint64]string) (_ []byte, ok bool) {
	if o.Target != nil || len(o.Unknown) > 0 {
		return b, false
	}
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, o.Seq, 10)
	if b, ok = appendStr(b, `,"syscall":`, o.Syscall); !ok {
		return b, false
	}
	if o.PID != 0 {
		b = append(b, `,"pid":`...)
		b = strconv.AppendInt(b, int64(o.PID), 10)
	}
	for _, f := range [...]struct{ key, v string }{{`,"exe":`, o.Exe}, {`,"path":`, o.Path}, {`,"type":`, o.Type}} {
		if b, ok = appendStr(b, f.key, f.v); !ok {
			return b, false
		}
	}
	if o.FS != 0 || o.Net != 0 {
		key := [2]uint64{uint64(o.FS), uint64(o.Net)}
		l, ok := lists[key]
		if !ok {
			l = `,"access":["` + strings.Join(o.AccessNames(), `","`) + `"]`
			lists[key] = l
		}
		b = append(b, l...)
	}
	if o.Created {
		b = append(b, `,"created":true`...)
	}
	if o.Deleted {
		b = append(b, `,"deleted":true`...)
	}
	for _, f := range [...]struct{ key, v string }{{`,"src":`, o.Src}, {`,"dst":`, o.Dst}} {
		if b, ok = appendStr(b, f.key, f.v); !ok {
			return b, false
		}
	}
	if o.Port != nil {
		b = append(b, `,"port":`...)
		b = strconv.AppendUint(b, uint64(*o.Port), 10)
	}
	for _, f := range [...]struct{ key, v string }{{`,"scope":`, o.Scope}, {`,"warning":`, o.Warning}} {
		if b, ok = appendStr(b, f.key, f.v); !ok {
			return b, false
		}
	}
	return append(b, "}\n"...), true
}

// appendStr appends key and v quoted, nothing when v is empty
// (omitempty); ok is false when v needs escaping.
func appendStr(b []byte, key, v string) ([]byte, bool) {
	if v == "" {
		return b, true
	}
	if !plain(v) {
		return b, false
	}
	b = append(b, key...)
	b = append(b, '"')
	b = append(b, v...)
	return append(b, '"'), true
}

// plain reports whether encoding/json writes s between quotes as is.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
