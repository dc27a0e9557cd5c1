package learn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/landlearn/landlearn/policy"
)

// The observation decoder. encoding/json decodes a line by reflection,
// allocating every string: a million-observation build would spend
// longer decoding than sorting the same file. The fast decoder below
// takes the lines the Writer writes (flat objects, keys in its order,
// strings without escapes) without reflection and without allocating
// for what repeats (BenchmarkReader); any line it does not take goes to
// decodeLine, whose verdict and message are the format's.
// FuzzFastDecoder holds the two to the same observations.

// pathMax is PATH_MAX: the longest path a system call takes, with its
// NUL. A longer path in an observation cannot have come from a call.
const pathMax = 4096

// errLongLine is the error of a line longer than maxLine.
var errLongLine = fmt.Errorf("line is longer than %d MiB, the longest line an observation or a header can take", maxLine>>20)

// decodeLine decodes one line strictly: an observation, or a header
// (h != nil). err says what is wrong with a line that is neither.
func decodeLine(l []byte) (o Observation, h *Header, err error) {
	if !utf8.Valid(l) {
		return o, nil, fmt.Errorf("not valid UTF-8 at byte %d: JSON would read its bad bytes as U+FFFD, another name (a tracer records a name that is not UTF-8 as a warning, never as a path)", invalidAt(l)+1)
	}
	if e := loneSurrogate(l); e != "" {
		return o, nil, fmt.Errorf("%s is half of a UTF-16 surrogate pair: JSON would read it as U+FFFD, another name", e)
	}
	var kind struct {
		Landlearn *json.RawMessage `json:"landlearn"`
	}
	if json.Unmarshal(l, &kind) == nil && kind.Landlearn != nil {
		h = new(Header)
		if err := decodeOne(l, h); err != nil {
			return o, nil, err
		}
		return o, h, nil
	}
	if err := decodeOne(l, &o); err != nil {
		return o, nil, fmt.Errorf("not an observation: %w", err)
	}
	if o.Path == "" && o.Port == nil && o.Scope == "" && o.Warning == "" {
		return o, nil, errors.New("observation has none of path, port, scope or warning")
	}
	for _, p := range [...]struct{ key, v string }{{"path", o.Path}, {"src", o.Src}, {"dst", o.Dst}} {
		switch {
		case strings.IndexByte(p.v, 0) >= 0:
			return o, nil, fmt.Errorf("%s %q holds a NUL byte, which no file name can", p.key, p.v)
		case len(p.v) >= pathMax:
			return o, nil, fmt.Errorf("%s is %d bytes long: a path that system calls take is shorter than PATH_MAX (%d bytes with its NUL)", p.key, len(p.v), pathMax)
		}
	}
	return o, nil, nil
}

// decodeOne decodes the one JSON value of l into v.
func decodeOne(l []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(l))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one JSON value on the line")
	}
	return nil
}

