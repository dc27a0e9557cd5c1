package audit

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// parseJournal reads one entry of `journalctl -o json`. journald receives
// audit records itself (its audit transport) and stores them as
// MESSAGE="TYPENAME fields..." with the header split into _AUDIT_TYPE,
// _AUDIT_ID (the serial) and _SOURCE_REALTIME_TIMESTAMP (the record's own
// time, in microseconds); the host is _HOSTNAME. Only MESSAGE's fields are
// parsed: journald's _AUDIT_FIELD_* copies are partial.
func parseJournal(line string) (Record, error) {
	var entry map[string]json.RawMessage
	if err := json.Unmarshal([]byte(line), &entry); err != nil {
		if strings.Contains(err.Error(), "unexpected end") {
			return Record{}, parseErr(errTruncated, "", "journal JSON entry is cut: %v", err)
		}
		return Record{}, parseErr(errNotAudit, "", "not a journal JSON entry: %v", err)
	}
	get := func(k string) (string, bool) {
		raw, ok := entry[k]
		if !ok {
			return "", false
		}
		return journalValue(raw)
	}
	if tr, ok := get("_TRANSPORT"); ok && tr != "audit" {
		return Record{}, parseErr(errNotAudit, "_TRANSPORT", "journal entry from transport %q, not audit", tr)
	}
	typs, ok := get("_AUDIT_TYPE")
	if !ok {
		return Record{}, parseErr(errNotAudit, "_AUDIT_TYPE", "journal entry without _AUDIT_TYPE")
	}
	typ, err := strconv.ParseUint(typs, 10, 16)
	if err != nil {
		return Record{}, parseErr(errMalformed, "_AUDIT_TYPE", "%q is not a number", typs)
	}
	ids, ok := get("_AUDIT_ID")
	if !ok {
		return Record{}, parseErr(errTruncated, "_AUDIT_ID", "journal audit entry without _AUDIT_ID")
	}
	serial, err := strconv.ParseUint(ids, 10, 64)
	if err != nil {
		return Record{}, parseErr(errMalformed, "_AUDIT_ID", "%q is not a number", ids)
	}
	stamp, ok := get("_SOURCE_REALTIME_TIMESTAMP")
	if !ok {
		stamp, ok = get("__REALTIME_TIMESTAMP")
	}
	var t time.Time
	if ok {
		us, err := strconv.ParseInt(stamp, 10, 64)
		if err != nil || us < 0 {
			return Record{}, parseErr(errMalformed, "_SOURCE_REALTIME_TIMESTAMP", "%q is not a time in microseconds", stamp)
		}
		t = time.UnixMicro(us).UTC()
	}
	msg, ok := get("MESSAGE")
	if !ok {
		return Record{}, parseErr(errTruncated, "MESSAGE", "journal audit entry without MESSAGE")
	}
	// MESSAGE starts with the type name, then the record's fields.
	if first, rest, found := strings.Cut(msg, " "); !strings.Contains(first, "=") {
		if !found {
			rest = ""
		}
		msg = rest
	}
	r := Record{Type: int(typ), TypeName: typeName(int(typ), "AUDIT"+typs), Time: t, Serial: serial}
	r.Host, _ = get("_HOSTNAME")
	if err := r.parseBody(msg); err != nil {
		return Record{}, err
	}
	return r, nil
}

// journalValue decodes a journal JSON field: a string, an array of bytes
// (journalctl's form for values that are not valid UTF-8 text), or, for a
// field the entry holds several times, an array whose first element is used.
func journalValue(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var b []byte
	var nums []int
	if json.Unmarshal(raw, &nums) == nil {
		for _, n := range nums {
			if n < 0 || n > 255 {
				return "", false
			}
			b = append(b, byte(n))
		}
		return string(b), true
	}
	var many []json.RawMessage
	if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
		return journalValue(many[0])
	}
	return "", false
}
