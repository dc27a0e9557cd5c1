package audit

import (
	"errors"
	"time"
)

// Record types Landlock logs since ABI 7 (Linux 6.15).
const (
	TypeLandlockAccess = 1423
	TypeLandlockDomain = 1424
	TypeSyscall        = 1300
)

// ErrNoAudit is wrapped by errors that mean audit cannot be observed on
// this machine or by this process: not root, no CAP_AUDIT_READ or
// CAP_AUDIT_CONTROL, a kernel without audit or Landlock audit support.
var ErrNoAudit = errors.New("cannot observe the audit log")

// Denial is one LANDLOCK_ACCESS record joined with the SYSCALL record of
// the same event (serial).
type Denial struct {
	Time   time.Time
	Serial uint64
	Host   string // node= in enriched or remote logs, "" if local
	// Domain is the hex domain ID of the denying domain (domain=).
	Domain string
	// Blockers are the denied rights as the record spells them:
	// fs.read_file, net.bind_tcp, scope.signal, ptrace...
	Blockers []string
	// Object fields, each set when the record has it.
	Path   string
	Dev    string
	Ino    uint64
	Ioctl  string // ioctlcmd=
	Port   int    // lport= or dport=, -1 if absent
	Addr   string // saddr/daddr
	Opid   int    // opid= of a signalled or connected process, 0 if absent
	Ocomm  string
	Fields map[string]string // every field of the 1423 record, decoded
	// From the SYSCALL record of the same serial (0/"" if it was not seen).
	PID     int
	PPID    int
	UID     int
	Exe     string
	Comm    string
	Syscall int
	Exit    int
	// SyscallName is the syscall's name for the record's arch ("openat"),
	// "" when unknown.
	SyscallName string
	// Joined is set when the SYSCALL record was found; without it PID,
	// Exe, Syscall... are unknown (Syscall is -1).
	Joined bool
	// Source is where the LANDLOCK_ACCESS record was read ("file:line"),
	// "" for netlink.
	Source string
}

// Domain is what LANDLOCK_DOMAIN records tell about one domain.
type Domain struct {
	ID   string
	Host string
	// Allocated is set from status=allocated: who created the domain.
	// The kernel writes that record with the domain's first logged denial,
	// so AllocatedAt is the time of that denial, not of restrict_self.
	Allocated   bool
	Mode        string // mode=enforcing
	PID         int
	UID         int
	Exe         string
	Comm        string
	AllocatedAt time.Time
	// Deallocated is set from status=deallocated, with the kernel's count.
	Deallocated   bool
	Denials       uint64
	DeallocatedAt time.Time
	// BadDenials is set when the record's denials= field is no count the
	// kernel writes (missing, not a number, or above 2^63-1, such as
	// 18446744073709551615 in a damaged or forged log): Denials is then
	// 0, and DenialsField holds the field as read.
	BadDenials   bool
	DenialsField string
	// Logged is the number of LANDLOCK_ACCESS records of this domain in
	// the input; fewer than Denials means some were not logged (rate
	// limits, audit rules, restrict_self log flags) or not read.
	Logged uint64
}
