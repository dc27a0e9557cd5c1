package enforce_test

import (
	"net"
	"os"
	"testing"

	"github.com/landlearn/landlearn/internal/testkit"
)

func TestSignalScope(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	me := itoa(os.Getpid())
	scoped := loadPolicy(t, "version: 1\nabi: 7\nhandled:\n  fs: []\n  net: []\n  scoped: [signal]\n")
	wantLines(t, runProbe(t, scoped, "kill", me), "kill EPERM")
	open := loadPolicy(t, "version: 1\nabi: 7\nhandled:\n  fs: []\n  net: []\n  scoped: [abstract_unix_socket]\n")
	wantLines(t, runProbe(t, open, "kill", me), "kill ok")
}

func TestAbstractUnixSocketScope(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	name := "landlearn-enforce-test-" + itoa(os.Getpid())
	l, err := net.Listen("unix", "@"+name)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	scoped := loadPolicy(t, "version: 1\nabi: 7\nhandled:\n  fs: []\n  net: []\n  scoped: [abstract_unix_socket]\n")
	wantLines(t, runProbe(t, scoped, "abstract", name), "abstract EPERM")
	open := loadPolicy(t, "version: 1\nabi: 7\nhandled:\n  fs: []\n  net: []\n  scoped: [signal]\n")
	wantLines(t, runProbe(t, open, "abstract", name), "abstract ok")
}
