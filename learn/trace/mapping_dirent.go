package trace

import (
	"io"
	"os"
	"strings"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
	"golang.org/x/sys/unix"
)

// Directory-entry operations. Their lines are about the parent directory
// (the path holds the rights). Which entry came or went is in src/dst:
// dst (with `created`) for an entry made, src (with `deleted`) for one
// removed, both for rename and link, whose lines carry no flag.
//
// Landlock checks them before the parent's
// DAC check (only lookup errors, EEXIST and EROFS come first), but a call
// that fails anyway needs no right, so every failure the tracer can
// predict from lstat and the caller's credentials ends the row.

// created prepares the parent line of a call that creates the entry n:
// the make right on the parent, with `created` and the new entry as dst.
func (m *mapper) created(n node, a policy.FSAccess) *outcome {
	if n.err != 0 || n.exists || n.noPath {
		return nil // lookup error, or EEXIST
	}
	pst, ok := parentSt(&n)
	if !ok || readOnly(n.parent) || !m.may(&pst, mayWrite|mayExec) {
		return nil
	}
	o := m.fsObs(n.parent, typeName(unix.S_IFDIR), a)
	o.Created, o.Dst = true, n.path
	return m.succeed(o)
}

// prepMkdir maps mkdir/mkdirat: make_dir on the parent. The last
// component is never followed (a symlink there is EEXIST).
func prepMkdir(m *mapper) *outcome {
	p, ok := m.str(m.e.args.path)
	if !ok {
		return nil
	}
	n := m.resolve(m.dirfd(m.e.args.dirfd), strings.TrimRight(p, "/")+slashIfRoot(p), false)
	return m.created(n, rMakeDir)
}

// slashIfRoot keeps "/" meaning the root after trailing slashes go.
func slashIfRoot(p string) string {
	if strings.TrimRight(p, "/") == "" && p != "" {
		return "/"
	}
	return ""
}

// prepMknod maps mknod/mknodat: the make right of the file type in mode
// (0 is a regular file). Devices need CAP_MKNOD, predicted as uid 0.
func prepMknod(m *mapper) *outcome {
	p, ok := m.str(m.e.args.path)
	if !ok {
		return nil
	}
	mode := uint32(m.arg(m.e.args.mode))
	var a policy.FSAccess
	switch mode & unix.S_IFMT {
	case 0, unix.S_IFREG:
		a = rMakeReg
	case unix.S_IFCHR, unix.S_IFBLK:
		if cr := m.creds(); cr.known && cr.uid != 0 {
			return nil // EPERM
		}
		a = learn.MakeRight(typeName(mode))
	case unix.S_IFIFO, unix.S_IFSOCK:
		a = learn.MakeRight(typeName(mode))
	default:
		return nil // EINVAL
	}
	return m.created(m.resolve(m.dirfd(m.e.args.dirfd), p, false), a)
}

// prepSymlink maps symlink/symlinkat: make_sym on the parent of the new
// link; the target string is not looked at (an empty one is ENOENT).
func prepSymlink(m *mapper) *outcome {
	target, ok := m.str(m.e.args.path)
	if !ok || target == "" {
		return nil
	}
	p, ok := m.str(m.e.args.path2)
	if !ok {
		return nil
	}
	return m.created(m.resolve(m.dirfd(m.e.args.dirfd2), p, false), rMakeSym)
}

