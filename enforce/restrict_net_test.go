package enforce_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/internal/testkit"
)

func TestConnectTCP(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	_, allowed := listenTCP(t)
	_, other := listenTCP(t)
	p := loadPolicy(t, "version: 1\nabi: 7\nhandled:\n  fs: []\n  net: [bind_tcp, connect_tcp]\n  scoped: []\nnet:\n  - port: "+itoa(allowed)+"\n    access: [connect_tcp]\n")
	wantLines(t, runProbe(t, p, "connect", itoa(allowed), "connect", itoa(other), "bind", "0"),
		"connect ok", "connect EACCES", "bind EACCES")
}

func TestBindTCP(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	l, taken := listenTCP(t)
	l.Close() // a port that was free a moment ago
	p := loadPolicy(t, "version: 1\nabi: 7\nhandled:\n  fs: []\n  net: [bind_tcp, connect_tcp]\n  scoped: []\nnet:\n  - port: 0\n    access: [bind_tcp]\n")
	wantLines(t, runProbe(t, p, "bind", "0", "bind", itoa(taken)), "bind ok", "bind EACCES")
}

// TestMPTCPNote: the note is true (an MPTCP connect escapes a policy that
// denies every TCP connect exactly when the kernel has erratum 1 fixed),
// and enforcing does not print it: run's stderr is the program's.
func TestMPTCPNote(t *testing.T) {
	errata := testkit.RequireLandlock(t, 6).Errata
	p := loadPolicy(t, "version: 1\nabi: 7\nhandled:\n  fs: []\n  net: [connect_tcp]\n  scoped: []\n")
	var stderr bytes.Buffer
	if _, err := enforce.Command(p, []string{"true"}, enforce.Options{Stderr: &stderr}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stderr.String(), "MPTCP") {
		t.Errorf("enforcing printed the MPTCP note:\n%s", stderr.String())
	}
	note := enforce.MPTCPNote(p)
	if got, want := note != "", errata&1 != 0; got != want {
		t.Errorf("errata %#x: MPTCPNote = %q, want a note: %t", errata, note, want)
	}
	if fs := loadPolicy(t, "version: 1\nabi: 7\nhandled:\n  fs: [read_file]\n  net: []\n  scoped: []\n"); enforce.MPTCPNote(fs) != "" {
		t.Errorf("MPTCPNote for a policy that restricts no TCP right: %q", enforce.MPTCPNote(fs))
	}

	_, port := listenTCP(t)
	out := runProbe(t, p, "connect", itoa(port), "mptcp-connect", itoa(port))
	if s := strings.Join(out, " "); strings.Contains(s, "mptcp-connect EPROTONOSUPPORT") || strings.Contains(s, "mptcp-connect ENOPROTOOPT") {
		testkit.Skip(t, "no MPTCP here (net.mptcp.enabled=0?): %s", s)
	}
	mptcp := "mptcp-connect EACCES"
	if note != "" {
		mptcp = "mptcp-connect ok"
	}
	wantLines(t, out, "connect EACCES", mptcp)
}
