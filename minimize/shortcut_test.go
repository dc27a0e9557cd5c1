package minimize

// Shortcuts taken on the hot path, each against what it stands for.

import (
	"math/rand/v2"
	"path"
	"strconv"
	"testing"
)

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

func TestCleanDir(t *testing.T) {
	for _, p := range []string{"/", "/a", "/a/b", "/a/b/c.txt", "/tmp/x"} {
		if got, want := cleanDir(p), path.Dir(p); got != want {
			t.Errorf("cleanDir(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestAtoi(t *testing.T) {
	for _, s := range []string{"", "0", "1", "12345", "007", "+5", "-5", "--5", "5-", "self", "sys", "1a", "99999999999999999999", "4194304"} {
		n, ok := atoi(s)
		wn, err := strconv.Atoi(s)
		if ok != (err == nil) || ok && n != wn {
			t.Errorf("atoi(%q) = %d, %t; strconv.Atoi says %d, %v", s, n, ok, wn, err)
		}
	}
}