// prepUnlink maps unlink, unlinkat and rmdir: remove_file for any
// non-directory, remove_dir for a directory, on the parent; the line has
// `deleted` and the removed entry as src (what minimize needs to know
// that the entry will not be there to hold a rule).
func prepUnlink(m *mapper) *outcome {
	p, ok := m.str(m.e.args.path)
	if !ok {
		return nil
	}
	rmdir := m.flags()&atRemoveDir != 0
	if rmdir {
		base := pathBase(p)
		if base == "." || base == ".." {
			return nil // EINVAL, ENOTEMPTY
		}
		p = strings.TrimRight(p, "/") + slashIfRoot(p)
	}
	n := m.resolve(m.dirfd(m.e.args.dirfd), p, false)
	if n.err != 0 || !n.exists || n.noPath || n.path == n.parent {
		return nil
	}
	if rmdir != n.isDir() {
		return nil // ENOTDIR, or EISDIR
	}
	if rmdir && !emptyDir(n.path) {
		return nil // ENOTEMPTY
	}
	if !m.mayDelete(&n) {
		return nil
	}
	o := m.fsObs(n.parent, typeName(unix.S_IFDIR), removeRight(n.st.Mode))
	o.Deleted, o.Src = true, n.path
	return m.succeed(o)
}

// mayDelete predicts may_delete(): write and search on the parent, the
// sticky bit, a read-only mount.
func (m *mapper) mayDelete(n *node) bool {
	pst, ok := parentSt(n)
	if !ok || readOnly(n.parent) {
		return false
	}
	cr := m.creds()
	if !m.may(&pst, mayWrite|mayExec) {
		return false
	}
	if cr.known && cr.uid != 0 && pst.Mode&unix.S_ISVTX != 0 && n.st.Uid != cr.uid && pst.Uid != cr.uid {
		return false // EPERM: sticky directory
	}
	return true
}

