package emit

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/landlearn/landlearn/policy"
)

// ErrExists is returned (wrapped, use errors.Is) by WriteFile when the
// policy file already exists and force is false.
var ErrExists = errors.New("policy file already exists")

// WriteFile writes p as YAML to path, atomically: the file at path is
// either the old one or the complete new one, never a half-written or
// broken policy, even if landlearn is killed or the disk fills up.
//
// The policy is checked with Validate and its YAML, rendered in memory, is
// loaded back with policy.Load first: a policy that would not load (an
// invalid right, a relative path...) or that would load as a different
// policy is refused with the loader's message, and nothing is written. Then it goes to a temporary file in
// path's directory (so the final rename cannot cross file systems), is
// fsynced, and takes path's place; the directory is fsynced too so the
// new name survives a crash.
//
// Without force, an existing path is an error wrapping ErrExists, and the
// check is atomic: the new file is hard-linked into place, which fails if
// something appeared at path in the meantime (file systems without hard
// links fall back to a check before rename). With force, an existing
// regular file is replaced and keeps its permission bits; a new file gets
// 0644. Anything else at path (a device such as /dev/null, a fifo, a
// socket, a symbolic link) is refused, force or not: see CheckTarget.
func WriteFile(path string, p *policy.Policy, force bool) error {
	var b bytes.Buffer
	if err := renderYAML(&b, p); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := checkLoadsBack(b.Bytes(), path, p); err != nil {
		return err
	}

	if err := CheckTarget(path, force); err != nil {
		return err
	}
	mode := fs.FileMode(0o644)
	if st, err := os.Lstat(path); err == nil {
		mode = st.Mode().Perm()
	}

	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // after a successful rename, this is ENOENT
	if _, err := tmp.Write(b.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}

	if force {
		// Again, just before: a device or link may have appeared since.
		if err := CheckTarget(path, true); err != nil {
			return err
		}
		err = os.Rename(tmpName, path)
	} else {
		err = linkNoClobber(tmpName, path)
	}
	if err != nil {
		return err
	}
	return syncDir(dir)
}

// ErrNotRegular is returned (wrapped) by WriteFile and CheckTarget when
// path is a device, a fifo, a socket or a symbolic link. The final rename
// would replace that object itself, not write into it: with force, -o
// /dev/null as root would delete the device node and leave a policy file
// in its place.
var ErrNotRegular = errors.New("not a regular file")

// CheckTarget reports, without writing anything, whether WriteFile(path,
// p, force) may put a file at path: an error wrapping ErrExists when path
// exists and force is false, ErrNotRegular when path is something other
// than a regular file (force or not), or an error when path is a
// directory or cannot be examined. Commands call it before a long run, so
// that they refuse before the work instead of after it.
func CheckTarget(path string, force bool) error {
	st, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("write %s: %w", path, err)
	case st.IsDir():
		return fmt.Errorf("%s is a directory; give a file name such as %s", path, filepath.Join(path, "landlock.yaml"))
	case st.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(path)
		return fmt.Errorf("%s is a symbolic link to %s, %w: writing the policy would replace the link with a file; give the file itself, or another name", path, target, ErrNotRegular)
	case !st.Mode().IsRegular():
		return fmt.Errorf("%s is %s, %w: writing the policy would replace it with a file; give a file name (or - for standard output)", path, typeName(st.Mode()), ErrNotRegular)
	case !force:
		return fmt.Errorf("%s: %w; not overwriting it", path, ErrExists)
	}
	return nil
}

// typeName says what kind of file a non-regular, non-directory mode is.
func typeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeNamedPipe != 0:
		return "a fifo"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}

// linkNoClobber puts the finished temporary file at path unless path
// exists: link(2) refuses an existing target, where rename(2) would
// silently replace it.
func linkNoClobber(tmpName, path string) error {
	err := os.Link(tmpName, path)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%s: %w; not overwriting it", path, ErrExists)
	case errors.Is(err, fs.ErrPermission) || errors.Is(err, errors.ErrUnsupported) || isNoLink(err):
		// No hard links here (vfat, some FUSE): check, then rename.
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%s: %w; not overwriting it", path, ErrExists)
		}
		if err := os.Rename(tmpName, path); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	return fmt.Errorf("write %s: %w", path, err)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) && !isNoSync(err) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// checkLoadsBack refuses to write YAML that policy.Load would reject or
// read as another policy: landlearn must never leave a policy file that
// breaks the next run, or one that silently grants something else.
func checkLoadsBack(data []byte, path string, p *policy.Policy) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("not writing %s, the policy is not valid:\n%w", path, err)
	}
	if err := checkSize(data, p); err != nil {
		return fmt.Errorf("not writing %s: %w", path, err)
	}
	for _, r := range p.FS {
		if r.Learned && policy.LaterVariable(r.Path) {
			// It loads back as the same string, and means another path.
			return fmt.Errorf("not writing %s: the learned path %q holds \"${\" past its start, where landlearn never puts a variable: "+
				"it comes from a file name, which the policy would read as a variable (a landlearn bug; please report it with the policy)", path, r.Path)
		}
	}
	back, err := policy.Load(bytes.NewReader(data), "the YAML for "+path)
	if err != nil {
		return fmt.Errorf("not writing %s: its YAML does not load back (a landlearn bug; please report it with the policy):\n%w", path, err)
	}
	if !sameGrants(p, back) {
		return fmt.Errorf("not writing %s: the YAML does not load back as the same policy (a landlearn bug; please report it with the policy)", path)
	}
	return nil
}

// sameGrants compares what two policies enforce (not comments or lines).
func sameGrants(a, b *policy.Policy) bool {
	if a.ABI != b.ABI || a.Handled != b.Handled || len(a.FS) != len(b.FS) || len(a.Net) != len(b.Net) {
		return false
	}
	if ca, cb := a.Compat, b.Compat; ca != cb && !(ca == "" && cb == policy.BestEffort) {
		return false
	}
	fa, fb := sortedFS(a.FS), sortedFS(b.FS)
	if !slices.EqualFunc(fa, fb, func(x, y policy.FSRule) bool {
		return x.Path == y.Path && x.Access == y.Access && x.Optional == y.Optional
	}) {
		return false
	}
	return slices.EqualFunc(sortedNet(a.Net), sortedNet(b.Net), func(x, y policy.NetRule) bool {
		return x.Port == y.Port && x.Access == y.Access
	})
}

// isNoLink reports whether link(2) failed because the file system has no
// hard links, rather than because of path.
func isNoLink(err error) bool {
	return errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EMLINK)
}

// isNoSync reports whether fsync(2) of a directory is simply not
// supported there (some file systems answer EINVAL).
func isNoSync(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP)
}
