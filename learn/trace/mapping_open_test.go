package trace

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/internal/testkit"
)

func openat(d, p string, flags int) func(*testing.T, string) *sysCall {
	return func(t *testing.T, dir string) *sysCall {
		return call(unix.SYS_OPENAT, dirfd(t, dir), cstr(p), uint64(flags), 0o644)
	}
}

func TestMappingOpen(t *testing.T) {
	file := func(t *testing.T, d string) { writeFile(t, d+"/f", "x", 0o644) }
	rows := []row{
		{name: "read", setup: file, call: openat("", "f", unix.O_RDONLY),
			want: `{"syscall":"openat","path":"$D/f","type":"file","access":["read_file"]}` + "\n"},
		{name: "write", setup: file, call: openat("", "f", unix.O_WRONLY),
			want: `{"syscall":"openat","path":"$D/f","type":"file","access":["write_file"]}` + "\n"},
		{name: "read-write", setup: file, call: openat("", "f", unix.O_RDWR),
			want: `{"syscall":"openat","path":"$D/f","type":"file","access":["write_file","read_file"]}` + "\n"},
		{name: "accmode 3 needs no right", free: true, setup: file, call: openat("", "f", 3)},
		{name: "directory", call: openat("", ".", unix.O_RDONLY|unix.O_DIRECTORY),
			want: `{"syscall":"openat","path":"$D","type":"dir","access":["read_dir"]}` + "\n"},
		{name: "directory for writing is EISDIR", call: openat("", ".", unix.O_WRONLY)},
		{name: "O_TRUNC on a directory is EISDIR", call: openat("", ".", unix.O_RDONLY|unix.O_TRUNC)},
		{name: "O_DIRECTORY on a file is ENOTDIR", setup: file, call: openat("", "f", unix.O_RDONLY|unix.O_DIRECTORY)},
		{name: "missing", call: openat("", "nope", unix.O_RDONLY)},
		{name: "missing parent", call: openat("", "no/f", unix.O_RDONLY|unix.O_CREAT)},
		{name: "through a file is ENOTDIR", setup: file, call: openat("", "f/g", unix.O_RDONLY)},
		{name: "O_CREAT creates", call: openat("", "new", unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC),
			want: `{"syscall":"openat","path":"$D","type":"dir","access":["make_reg"],"created":true,"dst":"$D/new"}` + "\n" +
				`{"syscall":"openat","path":"$D/new","type":"file","access":["write_file"],"created":true}` + "\n"},
		{name: "O_CREAT opens an existing file", setup: file, call: openat("", "f", unix.O_RDWR|unix.O_CREAT),
			want: `{"syscall":"openat","path":"$D/f","type":"file","access":["write_file","read_file"]}` + "\n"},
		{name: "O_CREAT|O_EXCL on an existing file is EEXIST", setup: file, call: openat("", "f", unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL)},
		{name: "O_CREAT name/ is EISDIR", call: openat("", "new/", unix.O_WRONLY|unix.O_CREAT)},
		{name: "O_TRUNC existing", setup: file, call: openat("", "f", unix.O_WRONLY|unix.O_TRUNC),
			want: `{"syscall":"openat","path":"$D/f","type":"file","access":["write_file","truncate"]}` + "\n"},
		{name: "O_TRUNC read-only", setup: file, call: openat("", "f", unix.O_RDONLY|unix.O_TRUNC),
			want: `{"syscall":"openat","path":"$D/f","type":"file","access":["read_file","truncate"]}` + "\n"},
		{name: "O_TRUNC on a fifo", setup: func(t *testing.T, d string) { unix.Mkfifo(d+"/p", 0o644) },
			call: openat("", "p", unix.O_RDWR|unix.O_TRUNC),
			want: `{"syscall":"openat","path":"$D/p","type":"fifo","access":["write_file","read_file"]}` + "\n"},
		// sock_no_open's ENXIO comes after Landlock's check of the open:
		// without read_file it is EACCES, and a denial in the audit log.
		{name: "a unix socket file is ENXIO after the hook", noReal: true, setup: func(t *testing.T, d string) {
			fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			if err := unix.Bind(fd, &unix.SockaddrUnix{Name: d + "/s"}); err != nil {
				t.Fatal(err)
			}
			if _, err := unix.Open(d+"/s", unix.O_RDONLY, 0); err != unix.ENXIO {
				t.Fatalf("open of a socket file: %v, want ENXIO", err)
			}
		}, call: openat("", "s", unix.O_RDONLY),
			want: `{"syscall":"openat","path":"$D/s","type":"sock","access":["read_file"]}` + "\n"},
		{name: "O_TRUNC on a device", call: openat("", "/dev/null", unix.O_WRONLY|unix.O_TRUNC),
			want: `{"syscall":"openat","path":"/dev/null","type":"char","access":["write_file"]}` + "\n"},
		{name: "O_PATH", free: true, setup: file, call: openat("", "f", unix.O_PATH|unix.O_RDWR)},
		{name: "O_TMPFILE read-write", call: openat("", ".", unix.O_TMPFILE|unix.O_RDWR),
			want: `{"syscall":"openat","path":"$D","type":"dir","access":["write_file","read_file"]}` + "\n"},
		{name: "O_TMPFILE write", call: openat("", ".", unix.O_TMPFILE|unix.O_WRONLY),
			want: `{"syscall":"openat","path":"$D","type":"dir","access":["write_file"]}` + "\n"},
		{name: "O_TMPFILE with O_CREAT is EINVAL", call: openat("", ".", unix.O_TMPFILE|unix.O_RDWR|unix.O_CREAT)},
		{name: "__O_TMPFILE without O_DIRECTORY is EINVAL", call: openat("", ".", oTmpfileBit|unix.O_RDWR)},
		{name: "O_CREAT|O_DIRECTORY is EINVAL", call: openat("", "new", unix.O_CREAT|unix.O_DIRECTORY|unix.O_RDONLY)},
		{name: "O_TMPFILE read-only is EINVAL", call: openat("", ".", unix.O_TMPFILE|unix.O_RDONLY)},
		{name: "symlink followed", setup: func(t *testing.T, d string) {
			file(t, d)
			mkdir(t, d+"/sub")
			symlink("../f", d+"/sub/l")
			symlink(d+"/sub/l", d+"/abs")
		}, call: openat("", "abs", unix.O_RDONLY),
			want: `{"syscall":"openat","path":"$D/f","type":"file","access":["read_file"]}` + "\n"},
		{name: "symlinked directory then ..", setup: func(t *testing.T, d string) {
			file(t, d)
			mkdir(t, d+"/a/b")
			symlink("a/b", d+"/lb")
		}, call: openat("", "lb/../../f", unix.O_RDONLY),
			want: `{"syscall":"openat","path":"$D/f","type":"file","access":["read_file"]}` + "\n"},
		{name: "O_NOFOLLOW on a symlink is ELOOP", setup: func(t *testing.T, d string) {
			file(t, d)
			symlink("f", d+"/l")
		}, call: openat("", "l", unix.O_RDONLY|unix.O_NOFOLLOW)},
		{name: "symlink loop is ELOOP", setup: func(t *testing.T, d string) {
			symlink("b", d+"/a")
			symlink("a", d+"/b")
		}, call: openat("", "a", unix.O_RDONLY)},
		{name: "O_CREAT through a dangling symlink creates its target", setup: func(t *testing.T, d string) {
			mkdir(t, d+"/t")
			symlink("t/new", d+"/l")
		}, call: openat("", "l", unix.O_WRONLY|unix.O_CREAT),
			want: `{"syscall":"openat","path":"$D/t","type":"dir","access":["make_reg"],"created":true,"dst":"$D/t/new"}` + "\n" +
				`{"syscall":"openat","path":"$D/t/new","type":"file","access":["write_file"],"created":true}` + "\n"},
		{name: "O_CREAT|O_EXCL on a dangling symlink is EEXIST", setup: func(t *testing.T, d string) {
			symlink("new", d+"/l")
		}, call: openat("", "l", unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL)},
		{name: "open without dirfd", setup: file, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_OPEN, cstr(d+"/f"), unix.O_RDONLY)
		}, want: `{"syscall":"open","path":"$D/f","type":"file","access":["read_file"]}` + "\n"},
		{name: "creat of an existing file truncates", setup: file, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_CREAT, cstr(d+"/f"), 0o644)
		}, want: `{"syscall":"creat","path":"$D/f","type":"file","access":["write_file","truncate"]}` + "\n"},
		{name: "creat of a new file", call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_CREAT, cstr(d+"/g"), 0o644)
		}, want: `{"syscall":"creat","path":"$D","type":"dir","access":["make_reg"],"created":true,"dst":"$D/g"}` + "\n" +
			`{"syscall":"creat","path":"$D/g","type":"file","access":["write_file"],"created":true}` + "\n"},
		{name: "cwd-relative", setup: file, call: func(t *testing.T, d string) *sysCall {
			t.Chdir(d)
			return call(unix.SYS_OPENAT, atFDCWD, cstr("./f"), unix.O_RDONLY)
		}, want: `{"syscall":"openat","path":"$D/f","type":"file","access":["read_file"]}` + "\n"},
		{name: "/proc/self/fd reopen is the file", setup: file, call: func(t *testing.T, d string) *sysCall {
			fd, err := unix.Open(d+"/f", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(fd) })
			return call(unix.SYS_OPENAT, atFDCWD, cstr("/proc/self/fd/"+strconv.Itoa(fd)), unix.O_WRONLY)
		}, want: `{"syscall":"openat","path":"$D/f","type":"file","access":["write_file"]}` + "\n"},
		{name: "/proc/self/fd of a pipe needs nothing", call: func(t *testing.T, d string) *sysCall {
			var p [2]int
			if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
			return call(unix.SYS_OPENAT, atFDCWD, cstr("/proc/self/fd/"+strconv.Itoa(p[0])), unix.O_RDONLY)
		}, noReal: true},
		{name: "/proc/self/status is the caller's", call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_OPEN, cstr("/proc/self/status"), unix.O_RDONLY)
		}, want: `{"syscall":"open","path":"/proc/` + strconv.Itoa(os.Getpid()) + `/status","type":"file","access":["read_file"]}` + "\n"},
	}
	runRows(t, rows)
}

