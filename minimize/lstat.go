package minimize

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// lstatKind is what lstat(2) says of a path.
type lstatKind uint8

const (
	lstatMissing lstatKind = iota // fails with ENOENT (fs.ErrNotExist)
	lstatError                    // fails otherwise (EACCES, ENOTDIR...)
	lstatDir
	lstatOther // exists and is not a directory
)

// lstatOf says what err and st of an os.Lstat are.
func lstatOf(st fs.FileInfo, err error) lstatKind {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return lstatMissing
	case err != nil:
		return lstatError
	case st.IsDir():
		return lstatDir
	}
	return lstatOther
}

// Tuning of lstatAll: a directory is read when at least listMin paths
// are asked about in it, and it is not much bigger than they are
// (st_size, in bytes, at most listBytes per path: one 4 KiB ext4 block
// for 8 paths). Reading a directory costs far less an entry than an
// lstat of a missing name (measured in the README's Performance section).
const (
	listMin   = 8
	listBytes = 512
)

// lstatAll returns what os.Lstat says of each of paths (absolute and
// clean), as lstatOf would; when kinds is false, it need only tell
// lstatMissing from the rest, and may say lstatOther for any path that
// exists.
//
// Why: the summary counts the observed files a run deleted, and a build
// deletes tens of thousands of mkstemp files in /tmp. An lstat of each
// costs more than reading the whole run, while /tmp's listing is a few
// getdents calls. So where many paths share a directory, the directory
// is read once, and its listing answers for them: a name listed exists
// (its kind is the d_type, or an lstat where the file system does not
// say); a name not listed is missing. That holds where lookup finds what
// readdir lists, true of disk and memory file systems, and checked where
// it could fail:
//   - a directory that cannot be opened or read is answered by lstat, as
//     are names too long for lstat (ENAMETOOLONG);
//   - one missing name per directory is lstat'ed, and must say ENOENT:
//     else (a directory that is readable but not searchable, EACCES) all
//     its names are lstat'ed;
//   - a case-insensitive directory (ext4 casefold, vfat) finds FOO when
//     foo is listed, and may fold or normalize other Unicode names to
//     ASCII: a missing name that matches a listed name but for ASCII case,
//     or that is not ASCII, or any missing name in a directory that lists
//     a non-ASCII name, is lstat'ed.
//
// The paths of a directory that does not exist (ENOENT opening it) are
// missing: lstat walks to the directory as open does, and fails there.
// /proc, /sys and /dev list what lookup finds only in part; callers
// leave them out.
func lstatAll(paths []string, kinds bool) []lstatKind {
	out := make([]lstatKind, len(paths))
	type group struct {
		dir string
		idx []int
	}
	var groups []group
	byDir := map[string]int{} // dir -> index in groups
	last := -1                // the group of the last path: paths come in runs
	for i, p := range paths {
		j := strings.LastIndexByte(p, '/')
		if j < 0 || j == len(p)-1 || len(p) >= unix.PathMax || len(p)-j-1 > maxName {
			out[i] = lstatOf(os.Lstat(p))
			continue
		}
		d := p[:max(j, 1)]
		if last < 0 || groups[last].dir != d {
			g, ok := byDir[d]
			if !ok {
				g = len(groups)
				byDir[d] = g
				groups = append(groups, group{dir: d})
			}
			last = g
		}
		groups[last].idx = append(groups[last].idx, i)
	}
	// The groups are independent (each sets out only at its own paths),
	// and each costs system calls: a few workers share them (two halve
	// the time on bench/trace.sh's (b); see the README's Performance).
	workers := min(runtime.GOMAXPROCS(0), maxLstatWorkers, max(len(groups)/lstatGroupsPerWorker, 1))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			l := lister{lstat: os.Lstat}
			for {
				n := int(next.Add(1)) - 1
				if n >= len(groups) {
					return
				}
				d, idx := groups[n].dir, groups[n].idx
				if len(idx) < listMin || !l.answer(d, paths, idx, out, kinds) {
					for _, i := range idx {
						out[i] = lstatOf(os.Lstat(paths[i]))
					}
				}
			}
		})
	}
	wg.Wait()
	return out
}

// lstatAll's workers: at most maxLstatWorkers, one per
// lstatGroupsPerWorker directories (a small run stays on one goroutine).
const (
	maxLstatWorkers      = 4
	lstatGroupsPerWorker = 64
)

// maxName is NAME_MAX: lstat says ENAMETOOLONG of a longer name.
const maxName = 255

