package learn

import (
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// lines that the fast decoder must take, and lines it must leave to the
// strict decoder (which may accept them or not).
var decoderSeeds = []string{
	`{"seq":7,"syscall":"openat","pid":812,"exe":"/usr/bin/cat","path":"/etc/hostname","type":"file","access":["read_file"]}`,
	`{"seq":9,"syscall":"renameat2","pid":812,"exe":"/usr/bin/mv","path":"/w/d","type":"dir","access":["remove_file","refer"],"src":"/w/d/f","dst":"/w/g"}`,
	`{"seq":12,"syscall":"bind","pid":813,"exe":"/usr/bin/python3.11","port":8080,"access":["bind_tcp"]}`,
	`{"seq":15,"syscall":"kill","pid":813,"exe":"/usr/bin/dash","scope":"signal","target":1}`,
	`{"seq":16,"syscall":"io_uring_setup","pid":813,"exe":"/usr/bin/app","warning":"io_uring: accesses through it are not traced"}`,
	`{"seq":1,"path":"/a","created":true,"deleted":false,"access":[]}`,
	` { "seq" : 1 , "path" : "/é" , "access" : [ "read_file" ] } `,
	`{"seq":1,"port":0,"access":["bind_tcp"]}`,
	`{"seq":1,"scope":"abstract_unix_socket","target":"@sock"}`,
	// Keys out of learn.Writer's order, twice (the last wins), and a
	// string that starts as a cached one (openat) and goes on:
	`{"path":"/a","seq":1,"exe":"/usr/bin/cat","seq":2,"exe":"/usr/bin/mv","access":["read_file"]}`,
	`{"seq":1,"syscall":"openatx","pid":5,"exe":"/usr/bin/catx","path":"/a","type":"filex","access":["read_file"]}`,
	// Names of rights it does not know, kept in Unknown:
	`{"seq":1,"path":"/a","access":["read_file","signal","future_right"]}`,
	// Left to the strict decoder:
	`{"seq":1,"path":"/a\"b","access":["read_file"]}`,
	`{"seq":1,"syscall":"openat\"","path":"/a"}`,
	`{"seq":1,"path":"/a\u00e9","access":["read_file"]}`,
	`{"SEQ":1,"path":"/a"}`,
	`{"seq":1,"path":null,"port":80}`,
	`{"seq":1.0,"path":"/a"}`,
	`{"seq":01,"path":"/a"}`,
	`{"seq":-1,"path":"/a"}`,
	`{"seq":1,"port":65536,"access":["bind_tcp"]}`,
	`{"seq":1,"path":"/a","extra":1}`,
	`{"seq":1}`,
	`{"seq":1,"path":"/a"} {}`,
	`{"seq":1,"path":"/a",}`,
	`{"seq":1,"path":"/a","target":-3}`,
	`{"seq":1,"path":"/a","target":1.5}`,
	`{"seq":1,"path":"/a","created":1}`,
	"{\"seq\":1,\"path\":\"/\xff\"}",
	`{"seq":99999999999999999999999,"path":"/a"}`,
	`[1]`,
	`{`,
	`{"landlearn":"observations","version":2,"argv":["make"],"cwd":"/w","vars":{"HOME":"/root"}}`,
	`{"seq":1,"path":"/a\u0000b","access":["read_file"]}`,
	`{"seq":1,"path":"/a\ud800","access":["read_file"]}`,
	`{"seq":1,"path":"/a\ud83d\ude00","access":["read_file"]}`,
}

// The fast decoder is only an accelerator: whatever it accepts, the
// strict decoder accepts as the same observation.
func checkFastMatchesStrict(t *testing.T, line string) {
	if strings.Contains(line, "\n") {
		return // decodeChunk splits lines first: the decoders never see one
	}
	// A new decoder, and one that decoded the seeds before: their
	// syscalls, executables and types are cached, and compared with.
	seen := newDecoder()
	for _, l := range decoderSeeds {
		seen.fast([]byte(l), &Observation{})
	}
	for _, d := range []*decoder{newDecoder(), seen} {
		var o Observation
		if !d.fast([]byte(line), &o) {
			continue
		}
		want, h, err := decodeLine([]byte(strings.TrimSpace(line)))
		if err != nil || h != nil {
			t.Fatalf("fast decoder accepted a line the strict one refuses (%v, header %v): %q", err, h, line)
		}
		if !reflect.DeepEqual(o, want) {
			t.Fatalf("line %q\nfast   %+v\nstrict %+v", line, o, want)
		}
	}
}

func TestFastDecoderMatchesStrict(t *testing.T) {
	took := 0
	for _, l := range decoderSeeds {
		checkFastMatchesStrict(t, l)
		var o Observation
		if newDecoder().fast([]byte(l), &o) {
			took++
		}
	}
	if took != 12 {
		t.Errorf("fast decoder took %d seed lines, want the 12 plain ones", took)
	}
}

func FuzzFastDecoder(f *testing.F) {
	for _, l := range decoderSeeds {
		f.Add(l)
	}
	f.Fuzz(checkFastMatchesStrict)
}

// parser.uint reads eight bytes at once where it can: it must read what
// a digit at a time reads, whatever follows the digits.
func TestParserUint(t *testing.T) {
	ref := func(b []byte, max uint64) (uint64, int, bool) {
		i := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		d := b[:i]
		if len(d) == 0 || len(d) > 1 && d[0] == '0' || i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
			return 0, i, false
		}
		v, err := strconv.ParseUint(string(d), 10, 64)
		return v, i, err == nil && v <= max
	}
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "0123456789012345678901234567890123456789,.eE}\"x/:\x00\x7f\x80\xff9"
	for range 200000 {
		b := make([]byte, r.IntN(24))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		for _, max := range []uint64{1<<64 - 1, 1<<31 - 1, 65535} {
			p := parser{b: b}
			v, ok := p.uint(max)
			wv, wi, wok := ref(b, max)
			if ok != wok || ok && (v != wv || p.i != wi) {
				t.Fatalf("uint(%q, %d) = %d, %t at %d; want %d, %t at %d", b, max, v, ok, p.i, wv, wok, wi)
			}
		}
	}
}
