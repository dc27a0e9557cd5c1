// Package audittest gives tests a live audit listener: audit switched on
// through the same lock and user count landlearn itself uses (so test
// packages running at the same time never switch audit off under each
// other), and everything restored when the test ends.
package audittest

import (
	"testing"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/learn/audit/live"
	"github.com/landlearn/landlearn/learn/audit/session"
)

// Listener skips t where this machine cannot observe Landlock's audit
// records (testkit.RequireAudit); otherwise it
// acquires an audit session and opens a multicast listener, both released
// by t.Cleanup.
func Listener(t testing.TB) *live.Listener {
	t.Helper()
	testkit.RequireAudit(t)
	Session(t)
	l, err := live.Listen()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// Session switches audit on through landlearn's shared session, released
// by t.Cleanup. The caller has checked that t may use audit.
func Session(t testing.TB) {
	t.Helper()
	s, err := session.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Release(); err != nil {
			t.Error(err)
		}
	})
}