func TestMappingOpenCreds(t *testing.T) {
	needRoot(t)
	user := &[2]int{4242, 4242}
	rows := []row{
		{name: "unreadable file", creds: user, setup: func(t *testing.T, d string) {
			writeFile(t, d+"/f", "x", 0o600)
			os.Chmod(d, 0o755)
		}, call: openat("", "f", unix.O_RDONLY)},
		{name: "readable by others", creds: user, setup: func(t *testing.T, d string) {
			writeFile(t, d+"/f", "x", 0o644)
			os.Chmod(d, 0o755)
		}, call: openat("", "f", unix.O_RDONLY),
			want: `{"syscall":"openat","path":"$D/f","type":"file","access":["read_file"]}` + "\n"},
		{name: "owner may write", creds: user, setup: func(t *testing.T, d string) {
			writeFile(t, d+"/f", "x", 0o600)
			os.Chown(d+"/f", 4242, 4242)
			os.Chmod(d, 0o755)
		}, call: openat("", "f", unix.O_WRONLY),
			want: `{"syscall":"openat","path":"$D/f","type":"file","access":["write_file"]}` + "\n"},
		{name: "unsearchable directory", creds: user, setup: func(t *testing.T, d string) {
			writeFile(t, d+"/s/f", "x", 0o644)
			os.Chmod(d+"/s", 0o700)
			os.Chmod(d, 0o755)
		}, call: openat("", "s/f", unix.O_RDONLY)},
		{name: "create in a read-only directory", creds: user, setup: func(t *testing.T, d string) {
			os.Chmod(d, 0o755)
		}, call: openat("", "new", unix.O_WRONLY|unix.O_CREAT)},
	}
	runRows(t, rows)
}

