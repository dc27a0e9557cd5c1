// Package learn holds what the learning backends share: the Observation
// (one object and the Landlock rights one syscall needed on it), the
// Recorder interface the backends write to, and the one codec of the
// observations file (the `--raw` JSONL format of the README's
// Observations section): Writer writes it, a run's Header first, and
// Reader reads it back at the speed minimize needs.
package learn

import (
	"slices"

	"github.com/landlearn/landlearn/policy"
)

// Object types, as the `type` key spells them.
const (
	TypeFile    = "file"
	TypeDir     = "dir"
	TypeSymlink = "symlink"
	TypeChar    = "char"
	TypeBlock   = "block"
	TypeFifo    = "fifo"
	TypeSock    = "sock"
)

// Observation is one (object, rights) pair that one syscall needed. One
// syscall can give several observations sharing Seq (a rename touches two
// parents). Exactly one of these holds: Path is set (fs rights), Port is
// set (net rights), Scope is set (a scope the program needs off), or
// Warning is set.
//
// Its JSON form is a line of the JSONL format (see MarshalJSON), where
// FS, Net and Unknown are one "access" list of right names.
type Observation struct {
	Seq     uint64
	Syscall string
	PID     int
	Exe     string
	// Path is absolute and resolved as the kernel resolves it; for
	// make_*, remove_* and refer it is the parent directory.
	Path string
	Type string
	// FS are the rights needed on Path, Net those needed on Port.
	FS  policy.FSAccess
	Net policy.NetAccess
	// Unknown are the names in a file's access list that name no fs or
	// net right this landlearn knows: a newer tracer may know more
	// rights. They are kept so that minimize can say what it left out.
	Unknown []string
	Created bool
	Deleted bool
	// WarningKind says which warning Warning is when code acts on it
	// (WarnOwnEphemeral), so that nothing compares sentences; zero for
	// the others. It is not in the JSONL format: a reader leaves it zero.
	// (It sits with the flags, in their padding.)
	WarningKind WarningKind
	// Src and Dst are the moved or linked entry's old and new paths.
	Src string
	Dst string
	// Port is set for bind_tcp / connect_tcp (0 is a real port: ephemeral bind).
	Port *uint16
	// Scope is "signal" or "abstract_unix_socket" when the program needs
	// that scope off; Target is the signalled pid or the socket name.
	Scope  string
	Target any
	// Warning is a line that is only a warning (io_uring, mount, ptrace...).
	Warning string
}

// AccessNames are the names of the observation's rights as its "access"
// list spells them: the fs rights, the net rights (each in kernel bit
// order), then the unknown names.
func (o *Observation) AccessNames() []string {
	return slices.Concat(o.FS.Names(), o.Net.Names(), o.Unknown)
}

// MakeRight is the make_* right that creating an entry of type typ (a
// Type* constant) needs: security/landlock/fs.c, get_mode_access.
func MakeRight(typ string) policy.FSAccess {
	switch typ {
	case TypeDir:
		return policy.FSMakeDir
	case TypeSymlink:
		return policy.FSMakeSym
	case TypeChar:
		return policy.FSMakeChar
	case TypeBlock:
		return policy.FSMakeBlock
	case TypeFifo:
		return policy.FSMakeFifo
	case TypeSock:
		return policy.FSMakeSock
	}
	return policy.FSMakeReg
}

// PortPtr returns a pointer to p, for Observation.Port.
func PortPtr(p uint16) *uint16 { return &p }

// Recorder receives observations as they happen. Implementations must be
// safe for concurrent use: tracers call Record from several goroutines.
type Recorder interface {
	Record(Observation) error
}