// invalidAt is the offset of the first byte of l that is not valid UTF-8.
func invalidAt(l []byte) int {
	for i := 0; i < len(l); {
		r, n := utf8.DecodeRune(l[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(l)
}

// loneSurrogate returns the first \uXXXX escape of l that is a UTF-16
// surrogate without its other half, or "".
func loneSurrogate(l []byte) string {
	high := -1 // where the escape just before is a high surrogate
	for i := 0; i < len(l); i++ {
		v, ok := uint64(0), false
		if l[i] == '\\' && i+6 <= len(l) && l[i+1] == 'u' {
			var err error
			v, err = strconv.ParseUint(string(l[i+2:i+6]), 16, 16)
			ok = err == nil
		}
		switch {
		case ok && v >= 0xdc00 && v < 0xe000 && high >= 0:
			high = -1 // the pair's second half
		case high >= 0:
			return string(l[high : high+6])
		case ok && v >= 0xdc00 && v < 0xe000:
			return string(l[i : i+6])
		case ok && v >= 0xd800 && v < 0xdc00:
			high = i
		}
		switch {
		case ok:
			i += 5
		case l[i] == '\\':
			i++ // an escaped character: \\, \", \n...
		}
	}
	if high >= 0 {
		return string(l[high : high+6])
	}
	return ""
}

// decoder decodes observation lines; it interns the strings that repeat
// (syscall, exe, type, right names), so a run's million lines share them.
type decoder struct {
	intern map[string]string
	lists  map[string]accessList
	names  []string // reused for access lists
	recent [6]string
	next   int
	// Small caches by key: a run has a handful of syscalls and types,
	// a few dozen executables.
	syscalls, exes, types smallCache
}

// smallCache holds the few strings a run repeats in a field.
type smallCache struct {
	list []string
	last string // the one found last
}

// smallCap is how many entries a small cache holds.
const smallCap = 32

// small decodes the JSON string at p, one of the few a run repeats in
// every line (syscall, exe, type), as a string from cache, or interned
// and cached. A cached string is compared with the bytes of p itself:
// it holds nothing a JSON string escapes, so the same bytes followed by
// a quote are the same string, and they need no scanning.
func (d *decoder) small(p *parser, cache *smallCache) (string, bool) {
	if i := p.i; i < len(p.b) && p.b[i] == '"' {
		rest := p.b[i+1:]
		// The last one found first: lines in a row mostly come
		// from one process.
		if s := cache.last; len(rest) > len(s) && rest[len(s)] == '"' && string(rest[:len(s)]) == s {
			p.i += len(s) + 2
			return s, true
		}
		for _, s := range cache.list {
			if len(rest) > len(s) && rest[len(s)] == '"' && string(rest[:len(s)]) == s {
				p.i += len(s) + 2
				cache.last = s
				return s, true
			}
		}
	}
	b, ok := p.string()
	if !ok {
		return "", false
	}
	s := d.str(b)
	if len(cache.list) < smallCap {
		cache.list = append(cache.list, s)
	}
	return s, true
}

func newDecoder() *decoder {
	return &decoder{intern: map[string]string{}, lists: map[string]accessList{}}
}

// decodeChunk decodes the lines of c.data into c's batch: its
// observations, the headers among them, and the first bad line (which
// ends the chunk) or how many it skipped. A chunk's observations live in
// a batch that is used again for a later chunk, so they are never
// garbage to collect.
func (d *decoder) decodeChunk(c *chunk, name string, skipBad bool) {
	if n := c.lines + 1; cap(c.obs) < n { // the last line may have no newline
		// Grown by append, a batch would leave garbage of twice its
		// size for the collector to find and fresh pages to fault in.
		c.obs = make([]Observation, 0, n)
	}
	data := c.buf
	line := c.line - 1
	for len(data) > 0 {
		line++
		var l []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			l, data = data, nil
		}
		// NUL bytes are the padding a learner killed while writing
		// leaves at the end of its file (NewFileWriter): JSON never
		// holds one. What comes before them on their line is the line
		// the kill cut, dropped; what follows them (in files put end
		// to end) is the next run's first line.
		if i := bytes.LastIndexByte(l, 0); i >= 0 {
			l = l[i+1:]
		}
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		c.obs = append(c.obs, Observation{})
		o := &c.obs[len(c.obs)-1]
		if d.fast(l, o) {
			continue
		}
		var h *Header
		var err error
		if len(l) > maxLine {
			err = errLongLine
		} else {
			*o, h, err = decodeLine(l)
		}
		switch {
		case err != nil:
			c.obs = c.obs[:len(c.obs)-1]
			if skipBad && !errors.Is(err, ErrNewerFormat) {
				c.skipped++
				continue
			}
			c.err = &LineError{File: name, Line: line, Err: err}
			return
		case h != nil:
			c.obs = c.obs[:len(c.obs)-1]
			c.heads = append(c.heads, header{len(c.obs), h})
		}
	}
}

// accessList is a decoded access list: a run names a few dozen distinct
// lists a million times.
type accessList struct {
	fs      policy.FSAccess
	net     policy.NetAccess
	unknown []string
}

// accessList returns the rights of d.names, remembered for every line
// with the same raw list. Readers of Observation.Unknown must not modify
// it.
func (d *decoder) accessList(raw []byte) accessList {
	if l, ok := d.lists[string(raw)]; ok {
		return l
	}
	var l accessList
	l.fs, l.net, l.unknown = decodeRights(d.names)
	if len(d.lists) < 4096 {
		d.lists[string(raw)] = l
	}
	return l
}

// pathString returns the path b as a string that shares b's memory
// instead of being a copy: it is only valid until the Reader reuses the
// chunk, and a consumer copies any path it keeps before that, so a
// million paths that are mostly seen before cost no allocation.
func pathString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func (d *decoder) str(b []byte) string {
	// Lines in a row mostly share syscall, exe and type: look at the
	// last few strings before hashing.
	for _, s := range d.recent {
		if len(s) == len(b) && s == string(b) {
			return s
		}
	}
	s, ok := d.intern[string(b)]
	if !ok {
		s = string(b)
		if len(d.intern) < 4096 {
			d.intern[s] = s
		}
	}
	d.recent[d.next] = s
	d.next = (d.next + 1) % len(d.recent)
	return s
}

// The keys of an observation, in the order Writer writes them
// (encoding/json's: the fields of Observation), and as it writes
// them, with their quotes and colon.
const (
	keySeq = iota
	keySyscall
	keyPID
	keyExe
	keyPath
	keyType
	keyAccess
	keyCreated
	keyDeleted
	keySrc
	keyDst
	keyPort
	keyScope
	keyTarget
	keyWarning
)

var wireKeys = [...]string{
	keySeq: `"seq":`, keySyscall: `"syscall":`, keyPID: `"pid":`, keyExe: `"exe":`,
	keyPath: `"path":`, keyType: `"type":`, keyAccess: `"access":`, keyCreated: `"created":`,
	keyDeleted: `"deleted":`, keySrc: `"src":`, keyDst: `"dst":`, keyPort: `"port":`,
	keyScope: `"scope":`, keyTarget: `"target":`, keyWarning: `"warning":`,
}

// wireWords are wireKeys as two little-endian words each, and masks of
// the bytes that are the key's.
var wireWords = func() (ws [len(wireKeys)]struct{ word, mask [2]uint64 }) {
	for j, k := range wireKeys {
		for i := 0; i < len(k); i++ {
			ws[j].word[i/8] |= uint64(k[i]) << (8 * (i % 8))
			ws[j].mask[i/8] |= 0xff << (8 * (i % 8))
		}
	}
	return ws
}()

// keyIndex returns the index in wireKeys of the key named k, -1 for a
// key fast does not know (escapes, another spelling).
func keyIndex(k []byte) int {
	for i, w := range wireKeys {
		if string(k) == w[1:len(w)-2] {
			return i
		}
	}
	return -1
}

// fast decodes the flat JSON object Writer writes. It returns
// false for anything it is not sure to decode exactly as encoding/json
// would (escapes, null, other key spellings, out-of-range numbers...),
// leaving those lines to the strict decoder.
func (d *decoder) fast(l []byte, o *Observation) bool {
	p := parser{b: l}
	if !p.byte('{') {
		return false
	}
	if p.peek() == '}' {
		return false
	}
	next := 0 // in wireKeys: the key Writer writes next
	ok := false
	for {
		k := -1
		// Writer's keys come in its order, some left out:
		// compare with the next ones rather than scan the key and
		// switch on its name.
		if i := p.i; len(p.b)-i >= 16 && p.b[i] == '"' {
			// Sixteen bytes of the line, compared with each key
			// under its mask.
			lo, hi := binary.LittleEndian.Uint64(p.b[i:]), binary.LittleEndian.Uint64(p.b[i+8:])
			for j := next; j < len(wireKeys); j++ {
				if w := &wireWords[j]; lo&w.mask[0] == w.word[0] && hi&w.mask[1] == w.word[1] {
					k, next = j, j+1
					p.i += len(wireKeys[j])
					break
				}
			}
		}
		if k < 0 {
			var key []byte
			if key, ok = p.key(); !ok {
				return false
			}
			if !p.byte(':') {
				return false
			}
			if k = keyIndex(key); k < 0 {
				return false
			}
		}
		if p.i < len(p.b) && p.b[p.i] <= ' ' {
			p.ws()
		}
		switch k {
		case keySeq:
			v, ok := p.uint(1<<64 - 1)
			if !ok {
				return false
			}
			o.Seq = v
		case keyPID:
			v, ok := p.uint(1<<31 - 1)
			if !ok {
				return false
			}
			o.PID = int(v)
		case keyPort:
			v, ok := p.uint(65535)
			if !ok {
				return false
			}
			o.Port = PortPtr(uint16(v))
		case keySyscall:
			if o.Syscall, ok = d.small(&p, &d.syscalls); !ok {
				return false
			}
		case keyExe:
			if o.Exe, ok = d.small(&p, &d.exes); !ok {
				return false
			}
		case keyType:
			if o.Type, ok = d.small(&p, &d.types); !ok {
				return false
			}
		case keyScope:
			s, ok := p.string()
			if !ok {
				return false
			}
			o.Scope = d.str(s)
		case keyPath, keySrc, keyDst:
			s, ok := p.string()
			if !ok {
				return false
			}
			switch k {
			case keyPath:
				o.Path = pathString(s)
			case keySrc:
				o.Src = pathString(s)
			case keyDst:
				o.Dst = pathString(s)
			}
		case keyWarning:
			s, ok := p.string()
			if !ok {
				return false
			}
			o.Warning = string(s)
		case keyCreated, keyDeleted:
			v, ok := p.bool()
			if !ok {
				return false
			}
			if k == keyCreated {
				o.Created = v
			} else {
				o.Deleted = v
			}
		case keyAccess:
			if !p.byte('[') {
				return false
			}
			start := p.i
			// The same bytes, up to the first ], as a list decoded
			// before: the same list.
			if end := bytes.IndexByte(p.b[start:], ']'); end >= 0 {
				raw := p.b[start : start+end+1]
				if l, ok := d.lists[string(raw)]; ok {
					o.FS, o.Net, o.Unknown = l.fs, l.net, l.unknown
					p.i = start + end + 1
					break
				}
			}
			d.names = d.names[:0]
			if p.peek() == ']' {
				p.i++
			} else {
				for {
					s, ok := p.string()
					if !ok {
						return false
					}
					d.names = append(d.names, d.str(s))
					if p.byte(']') {
						break
					}
					if !p.byte(',') {
						return false
					}
				}
			}
			l := d.accessList(p.b[start:p.i])
			o.FS, o.Net, o.Unknown = l.fs, l.net, l.unknown
		case keyTarget:
			switch c := p.peek(); {
			case c == '"':
				s, ok := p.string()
				if !ok {
					return false
				}
				o.Target = string(s)
			case c >= '0' && c <= '9':
				v, ok := p.uint(1 << 53)
				if !ok {
					return false
				}
				o.Target = float64(v)
			default:
				return false
			}
		default:
			return false
		}
		if p.i < len(p.b) && p.b[p.i] == ',' { // as Writer writes
			p.i++
			continue
		}
		if p.byte('}') {
			break
		}
		if !p.byte(',') {
			return false
		}
	}
	p.ws()
	if p.i != len(p.b) || len(o.Path) >= pathMax || len(o.Src) >= pathMax || len(o.Dst) >= pathMax {
		return false
	}
	return o.Path != "" || o.Port != nil || o.Scope != "" || o.Warning != ""
}

type parser struct {
	b []byte
	i int
}

func (p *parser) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\r' || p.b[p.i] == '\n') {
		p.i++
	}
}

