package minimize

import (
	"bufio"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// hostFacts answers classify's questions about the host where the run
// was learned: who owns a file, who may write it, and whether a package
// installed it. Classes are decided from these facts, not from names
// alone: a file in /usr that the user can write is data, not system.
// It reads the file system lazily and remembers what it read.
type hostFacts struct {
	// root is prepended to every path (tests build a small tree); "" is /.
	root string

	dpkgOnce sync.Once
	// packaged holds the paths dpkg's database lists, with their
	// directories resolved (dpkg lists /lib/x86_64-linux-gnu/libc.so.6;
	// on a merged-/usr host the run opens /usr/lib/...).
	packaged map[string]struct{}
	// hasPackages is set when a package database was found: without
	// one (another distribution, a container image without dpkg's
	// database) ownership and modes decide alone.
	hasPackages bool

	mu       sync.Mutex
	canon    map[string]string // directory -> symlinks resolved
	readOnly map[string]bool   // path -> rootOwnedReadOnly
}

func newHostFacts(root string) *hostFacts {
	if root == "/" {
		root = ""
	}
	return &hostFacts{root: root, canon: map[string]string{}, readOnly: map[string]bool{}}
}

// dpkgInfo is where dpkg keeps one file list per installed package.
const dpkgInfo = "/var/lib/dpkg/info"

func (h *hostFacts) loadPackages() {
	dir := h.root + dpkgInfo
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	h.packaged = map[string]struct{}{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".list") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		h.hasPackages = true
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			p := sc.Text()
			if !strings.HasPrefix(p, "/") || p == "/." {
				continue
			}
			h.packaged[h.resolveDir(p)] = struct{}{}
		}
		f.Close()
	}
}

// resolveDir returns p with the symlinks of its directory resolved,
// leaving the last component as it is: the file dpkg lists as
// /lib/x86_64-linux-gnu/libc.so.6 is /usr/lib/x86_64-linux-gnu/libc.so.6
// on a host whose /lib is a link to usr/lib.
func (h *hostFacts) resolveDir(p string) string {
	dir, base := path.Split(p)
	dir = path.Clean(dir)
	h.mu.Lock()
	r, ok := h.canon[dir]
	h.mu.Unlock()
	if !ok {
		r = dir
		if real, err := filepath.EvalSymlinks(h.root + dir); err == nil {
			r = strings.TrimPrefix(real, h.root)
			if r == "" {
				r = "/"
			}
		}
		h.mu.Lock()
		h.canon[dir] = r
		h.mu.Unlock()
	}
	return path.Join(r, base)
}

// packageOwned reports whether a package installed p (a resolved path),
// and whether this host has a package database to tell.
func (h *hostFacts) packageOwned(p string) (owned, known bool) {
	h.dpkgOnce.Do(h.loadPackages)
	if !h.hasPackages {
		return false, false
	}
	_, owned = h.packaged[p]
	return owned, true
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
// operating system: owned by root and writable by nobody else, and, where
// the host has a package database, installed by a package or in a
// directory a package installed (python's __pycache__ files and the
// locale archive are made at install time, beside packaged files). The
// caller has already ruled out ${HOME}, ${PWD} and ${TMPDIR}.
func (h *hostFacts) systemFile(p string) bool {
	if !h.rootOwnedReadOnly(p) {
		return false
	}
	owned, known := h.packageOwned(p)
	if !known || owned {
		return true
	}
	owned, _ = h.packageOwned(path.Dir(p))
	if !owned {
		owned, _ = h.packageOwned(path.Dir(path.Dir(p)))
	}
	return owned
}

// exists reports whether p is there now (lstat).
func (h *hostFacts) exists(p string) bool {
	_, err := os.Lstat(h.root + p)
	return err == nil
}
