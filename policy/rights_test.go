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
		if got, want := AllFS(abi), FSAccess(c.HandledAccessFS); got != want {
			t.Errorf("ABI %d fs: table %v, go-landlock %v", abi, got.Names(), c.HandledAccessFS)
		}
		if got, want := AllNet(abi), NetAccess(c.HandledAccessNet); got != want {
			t.Errorf("ABI %d net: table %v, go-landlock %v", abi, got.Names(), c.HandledAccessNet)
		}
		if got, want := AllScopes(abi), ScopeSet(c.Scoped); got != want {
			t.Errorf("ABI %d scoped: table %v, go-landlock %v", abi, got.Names(), c.Scoped)
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

func TestParseAndSuggest(t *testing.T) {
	a, err := ParseFS([]string{"read_file", "fs.execute"})
	if err != nil || a != FSReadFile|FSExecute {
		t.Errorf("ParseFS = %v, %v", a, err)
	}
	for in, want := range map[string]string{
		"read": "read_file", "READ_FILE": "read_file", "make_regular": "make_reg",
		"conect_tcp": "connect_tcp", "signals": "signal", "zzzzzzzzzzzz": "",
	} {
		if got := SuggestRight(in); got != want {
			t.Errorf("SuggestRight(%q) = %q, want %q", in, got, want)
		}
	}
	if _, err := ParseNet([]string{"read_file"}); err == nil {
		t.Errorf("ParseNet accepted an fs right")
	}
	if s, err := ParseScopes([]string{"scope.signal"}); err != nil || s != ScopeSignal {
		t.Errorf("ParseScopes = %v, %v", s, err)
	}
}

// TestConstantsNameTheirRight pins each constant to its row of the table:
// a constant out of order would silently grant another right.
func TestConstantsNameTheirRight(t *testing.T) {
	fs := map[FSAccess]string{
		FSExecute: "execute", FSWriteFile: "write_file", FSReadFile: "read_file", FSReadDir: "read_dir",
		FSRemoveDir: "remove_dir", FSRemoveFile: "remove_file", FSMakeChar: "make_char", FSMakeDir: "make_dir",
		FSMakeReg: "make_reg", FSMakeSock: "make_sock", FSMakeFifo: "make_fifo", FSMakeBlock: "make_block",
		FSMakeSym: "make_sym", FSRefer: "refer", FSTruncate: "truncate", FSIoctlDev: "ioctl_dev",
		FSResolveUnix: "resolve_unix",
	}
	net := map[NetAccess]string{NetBindTCP: "bind_tcp", NetConnectTCP: "connect_tcp", NetBindUDP: "bind_udp", NetConnectSendUDP: "connect_send_udp"}
	scopes := map[ScopeSet]string{ScopeAbstractUnixSocket: "abstract_unix_socket", ScopeSignal: "signal"}
	if len(fs)+len(net)+len(scopes) != len(rights) {
		t.Fatalf("%d constants for %d rights", len(fs)+len(net)+len(scopes), len(rights))
	}
	check := func(names []string, name string, bit uint64, k Kind) {
		t.Helper()
		r, ok := LookupRight(name)
		if len(names) != 1 || names[0] != name || !ok || r.Bit != bit || r.Kind != k {
			t.Errorf("constant %#x of kind %s names %v, want %s (table: %+v)", bit, k, names, name, r)
		}
	}
	for a, n := range fs {
		check(a.Names(), n, uint64(a), KindFS)
	}
	for a, n := range net {
		check(a.Names(), n, uint64(a), KindNet)
	}
	for a, n := range scopes {
		check(a.Names(), n, uint64(a), KindScope)
	}
	if got := FSMake.Names(); len(got) != 7 {
		t.Errorf("FSMake = %v", got)
	}
}

// TestSetStrings: each set names its own kind's rights (one Access type
// used to print file-system names for a network mask), and bits no
// right has are shown, not dropped.
func TestSetStrings(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{(FSReadFile | FSExecute).String(), "[execute, read_file]"},
		{(NetBindTCP | NetConnectTCP).String(), "[bind_tcp, connect_tcp]"},
		{ScopeSignal.String(), "[signal]"},
		{FSAccess(0).String(), "[]"},
		{(NetAccess(1<<40) | NetBindTCP).String(), "[bind_tcp, 1<<40]"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
	}
	if !(FSReadFile | FSWriteFile).Has(FSReadFile) || FSReadFile.Has(FSReadFile|FSWriteFile) || (FSMake|FSRefer).Count() != 8 {
		t.Error("Has or Count")
	}
}