func (p *parser) peek() byte {
	p.ws()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *parser) byte(c byte) bool {
	if i := p.i; i < len(p.b) && p.b[i] == c {
		p.i = i + 1
		return true
	}
	return p.byteAfterSpace(c)
}

//go:noinline
func (p *parser) byteAfterSpace(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

// key returns the raw bytes of an object key, which may hold escapes:
// they then match no key name that fast knows, and the line goes to the
// strict decoder.
func (p *parser) key() ([]byte, bool) {
	if p.i < len(p.b) && p.b[p.i] == '"' {
		p.i++
	} else if !p.byte('"') {
		return nil, false
	}
	b := p.b[p.i:]
	for i := 0; i < len(b) && i < 16; i++ { // keys are short
		if b[i] == '"' {
			p.i += i + 1
			return b[:i], true
		}
	}
	end := bytes.IndexByte(b, '"')
	if end < 0 {
		return nil, false
	}
	p.i += end + 1
	return b[:end], true
}

// string returns the bytes of a JSON string without escapes or control
// characters, valid UTF-8.
func (p *parser) string() ([]byte, bool) {
	if p.i < len(p.b) && p.b[p.i] == '"' {
		p.i++
	} else if !p.byte('"') {
		return nil, false
	}
	b := p.b[p.i:]
	// Eight bytes at a time while none is a quote, a backslash, a
	// control character or non-ASCII. In the first eight that hold
	// one, the lowest byte flagged is one (the flags above it may be
	// borrows): a quote ends the string, anything else is looked at
	// byte by byte.
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		const ones, highs = 0x0101010101010101, 0x8080808080808080
		special := w | (w - 0x20*ones) | zeroByte(w^'"'*ones) | zeroByte(w^'\\'*ones)
		if m := special & highs; m != 0 {
			i += bits.TrailingZeros64(m) / 8
			if b[i] == '"' {
				p.i += i + 1
				return b[:i], true
			}
			break
		}
	}
	ascii := true
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			s := b[:i]
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			p.i += i + 1
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false // escapes and control characters: the strict decoder
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, false
}

