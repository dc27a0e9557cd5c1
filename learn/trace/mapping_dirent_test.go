package trace

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/learn"
	"golang.org/x/sys/unix"
)

func at(nr int, args ...func(d string) uint64) func(*testing.T, string) *sysCall {
	return func(t *testing.T, d string) *sysCall {
		var a []uint64
		for _, f := range args {
			a = append(a, f(d))
		}
		return call(nr, a...)
	}
}

// Argument makers for at().
func p(rel string) func(string) uint64 { return func(d string) uint64 { return cstr(d + "/" + rel) } }
func s(str string) func(string) uint64 { return func(string) uint64 { return cstr(str) } }
func n(v uint64) func(string) uint64   { return func(string) uint64 { return v } }

var (
	hasFile = func(t *testing.T, d string) { writeFile(t, d+"/f", "x", 0o644) }
	hasDirs = func(t *testing.T, d string) {
		writeFile(t, d+"/a/f", "x", 0o644)
		mkdir(t, d+"/b")
	}
)

func TestMappingCreate(t *testing.T) {
	needRoot(t)
	rows := []row{
		{name: "mkdir", call: at(unix.SYS_MKDIR, p("d"), n(0o755)),
			want: `{"syscall":"mkdir","path":"$D","type":"dir","access":["make_dir"],"created":true,"dst":"$D/d"}` + "\n"},
		{name: "mkdir with a trailing slash", call: at(unix.SYS_MKDIR, p("d//"), n(0o755)),
			want: `{"syscall":"mkdir","path":"$D","type":"dir","access":["make_dir"],"created":true,"dst":"$D/d"}` + "\n"},
		{name: "mkdir existing is EEXIST", setup: hasFile, call: at(unix.SYS_MKDIR, p("f"), n(0o755))},
		{name: "mkdir on a dangling symlink is EEXIST", setup: func(t *testing.T, d string) { symlink("nope", d+"/l") },
			call: at(unix.SYS_MKDIR, p("l"), n(0o755))},
		{name: "mkdir under a missing parent", call: at(unix.SYS_MKDIR, p("x/y"), n(0o755))},
		{name: "mkdirat", call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_MKDIRAT, dirfd(t, d), cstr("d"), 0o755)
		}, want: `{"syscall":"mkdirat","path":"$D","type":"dir","access":["make_dir"],"created":true,"dst":"$D/d"}` + "\n"},
		{name: "mknod regular (0)", call: at(unix.SYS_MKNOD, p("r"), n(0o644)),
			want: `{"syscall":"mknod","path":"$D","type":"dir","access":["make_reg"],"created":true,"dst":"$D/r"}` + "\n"},
		{name: "mknod S_IFREG", call: at(unix.SYS_MKNOD, p("r"), n(unix.S_IFREG|0o644)),
			want: `{"syscall":"mknod","path":"$D","type":"dir","access":["make_reg"],"created":true,"dst":"$D/r"}` + "\n"},
		{name: "mknod S_IFIFO", call: at(unix.SYS_MKNOD, p("p"), n(unix.S_IFIFO|0o644)),
			want: `{"syscall":"mknod","path":"$D","type":"dir","access":["make_fifo"],"created":true,"dst":"$D/p"}` + "\n"},
		{name: "mknod S_IFSOCK", call: at(unix.SYS_MKNOD, p("s"), n(unix.S_IFSOCK|0o644)),
			want: `{"syscall":"mknod","path":"$D","type":"dir","access":["make_sock"],"created":true,"dst":"$D/s"}` + "\n"},
		{name: "mknod S_IFCHR", call: at(unix.SYS_MKNOD, p("c"), n(unix.S_IFCHR|0o644), n(unix.Mkdev(1, 3))),
			want: `{"syscall":"mknod","path":"$D","type":"dir","access":["make_char"],"created":true,"dst":"$D/c"}` + "\n"},
		{name: "mknod S_IFBLK", call: at(unix.SYS_MKNOD, p("b"), n(unix.S_IFBLK|0o644), n(unix.Mkdev(7, 0))),
			want: `{"syscall":"mknod","path":"$D","type":"dir","access":["make_block"],"created":true,"dst":"$D/b"}` + "\n"},
		{name: "mknod S_IFCHR without CAP_MKNOD is EPERM", creds: &[2]int{4242, 4242},
			setup: func(t *testing.T, d string) { os.Chmod(d, 0o777) },
			call:  at(unix.SYS_MKNOD, p("c"), n(unix.S_IFCHR|0o644), n(unix.Mkdev(1, 3)))},
		{name: "mknod S_IFDIR is EINVAL", call: at(unix.SYS_MKNOD, p("x"), n(unix.S_IFDIR|0o755))},
		{name: "mknodat", call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_MKNODAT, dirfd(t, d), cstr("p"), unix.S_IFIFO|0o600, 0)
		}, want: `{"syscall":"mknodat","path":"$D","type":"dir","access":["make_fifo"],"created":true,"dst":"$D/p"}` + "\n"},
		{name: "symlink", call: at(unix.SYS_SYMLINK, s("/etc/passwd"), p("l")),
			want: `{"syscall":"symlink","path":"$D","type":"dir","access":["make_sym"],"created":true,"dst":"$D/l"}` + "\n"},
		{name: "symlink with an empty target is ENOENT", call: at(unix.SYS_SYMLINK, s(""), p("l"))},
		{name: "symlinkat", call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_SYMLINKAT, cstr("x"), dirfd(t, d), cstr("l"))
		}, want: `{"syscall":"symlinkat","path":"$D","type":"dir","access":["make_sym"],"created":true,"dst":"$D/l"}` + "\n"},
		{name: "mkdir in a directory the user may not write", creds: &[2]int{4242, 4242},
			setup: func(t *testing.T, d string) { os.Chmod(d, 0o755) }, call: at(unix.SYS_MKDIR, p("d"), n(0o755))},
	}
	runRows(t, rows)
}

