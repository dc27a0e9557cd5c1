// Package netlink speaks the kernel's audit netlink protocol for the
// learn/audit packages.
package netlink

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/landlearn/landlearn/learn/audit"
)

// ExplainOpen says what an error of opening or asking the audit netlink
// socket means for the user.
func ExplainOpen(err error) error {
	switch {
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EACCES):
		return fmt.Errorf("%w: %v: reading the audit status needs CAP_AUDIT_CONTROL (run as root)", audit.ErrNoAudit, err)
	case errors.Is(err, syscall.EPROTONOSUPPORT), errors.Is(err, syscall.EINVAL), errors.Is(err, syscall.EAFNOSUPPORT):
		return fmt.Errorf("%w: %v: this kernel has no audit support (CONFIG_AUDIT)", audit.ErrNoAudit, err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%w: %v: audit netlink is only available in the initial network namespace", audit.ErrNoAudit, err)
	}
	return err
}

// ExplainControl says what an error of changing audit settings means for
// the user.
func ExplainControl(err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("%w: %v: changing audit settings needs CAP_AUDIT_CONTROL (run as root), or they are locked (auditctl -e 2)", audit.ErrNoAudit, err)
	}
	return err
}