func TestMappingOpenat2(t *testing.T) {
	how := func(flags, resolve uint64) uint64 {
		var b [24]byte
		binary.LittleEndian.PutUint64(b[0:], flags)
		binary.LittleEndian.PutUint64(b[16:], resolve)
		return mem(b[:])
	}
	rows := []row{
		{name: "read", setup: func(t *testing.T, d string) { writeFile(t, d+"/f", "x", 0o644) },
			call: func(t *testing.T, d string) *sysCall {
				return call(unix.SYS_OPENAT2, dirfd(t, d), cstr("f"), how(unix.O_RDONLY, 0), 24)
			}, want: `{"syscall":"openat2","path":"$D/f","type":"file","access":["read_file"]}` + "\n"},
		{name: "RESOLVE_NO_SYMLINKS", setup: func(t *testing.T, d string) {
			writeFile(t, d+"/f", "x", 0o644)
			symlink("f", d+"/l")
		}, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_OPENAT2, dirfd(t, d), cstr("l"), how(unix.O_RDONLY, unix.RESOLVE_NO_SYMLINKS), 24)
		}},
		{name: "RESOLVE_IN_ROOT", setup: func(t *testing.T, d string) {
			writeFile(t, d+"/etc/f", "x", 0o644)
			symlink("/etc/f", d+"/l")
		}, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_OPENAT2, dirfd(t, d), cstr("/l"), how(unix.O_RDONLY, unix.RESOLVE_IN_ROOT), 24)
		}, want: `{"syscall":"openat2","path":"$D/etc/f","type":"file","access":["read_file"]}` + "\n"},
		{name: "O_CREAT", call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_OPENAT2, dirfd(t, d), cstr("n"), how(unix.O_RDWR|unix.O_CREAT, 0), 24)
		}, want: `{"syscall":"openat2","path":"$D","type":"dir","access":["make_reg"],"created":true,"dst":"$D/n"}` + "\n" +
			`{"syscall":"openat2","path":"$D/n","type":"file","access":["write_file","read_file"],"created":true}` + "\n"},
	}
	runRows(t, rows)
}