func TestMappingRemove(t *testing.T) {
	rows := []row{
		{name: "unlink a file", setup: hasFile, call: at(unix.SYS_UNLINK, p("f")),
			want: `{"syscall":"unlink","path":"$D","type":"dir","access":["remove_file"],"deleted":true,"src":"$D/f"}` + "\n"},
		{name: "unlink a symlink, not its target", setup: func(t *testing.T, d string) {
			mkdir(t, d+"/t")
			writeFile(t, d+"/t/f", "x", 0o644)
			symlink("t/f", d+"/l")
		}, call: at(unix.SYS_UNLINK, p("l")),
			want: `{"syscall":"unlink","path":"$D","type":"dir","access":["remove_file"],"deleted":true,"src":"$D/l"}` + "\n"},
		{name: "unlink a fifo", setup: func(t *testing.T, d string) { unix.Mkfifo(d+"/p", 0o600) }, call: at(unix.SYS_UNLINK, p("p")),
			want: `{"syscall":"unlink","path":"$D","type":"dir","access":["remove_file"],"deleted":true,"src":"$D/p"}` + "\n"},
		{name: "unlink a directory is EISDIR", setup: hasDirs, call: at(unix.SYS_UNLINK, p("b"))},
		{name: "unlink a missing file", call: at(unix.SYS_UNLINK, p("nope"))},
		{name: "rmdir", setup: hasDirs, call: at(unix.SYS_RMDIR, p("b")),
			want: `{"syscall":"rmdir","path":"$D","type":"dir","access":["remove_dir"],"deleted":true,"src":"$D/b"}` + "\n"},
		{name: "rmdir with a trailing slash", setup: hasDirs, call: at(unix.SYS_RMDIR, p("b/")),
			want: `{"syscall":"rmdir","path":"$D","type":"dir","access":["remove_dir"],"deleted":true,"src":"$D/b"}` + "\n"},
		{name: "rmdir non-empty is ENOTEMPTY", setup: hasDirs, call: at(unix.SYS_RMDIR, p("a"))},
		{name: "rmdir a file is ENOTDIR", setup: hasFile, call: at(unix.SYS_RMDIR, p("f"))},
		{name: "rmdir . is EINVAL", setup: hasDirs, call: at(unix.SYS_RMDIR, p("b/."))},
		{name: "unlinkat AT_REMOVEDIR", setup: hasDirs, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_UNLINKAT, dirfd(t, d), cstr("b"), unix.AT_REMOVEDIR)
		}, want: `{"syscall":"unlinkat","path":"$D","type":"dir","access":["remove_dir"],"deleted":true,"src":"$D/b"}` + "\n"},
		{name: "unlinkat", setup: hasDirs, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_UNLINKAT, dirfd(t, d+"/a"), cstr("f"), 0)
		}, want: `{"syscall":"unlinkat","path":"$D/a","type":"dir","access":["remove_file"],"deleted":true,"src":"$D/a/f"}` + "\n"},
	}
	runRows(t, rows)
}

