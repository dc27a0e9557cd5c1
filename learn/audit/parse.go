package audit

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/elastic/go-libaudit/v2/auparse"
)

// Record is one audit record, whatever format it came in: a netlink
// message, a line of /var/log/audit/audit.log (raw or ENRICHED), a line of
// `ausearch --raw`, a kernel console line, or a `journalctl -o json` entry.
type Record struct {
	// Type is the record type number (1423, 1424, 1300...). It is 0 only for
	// a type name that neither landlearn nor go-libaudit knows.
	Type int
	// TypeName is the kernel's name: LANDLOCK_ACCESS, LANDLOCK_DOMAIN,
	// SYSCALL..., whichever spelling the input used (auditd 3.0 writes
	// UNKNOWN[1423], journald AUDIT1423).
	TypeName string
	// Time and Serial come from audit(SECONDS.MILLIS:SERIAL): every record
	// of one event shares both. Time is in UTC.
	Time   time.Time
	Serial uint64
	// Host is node= of auditd's name_format, or journald's _HOSTNAME; ""
	// when the log does not say.
	Host string
	// Fields are the kernel's fields, decoded: quotes are removed and
	// hex-encoded untrusted strings (path=2F746D70, exe=, comm=, ocomm=...)
	// are turned back into their bytes. Special values such as (null), ?
	// and (none) are kept as written.
	Fields map[string]string
	// Interp holds what auditd's ENRICHED log_format appends after the
	// 0x1d separator (UID="root" SYSCALL=openat...), keyed as written
	// (upper case), unquoted. Nil for raw records.
	Interp map[string]string
	// Raw is the input line (or netlink payload) the record was parsed from.
	Raw string
	// Source says where the record was read, "file:line", when the caller
	// knows (Correlator.ReadLog sets it). Explanations cite it.
	Source string
}

// Parse errors. Every error parseLine and ParseMessage return wraps exactly
// one of them, so a reader that meets a bad line can count it by reason
// (see reason) and go on with the next one: a log file is outside input.
var (
	// errBlank is a line that carries no record by design: an empty line,
	// ausearch's "----" event separator or its "time->" header. Readers
	// skip it without counting it as garbage.
	errBlank = errors.New("blank or separator line")
	// errNotAudit is a line in none of the supported audit formats.
	errNotAudit = errors.New("not an audit record")
	// errTruncated is a record cut short: an unterminated audit(...)
	// header, an unterminated quoted value, or a Landlock record without
	// its mandatory fields (domain=, blockers=, status=).
	errTruncated = errors.New("truncated record")
	// errBadHex is a hex-encoded value (path=, exe=, comm=...) whose hex
	// does not decode.
	errBadHex = errors.New("hex-encoded value does not decode")
	// errMalformed is an audit line whose header does not parse: a bad
	// timestamp, serial or type.
	errMalformed = errors.New("malformed audit header")
	// errInterpreted is `ausearch -i` output: it has already turned hex and
	// numbers into text, losing what cannot be recovered (which value was
	// hex, where a path with spaces ends).
	errInterpreted = errors.New("interpreted record (ausearch -i); use ausearch --raw")
	// errOversized is a line longer than MaxLineSize: no audit record is,
	// and holding it would let one line take the memory.
	errOversized = errors.New("line too long for an audit record")
)

// parseError says why a line is not a usable record and where.
type parseError struct {
	// Err is one of the sentinel errors above.
	Err error
	// Field is the offending field's name, when one is to blame.
	Field string
	// Detail says what was found, for people.
	Detail string
}

