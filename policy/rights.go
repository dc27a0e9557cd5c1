package policy

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
)

// Kind says what a Landlock right applies to.
type Kind int

const (
	// KindFS rights apply to files and directories (path_beneath rules).
	KindFS Kind = iota
	// KindNet rights apply to TCP/UDP ports (net_port rules).
	KindNet
	// KindScope rights are IPC scopes: they have no rules, a domain either
	// scopes the IPC or does not.
	KindScope
)

func (k Kind) String() string {
	switch k {
	case KindFS:
		return "fs"
	case KindNet:
		return "net"
	case KindScope:
		return "scoped"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Right is one Landlock access right, named as the kernel's audit
// `blockers=` field and go-landlock spell it, without the fs./net./scope.
// prefix.
type Right struct {
	Name string
	Kind Kind
	// Bit is the right's bit in the kernel's (and go-landlock's) mask for
	// its kind: LANDLOCK_ACCESS_FS_*, LANDLOCK_ACCESS_NET_*, LANDLOCK_SCOPE_*.
	Bit uint64
	// ABI is the first Landlock ABI version that knows the right.
	ABI int
	// OnFile and OnDir say which inodes an fs right can be granted on
	// (the kernel refuses a directory-only right on a file rule).
	OnFile, OnDir bool
	// Doc is one line for people: what the right allows.
	Doc string
}

// KernelABI is the newest Landlock ABI whose rights landlearn learns and
// enforces. Rights of later ABIs are known by name (go-landlock v0.11.2
// knows up to ABI 11) so that policies naming them get a clear error.
const KernelABI = 7

// NewestABI is the newest ABI any right in the table belongs to.
const NewestABI = 11

var rights = []Right{
	{"execute", KindFS, 1 << 0, 1, true, false, "execute a file"},
	{"write_file", KindFS, 1 << 1, 1, true, false, "open a file with write access"},
	{"read_file", KindFS, 1 << 2, 1, true, false, "open a file with read access"},
	{"read_dir", KindFS, 1 << 3, 1, false, true, "open a directory or list its content"},
	{"remove_dir", KindFS, 1 << 4, 1, false, true, "remove an empty directory or rename one"},
	{"remove_file", KindFS, 1 << 5, 1, false, true, "unlink (or rename) a file"},
	{"make_char", KindFS, 1 << 6, 1, false, true, "create (or rename or link) a character device"},
	{"make_dir", KindFS, 1 << 7, 1, false, true, "create (or rename) a directory"},
	{"make_reg", KindFS, 1 << 8, 1, false, true, "create (or rename or link) a regular file"},
	{"make_sock", KindFS, 1 << 9, 1, false, true, "create (or rename or link) a UNIX domain socket"},
	{"make_fifo", KindFS, 1 << 10, 1, false, true, "create (or rename or link) a named pipe"},
	{"make_block", KindFS, 1 << 11, 1, false, true, "create (or rename or link) a block device"},
	{"make_sym", KindFS, 1 << 12, 1, false, true, "create (or rename or link) a symbolic link"},
	{"refer", KindFS, 1 << 13, 2, false, true, "link or rename a file from or to a different directory"},
	{"truncate", KindFS, 1 << 14, 3, true, false, "truncate a file (truncate, ftruncate, O_TRUNC)"},
	{"ioctl_dev", KindFS, 1 << 15, 5, true, false, "ioctl on a character or block device"},
	{"resolve_unix", KindFS, 1 << 16, 9, true, false, "connect to a pathname UNIX socket"},
	{"bind_tcp", KindNet, 1 << 0, 4, false, false, "bind a TCP socket to a local port"},
	{"connect_tcp", KindNet, 1 << 1, 4, false, false, "connect a TCP socket to a remote port"},
	{"bind_udp", KindNet, 1 << 2, 10, false, false, "bind a UDP socket to a local port"},
	{"connect_send_udp", KindNet, 1 << 3, 10, false, false, "connect or send a UDP socket to a remote port"},
	{"abstract_unix_socket", KindScope, 1 << 0, 6, false, false, "connect to an abstract UNIX socket outside the domain"},
	{"signal", KindScope, 1 << 1, 6, false, false, "send a signal to a process outside the domain"},
}

// Rights returns every right landlearn knows, in kernel bit order within
// each kind (fs, then net, then scoped). The slice is a copy.
func Rights() []Right {
	return append([]Right(nil), rights...)
}

// LookupRight returns the right with the given name. The fs./net./scope.
// prefixes of the audit log are accepted.
func LookupRight(name string) (Right, bool) {
	for _, p := range []string{"fs.", "net.", "scope."} {
		name = strings.TrimPrefix(name, p)
	}
	for _, r := range rights {
		if r.Name == name {
			return r, true
		}
	}
	return Right{}, false
}

// SuggestRight returns the known right whose name is closest to name, for
// "did you mean" messages, or "" when nothing is close.
func SuggestRight(name string) string {
	aliases := map[string]string{
		"read": "read_file", "write": "write_file", "exec": "execute",
		"readdir": "read_dir", "list": "read_dir", "mkdir": "make_dir",
		"rmdir": "remove_dir", "unlink": "remove_file", "delete": "remove_file",
		"create": "make_reg", "symlink": "make_sym", "mkfifo": "make_fifo",
		"rename": "refer", "link": "refer", "ioctl": "ioctl_dev",
		"bind": "bind_tcp", "connect": "connect_tcp", "kill": "signal",
	}
	lower := strings.ToLower(name)
	if s, ok := aliases[lower]; ok {
		return s
	}
	best, bestDist := "", len(name)/2+2
	for _, r := range rights {
		if d := editDistance(lower, r.Name); d < bestDist {
			best, bestDist = r.Name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Access is a set of rights of one kind, as the kernel's bit mask.
// Which kind is known from context (FSAccess, NetAccess, Scopes).
type Access uint64

// FSAccess, NetAccess and Scopes are the three kinds of rights masks.
type (
	FSAccess  = Access
	NetAccess = Access
	Scopes    = Access
)

// Has reports whether every right of b is in a.
func (a Access) Has(b Access) bool { return a&b == b }

// Count is the number of rights in a.
func (a Access) Count() int { return bits.OnesCount64(uint64(a)) }

// Names returns the rights of a, of the given kind, in kernel bit order.
func (a Access) Names(k Kind) []string {
	var out []string
	for _, r := range rights {
		if r.Kind == k && a&Access(r.Bit) != 0 {
			out = append(out, r.Name)
		}
	}
	return out
}

// String formats a as "[read_file, execute]"-like text for messages; the
// kind is guessed as fs. Use Names for other kinds.
func (a Access) String() string { return "[" + strings.Join(a.Names(KindFS), ", ") + "]" }

// ParseAccess turns right names of kind k into a mask. An unknown name,
// or a name of another kind, is an error that suggests the fix.
func ParseAccess(k Kind, names []string) (Access, error) {
	var a Access
	for _, n := range names {
		r, ok := LookupRight(n)
		if !ok {
			if s := SuggestRight(n); s != "" {
				return 0, fmt.Errorf("right %q is unknown; did you mean %s?", n, s)
			}
			return 0, fmt.Errorf("right %q is unknown", n)
		}
		if r.Kind != k {
			return 0, fmt.Errorf("right %q is a %s right, not a %s right", n, r.Kind, k)
		}
		a |= Access(r.Bit)
	}
	return a, nil
}

// AllAt returns every right of kind k that ABI version abi knows.
func AllAt(k Kind, abi int) Access {
	var a Access
	for _, r := range rights {
		if r.Kind == k && r.ABI <= abi {
			a |= Access(r.Bit)
		}
	}
	return a
}

// FileRights are the fs rights that can be granted on a non-directory.
func FileRights() Access {
	var a Access
	for _, r := range rights {
		if r.Kind == KindFS && r.OnFile {
			a |= Access(r.Bit)
		}
	}
	return a
}

// DirOnlyRights are the fs rights that only make sense on a directory.
func DirOnlyRights() Access {
	var a Access
	for _, r := range rights {
		if r.Kind == KindFS && r.OnDir && !r.OnFile {
			a |= Access(r.Bit)
		}
	}
	return a
}

// MinABI is the oldest ABI that knows every right in a (of kind k).
func MinABI(k Kind, a Access) int {
	abi := 1
	for _, r := range rights {
		if r.Kind == k && a&Access(r.Bit) != 0 && r.ABI > abi {
			abi = r.ABI
		}
	}
	return abi
}

// RightNames lists all right names of kind k, sorted, for help texts.
func RightNames(k Kind) []string {
	var out []string
	for _, r := range rights {
		if r.Kind == k {
			out = append(out, r.Name)
		}
	}
	sort.Strings(out)
	return out
}

// Bit returns the mask of a right known to exist; it panics on a name that
// is not in the table, so use it only with literal names.
func Bit(name string) Access {
	r, ok := LookupRight(name)
	if !ok {
		panic("policy: unknown right " + name)
	}
	return Access(r.Bit)
}
