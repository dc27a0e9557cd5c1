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
}

// TakeSnapshot records dir (its paths) and, when reset is set, copies it
// to restore before each round; above 1 GiB it fails, suggesting --no-reset.
// rounds.Rounds.Run removes the copy; call Remove if Run is never called.
func TakeSnapshot(dir string, reset bool) (*Snapshot, error) {
	return takeSnapshot(dir, reset, maxResetSize)
}

// takeSnapshot records dir, and copies it when reset is set.
func takeSnapshot(dir string, reset bool, limit int64) (*Snapshot, error) {
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{dir: dir, before: map[string]bool{}, mode: fi.Mode()}
	var size int64
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		s.before[rel] = true
		if d.Type().IsRegular() {
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
	s.copy, err = os.MkdirTemp("", "landlearn-reset-")
	if err != nil {
		return nil, err
	}
	if inside(s.copy, dir) {
		os.RemoveAll(s.copy)
		return nil, fmt.Errorf("the copy of the working directory (%s) would be inside it: run from another directory, or pass --no-reset", s.copy)
	}
	if err := copyChildren(dir, s.copy); err != nil {
		os.RemoveAll(s.copy)
		return nil, fmt.Errorf("copy %s to reset it between rounds: %w", dir, err)
	}
	return s, nil
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
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("reset %s: %w", s.dir, err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(s.dir, e.Name())); err != nil {
			return fmt.Errorf("reset %s: %w", s.dir, err)
		}
	}
	if err := copyChildren(s.copy, s.dir); err != nil {
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