// zeroByte has the high bit of a byte set where w has a zero byte (and
// maybe above it: only whether it is zero matters).
func zeroByte(w uint64) uint64 {
	return (w - 0x0101010101010101) & ^w
}

// uint parses a JSON number that is a plain non-negative integer <= max.
func (p *parser) uint(max uint64) (uint64, bool) {
	start := p.i
	if v, n, ok := digits8(p.b[p.i:]); ok && n > 0 && n < 8 {
		// Seven digits or fewer, and what follows them is there.
		p.i += n
		if n > 1 && p.b[start] == '0' {
			return 0, false
		}
		if c := p.b[p.i]; c == '.' || c == 'e' || c == 'E' {
			return 0, false
		}
		return v, v <= max
	}
	v := uint64(0) // wraps past 19 digits: ParseUint then
	for p.i < len(p.b) {
		c := p.b[p.i] - '0'
		if c > 9 {
			break
		}
		v = v*10 + uint64(c)
		p.i++
	}
	digits := p.b[start:p.i]
	if len(digits) == 0 || (len(digits) > 1 && digits[0] == '0') || len(digits) > 20 {
		return 0, false
	}
	if p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		return 0, false
	}
	if len(digits) < 20 {
		return v, v <= max
	}
	v, err := strconv.ParseUint(string(digits), 10, 64)
	if err != nil || v > max {
		return 0, false
	}
	return v, true
}

