package explain

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/learn/audit"
)

// A deallocation record whose count no kernel writes (u64 max, which
// read as int64 printed "after -1 denials"; not a number) is named as
// impossible, and the JSON's denials stays -1 (unknown) beside it.
func TestExplainImpossibleDenialCount(t *testing.T) {
	for _, n := range []string{"18446744073709551615", "9223372036854775808", "x1"} {
		c := audit.NewCorrelator()
		_ = c.ReadLog(strings.NewReader(`type=UNKNOWN[1424] msg=audit(1795755903.222:61): domain=18db492b1 status=deallocated denials=`+n), "audit.log")
		e := Explain(c.Denials(), c.Domains(), nil)
		var b strings.Builder
		if err := e.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		want := "no denial of it in this input; deallocated 2026-11-27 05:05:03.222 UTC; its record's count denials=" + n +
			" is impossible, a damaged or forged log? (0 logged here)\n"
		if !strings.Contains(b.String(), want) || strings.Contains(b.String(), " -1 ") {
			t.Errorf("denials=%s:\n%s", n, b.String())
		}
		js, _ := json.Marshal(e.Domains[0])
		if d := e.Domains[0]; d.Denials != -1 || d.DenialsRecord != n || !strings.Contains(string(js), `"denials_record":"`+n+`"`) {
			t.Errorf("denials=%s: %s", n, js)
		}
	}
	c := audit.NewCorrelator()
	_ = c.ReadLog(strings.NewReader(`type=UNKNOWN[1424] msg=audit(1795755903.222:61): domain=18db492b1 status=deallocated denials=9223372036854775807`), "audit.log")
	if d := Explain(c.Denials(), c.Domains(), nil).Domains[0]; d.Denials != 1<<63-1 || d.DenialsRecord != "" {
		t.Errorf("the largest count: %+v", d)
	}
}
