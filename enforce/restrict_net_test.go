package enforce_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/enforce"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

func TestConnectTCP(t *testing.T) {
	requireLandlock(t)
	_, allowed := listenTCP(t)
	_, other := listenTCP(t)
	p := loadPolicy(t, "version: 1\nabi: 7\nhandled:\n  fs: []\n  net: [bind_tcp, connect_tcp]\n  scoped: []\nnet:\n  - port: "+itoa(allowed)+"\n    access: [connect_tcp]\n")
	wantLines(t, runProbe(t, p, "connect", itoa(allowed), "connect", itoa(other), "bind", "0"),
		"connect ok", "connect EACCES", "bind EACCES")
}

func TestBindTCP(t *testing.T) {
	requireLandlock(t)
	l, taken := listenTCP(t)
	l.Close() // a port that was free a moment ago
	p := loadPolicy(t, "version: 1\nabi: 7\nhandled:\n  fs: []\n  net: [bind_tcp, connect_tcp]\n  scoped: []\nnet:\n  - port: 0\n    access: [bind_tcp]\n")
	wantLines(t, runProbe(t, p, "bind", "0", "bind", itoa(taken)), "bind ok", "bind EACCES")
}

func TestMPTCPNotice(t *testing.T) {
	requireLandlock(t)
	errata, _ := ll.LandlockGetErrata()
	p := loadPolicy(t, "version: 1\nabi: 7\nhandled:\n  fs: []\n  net: [connect_tcp]\n  scoped: []\n")
	var stderr bytes.Buffer
	if _, err := enforce.Command(p, []string{"true"}, enforce.Options{Stderr: &stderr}); err != nil {
		t.Fatal(err)
	}
	got := strings.Count(stderr.String(), "erratum 1")
	if want := errata & 1; got != want {
		t.Errorf("errata %#x: the MPTCP note appears %d times, want %d:\n%s", errata, got, want, stderr.String())
	}
}