func TestMappingTruncate(t *testing.T) {
	file := func(t *testing.T, d string) { writeFile(t, d+"/f", "xyz", 0o644) }
	rows := []row{
		{name: "truncate", setup: file, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_TRUNCATE, cstr(d+"/f"), 1)
		}, want: `{"syscall":"truncate","path":"$D/f","type":"file","access":["truncate"]}` + "\n"},
		{name: "truncate through a symlink", setup: func(t *testing.T, d string) {
			file(t, d)
			symlink("f", d+"/l")
		}, call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_TRUNCATE, cstr(d+"/l"), 1)
		}, want: `{"syscall":"truncate","path":"$D/f","type":"file","access":["truncate"]}` + "\n"},
		{name: "truncate a directory is EISDIR", call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_TRUNCATE, cstr(d), 1)
		}},
		{name: "truncate a missing file", call: func(t *testing.T, d string) *sysCall {
			return call(unix.SYS_TRUNCATE, cstr(d+"/nope"), 1)
		}},
		{name: "ftruncate", setup: file, noKernel: openedBefore, call: func(t *testing.T, d string) *sysCall {
			fd, err := unix.Open(d+"/f", unix.O_RDWR|unix.O_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(fd) })
			return call(unix.SYS_FTRUNCATE, uint64(fd), 1)
		}, want: `{"syscall":"ftruncate","path":"$D/f","type":"file","access":["truncate"]}` + "\n"},
		{name: "ftruncate of a read-only fd is EINVAL", setup: file, call: func(t *testing.T, d string) *sysCall {
			fd, err := unix.Open(d+"/f", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(fd) })
			return call(unix.SYS_FTRUNCATE, uint64(fd), 1)
		}},
		{name: "ftruncate of a memfd", call: func(t *testing.T, d string) *sysCall {
			fd, err := unix.MemfdCreate("m", unix.MFD_CLOEXEC)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Close(fd) })
			return call(unix.SYS_FTRUNCATE, uint64(fd), 1)
		}, noReal: true},
	}
	runRows(t, rows)
}

