package enforce_test

import (
	"os"
	"testing"
)

func TestSignalScope(t *testing.T) {
	requireLandlock(t)
	me := itoa(os.Getpid())
	scoped := loadPolicy(t, "version: 1\nabi: 7\nhandled:\n  fs: []\n  net: []\n  scoped: [signal]\n")
	wantLines(t, runProbe(t, scoped, "kill", me), "kill EPERM")
	open := loadPolicy(t, "version: 1\nabi: 7\nhandled:\n  fs: []\n  net: []\n  scoped: [abstract_unix_socket]\n")
	wantLines(t, runProbe(t, open, "kill", me), "kill ok")
}
