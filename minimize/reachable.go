package minimize

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/landlearn/landlearn/policy"
)

// pseudo reports whether p is in a kernel file system (/proc, /sys,
// /dev) whose entries are not files a reviewer weighs, and whose walk can
// be long or endless.
func pseudo(p string) bool {
	for _, d := range []string{"/proc", "/sys", "/dev"} {
		if beneath(p, d) {
			return true
		}
	}
	return false
}

// errLimit stops a walk that reached the limit.
var errLimit = errors.New("limit reached")

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
	sort.Strings(paths)
	var roots []string
	for _, q := range paths {
		if len(roots) > 0 && beneath(q, roots[len(roots)-1]) {
			continue
		}
		if len(roots) > 0 && roots[len(roots)-1] == "/" {
			continue
		}
		roots = append(roots, q)
	}
	for _, root := range roots {
		if pseudo(root) {
			continue
		}
		st, err := os.Lstat(root)
		if err != nil {
			continue
		}
		if !st.IsDir() {
			n++
			if n >= limit {
				return n, true
			}
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return nil // unreadable: not counted, keep walking
			case d.IsDir() && pseudo(p):
				return filepath.SkipDir
			case !d.IsDir():
				n++
				if n >= limit {
					return errLimit
				}
			}
			return nil
		})
		if errors.Is(err, errLimit) {
			return n, true
		}
	}
	return n, false
}
