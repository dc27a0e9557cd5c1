// Package kernel asks the running kernel which Landlock it offers: the
// ABI version and the errata fixed in it. It is the one place landlearn
// probes them, so that learn, run, verify and the tracer agree on what
// this kernel enforces.
package kernel

import (
	"errors"
	"fmt"
	"sync"

	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// Fixed Landlock errata, as LANDLOCK_CREATE_RULESET_ERRATA reports them
// (bit N-1 is erratum N).
const (
	// ErratumTCPOnly (erratum 1, ABI 4): only IPPROTO_TCP sockets are
	// subject to bind_tcp/connect_tcp. With the fix, MPTCP, SMC and SCTP
	// sockets are not restricted at all; without it they are restricted
	// as TCP.
	ErratumTCPOnly = 1 << 0
	// ErratumSignalScope (erratum 2, ABI 6): the signal scope is enforced
	// correctly. go-landlock treats a kernel without the fix as ABI 5.
	ErratumSignalScope = 1 << 1
)

// LogABI is the first Landlock ABI that logs denials to audit (Linux
// 6.15): verify and audit learning need it.
const LogABI = 7

// Landlock is what a kernel offers Landlock.
type Landlock struct {
	// ABI is LANDLOCK_CREATE_RULESET_VERSION, 0 without Landlock.
	ABI int
	// Errata is the bit mask of fixed errata, 0 on kernels that cannot
	// be asked (before the errata query existed).
	Errata int
}

// Fixed reports whether the kernel has fixed erratum (ErratumTCPOnly,
// ErratumSignalScope).
func (l Landlock) Fixed(erratum int) bool {
	return l.Errata&erratum != 0
}

// UsableABI is the ABI go-landlock uses on this kernel: its ABI, or 5
// when the signal scope erratum is not fixed. enforce.Plan uses it too,
// so that what it predicts is what go-landlock builds.
func (l Landlock) UsableABI() int {
	if l.ABI >= 6 && !l.Fixed(ErratumSignalScope) {
		return 5
	}
	return l.ABI
}

// Running returns what the running kernel offers, and, when it has no
// Landlock (a zero ABI), an error saying why. The kernel is asked once
// per process: neither value changes while it runs.
func Running() (Landlock, error) {
	return running()
}

var running = sync.OnceValues(func() (Landlock, error) {
	abi, err := ll.LandlockGetABIVersion()
	switch {
	case errors.Is(err, unix.ENOSYS):
		return Landlock{}, fmt.Errorf("this kernel has no Landlock (CONFIG_SECURITY_LANDLOCK): %w", err)
	case errors.Is(err, unix.EOPNOTSUPP):
		return Landlock{}, fmt.Errorf("Landlock is built in but not enabled (add landlock to the lsm= boot parameter): %w", err)
	case err != nil:
		return Landlock{}, fmt.Errorf("landlock_create_ruleset: %w", err)
	case abi < 1:
		return Landlock{}, fmt.Errorf("landlock_create_ruleset reports ABI %d", abi)
	}
	errata, err := ll.LandlockGetErrata()
	if err != nil {
		errata = 0
	}
	return Landlock{ABI: abi, Errata: errata}, nil
})
