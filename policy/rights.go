package policy

import (
	"fmt"
	"iter"
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

// The rights, as constants of their set type, in the kernel's bit order.
// Their names, ABIs and docs are in the table below, which is the only
// place that knows them: names appear only where a file is read or
// written (YAML, JSONL, the audit log's blockers=).
const (
	FSExecute FSAccess = 1 << iota
	FSWriteFile
	FSReadFile
	FSReadDir
	FSRemoveDir
	FSRemoveFile
	FSMakeChar
	FSMakeDir
	FSMakeReg
	FSMakeSock
	FSMakeFifo
	FSMakeBlock
	FSMakeSym
	FSRefer
	FSTruncate
	FSIoctlDev
	FSResolveUnix
)

const (
	NetBindTCP NetAccess = 1 << iota
	NetConnectTCP
	NetBindUDP
	NetConnectSendUDP
)

const (
	ScopeAbstractUnixSocket ScopeSet = 1 << iota
	ScopeSignal
)

// FSMake are the make_* rights: creating (or renaming or linking in) an
// entry of each type.
const FSMake = FSMakeChar | FSMakeDir | FSMakeReg | FSMakeSock | FSMakeFifo | FSMakeBlock | FSMakeSym

var rights = []Right{
	{"execute", KindFS, uint64(FSExecute), 1, true, false, "execute a file"},
	{"write_file", KindFS, uint64(FSWriteFile), 1, true, false, "open a file with write access"},
	{"read_file", KindFS, uint64(FSReadFile), 1, true, false, "open a file with read access"},
	{"read_dir", KindFS, uint64(FSReadDir), 1, false, true, "open a directory or list its content"},
	{"remove_dir", KindFS, uint64(FSRemoveDir), 1, false, true, "remove an empty directory or rename one"},
	{"remove_file", KindFS, uint64(FSRemoveFile), 1, false, true, "unlink (or rename) a file"},
	{"make_char", KindFS, uint64(FSMakeChar), 1, false, true, "create (or rename or link) a character device"},
	{"make_dir", KindFS, uint64(FSMakeDir), 1, false, true, "create (or rename) a directory"},
	{"make_reg", KindFS, uint64(FSMakeReg), 1, false, true, "create (or rename or link) a regular file"},
	{"make_sock", KindFS, uint64(FSMakeSock), 1, false, true, "create (or rename or link) a UNIX domain socket"},
	{"make_fifo", KindFS, uint64(FSMakeFifo), 1, false, true, "create (or rename or link) a named pipe"},
	{"make_block", KindFS, uint64(FSMakeBlock), 1, false, true, "create (or rename or link) a block device"},
	{"make_sym", KindFS, uint64(FSMakeSym), 1, false, true, "create (or rename or link) a symbolic link"},
	{"refer", KindFS, uint64(FSRefer), 2, false, true, "link or rename a file from or to a different directory"},
	{"truncate", KindFS, uint64(FSTruncate), 3, true, false, "truncate a file (truncate, ftruncate, O_TRUNC)"},
	{"ioctl_dev", KindFS, uint64(FSIoctlDev), 5, true, false, "ioctl on a character or block device"},
	{"resolve_unix", KindFS, uint64(FSResolveUnix), 9, true, false, "connect to a pathname UNIX socket"},
	{"bind_tcp", KindNet, uint64(NetBindTCP), 4, false, false, "bind a TCP socket to a local port"},
	{"connect_tcp", KindNet, uint64(NetConnectTCP), 4, false, false, "connect a TCP socket to a remote port"},
	{"bind_udp", KindNet, uint64(NetBindUDP), 10, false, false, "bind a UDP socket to a local port"},
	{"connect_send_udp", KindNet, uint64(NetConnectSendUDP), 10, false, false, "connect or send a UDP socket to a remote port"},
	{"abstract_unix_socket", KindScope, uint64(ScopeAbstractUnixSocket), 6, false, false, "connect to an abstract UNIX socket outside the domain"},
	{"signal", KindScope, uint64(ScopeSignal), 6, false, false, "send a signal to a process outside the domain"},
}

// byBit indexes the table by kind and bit number, for Names.
var byBit = func() (t [3][64]*Right) {
	for i := range rights {
		r := &rights[i]
		t[r.Kind][bits.TrailingZeros64(r.Bit)] = r
	}
	return t
}()

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

// FSAccess is a set of file-system rights (LANDLOCK_ACCESS_FS_*), as the
// kernel's and go-landlock's mask (landlock.AccessFSSet).
type FSAccess uint64

// NetAccess is a set of network rights (LANDLOCK_ACCESS_NET_*), as the
// kernel's and go-landlock's mask (landlock.AccessNetSet).
type NetAccess uint64

// ScopeSet is a set of IPC scopes (LANDLOCK_SCOPE_*), as the kernel's and
// go-landlock's mask (landlock.ScopedSet).
type ScopeSet uint64

// Has reports whether every right of b is in a.
func (a FSAccess) Has(b FSAccess) bool { return a&b == b }

// Count is the number of rights in a.
func (a FSAccess) Count() int { return bits.OnesCount64(uint64(a)) }

// Names returns the names of the rights of a, in kernel bit order. A bit
// that no right has is named by its number ("1<<40").
func (a FSAccess) Names() []string { return names(KindFS, uint64(a)) }

// String is "[read_file, execute]"-like text for messages.
func (a FSAccess) String() string { return list(KindFS, uint64(a)) }

// Each yields the rights of a one at a time, in kernel bit order.
func (a FSAccess) Each() iter.Seq[FSAccess] { return each(a) }

// Has reports whether every right of b is in a.
func (a NetAccess) Has(b NetAccess) bool { return a&b == b }

// Count is the number of rights in a.
func (a NetAccess) Count() int { return bits.OnesCount64(uint64(a)) }

// Names returns the names of the rights of a, in kernel bit order.
func (a NetAccess) Names() []string { return names(KindNet, uint64(a)) }

// String is "[bind_tcp, connect_tcp]"-like text for messages.
func (a NetAccess) String() string { return list(KindNet, uint64(a)) }

// Each yields the rights of a one at a time, in kernel bit order.
func (a NetAccess) Each() iter.Seq[NetAccess] { return each(a) }

// Has reports whether every scope of b is in a.
func (a ScopeSet) Has(b ScopeSet) bool { return a&b == b }

// Count is the number of scopes in a.
func (a ScopeSet) Count() int { return bits.OnesCount64(uint64(a)) }

// Names returns the names of the scopes of a, in kernel bit order.
func (a ScopeSet) Names() []string { return names(KindScope, uint64(a)) }

// String is "[abstract_unix_socket, signal]"-like text for messages.
func (a ScopeSet) String() string { return list(KindScope, uint64(a)) }

// Each yields the scopes of a one at a time, in kernel bit order.
func (a ScopeSet) Each() iter.Seq[ScopeSet] { return each(a) }

// The three set types share these helpers, which take the kind and the
// mask: the bit loops are written once.

// names names the bits of mask m of kind k.
func names(k Kind, m uint64) []string {
	if m == 0 {
		return nil
	}
	out := make([]string, 0, bits.OnesCount64(m))
	for m != 0 {
		i := bits.TrailingZeros64(m)
		m &= m - 1
		if r := byBit[k][i]; r != nil {
			out = append(out, r.Name)
		} else {
			out = append(out, fmt.Sprintf("1<<%d", i))
		}
	}
	return out
}

func each[S ~uint64](a S) iter.Seq[S] {
	return func(yield func(S) bool) {
		for m := a; m != 0; m &= m - 1 {
			if !yield(m & -m) {
				return
			}
		}
	}
}

func list(k Kind, m uint64) string { return "[" + strings.Join(names(k, m), ", ") + "]" }

// allAt is the mask of every right of kind k that ABI abi knows.
func allAt(k Kind, abi int) uint64 {
	var m uint64
	for _, r := range rights {
		if r.Kind == k && r.ABI <= abi {
			m |= r.Bit
		}
	}
	return m
}

// parse turns right names of kind k into a mask. An unknown name, or a
// name of another kind, is an error that suggests the fix.
func parse(k Kind, names []string) (uint64, error) {
	var m uint64
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
		m |= r.Bit
	}
	return m, nil
}

