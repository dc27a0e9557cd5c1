// Package learn holds what the learning backends share: the Observation
// (one object and the Landlock rights one syscall needed on it), its JSONL
// codec (the `--raw` file format of DESIGN.md), and the Recorder interface
// the backends write to.
package learn

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
type Observation struct {
	Seq     uint64 `json:"seq"`
	Syscall string `json:"syscall,omitempty"`
	PID     int    `json:"pid,omitempty"`
	Exe     string `json:"exe,omitempty"`
	// Path is absolute and resolved as the kernel resolves it; for
	// make_*, remove_* and refer it is the parent directory.
	Path string `json:"path,omitempty"`
	Type string `json:"type,omitempty"`
	// Access are kernel right names (read_file, make_reg, bind_tcp...).
	Access  []string `json:"access,omitempty"`
	Created bool     `json:"created,omitempty"`
	Deleted bool     `json:"deleted,omitempty"`
	// Src and Dst are the moved or linked entry's old and new paths.
	Src string `json:"src,omitempty"`
	Dst string `json:"dst,omitempty"`
	// Port is set for bind_tcp / connect_tcp (0 is a real port: ephemeral bind).
	Port *uint16 `json:"port,omitempty"`
	// Scope is "signal" or "abstract_unix_socket" when the program needs
	// that scope off; Target is the signalled pid or the socket name.
	Scope  string `json:"scope,omitempty"`
	Target any    `json:"target,omitempty"`
	// Warning is a line that is only a warning (io_uring, mount, ptrace...).
	Warning string `json:"warning,omitempty"`
}

// PortPtr returns a pointer to p, for Observation.Port.
func PortPtr(p uint16) *uint16 { return &p }

// Recorder receives observations as they happen. Implementations must be
// safe for concurrent use: tracers call Record from several goroutines.
type Recorder interface {
	Record(Observation) error
}