func TestMappingLink(t *testing.T) {
	rows := []row{
		{name: "same directory", setup: hasFile, call: at(unix.SYS_LINK, p("f"), p("g")),
			want: `{"syscall":"link","path":"$D","type":"dir","access":["make_reg"],"src":"$D/f","dst":"$D/g"}` + "\n"},
		{name: "across directories", setup: hasDirs, call: at(unix.SYS_LINK, p("a/f"), p("b/g")),
			want: `{"syscall":"link","path":"$D/a","type":"dir","access":["refer"],"src":"$D/a/f","dst":"$D/b/g"}` + "\n" +
				`{"syscall":"link","path":"$D/b","type":"dir","access":["make_reg","refer"],"src":"$D/a/f","dst":"$D/b/g"}` + "\n"},
		{name: "a symlink is linked itself", setup: func(t *testing.T, d string) { symlink("/etc/passwd", d+"/l") },
			call: at(unix.SYS_LINK, p("l"), p("m")),
			want: `{"syscall":"link","path":"$D","type":"dir","access":["make_sym"],"src":"$D/l","dst":"$D/m"}` + "\n"},
		{name: "linkat AT_SYMLINK_FOLLOW links the target", setup: func(t *testing.T, d string) {
			writeFile(t, d+"/a/f", "x", 0o644)
			symlink("a/f", d+"/l")
		}, call: func(t *testing.T, d string) *sysCall {
			fd := dirfd(t, d)
			return call(unix.SYS_LINKAT, fd, cstr("l"), fd, cstr("m"), unix.AT_SYMLINK_FOLLOW)
		}, want: `{"syscall":"linkat","path":"$D/a","type":"dir","access":["refer"],"src":"$D/a/f","dst":"$D/m"}` + "\n" +
			`{"syscall":"linkat","path":"$D","type":"dir","access":["make_reg","refer"],"src":"$D/a/f","dst":"$D/m"}` + "\n"},
		{name: "a fifo", setup: func(t *testing.T, d string) { unix.Mkfifo(d+"/p", 0o600) }, call: at(unix.SYS_LINK, p("p"), p("q")),
			want: `{"syscall":"link","path":"$D","type":"dir","access":["make_fifo"],"src":"$D/p","dst":"$D/q"}` + "\n"},
		{name: "a directory is EPERM", setup: hasDirs, call: at(unix.SYS_LINK, p("a"), p("c"))},
		{name: "onto an existing name is EEXIST", setup: hasDirs, call: at(unix.SYS_LINK, p("a/f"), p("b"))},
		{name: "across mounts is EXDEV", setup: hasFile, call: at(unix.SYS_LINK, p("f"), s("/dev/shm/landlearn-link-test"))},
	}
	runRows(t, rows)
}