// AllFS returns every fs right that ABI version abi knows.
func AllFS(abi int) FSAccess { return FSAccess(allAt(KindFS, abi)) }

// AllNet returns every net right that ABI version abi knows.
func AllNet(abi int) NetAccess { return NetAccess(allAt(KindNet, abi)) }

// AllScopes returns every scope that ABI version abi knows.
func AllScopes(abi int) ScopeSet { return ScopeSet(allAt(KindScope, abi)) }

// ParseFS turns fs right names into a set. An unknown name, or the name
// of a net right or scope, is an error that suggests the fix.
func ParseFS(names []string) (FSAccess, error) {
	m, err := parse(KindFS, names)
	return FSAccess(m), err
}

// ParseNet turns net right names into a set, as ParseFS does.
func ParseNet(names []string) (NetAccess, error) {
	m, err := parse(KindNet, names)
	return NetAccess(m), err
}

// ParseScopes turns scope names into a set, as ParseFS does.
func ParseScopes(names []string) (ScopeSet, error) {
	m, err := parse(KindScope, names)
	return ScopeSet(m), err
}

// FileRights are the fs rights that can be granted on a non-directory.
func FileRights() FSAccess {
	var a FSAccess
	for _, r := range rights {
		if r.Kind == KindFS && r.OnFile {
			a |= FSAccess(r.Bit)
		}
	}
	return a
}

// DirOnlyRights are the fs rights that only make sense on a directory.
func DirOnlyRights() FSAccess {
	var a FSAccess
	for _, r := range rights {
		if r.Kind == KindFS && r.OnDir && !r.OnFile {
			a |= FSAccess(r.Bit)
		}
	}
	return a
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