// TestMappingOpenByHandle: the default mode cannot name the file and
// warns; accurate mode gives the open's rights on the fd's real path.
func TestMappingOpenByHandle(t *testing.T) {
	d := t.TempDir()
	writeFile(t, d+"/f", "x", 0o644)
	c := call(unix.SYS_OPEN_BY_HANDLE_AT, atFDCWD, 0, unix.O_RDWR|unix.O_TRUNC)
	p := prepareCall(c, &selfTracee{})
	got := p.Finish(nil)
	if len(got) != 1 || got[0].Warning == "" || got[0].Path != "" {
		t.Fatalf("default mode: %v", got)
	}
	acc := p.Finish(&callResult{Ret: 3, FDPath: d + "/f"})
	want := `{"syscall":"open_by_handle_at","path":"$D/f","type":"file","access":["write_file","read_file","truncate"]}` + "\n"
	if g := render(acc, d); g != want {
		t.Fatalf("accurate mode: %s", g)
	}
	if got := p.Finish(&callResult{Ret: -int64(unix.EPERM)}); len(got) != 0 {
		t.Fatalf("a failed open_by_handle_at gave %v", got)
	}
	if prepareCall(call(unix.SYS_OPEN_BY_HANDLE_AT, atFDCWD, 0, unix.O_PATH), &selfTracee{}) != nil {
		t.Fatal("an O_PATH open_by_handle_at gave observations")
	}
}

// TestMappingI386Paths: i386 calls carry 32-bit pointers and their own
// numbers (truncate64, creat, openat).
func TestMappingI386Paths(t *testing.T) {
	low, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_32BIT)
	if err != nil {
		testkit.Skip(t, "no MAP_32BIT memory: %v", err)
	}
	defer unix.Munmap(low)
	d, _ := filepath.EvalSymlinks(t.TempDir())
	writeFile(t, d+"/f", "xyz", 0o644)
	copy(low, d+"/f\x00")
	base := uint64(uintptr(unsafe.Pointer(&low[0])))
	for _, tt := range []struct {
		nr   int
		args [6]uint64
		want string
	}{
		{193, [6]uint64{base, 1, 0}, `{"syscall":"truncate64","path":"$D/f","type":"file","access":["truncate"]}`},
		{8, [6]uint64{base | 0xffff_0000_0000, 0o644}, `{"syscall":"creat","path":"$D/f","type":"file","access":["write_file","truncate"]}`},
		{295, [6]uint64{0xffffff9c, base, unix.O_RDONLY}, `{"syscall":"openat","path":"$D/f","type":"file","access":["read_file"]}`},
	} {
		c := &sysCall{Seq: 1, PID: os.Getpid(), TID: unix.Gettid(), Arch: abiI386, Nr: tt.nr, Args: tt.args}
		p := prepareCall(c, &selfTracee{})
		if p == nil {
			t.Errorf("i386 %s: nothing", syscallName(abiI386, tt.nr))
			continue
		}
		if g := render(p.Finish(nil), d); g != tt.want+"\n" {
			t.Errorf("i386 %s: %s", syscallName(abiI386, tt.nr), g)
		}
	}
}

