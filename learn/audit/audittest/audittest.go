// Package audittest gives tests a live audit listener: audit switched on
// through the same lock and user count landlearn itself uses (so test
// packages running at the same time never switch audit off under each
// other), and everything restored when the test ends.
package audittest

import (
	"os"
	"testing"

	"github.com/landlearn/landlearn/learn/audit/live"
	"github.com/landlearn/landlearn/learn/audit/session"
)

// Listener skips t where this machine cannot observe Landlock's audit
// records (not root, Landlock ABI below live.MinABI); otherwise it
// acquires an audit session and opens a multicast listener, both released
// by t.Cleanup.
func Listener(t testing.TB) *live.Listener {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("reading Landlock's audit records needs root (CAP_AUDIT_READ, CAP_AUDIT_CONTROL)")
	}
	if err := live.Supported(); err != nil {
		t.Skip(err)
	}
	s, err := session.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Release(); err != nil {
			t.Error(err)
		}
	})
	l, err := live.Listen()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}