func pathBase(p string) string {
	p = strings.TrimRight(p, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// emptyDir reports whether directory p has no entry but . and ..
func emptyDir(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	return err == io.EOF
}

// prepLink maps link/linkat: the make right of the source's type on the
// destination parent, and refer on both parents when they differ. The
// source is followed only with AT_SYMLINK_FOLLOW; AT_EMPTY_PATH links
// the fd itself. An O_TMPFILE file is given a name this way (through
// /proc/self/fd/N): its parent is the directory it was made in. Whether
// an unlinked file may be linked (only O_TMPFILE ones without O_EXCL)
// is not visible to the tracer: it is predicted to succeed.
func prepLink(m *mapper) *outcome {
	flags := m.flags()
	p, ok := m.str(m.e.args.path)
	if !ok {
		return nil
	}
	var src node
	if p == "" && flags&unix.AT_EMPTY_PATH != 0 {
		// Linking an fd itself needs CAP_DAC_READ_SEARCH (else ENOENT).
		if cr := m.creds(); cr.known && cr.uid != 0 {
			return nil
		}
		src = m.fdNode(m.dirfd(m.e.args.dirfd))
	} else {
		src = m.resolve(m.dirfd(m.e.args.dirfd), p, flags&unix.AT_SYMLINK_FOLLOW != 0)
	}
	if src.err != 0 || !src.exists || src.noPath || src.isDir() {
		return nil // lookup error, ENOENT, or EPERM for a directory
	}
	if !m.mayLink(&src) {
		return nil
	}
	np, ok := m.str(m.e.args.path2)
	if !ok {
		return nil
	}
	dst := m.resolve(m.dirfd(m.e.args.dirfd2), np, false)
	out := m.created(dst, learn.MakeRight(typeName(src.st.Mode)))
	if out == nil || mountID(src.parent) != mountID(dst.parent) {
		return nil // EEXIST, EXDEV...
	}
	mk := &out.obs[0]
	mk.Created, mk.Dst, mk.Src = false, dst.path, src.path
	if src.parent == dst.parent {
		return out
	}
	mk.FS = learn.MakeRight(typeName(src.st.Mode)) | rRefer
	ref := m.fsObs(src.parent, typeName(unix.S_IFDIR), rRefer)
	ref.Src, ref.Dst = src.path, dst.path
	out.obs = []obsT{ref, *mk}
	return out
}

// mayLink predicts fs.protected_hardlinks (on by default): a user may
// hard-link only a regular file they own, or may read and write, that is
// not setuid or executable setgid. It is checked before Landlock's hook.
func (m *mapper) mayLink(src *node) bool {
	cr := m.creds()
	if !cr.known || cr.uid == 0 || src.st.Uid == cr.uid || sysctlFS("protected_hardlinks") == 0 {
		return true
	}
	if src.mode() != unix.S_IFREG || src.st.Mode&unix.S_ISUID != 0 ||
		src.st.Mode&(unix.S_ISGID|0o010) == unix.S_ISGID|0o010 {
		return false
	}
	return cr.may(&src.st, mayRead|mayWrite)
}

// rename(2) flags.
const (
	renameNoreplace = 1 << 0
	renameExchange  = 1 << 1
)

// prepRename maps rename, renameat and renameat2 (hook_path_rename):
// the source parent needs the remove right of the moved entry, the
// destination parent its make right plus the remove right of a replaced
// entry; RENAME_EXCHANGE gives each parent both for both entries; and
// refer on both parents when they differ. Neither last component is
// followed.
func prepRename(m *mapper) *outcome {
	flags := m.flags()
	op, ok1 := m.str(m.e.args.path)
	np, ok2 := m.str(m.e.args.path2)
	if !ok1 || !ok2 || flags&^7 != 0 || flags&(renameNoreplace|renameExchange) == renameNoreplace|renameExchange {
		return nil // EINVAL
	}
	src := m.resolve(m.dirfd(m.e.args.dirfd), op, false)
	dst := m.resolve(m.dirfd(m.e.args.dirfd2), np, false)
	if src.err != 0 || dst.err != 0 || !src.exists || src.noPath || dst.noPath {
		return nil
	}
	if src.path == src.parent || dst.path == dst.parent || pathBase(op) == ".." || pathBase(np) == ".." {
		return nil // renaming "/" or ".": EBUSY, EINVAL
	}
	exchange := flags&renameExchange != 0
	if dst.exists && flags&renameNoreplace != 0 {
		return nil // EEXIST
	}
	if exchange && !dst.exists {
		return nil // ENOENT
	}
	if mountID(src.parent) != mountID(dst.parent) {
		return nil // EXDEV
	}
	if (src.slash && !src.isDir()) || (dst.slash && !src.isDir()) {
		return nil // ENOTDIR
	}
	sameInode := dst.exists && dst.st.Dev == src.st.Dev && dst.st.Ino == src.st.Ino
	if dst.exists && !exchange && !sameInode {
		switch {
		case src.isDir() && !dst.isDir():
			return nil // ENOTDIR
		case !src.isDir() && dst.isDir():
			return nil // EISDIR
		case dst.isDir() && !emptyDir(dst.path):
			return nil // ENOTEMPTY
		}
	}
	if src.isDir() && strings.HasPrefix(dst.path+"/", src.path+"/") && !sameInode {
		return nil // EINVAL: a directory into itself
	}
	if !m.mayDelete(&src) {
		return nil
	}
	if dst.exists && !m.mayDelete(&dst) {
		return nil
	}
	if dpst, ok := parentSt(&dst); !ok || !m.may(&dpst, mayWrite|mayExec) {
		return nil
	}

	// security/landlock/fs.c, current_check_refer_path.
	srcSide := removeRight(src.st.Mode)
	dstSide := learn.MakeRight(typeName(src.st.Mode))
	if dst.exists {
		dstSide |= removeRight(dst.st.Mode)
		if exchange {
			srcSide |= learn.MakeRight(typeName(dst.st.Mode))
		}
	}
	line := func(dir string, a policy.FSAccess) obsT {
		o := m.fsObs(dir, typeName(unix.S_IFDIR), a)
		o.Src, o.Dst = src.path, dst.path
		return o
	}
	if src.parent == dst.parent {
		return m.succeed(line(src.parent, srcSide|dstSide))
	}
	return m.succeed(line(src.parent, srcSide|rRefer), line(dst.parent, dstSide|rRefer))
}