// TestMappingProtected: fs.protected_symlinks, protected_regular and
// protected_fifos refuse some opens in sticky directories, root's too.
// The test turns them on (and restores them) so that the kernel can
// confirm each prediction.
func TestMappingProtected(t *testing.T) {
	needRoot(t)
	for name, v := range map[string]string{"protected_symlinks": "1", "protected_regular": "2", "protected_fifos": "2"} {
		p := "/proc/sys/fs/" + name
		old, err := os.ReadFile(p)
		if err != nil {
			testkit.Skip(t, "%s: %v", p, err)
		}
		if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
			testkit.Skip(t, "cannot set %s: %v", p, err)
		}
		t.Cleanup(func() { os.WriteFile(p, old, 0o644) })
	}
	const other = 4242
	sticky := func(mode os.FileMode) func(*testing.T, string) {
		return func(t *testing.T, d string) {
			mkdir(t, d+"/st")
			os.Chmod(d+"/st", mode)
			writeFile(t, d+"/st/theirs", "x", 0o666)
			os.Chown(d+"/st/theirs", other, other)
			writeFile(t, d+"/target", "x", 0o644)
			symlink(d+"/target", d+"/st/their-link")
			os.Lchown(d+"/st/their-link", other, other)
			symlink(d+"/target", d+"/st/root-link")
			mkdir(t, d+"/realdir")
			writeFile(t, d+"/realdir/f", "x", 0o644)
			symlink(d+"/realdir", d+"/st/their-dirlink")
			os.Lchown(d+"/st/their-dirlink", other, other)
			unix.Mkfifo(d+"/st/their-fifo", 0o666)
			os.Chown(d+"/st/their-fifo", other, other)
		}
	}
	world := sticky(os.ModeSticky | 0o777)
	rows := []row{
		{name: "their symlink in a sticky world-writable directory", setup: world, call: openat("", "st/their-link", unix.O_RDONLY)},
		{name: "their symlink as a directory on the way (only trailing links are checked)", setup: world, call: openat("", "st/their-dirlink/f", unix.O_RDONLY),
			want: `{"syscall":"openat","path":"$D/realdir/f","type":"file","access":["read_file"]}` + "\n"},
		{name: "the directory owner's symlink", setup: world, call: openat("", "st/root-link", unix.O_RDONLY),
			want: `{"syscall":"openat","path":"$D/target","type":"file","access":["read_file"]}` + "\n"},
		{name: "their symlink not followed (O_NOFOLLOW|O_PATH)", free: true, setup: world, call: openat("", "st/their-link", unix.O_PATH|unix.O_NOFOLLOW)},
		{name: "O_CREAT of their file", setup: world, call: openat("", "st/theirs", unix.O_WRONLY|unix.O_CREAT)},
		{name: "their file without O_CREAT", setup: world, call: openat("", "st/theirs", unix.O_WRONLY),
			want: `{"syscall":"openat","path":"$D/st/theirs","type":"file","access":["write_file"]}` + "\n"},
		{name: "O_CREAT of their file in a sticky group-writable directory (level 2)", setup: sticky(os.ModeSticky | 0o770),
			call: openat("", "st/theirs", unix.O_WRONLY|unix.O_CREAT)},
		{name: "O_CREAT of their FIFO", setup: world, call: openat("", "st/their-fifo", unix.O_RDWR|unix.O_CREAT)},
		{name: "O_CREAT of their file in a plain sticky directory", setup: sticky(os.ModeSticky | 0o755),
			call: openat("", "st/theirs", unix.O_WRONLY|unix.O_CREAT),
			want: `{"syscall":"openat","path":"$D/st/theirs","type":"file","access":["write_file"]}` + "\n"},
	}
	runRows(t, rows)
}

// TestOpenFailedKeeps: an O_TRUNC open that the file's own open refuses
// (a lease break's EAGAIN) keeps its open rights in accurate mode, not
// truncate, which Landlock checks once the file is open; one refused by
// a permission check keeps nothing.
func TestOpenFailedKeeps(t *testing.T) {
	d := t.TempDir()
	writeFile(t, d+"/f", "x", 0o644)
	p := prepareCall(call(unix.SYS_OPENAT, atFDCWD, cstr(d+"/f"), unix.O_WRONLY|unix.O_TRUNC), &selfTracee{})
	if g := render(p.Finish(&callResult{Ret: -int64(unix.EAGAIN)}), d); g != `{"syscall":"openat","path":"$D/f","type":"file","access":["write_file"]}`+"\n" {
		t.Errorf("EAGAIN kept %s", g)
	}
	if got := p.Finish(&callResult{Ret: -int64(unix.EACCES)}); len(got) != 0 {
		t.Errorf("EACCES kept %v", got)
	}
	if g := render(p.Finish(nil), d); g != `{"syscall":"openat","path":"$D/f","type":"file","access":["write_file","truncate"]}`+"\n" {
		t.Errorf("the prediction lost truncate: %s", g)
	}
}