// digits8 reads the decimal digits that b starts with, from its first
// eight bytes at once: their value and how many there are (8: maybe
// more). ok is false when b is shorter than eight bytes.
func digits8(b []byte) (v uint64, n int, ok bool) {
	if len(b) < 8 {
		return 0, 0, false
	}
	const ones = 0x0101010101010101
	x := binary.LittleEndian.Uint64(b) - '0'*ones
	// The lowest byte flagged is the first that is not a digit: below
	// '0' it wrapped, above '9' adding 0x76 carries into its high bit
	// (flags above it may be borrows and carries).
	nondigit := (x | (x + 0x76*ones)) & (0x80 * ones)
	n = bits.TrailingZeros64(nondigit) / 8
	if n == 0 {
		return 0, 0, true
	}
	// The n digits to the top of the word, behind 8-n zero digits; the
	// first byte is the most significant digit. Then pairs, fours and
	// eights of digits are summed in place.
	x <<= 64 - 8*n
	x = x*10 + x>>8 // pairs, in bytes 0, 2, 4, 6
	const pairs = 0x000000FF000000FF
	x = ((x&pairs)*(100+1000000<<32) + ((x>>16)&pairs)*(1+10000<<32)) >> 32
	return x, n, true
}

func (p *parser) bool() (bool, bool) {
	switch {
	case bytes.HasPrefix(p.b[p.i:], []byte("true")):
		p.i += 4
		return true, true
	case bytes.HasPrefix(p.b[p.i:], []byte("false")):
		p.i += 5
		return false, true
	}
	return false, false
}