func TestMappingRename(t *testing.T) {
	rows := []row{
		{name: "within a directory", setup: hasFile, call: at(unix.SYS_RENAME, p("f"), p("g")),
			want: `{"syscall":"rename","path":"$D","type":"dir","access":["remove_file","make_reg"],"src":"$D/f","dst":"$D/g"}` + "\n"},
		{name: "across directories: refer on both parents", setup: hasDirs, call: at(unix.SYS_RENAME, p("a/f"), p("g")),
			want: `{"syscall":"rename","path":"$D/a","type":"dir","access":["remove_file","refer"],"src":"$D/a/f","dst":"$D/g"}` + "\n" +
				`{"syscall":"rename","path":"$D","type":"dir","access":["make_reg","refer"],"src":"$D/a/f","dst":"$D/g"}` + "\n"},
		{name: "overwriting a file", setup: func(t *testing.T, d string) {
			hasDirs(t, d)
			writeFile(t, d+"/b/g", "old", 0o644)
		}, call: at(unix.SYS_RENAME, p("a/f"), p("b/g")),
			want: `{"syscall":"rename","path":"$D/a","type":"dir","access":["remove_file","refer"],"src":"$D/a/f","dst":"$D/b/g"}` + "\n" +
				`{"syscall":"rename","path":"$D/b","type":"dir","access":["remove_file","make_reg","refer"],"src":"$D/a/f","dst":"$D/b/g"}` + "\n"},
		{name: "a directory over an empty directory", setup: func(t *testing.T, d string) {
			mkdir(t, d+"/x/s")
			mkdir(t, d+"/y/t")
		}, call: at(unix.SYS_RENAME, p("x/s"), p("y/t")),
			want: `{"syscall":"rename","path":"$D/x","type":"dir","access":["remove_dir","refer"],"src":"$D/x/s","dst":"$D/y/t"}` + "\n" +
				`{"syscall":"rename","path":"$D/y","type":"dir","access":["remove_dir","make_dir","refer"],"src":"$D/x/s","dst":"$D/y/t"}` + "\n"},
		{name: "a directory over a non-empty one is ENOTEMPTY", setup: func(t *testing.T, d string) {
			mkdir(t, d+"/x/s")
			writeFile(t, d+"/y/t/f", "x", 0o644)
		}, call: at(unix.SYS_RENAME, p("x/s"), p("y/t"))},
		{name: "a file over a directory is EISDIR", setup: hasDirs, call: at(unix.SYS_RENAME, p("a/f"), p("b"))},
		{name: "a directory into itself is EINVAL", setup: hasDirs, call: at(unix.SYS_RENAME, p("a"), p("a/sub"))},
		{name: "a symlink is renamed itself", setup: func(t *testing.T, d string) {
			hasDirs(t, d)
			symlink("a", d+"/l")
		}, call: at(unix.SYS_RENAME, p("l"), p("b/l")),
			want: `{"syscall":"rename","path":"$D","type":"dir","access":["remove_file","refer"],"src":"$D/l","dst":"$D/b/l"}` + "\n" +
				`{"syscall":"rename","path":"$D/b","type":"dir","access":["make_sym","refer"],"src":"$D/l","dst":"$D/b/l"}` + "\n"},
		{name: "missing source", call: at(unix.SYS_RENAME, p("nope"), p("g"))},
		{name: "across mounts is EXDEV", setup: hasFile, call: at(unix.SYS_RENAME, p("f"), s("/dev/shm/landlearn-rename-test"))},
		{name: "RENAME_EXCHANGE file and directory", setup: func(t *testing.T, d string) {
			writeFile(t, d+"/a/f", "x", 0o644)
			mkdir(t, d+"/b/e")
		}, call: func(t *testing.T, d string) *sysCall {
			fd := dirfd(t, d)
			return call(unix.SYS_RENAMEAT2, fd, cstr("a/f"), fd, cstr("b/e"), unix.RENAME_EXCHANGE)
		}, want: `{"syscall":"renameat2","path":"$D/a","type":"dir","access":["remove_file","make_dir","refer"],"src":"$D/a/f","dst":"$D/b/e"}` + "\n" +
			`{"syscall":"renameat2","path":"$D/b","type":"dir","access":["remove_dir","make_reg","refer"],"src":"$D/a/f","dst":"$D/b/e"}` + "\n"},
		{name: "RENAME_EXCHANGE in one directory", setup: func(t *testing.T, d string) {
			hasFile(t, d)
			unix.Mkfifo(d+"/p", 0o600)
		}, call: func(t *testing.T, d string) *sysCall {
			fd := dirfd(t, d)
			return call(unix.SYS_RENAMEAT2, fd, cstr("f"), fd, cstr("p"), unix.RENAME_EXCHANGE)
		}, want: `{"syscall":"renameat2","path":"$D","type":"dir","access":["remove_file","make_reg","make_fifo"],"src":"$D/f","dst":"$D/p"}` + "\n"},
		{name: "RENAME_EXCHANGE with a missing target is ENOENT", setup: hasFile, call: func(t *testing.T, d string) *sysCall {
			fd := dirfd(t, d)
			return call(unix.SYS_RENAMEAT2, fd, cstr("f"), fd, cstr("g"), unix.RENAME_EXCHANGE)
		}},
		{name: "RENAME_NOREPLACE onto an existing file is EEXIST", setup: func(t *testing.T, d string) {
			hasFile(t, d)
			writeFile(t, d+"/g", "x", 0o644)
		}, call: func(t *testing.T, d string) *sysCall {
			fd := dirfd(t, d)
			return call(unix.SYS_RENAMEAT2, fd, cstr("f"), fd, cstr("g"), unix.RENAME_NOREPLACE)
		}},
		{name: "RENAME_NOREPLACE to a free name", setup: hasFile, call: func(t *testing.T, d string) *sysCall {
			fd := dirfd(t, d)
			return call(unix.SYS_RENAMEAT2, fd, cstr("f"), fd, cstr("g"), unix.RENAME_NOREPLACE)
		}, want: `{"syscall":"renameat2","path":"$D","type":"dir","access":["remove_file","make_reg"],"src":"$D/f","dst":"$D/g"}` + "\n"},
		{name: "renameat", setup: hasDirs, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_RENAMEAT, dirfd(t, d+"/a"), cstr("f"), dirfd(t, d+"/b"), cstr("f"))
		}, want: `{"syscall":"renameat","path":"$D/a","type":"dir","access":["remove_file","refer"],"src":"$D/a/f","dst":"$D/b/f"}` + "\n" +
			`{"syscall":"renameat","path":"$D/b","type":"dir","access":["make_reg","refer"],"src":"$D/a/f","dst":"$D/b/f"}` + "\n"},
		{name: "sticky directory of another user is EPERM", creds: &[2]int{4242, 4242}, setup: func(t *testing.T, d string) {
			hasFile(t, d)
			os.Chmod(d, 0o1777)
		}, call: at(unix.SYS_RENAME, p("f"), p("g"))},
	}
	runRows(t, rows)
}

