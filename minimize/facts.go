package minimize

import (
	"bytes"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/landlearn/landlearn/internal/procfs"
)

// hostFacts answers classify's questions about the host where the run
// was learned: who owns a file, who may write it, and whether a package
// installed it. Classes are decided from these facts, not from names
// alone: a file in /usr that the user can write is data, not system.
// It reads the file system lazily and remembers what it read.
type hostFacts struct {
	// root is prepended to every path (tests build a small tree); "" is /.
	root string

	// packaged holds the paths asked about (askPackages) that dpkg's
	// database lists, with a leading merged-/usr alias resolved.
	packaged map[string]bool
	// hasPackages is set when a package database was found: without
	// one (another distribution, a container image without dpkg's
	// database) ownership and modes decide alone.
	hasPackages bool

	mu       sync.Mutex
	readOnly map[string]bool   // path -> rootOwnedReadOnly
	prefix   map[string]string // directory -> installMarker
	shared   map[string]bool   // directory -> sharedDir
}

func newHostFacts(root string) *hostFacts {
	if root == "/" {
		root = ""
	}
	return &hostFacts{root: root, readOnly: map[string]bool{}, prefix: map[string]string{}, shared: map[string]bool{}}
}

// dpkgInfo is where dpkg keeps one file list per installed package.
const dpkgInfo = "/var/lib/dpkg/info"

// askPackages reads dpkg's database once and remembers which of paths
// (resolved paths the caller will ask packageOwned about) a package
// installed: keeping those, not the whole database (a hundred thousand
// paths), keeps minimize's memory to what the runs used. Without a
// database (another distribution, an image without dpkg's lists) it
// remembers that there is none.
func (h *hostFacts) askPackages(paths []string) {
	h.packaged, h.hasPackages = map[string]bool{}, false
	dir := h.root + dpkgInfo
	entries, err := os.ReadDir(dir)
	if err != nil || len(paths) == 0 {
		return
	}
	want := make(map[string]bool, len(paths))
	for _, p := range paths {
		want[p] = true
	}
	aliases := h.usrAliases()
	var buf []byte
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".list") {
			continue
		}
		data, err := procfs.ReadFile(filepath.Join(dir, e.Name()), buf)
		if err != nil {
			continue
		}
		buf = data
		h.hasPackages = true
		// A hundred thousand lines, of which the runs used a few: a line
		// is looked up without making a string of it, unless it starts
		// with a merged-/usr alias and must be rewritten first.
		for len(data) > 0 {
			line := data
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				line, data = data[:i], data[i+1:]
			} else {
				data = nil
			}
			if len(line) < 2 || line[0] != '/' {
				continue
			}
			if aliased(line, aliases) {
				if c := canonical(string(line), aliases); want[c] {
					h.packaged[c] = true
				}
			} else if want[string(line)] {
				h.packaged[string(line)] = true
			}
		}
	}
}

// aliased reports whether line starts with one of aliases' directories.
func aliased(line []byte, aliases map[string]string) bool {
	for a := range aliases {
		if bytes.HasPrefix(line, []byte(a)) && (len(line) == len(a) || line[len(a)] == '/') {
			return true
		}
	}
	return false
}

// usrAliases are the top-level directories that are symlinks on this
// host (/lib -> usr/lib on a merged-/usr host), with where they lead:
// dpkg lists /lib/x86_64-linux-gnu/libc.so.6, and the run opens
// /usr/lib/x86_64-linux-gnu/libc.so.6.
func (h *hostFacts) usrAliases() map[string]string {
	out := map[string]string{}
	for _, d := range []string{"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"} {
		if t, err := os.Readlink(h.root + d); err == nil {
			out[d] = path.Join("/", t)
		}
	}
	return out
}

// canonical is p with a leading alias replaced by where it leads.
func canonical(p string, aliases map[string]string) string {
	top := p
	if i := strings.IndexByte(p[1:], '/'); i >= 0 {
		top = p[:i+1]
	}
	if t, ok := aliases[top]; ok {
		return t + p[len(top):]
	}
	return p
}

// packageOwned reports whether a package installed p, one of the paths
// given to askPackages, and whether this host has a package database to
// tell.
func (h *hostFacts) packageOwned(p string) (owned, known bool) {
	return h.packaged[p], h.hasPackages
}

// rootOwnedReadOnly reports whether p and its directory belong to root
// and neither group nor others may write them: no user but root can
// change what p is. A path that cannot be examined is not.
func (h *hostFacts) rootOwnedReadOnly(p string) bool {
	h.mu.Lock()
	v, ok := h.readOnly[p]
	h.mu.Unlock()
	if ok {
		return v
	}
	v = h.ownedByRoot(p) && (p == "/" || h.ownedByRoot(path.Dir(p)))
	h.mu.Lock()
	h.readOnly[p] = v
	h.mu.Unlock()
	return v
}

func (h *hostFacts) ownedByRoot(p string) bool {
	var st syscall.Stat_t
	if err := syscall.Lstat(h.root+p, &st); err != nil {
		return false
	}
	return st.Uid == 0 && st.Mode&0o022 == 0
}

// systemFile reports whether p, a resolved path, is a file of the
// operating system: owned by root and writable by nobody else, and
// installed by a package where the host has a package database. The
// caller has already ruled out ${HOME}, ${PWD} and ${TMPDIR}.
//
// A file that fails (a program installed by hand in /usr/local, python's
// __pycache__ made at install time) does not make its group's rule, nor
// its rights; it keeps its own rule, which the group's rule covers where
// both exist, and the group's comment counts it.
func (h *hostFacts) systemFile(p string) bool {
	if !h.rootOwnedReadOnly(p) {
		return false
	}
	owned, known := h.packageOwned(p)
	return owned || !known
}

// exists reports whether p is there now (lstat).
func (h *hostFacts) exists(p string) bool {
	_, err := os.Lstat(h.root + p)
	return err == nil
}

// sharedDir reports whether d is a directory every program shares: /tmp,
// /var/tmp and /dev/shm (also where this host lacks them), and any
// directory whose mode says so, sticky and writable by others (mode 1777:
// /tmp/.X11-unix, /run/lock, a mkdir -m 1777). Rights to replace or
// remove entries there reach other users' files and sockets.
func (h *hostFacts) sharedDir(d string) bool {
	if d == "/tmp" || d == "/var/tmp" || d == "/dev/shm" {
		return true
	}
	h.mu.Lock()
	v, ok := h.shared[d]
	h.mu.Unlock()
	if ok {
		return v
	}
	var st syscall.Stat_t
	v = syscall.Lstat(h.root+d, &st) == nil && st.Mode&syscall.S_IFMT == syscall.S_IFDIR &&
		st.Mode&syscall.S_ISVTX != 0 && st.Mode&0o002 != 0
	h.mu.Lock()
	h.shared[d] = v
	h.mu.Unlock()
	return v
}
