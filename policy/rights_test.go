package policy

import (
	"testing"

	"github.com/landlock-lsm/go-landlock/landlock"
)

// TestRightsMatchGoLandlock checks the table against go-landlock, which
// enforce uses: the same names for the same bits, and the same rights in
// each ABI version, up to the newest one go-landlock knows.
func TestRightsMatchGoLandlock(t *testing.T) {
	configs := []landlock.Config{landlock.V1, landlock.V2, landlock.V3, landlock.V4, landlock.V5,
		landlock.V6, landlock.V7, landlock.V8, landlock.V9, landlock.V10, landlock.V11}
	if len(configs) != NewestABI {
		t.Fatalf("NewestABI is %d but go-landlock knows %d", NewestABI, len(configs))
	}
	for i, c := range configs {
		abi := i + 1
		if got, want := AllAt(KindFS, abi), Access(c.HandledAccessFS); got != want {
			t.Errorf("ABI %d fs: table %v, go-landlock %v", abi, got.Names(KindFS), c.HandledAccessFS)
		}
		if got, want := AllAt(KindNet, abi), Access(c.HandledAccessNet); got != want {
			t.Errorf("ABI %d net: table %v, go-landlock %v", abi, got.Names(KindNet), c.HandledAccessNet)
		}
		if got, want := AllAt(KindScope, abi), Access(c.Scoped); got != want {
			t.Errorf("ABI %d scoped: table %v, go-landlock %v", abi, got.Names(KindScope), c.Scoped)
		}
	}
	for _, r := range rights {
		var s string
		switch r.Kind {
		case KindFS:
			s = landlock.AccessFSSet(r.Bit).String()
		case KindNet:
			s = landlock.AccessNetSet(r.Bit).String()
		case KindScope:
			s = landlock.ScopedSet(r.Bit).String()
		}
		if s != "{"+r.Name+"}" {
			t.Errorf("%s: go-landlock names bit %#x %s", r.Name, r.Bit, s)
		}
	}
}

func TestParseAccessAndSuggest(t *testing.T) {
	a, err := ParseAccess(KindFS, []string{"read_file", "fs.execute"})
	if err != nil || a != Bit("read_file")|Bit("execute") {
		t.Errorf("ParseAccess = %v, %v", a, err)
	}
	for in, want := range map[string]string{
		"read": "read_file", "READ_FILE": "read_file", "make_regular": "make_reg",
		"conect_tcp": "connect_tcp", "signals": "signal", "zzzzzzzzzzzz": "",
	} {
		if got := SuggestRight(in); got != want {
			t.Errorf("SuggestRight(%q) = %q, want %q", in, got, want)
		}
	}
	if _, err := ParseAccess(KindNet, []string{"read_file"}); err == nil {
		t.Errorf("ParseAccess accepted an fs right as net")
	}
}
