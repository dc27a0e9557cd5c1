package kernel

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestRunning: what Running reports is what landlock_create_ruleset
// answers when asked directly.
func TestRunning(t *testing.T) {
	k, err := Running()
	abi, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	if errno != 0 {
		if err == nil || k.ABI != 0 {
			t.Fatalf("the kernel says %v, Running says ABI %d, %v", errno, k.ABI, err)
		}
		return
	}
	if err != nil || k.ABI != int(abi) {
		t.Fatalf("Running = ABI %d, %v; the kernel says ABI %d", k.ABI, err, abi)
	}
	errata, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_ERRATA)
	if errno == 0 && k.Errata != int(errata) {
		t.Errorf("Running = errata %#x; the kernel says %#x", k.Errata, errata)
	}
}

func TestUsableABI(t *testing.T) {
	for _, c := range []struct {
		k    Landlock
		want int
	}{
		{Landlock{}, 0},
		{Landlock{ABI: 4}, 4},
		{Landlock{ABI: 5}, 5},
		{Landlock{ABI: 6}, 5},
		{Landlock{ABI: 7, Errata: ErratumTCPOnly}, 5},
		{Landlock{ABI: 6, Errata: ErratumSignalScope}, 6},
		{Landlock{ABI: 7, Errata: ErratumTCPOnly | ErratumSignalScope}, 7},
	} {
		if got := c.k.UsableABI(); got != c.want {
			t.Errorf("%+v: UsableABI = %d, want %d", c.k, got, c.want)
		}
	}
}
