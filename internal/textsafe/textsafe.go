// Package textsafe makes names that come from outside landlearn safe to
// print for people: file names a sandboxed program chose, executables and
// comm from the audit log, host names and paths in a policy under review.
// Printed raw, a name holding "\n" starts a line of its own (a forged
// "fix:" block in verify's report), and one holding ESC or OSC sequences
// drives the terminal (a changed window title, hidden text).
//
// Every human-readable output of landlearn passes such names through Name
// (or, for text that already embeds them, Inline). JSON and YAML outputs
// do not: their encoders escape exactly, and tools read them back.
package textsafe

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Name returns s as it is when it is plain: not empty, valid UTF-8, and
// made of printable characters other than space and '"' (unicode.IsPrint:
// no control characters, no escape sequences, no bidirectional or other
// invisible formatting characters). Otherwise it returns s quoted as a Go
// string literal, with those characters escaped ("a b", "x\nfix:",
// "\x1b]0;title\a", "\xff"): a quoted name cannot be mistaken for a plain
// one, nor for another quoted one.
func Name(s string) string {
	if plain(s) {
		return s
	}
	return strconv.Quote(s)
}

// Names applies Name to each of names, in a new slice.
func Names(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = Name(n)
	}
	return out
}

// Inline escapes, within s, each character that Name would escape but
// space and '"', without quoting: for text that already holds a name among
// other words (a warning, an error from a library), where quoting the
// whole would mislead. One line stays one line.
func Inline(s string) string {
	if printable(s) {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, n := utf8.DecodeRuneInString(s[i:])
		w = n
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x` + strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case r == ' ' || unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

// Lines is Inline for text of several lines, such as a list of errors:
// each line is escaped, and the newlines between them are kept.
func Lines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Inline(l)
	}
	return strings.Join(lines, "\n")
}

// plain reports whether Name may print s as it is.
func plain(s string) bool {
	return s != "" && printable(s) && !strings.ContainsAny(s, ` "`)
}

// printable reports whether s is valid UTF-8 made of characters that
// unicode.IsPrint accepts (which includes the ASCII space).
func printable(s string) bool {
	for i, w := 0, 0; i < len(s); i += w {
		r, n := utf8.DecodeRuneInString(s[i:])
		w = n
		if r == utf8.RuneError && n == 1 || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
