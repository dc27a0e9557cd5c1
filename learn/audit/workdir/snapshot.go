package workdir

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/stale"
)

// maxResetSize is the largest working directory that audit learning
// copies to reset it between rounds. Above it, learning refuses unless
// asked not to reset: copying a home directory is not what anybody meant.
const maxResetSize = 1 << 30

// errTooBig is returned when the working directory exceeds maxResetSize.
var errTooBig = errors.New("working directory too big to reset between rounds")

// Snapshot is the working directory as it was before round 1: which
// paths existed (to tell what a run created) and, unless resetting is
// off, a copy to restore before every later round. Take it before a trace
// run that seeds audit rounds (learn --backend trace+audit): what the
// trace run created or moved is then undone before round 1, and counts
// as created by the program.
type Snapshot struct {
	dir    string          // the working directory, symlinks resolved
	copy   string          // "" when not resetting
	before map[string]bool // paths under dir that existed, relative
	mode   fs.FileMode
	// keep are files that Restore leaves as they are (relative), and
	// keepDirs their ancestors below dir.
	keep, keepDirs map[string]bool
}

// TakeSnapshot records dir (its paths) and, when reset is set, copies it
// to restore before each round; above 1 GiB it fails, suggesting --no-reset.
// The files in keep (those landlearn writes while the rounds run, such as
// the --raw file) are neither copied nor restored: a reset leaves them as
// they are. rounds.Rounds.Run removes the copy; call Remove if Run is never
// called.
func TakeSnapshot(dir string, reset bool, keep ...string) (*Snapshot, error) {
	return takeSnapshot(dir, reset, maxResetSize, keep)
}

// takeSnapshot records dir, and copies it when reset is set.
func takeSnapshot(dir string, reset bool, limit int64, keep []string) (*Snapshot, error) {
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{dir: dir, before: map[string]bool{}, mode: fi.Mode(), keep: map[string]bool{}, keepDirs: map[string]bool{}}
	for _, k := range keep {
		abs, err := filepath.Abs(k)
		if err != nil {
			continue
		}
		if parent, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
			abs = filepath.Join(parent, filepath.Base(abs))
		}
		rel, err := filepath.Rel(dir, abs)
		if err != nil || !inside(abs, dir) || rel == "." {
			continue
		}
		s.keep[rel] = true
		for d := filepath.Dir(rel); d != "."; d = filepath.Dir(d) {
			s.keepDirs[d] = true
		}
	}
	var size int64
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		s.before[rel] = true
		if d.Type().IsRegular() && !s.keep[rel] {
			if info, err := d.Info(); err == nil {
				size += info.Size()
			}
		}
		if reset && size > limit {
			return fmt.Errorf("%w: %s holds more than %d MiB; run from a smaller directory, or pass --no-reset to run every round on what the previous one left", errTooBig, dir, limit>>20)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !reset {
		return s, nil
	}
	// Named after this process: the next landlearn removes it if this one
	// is killed, and never while it runs (internal/stale).
	s.copy, err = os.MkdirTemp("", stale.Pattern(stale.ResetPrefix, ""))
	if err != nil {
		return nil, err
	}
	if inside(s.copy, dir) {
		os.RemoveAll(s.copy)
		return nil, fmt.Errorf("the copy of the working directory (%s) would be inside it: run from another directory, or pass --no-reset", s.copy)
	}
	if err := s.copyInto(dir, s.copy, "."); err != nil {
		os.RemoveAll(s.copy)
		return nil, fmt.Errorf("copy %s to reset it between rounds: %w", dir, err)
	}
	return s, nil
}

