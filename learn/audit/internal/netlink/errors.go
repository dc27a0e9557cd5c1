package netlink

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/landlearn/landlearn/learn/audit"
)

// explainOpen says what an error of opening the audit netlink socket or
// reading the status means for the user.
func explainOpen(err error) error {
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

// explainControl says what an error of changing audit settings means for
// the user.
func explainControl(err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("%w: %v: changing audit settings needs CAP_AUDIT_CONTROL (run as root), or they are locked (auditctl -e 2)", audit.ErrNoAudit, err)
	}
	return err
}

// explainUser says what an error of logging an AUDIT_USER record means.
func explainUser(err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("%w: log an audit user record: %v: it needs CAP_AUDIT_WRITE (run as root)", audit.ErrNoAudit, err)
	}
	return fmt.Errorf("log an audit user record: %w", err)
}
