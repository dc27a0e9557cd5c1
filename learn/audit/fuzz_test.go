package audit

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseLine feeds the parser and the correlator arbitrary lines: a
// log file is outside input, and a bad line must be an error wrapping one
// of the sentinels, never a panic. explain.FuzzExplain takes the same
// lines on to the report.
func FuzzParseLine(f *testing.F) {
	for _, l := range strings.Split(adminGuideSignal+adminGuideFS, "\n") {
		f.Add(l)
	}
	for _, name := range []string{"raw.log", "enriched.log", "garbage.log", "journal.json", "dmesg.log", "ausearch.log"} {
		fh, err := os.Open(filepath.Join("..", "..", "testdata", "audit", name))
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for n := 0; sc.Scan() && n < 40; n++ {
			f.Add(sc.Text())
		}
		fh.Close()
	}
	sentinels := []error{errBlank, errNotAudit, errTruncated, errBadHex, errMalformed, errInterpreted}
	f.Fuzz(func(t *testing.T, line string) {
		r, err := parseLine(line)
		if err != nil {
			known := false
			for _, s := range sentinels {
				known = known || errors.Is(err, s)
			}
			if !known {
				t.Fatalf("parseLine(%q): error %v wraps no sentinel", line, err)
			}
			return
		}
		if r.Type == TypeLandlockAccess && (r.Fields["domain"] == "" || r.Fields["blockers"] == "") {
			t.Fatalf("parseLine(%q): access record without domain or blockers: %+v", line, r)
		}
		c := NewCorrelator()
		c.Add(r)
		for _, d := range c.Denials() {
			_ = d.FixRule()
			_ = d.Object()
			_, _, _, _ = d.Rights()
		}
		if utf8.ValidString(line) && !utf8.ValidString(r.Raw) {
			t.Fatalf("Raw of a valid UTF-8 line is not: %q", r.Raw)
		}
	})
}
