package emit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/landlearn/landlearn/policy"
)

// FuzzEmit builds a policy from fuzzed parts and checks what must hold
// for any policy: every valid one round-trips through YAML and the real
// loader with the same grants, emitting is idempotent, and the tree and
// landlockconfig writers neither panic nor write invalid JSON.
func FuzzEmit(f *testing.F) {
	f.Add("/usr", "observed: execve", uint64(7), uint16(443), uint64(2), false)
	f.Add("${HOME}/a: b #c", "two\nlines", uint64(1<<15|4), uint16(0), uint64(1), true)
	f.Add("/a$b/${X}", "", uint64(1<<13), uint16(65535), uint64(3), false)
	f.Add("/\"q\\\t\n", "\x00\xff\r", uint64(8), uint16(1), uint64(0), true)
	f.Fuzz(func(t *testing.T, path, comment string, fsBits uint64, port uint16, netBits uint64, optional bool) {
		p := policy.New(7)
		p.Comment = comment
		fsAccess := policy.FSAccess(fsBits) & p.Handled.FS
		netAccess := policy.NetAccess(netBits) & p.Handled.Net
		if fsAccess != 0 {
			p.FS = []policy.FSRule{{Path: path, Access: fsAccess, Optional: optional, Comment: comment}}
		}
		if netAccess != 0 {
			p.Net = []policy.NetRule{{Port: port, Access: netAccess, Comment: comment}}
		}

		var tree, js, toml bytes.Buffer
		_ = Tree(&tree, p)
		if err := LandlockConfigJSON(&js, p); err == nil && !json.Valid(js.Bytes()) {
			t.Fatalf("invalid JSON:\n%s", js.Bytes())
		}
		_ = LandlockConfigTOML(&toml, p)

		var out bytes.Buffer
		err := YAML(&out, p)
		if !utf8.ValidString(path) && fsAccess != 0 {
			if err == nil {
				t.Fatalf("invalid UTF-8 path %q emitted", path)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Validate() != nil {
			return // the loader must refuse it; WriteFile checks that
		}
		back, err := policy.Load(bytes.NewReader(out.Bytes()), "fuzz.yaml")
		if err != nil {
			t.Fatalf("valid policy does not load back: %v\n%s", err, out.Bytes())
		}
		if !sameGrants(p, back) {
			t.Fatalf("grants changed:\n%+v\n%+v\n%s", p, back, out.Bytes())
		}
		if plainComment(comment) && strings.Trim(back.Comment, "\n") != strings.Trim(comment, "\n") {
			t.Fatalf("comment %q came back as %q", comment, back.Comment)
		}
		var again bytes.Buffer
		if err := YAML(&again, back); err != nil || !bytes.Equal(again.Bytes(), out.Bytes()) {
			t.Fatalf("emit(load(emit(p))) differs (%v):\n%s\n---\n%s", err, again.Bytes(), out.Bytes())
		}
	})
}

// plainComment reports whether comment survives a YAML round trip as is:
// printable text without trailing spaces, leading spaces or blank lines
// at its ends.
func plainComment(c string) bool {
	if strings.Trim(c, "\n") != c {
		return false
	}
	for l := range strings.SplitSeq(c, "\n") {
		if commentSafe(l) != l || strings.TrimSpace(l) != l {
			return false
		}
	}
	return true
}