func (e *parseError) Error() string {
	msg := e.Err.Error()
	if e.Field != "" {
		msg += ": field " + e.Field
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

func (e *parseError) Unwrap() error { return e.Err }

func parseErr(err error, field, format string, args ...any) error {
	return &parseError{Err: err, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// reason is a short stable name for the sentinel error err wraps ("blank",
// "not-audit", "truncated", "bad-hex", "malformed", "interpreted",
// "oversized"), for
// counters and JSON output; "error" for anything else.
func reason(err error) string {
	switch {
	case errors.Is(err, errBlank):
		return "blank"
	case errors.Is(err, errNotAudit):
		return "not-audit"
	case errors.Is(err, errTruncated):
		return "truncated"
	case errors.Is(err, errBadHex):
		return "bad-hex"
	case errors.Is(err, errMalformed):
		return "malformed"
	case errors.Is(err, errInterpreted):
		return "interpreted"
	case errors.Is(err, errOversized):
		return "oversized"
	}
	return "error"
}

// interpSeparator is AUDIT_INTERP_SEPARATOR: auditd's ENRICHED format puts
// it between the kernel's fields and its own translations.
const interpSeparator = '\x1d'

// parseLine parses one line of an audit log in any format landlearn reads:
//
//	type=UNKNOWN[1423] msg=audit(1700000000.123:17): domain=1c0e30e25 blockers=fs.make_reg path="/tmp" dev="vda" ino=246947
//	node=web1 type=LANDLOCK_ACCESS msg=audit(...): ...      (auditd name_format, ausearch --raw)
//	type=SYSCALL msg=audit(...): ... exe="/usr/bin/cat"\x1dARCH=x86_64 SYSCALL=openat ...   (ENRICHED)
//	[ 12.3] audit: type=1423 audit(...): ...                (kernel console, dmesg, syslog)
//	{"MESSAGE":"LANDLOCK_ACCESS domain=...","_AUDIT_TYPE":"1423","_AUDIT_ID":"17",...}   (journalctl -o json)
//
// A trailing newline is ignored. Errors wrap errBlank, errNotAudit,
// errTruncated, errBadHex, errMalformed or errInterpreted.
func parseLine(line string) (Record, error) {
	line = strings.TrimRight(line, "\r\n")
	trimmed := strings.TrimSpace(line)
	switch {
	case trimmed == "", strings.HasPrefix(trimmed, "----"), strings.HasPrefix(trimmed, "time->"):
		return Record{}, &parseError{Err: errBlank}
	case trimmed[0] == '{':
		r, err := parseJournal(trimmed)
		if err == nil {
			r.Raw = line
		}
		return r, err
	}
	start := findTypeField(line)
	if start < 0 {
		return Record{}, &parseError{Err: errNotAudit, Detail: "no type= field"}
	}
	host := nodeBefore(line[:start])
	rest := line[start+len("type="):]
	sp := strings.IndexByte(rest, ' ')
	if sp < 0 {
		return Record{}, parseErr(errTruncated, "", "nothing after type=")
	}
	typ, name, err := parseType(rest[:sp])
	if err != nil {
		return Record{}, err
	}
	rest = strings.TrimLeft(rest[sp:], " ")
	switch {
	case strings.HasPrefix(rest, "msg=audit("):
		rest = rest[len("msg="):]
	case strings.HasPrefix(rest, "audit("):
	case strings.HasPrefix(rest, "msg="):
		return Record{}, parseErr(errMalformed, "msg", "msg= does not start with audit(")
	default:
		return Record{}, parseErr(errNotAudit, "", "type= is not followed by msg=audit(")
	}
	r, err := parseAudit(typ, name, rest)
	if err != nil {
		return Record{}, err
	}
	r.Host = host
	r.Raw = line
	return r, nil
}

// ParseMessage parses the payload of one audit netlink message, whose type
// travels in the netlink header:
//
//	audit(1700000000.123:17): domain=1c0e30e25 blockers=fs.make_reg path="/tmp" dev="vda" ino=246947
func ParseMessage(typ int, msg string) (Record, error) {
	msg = strings.TrimRight(msg, "\x00\n")
	if !strings.HasPrefix(msg, "audit(") {
		return Record{}, parseErr(errNotAudit, "", "netlink payload does not start with audit(")
	}
	r, err := parseAudit(typ, typeName(typ, ""), msg)
	if err != nil {
		return Record{}, err
	}
	r.Raw = msg
	return r, nil
}

// findTypeField returns the offset of the "type=" that starts a record,
// at the start of the line or after a space, or -1.
func findTypeField(line string) int {
	for off := 0; ; {
		i := strings.Index(line[off:], "type=")
		if i < 0 {
			return -1
		}
		i += off
		if i == 0 || line[i-1] == ' ' {
			return i
		}
		off = i + len("type=")
	}
}

// nodeBefore returns the value of a node= field right before type=, as
// auditd writes it with name_format set (and ausearch --raw repeats).
func nodeBefore(prefix string) string {
	prefix = strings.TrimRight(prefix, " ")
	i := strings.LastIndexByte(prefix, ' ')
	word := prefix[i+1:]
	if v, ok := strings.CutPrefix(word, "node="); ok {
		return v
	}
	return ""
}

// typeNames are the names landlearn needs and go-libaudit v2.6.2 lacks.
var typeNames = map[int]string{
	TypeLandlockAccess: "LANDLOCK_ACCESS",
	TypeLandlockDomain: "LANDLOCK_DOMAIN",
}

// typeName returns the canonical name of typ; spelled is the input's own
// spelling, kept for types nobody knows.
func typeName(typ int, spelled string) string {
	if n, ok := typeNames[typ]; ok {
		return n
	}
	if typ == 0 {
		return spelled
	}
	return auparse.AuditMessageType(typ).String()
}

// parseType reads the value of type=: a name (SYSCALL, LANDLOCK_ACCESS),
// UNKNOWN[1423] as auditd 3.0 writes types it does not know, AUDIT1423 as
// journald does, or the bare number of the kernel console.
func parseType(s string) (int, string, error) {
	if s == "" {
		return 0, "", parseErr(errMalformed, "type", "empty type")
	}
	if n, err := strconv.ParseUint(s, 10, 16); err == nil {
		return int(n), typeName(int(n), s), nil
	}
	if num, ok := strings.CutPrefix(s, "AUDIT"); ok {
		if n, err := strconv.ParseUint(num, 10, 16); err == nil {
			return int(n), typeName(int(n), s), nil
		}
	}
	for n, name := range typeNames {
		if s == name {
			return n, name, nil
		}
	}
	if t, err := auparse.GetAuditMessageType(s); err == nil {
		return int(t), typeName(int(t), s), nil
	}
	if strings.HasPrefix(s, "UNKNOWN[") {
		return 0, "", parseErr(errMalformed, "type", "bad type %q", s)
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return 0, "", parseErr(errNotAudit, "type", "type %q is not an audit record type", s)
		}
	}
	// A type name newer than go-libaudit's table: keep it by name.
	return 0, s, nil
}

// parseAudit parses "audit(SECONDS.MILLIS:SERIAL): fields".
func parseAudit(typ int, name, s string) (Record, error) {
	r := Record{Type: typ, TypeName: name}
	s = strings.TrimPrefix(s, "audit(")
	end := strings.IndexByte(s, ')')
	if end < 0 {
		return Record{}, parseErr(errTruncated, "msg", "audit( header is not closed")
	}
	stamp := s[:end]
	if strings.ContainsAny(stamp, "/ ") {
		return Record{}, &parseError{Err: errInterpreted, Detail: "audit(" + stamp + ")"}
	}
	colon := strings.LastIndexByte(stamp, ':')
	if colon < 0 {
		return Record{}, parseErr(errMalformed, "msg", "audit(%s) has no serial", stamp)
	}
	serial, err := strconv.ParseUint(stamp[colon+1:], 10, 64)
	if err != nil {
		return Record{}, parseErr(errMalformed, "msg", "bad serial in audit(%s)", stamp)
	}
	t, err := parseStamp(stamp[:colon])
	if err != nil {
		return Record{}, parseErr(errMalformed, "msg", "bad time in audit(%s)", stamp)
	}
	r.Time, r.Serial = t, serial
	body := s[end+1:]
	if !strings.HasPrefix(body, ":") {
		if body == "" {
			return Record{}, parseErr(errTruncated, "msg", "nothing after audit(%s)", stamp)
		}
		return Record{}, parseErr(errMalformed, "msg", "audit(%s) is not followed by ':'", stamp)
	}
	if err := r.parseBody(body[1:]); err != nil {
		return Record{}, err
	}
	return r, nil
}

// parseStamp reads SECONDS.MILLIS, as the kernel prints it (%llu.%03lu).
func parseStamp(s string) (time.Time, error) {
	secs, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || sec < 0 {
		return time.Time{}, errors.New("bad seconds")
	}
	var nsec int64
	if frac != "" {
		if len(frac) > 9 {
			return time.Time{}, errors.New("bad fraction")
		}
		f, err := strconv.ParseUint(frac, 10, 32)
		if err != nil {
			return time.Time{}, errors.New("bad fraction")
		}
		nsec = int64(f)
		for range 9 - len(frac) {
			nsec *= 10
		}
	}
	return time.Unix(sec, nsec).UTC(), nil
}

// hexFields are the fields the kernel writes with audit_log_untrustedstring
// or audit_log_d_path: quoted when the value is plain, hex (upper case, no
// quotes) when it holds a space, a quote, a control or a non-ASCII byte.
// Only these are decoded: ino=246947 is a number, not hex.
var hexFields = map[string]bool{
	"path": true, "name": true, "exe": true, "comm": true, "ocomm": true,
	"cwd": true, "proctitle": true, "key": true, "cmd": true, "acct": true,
	"data": true, "root_dir": true,
}

// strictHex are the record types whose undecodable hex is an error: the
// ones landlearn reads. Elsewhere such a value is kept as written.
var strictHex = map[int]bool{
	TypeLandlockAccess: true, TypeLandlockDomain: true, TypeSyscall: true, typeProctitle: true,
}

const typeProctitle = 1327

// specialValues are unquoted values that mean "no value" or a kernel
// error, not hex.
var specialValues = map[string]bool{
	"(null)": true, "?": true, "(none)": true, "<no_memory>": true, "<too_long>": true,
}

// parseBody splits the kernel's space-separated key=value fields and,
// after the ENRICHED separator, auditd's translations.
func (r *Record) parseBody(body string) error {
	kernel, interp, enriched := strings.Cut(body, string(interpSeparator))
	fields, err := splitFields(kernel, true, strictHex[r.Type])
	if err != nil {
		return err
	}
	r.Fields = fields
	if enriched {
		if r.Interp, err = splitFields(interp, false, false); err != nil {
			return err
		}
	}
	return r.checkLandlock()
}

// splitFields parses key=value pairs. Words without '=' (the free text
// some non-Landlock records carry) are skipped. When decode is set,
// unquoted values of hexFields are hex-decoded; a value that does not
// decode is an error when strict is set, and kept as written otherwise.
func splitFields(s string, decode, strict bool) (map[string]string, error) {
	fields := make(map[string]string)
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return fields, nil
		}
		eq := strings.IndexAny(s, "= ")
		if eq < 0 || s[eq] == ' ' {
			if eq < 0 {
				return fields, nil
			}
			s = s[eq:]
			continue
		}
		key := s[:eq]
		s = s[eq+1:]
		var val string
		quoted := false
		if s != "" && (s[0] == '"' || s[0] == '\'') {
			q := s[0]
			end := strings.IndexByte(s[1:], q)
			if end < 0 {
				return nil, parseErr(errTruncated, key, "unterminated quoted value")
			}
			val, s, quoted = s[1:1+end], s[2+end:], true
		} else {
			end := strings.IndexByte(s, ' ')
			if end < 0 {
				end = len(s)
			}
			val, s = s[:end], s[end:]
		}
		if decode && !quoted && hexFields[key] && !specialValues[val] {
			b, err := decodeHex(val)
			switch {
			case err == nil:
				val = b
			case strict:
				return nil, parseErr(errBadHex, key, "%q: %v", val, err)
			}
		}
		if _, dup := fields[key]; !dup {
			fields[key] = val
		}
	}
}

func decodeHex(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return "", errors.New("not hex")
	}
	return string(b), nil
}

// checkLandlock rejects Landlock records that lack the fields the kernel
// always writes: such a record was cut, and a denial without its domain
// or blockers explains nothing.
func (r *Record) checkLandlock() error {
	var need []string
	switch r.Type {
	case TypeLandlockAccess:
		need = []string{"domain", "blockers"}
	case TypeLandlockDomain:
		need = []string{"domain", "status"}
	}
	for _, k := range need {
		if r.Fields[k] == "" {
			return parseErr(errTruncated, k, "%s record without %s=", r.TypeName, k)
		}
	}
	return nil
}
