package minimize

import (
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/policy"
)

// pseudo reports whether p is in a kernel file system (/proc, /sys,
// /dev) whose entries are not files a reviewer weighs, and whose walk can
// be long or endless.
func pseudo(p string) bool {
	for _, d := range [...]string{"/proc", "/sys", "/dev"} {
		if beneath(p, d) {
			return true
		}
	}
	return false
}

// Reachable counts the non-directory files the fs rules of p (expanded,
// so without ${VARS}) let a program open, read, write or execute: 1 for
// a rule on a file, every file beneath a rule on a directory that grants
// a file right, each file once; /proc, /sys and /dev are not
// counted (their entries are kernel objects, not files). It is the "reachable" half of
// the observed-vs-reachable line of the summary, which tells a reviewer
// how much wider than the run the policy is. Symlinks are not followed
// (Landlock rules do not follow them beneath a directory either), mount
// points are crossed (Landlock rules do), and the count stops at limit,
// reported as capped, so a grant on / costs a bounded walk.
func Reachable(p *policy.Policy, limit int) (n int, capped bool) {
	paths := make([]string, 0, len(p.FS))
	for _, r := range p.FS {
		// Only rules that let a file be opened reach it: read_dir,
		// make_* and remove_* do not expose a file's content.
		if r.Access&policy.FileRights() == 0 {
			continue
		}
		if strings.HasPrefix(r.Path, "/") && !strings.Contains(r.Path, "${") {
			paths = append(paths, filepath.Clean(r.Path))
		}
	}
	// Sorted with '/' before every other byte, a path's descendants
	// follow it at once ("/a", "/a/c", "/a-b"; byte order would put
	// "/a-b" between them and count "/a/c" twice).
	sort.Slice(paths, func(i, j int) bool { return slashFirstLess(paths[i], paths[j]) })
	var roots []string
	for _, q := range paths {
		if len(roots) > 0 && beneath(q, roots[len(roots)-1]) {
			continue
		}
		if len(roots) > 0 && roots[len(roots)-1] == "/" {
			continue
		}
		if !pseudo(q) {
			roots = append(roots, q)
		}
	}
	c := counter{limit: max(limit, 1), buf: make([]byte, 32<<10)}
	kinds := lstatAll(roots, true)
	for i, root := range roots {
		switch kinds[i] {
		case lstatOther:
			c.add(1)
		case lstatDir:
			c.walk(root)
		}
		if c.n >= c.limit {
			return c.limit, true
		}
	}
	return c.n, false
}

// counter counts the files beneath directories, up to limit.
type counter struct {
	n, limit int
	buf      []byte // for getdents
}

func (c *counter) add(n int) { c.n += n }

// walk adds the non-directories beneath dir, not following symlinks
// and leaving out /proc, /sys and /dev, until the count reaches the
// limit. A directory that cannot be read adds nothing, or what was read
// before the error. It is filepath.WalkDir as Reachable used it, without
// its sorting, a DirEntry for every file, and a string for every name.
func (c *counter) walk(dir string) {
	fd, err := openDirFD(dir, unix.O_NOFOLLOW)
	if err != nil {
		return
	}
	var subdirs []string
	readDirents(fd, c.buf, func(name []byte, typ uint8) bool {
		if typ == unix.DT_UNKNOWN {
			// As os.ReadDir: ask the inode, skip an entry gone since
			// it was listed, and stop at any other error.
			var st unix.Stat_t
			err := unix.Fstatat(fd, string(name), &st, unix.AT_SYMLINK_NOFOLLOW)
			if err == unix.ENOENT {
				return true
			}
			if err != nil {
				return false
			}
			if st.Mode&unix.S_IFMT == unix.S_IFDIR {
				typ = unix.DT_DIR
			}
		}
		if typ == unix.DT_DIR {
			subdirs = append(subdirs, filepath.Join(dir, string(name)))
			return true
		}
		c.n++
		return c.n < c.limit
	})
	unix.Close(fd)
	for _, d := range subdirs {
		if c.n >= c.limit {
			return
		}
		if !pseudo(d) {
			c.walk(d)
		}
	}
}

// slashFirstLess orders paths as byte strings in which '/' sorts before
// every other byte.
func slashFirstLess(a, b string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if x == '/' {
			return true
		}
		if y == '/' {
			return false
		}
		return x < y
	}
	return len(a) < len(b)
}