// copyInto copies the entries of src/rel into dst/rel, except the kept
// files: beside them and in their ancestors, only what is not kept.
func (s *Snapshot) copyInto(src, dst, rel string) error {
	entries, err := os.ReadDir(filepath.Join(src, rel))
	if err != nil {
		return err
	}
	for _, e := range entries {
		r := filepath.Join(rel, e.Name())
		from, to := filepath.Join(src, r), filepath.Join(dst, r)
		switch {
		case s.keep[r]:
		case s.keepDirs[r] && e.IsDir():
			fi, err := os.Lstat(from)
			if err != nil {
				return err
			}
			if err := os.Mkdir(to, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			if err := s.copyInto(src, dst, r); err != nil {
				return err
			}
			if err := copyMeta(to, fi); err != nil {
				return err
			}
		default:
			if err := copyEntry(from, to); err != nil {
				return err
			}
		}
	}
	return nil
}

// clear removes the entries of dir/rel, except the kept files and their
// ancestors' other entries, which it clears in turn.
func (s *Snapshot) clear(rel string) error {
	entries, err := os.ReadDir(filepath.Join(s.dir, rel))
	if err != nil {
		return err
	}
	for _, e := range entries {
		r := filepath.Join(rel, e.Name())
		switch {
		case s.keep[r]:
		case s.keepDirs[r] && e.IsDir():
			if err := s.clear(r); err != nil {
				return err
			}
		default:
			if err := os.RemoveAll(filepath.Join(s.dir, r)); err != nil {
				return err
			}
		}
	}
	return nil
}

func inside(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// created says whether p (absolute, resolved) came into being during the
// runs: it is under the working directory and was not there before.
func (s *Snapshot) created(p string) bool {
	if !inside(p, s.dir) {
		return false
	}
	rel, err := filepath.Rel(s.dir, p)
	return err == nil && !s.before[rel]
}

// TopCreated returns the highest ancestor of p (or p itself) that a run
// created, or "".
func (s *Snapshot) TopCreated(p string) string {
	if !s.created(p) {
		return ""
	}
	for {
		parent := filepath.Dir(p)
		if !s.created(parent) {
			return p
		}
		p = parent
	}
}

// Restore puts the working directory back as it was before round 1.
func (s *Snapshot) Restore() error {
	if s.copy == "" {
		return nil
	}
	if err := s.clear("."); err != nil {
		return fmt.Errorf("reset %s: %w", s.dir, err)
	}
	if err := s.copyInto(s.copy, s.dir, "."); err != nil {
		return fmt.Errorf("reset %s: %w", s.dir, err)
	}
	return os.Chmod(s.dir, s.mode)
}

// Remove deletes the copy.
func (s *Snapshot) Remove() {
	if s.copy != "" {
		os.RemoveAll(s.copy)
	}
}

// copyChildren copies the entries of src into the existing dst: files,
// directories, symlinks, fifos and device nodes, with their modes,
// owners and modification times. Sockets are skipped (a socket file is
// useless without its server). Hard links become separate files.
func copyChildren(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := copyEntry(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func copyEntry(src, dst string) error {
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	st := fi.Sys().(*syscall.Stat_t)
	m := fi.Mode()
	switch {
	case m.IsDir():
		if err := os.Mkdir(dst, 0o700); err != nil {
			return err
		}
		if err := copyChildren(src, dst); err != nil {
			return err
		}
	case m&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := os.Symlink(target, dst); err != nil {
			return err
		}
		return os.Lchown(dst, int(st.Uid), int(st.Gid))
	case m.IsRegular():
		if err := copyFile(src, dst); err != nil {
			return err
		}
	case m&fs.ModeSocket != 0:
		return nil
	default: // fifo, char, block
		if err := unix.Mknod(dst, st.Mode, int(st.Rdev)); err != nil {
			return err
		}
	}
	return copyMeta(dst, fi)
}

// copyMeta gives dst fi's owner, mode and modification time.
func copyMeta(dst string, fi fs.FileInfo) error {
	st := fi.Sys().(*syscall.Stat_t)
	m := fi.Mode()
	if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	if err := os.Chmod(dst, m&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
		return err
	}
	return os.Chtimes(dst, time.Time{}, fi.ModTime())
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
