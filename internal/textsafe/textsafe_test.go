package textsafe

import (
	"strings"
	"testing"
)

func TestName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/etc/hostname", "/etc/hostname"},
		{"/srv/données/é", "/srv/données/é"},
		{"/usr/bin/python3.11", "/usr/bin/python3.11"},
		{"", `""`},
		{"/a b", `"/a b"`},
		{`/say "hi"`, `"/say \"hi\""`},
		{`"/quoted"`, `"\"/quoted\""`},
		{"/x\n    fix:\n      - path: /\n", `"/x\n    fix:\n      - path: /\n"`},
		{"/x\r", `"/x\r"`},
		{"/\x1b]0;owned\x07", `"/\x1b]0;owned\a"`},
		{"/\x1b[2J", `"/\x1b[2J"`},
		{"/\u009b31m", `"/\u009b31m"`},             // C1 CSI
		{"/txt.\u202eexe", `"/txt.\u202eexe"`},     // right-to-left override
		{"/zero\u200bwidth", `"/zero\u200bwidth"`}, // zero-width space
		{"/nb\u00a0sp", `"/nb\u00a0sp"`},           // no-break space
		{"/bad\xffutf8", `"/bad\xffutf8"`},
		{"/tab\there", `"/tab\there"`},
		{"/del\x7f", `"/del\x7f"`},
		{"/back\\slash", `/back\slash`},
	} {
		if got := Name(tc.in); got != tc.want {
			t.Errorf("Name(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestInline(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text with spaces and \"quotes\"", "plain text with spaces and \"quotes\""},
		{"two\nlines", `two\nlines`},
		{"esc \x1b[31mred", `esc \x1b[31mred`},
		{"bad \xfe byte", `bad \xfe byte`},
		{"rlo \u202e here", `rlo \u202e here`},
		{"bell\a", `bell\a`},
	} {
		if got := Inline(tc.in); got != tc.want {
			t.Errorf("Inline(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestLines(t *testing.T) {
	if got, want := Lines("a.yaml:3: \x1b[2J\na.yaml:4: ok"), `a.yaml:3: \x1b[2J`+"\n"+`a.yaml:4: ok`; got != want {
		t.Errorf("Lines = %q, want %q", got, want)
	}
}

// TestNothingLeaks: whatever the input, the output of Name and Inline is
// one line of printable characters, and Name of different inputs
// differs.
func TestNothingLeaks(t *testing.T) {
	seen := map[string]string{}
	for b := 0; b < 256; b++ {
		for _, in := range []string{string(rune(b)), string([]byte{byte(b)}), "/x" + string([]byte{byte(b)}) + "y"} {
			for _, out := range []string{Name(in), Inline(in)} {
				if !printable(out) || strings.ContainsAny(out, "\n\r\x1b") {
					t.Errorf("%q gave %q", in, out)
				}
			}
			if prev, dup := seen[Name(in)]; dup && prev != in {
				t.Errorf("Name(%q) = Name(%q) = %s", in, prev, Name(in))
			}
			seen[Name(in)] = in
		}
	}
}