// TestMappingLinkTmpfile: an O_TMPFILE file gets its name with linkat of
// /proc/self/fd/N: make_reg on the new parent, refer on both, the
// source being the directory the file was made in.
func TestMappingLinkTmpfile(t *testing.T) {
	r := row{call: func(t *testing.T, d string) *sysCall {
		mkdir(t, d+"/tmp")
		fd, err := unix.Open(d+"/tmp", unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
		if err != nil {
			testkit.Skip(t, "O_TMPFILE: %v", err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		return call(unix.SYS_LINKAT, atFDCWD, cstr("/proc/self/fd/"+strconv.Itoa(fd)), atFDCWD, cstr(d+"/named"), unix.AT_SYMLINK_FOLLOW)
	}}
	d, _ := filepath.EvalSymlinks(t.TempDir())
	c := r.call(t, d)
	got := prepareCall(c, &selfTracee{}).Finish(nil)
	if len(got) != 2 || got[0].Path != d+"/tmp" || got[1].Path != d ||
		!strings.HasPrefix(got[0].Src, d+"/tmp/#") || got[1].Dst != d+"/named" ||
		g([]learn.Observation{got[1]}, d) != `{"syscall":"linkat","path":"$D","type":"dir","access":["make_reg","refer"],"src":"`+strings.ReplaceAll(got[1].Src, d, "$D")+`","dst":"$D/named"}` {
		t.Fatalf("got %s", g(got, d))
	}
	if _, errno := realSyscall(c, nil); errno != 0 {
		t.Fatalf("real linkat: %v", errno)
	}
	kernelCheck(t, r)
}
