package explain

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/learn/audit"
)

// FuzzExplain explains whatever one arbitrary log line gives: a log file
// is outside input, and no record that parses may make the report panic
// (audit.FuzzParseLine checks the parser itself).
func FuzzExplain(f *testing.F) {
	for _, l := range strings.Split(adminGuideSignal, "\n") {
		f.Add(l)
	}
	for _, name := range []string{"raw.log", "enriched.log", "garbage.log", "journal.json", "dmesg.log", "ausearch.log"} {
		fh, err := os.Open(filepath.Join("..", "..", "..", "testdata", "audit", name))
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
	f.Fuzz(func(t *testing.T, line string) {
		c := audit.NewCorrelator()
		if err := c.ReadLog(strings.NewReader(line), "fuzz"); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := Explain(c.Denials(), c.Domains(), nil).WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if err := Summarize(c.Denials(), c.Domains()).WriteText(&b); err != nil {
			t.Fatal(err)
		}
	})
}