// lister reads directories for lstatAll, with buffers it reuses.
type lister struct {
	buf     []byte
	names   map[string]uint8    // listed name -> d_type
	lowered map[string]struct{} // listed names in ASCII lower case
	scratch []byte
	// lstat is os.Lstat, or what a test sees it called with.
	lstat func(string) (fs.FileInfo, error)
}

// answer sets out[i] for the paths[i] of idx, which are all in directory
// d, from d's listing. It returns false, leaving out alone, when d
// cannot be read or the listing does not answer for sure.
func (l *lister) answer(d string, paths []string, idx []int, out []lstatKind, kinds bool) bool {
	fd, err := openDirFD(d, 0)
	if errors.Is(err, unix.ENOENT) {
		for _, i := range idx {
			out[i] = lstatMissing
		}
		return true
	}
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Size > int64(listBytes*len(idx)) {
		return false
	}
	if l.names == nil {
		l.names, l.lowered = map[string]uint8{}, map[string]struct{}{}
		l.buf = make([]byte, 32<<10)
	}
	clear(l.names)
	clear(l.lowered)
	unicode := false
	err = readDirents(fd, l.buf, func(name []byte, typ uint8) bool {
		l.names[string(name)] = typ
		if !isASCII(string(name)) {
			unicode = true
		} else {
			l.scratch = appendLower(l.scratch[:0], name)
			l.lowered[string(l.scratch)] = struct{}{}
		}
		return true
	})
	if err != nil {
		return false
	}
	probed := false
	for _, i := range idx {
		name := paths[i][strings.LastIndexByte(paths[i], '/')+1:]
		typ, listed := l.names[name]
		switch {
		case listed && !kinds:
			out[i] = lstatOther
		case listed && typ == unix.DT_DIR:
			out[i] = lstatDir
		case listed && typ != unix.DT_UNKNOWN:
			out[i] = lstatOther
		case listed || unicode || !isASCII(name) || l.foldListed(name):
			out[i] = lstatOf(l.lstat(paths[i]))
		case !probed:
			// The first name the listing says is missing: lstat must
			// agree, or d is not searchable (or not as it lists).
			probed = true
			if _, err := l.lstat(paths[i]); !errors.Is(err, fs.ErrNotExist) {
				return false
			}
			out[i] = lstatMissing
		default:
			out[i] = lstatMissing
		}
	}
	return true
}

// foldListed reports whether a name that differs from the ASCII name
// only in case is listed.
func (l *lister) foldListed(name string) bool {
	l.scratch = appendLower(l.scratch[:0], name)
	_, ok := l.lowered[string(l.scratch)]
	return ok
}

// openDirFD opens the directory d for reading its entries; O_DIRECTORY
// fails on a FIFO instead of waiting for a writer. extra flags are
// added (O_NOFOLLOW for a walk that must not follow a directory swapped
// for a symlink since it was listed).
func openDirFD(d string, extra int) (int, error) {
	for {
		fd, err := unix.Open(d, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|extra, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// readDirents calls fn with the name and d_type of each entry of the
// directory open at fd but "." and "..", in getdents(2) order, until fn
// returns false. The name is only valid during the call.
func readDirents(fd int, buf []byte, fn func(name []byte, typ uint8) bool) error {
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &os.SyscallError{Syscall: "getdents64", Err: err}
		}
		if n <= 0 {
			return nil
		}
		// struct linux_dirent64: ino u64, off s64, reclen u16,
		// type u8, name NUL-terminated.
		for b := buf[:n]; len(b) >= 19; {
			reclen := int(binary.NativeEndian.Uint16(b[16:]))
			if reclen < 19 || reclen > len(b) {
				return &os.SyscallError{Syscall: "getdents64", Err: unix.EIO}
			}
			name := b[19:reclen]
			for j, c := range name {
				if c == 0 {
					name = name[:j]
					break
				}
			}
			typ := b[18]
			b = b[reclen:]
			if string(name) == "." || string(name) == ".." {
				continue
			}
			if !fn(name, typ) {
				return nil
			}
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// appendLower appends b with ASCII letters in lower case.
func appendLower[T string | []byte](dst []byte, b T) []byte {
	n := len(dst)
	dst = append(dst, b...)
	for i := n; i < len(dst); i++ {
		if c := dst[i]; 'A' <= c && c <= 'Z' {
			dst[i] = c + 'a' - 'A'
		}
	}
	return dst
}
