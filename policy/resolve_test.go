package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// tree makes, under a fresh directory, the directories named with a
// trailing slash, the files, and the symlinks given as "name -> target".
func tree(t *testing.T, entries ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, e := range entries {
		p := filepath.Join(root, strings.Fields(e)[0])
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch name, target, link := strings.Cut(e, " -> "); {
		case link:
			err = os.Symlink(strings.ReplaceAll(target, "$ROOT", root), filepath.Join(root, name))
		case strings.HasSuffix(e, "/"):
			err = os.Mkdir(p, 0o755)
		default:
			err = os.WriteFile(p, []byte("secret\n"), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestResolveRefusesPlantedSymlinks is issue 12's first defect: a run
// that may create entries in a directory plants a symlink there, and the
// next run's rule follows it.
func TestResolveRefusesPlantedSymlinks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tree    []string
		policy  string
		vars    Vars // besides R, the tree's root
		line    int  // of the refused rule
		link    string
		because string
	}{{
		name: "the rule's file replaced by a symlink",
		tree: []string{"w/", "outside/shadow", "w/in.txt -> $ROOT/outside/shadow"},
		policy: `  - path: ${R}/w
    access: [make_sym, remove_file]
  - path: ${R}/w/in.txt
    access: [read_file]
`,
		line: 5, link: "w/in.txt", because: "the rule on line 3 lets the sandbox create, remove or rename entries there",
	}, {
		name: "a directory on the way replaced by a symlink",
		tree: []string{"w/", "outside/shadow", "w/data -> ../outside"},
		policy: `  - path: ${R}/w
    access: [make_dir, remove_dir, make_sym]
  - path: ${R}/w/data/shadow
    access: [read_file]
`,
		line: 5, link: "w/data", because: "the rule on line 3",
	}, {
		name: "a symlink deep beneath the changeable directory",
		tree: []string{"w/a/b/", "outside/shadow", "w/a/b/c -> $ROOT/outside"},
		policy: `  - path: ${R}/w
    access: [make_sym]
  - path: ${R}/w/a/b/c/shadow
    access: [read_file]
`,
		line: 5, link: "w/a/b/c", because: "beneath " + "$ROOT/w",
	}, {
		name: "the changeable directory named through another symlink",
		tree: []string{"w/", "outside/shadow", "alias -> w", "w/in.txt -> ../outside/shadow"},
		policy: `  - path: ${R}/alias
    access: [make_sym, remove_file]
  - path: ${R}/w/in.txt
    access: [read_file]
`,
		line: 5, link: "w/in.txt", because: "the rule on line 3",
	}, {
		name: "a rule that grants change rights on itself through the symlink",
		tree: []string{"w/x/", "w/x/up -> ..", "outside/"},
		policy: `  - path: ${R}/w/x/up
    access: [make_sym, read_dir]
`,
		line: 3, link: "w/x/up", because: "beneath $ROOT/w",
	}, {
		name: "make_sym not handled: the sandbox may plant it wherever this user may write",
		tree: []string{"w/", "outside/shadow", "w/in.txt -> $ROOT/outside/shadow"},
		policy: `  - path: ${R}/w/in.txt
    access: [read_file]
`,
		line: 5, link: "w/in.txt", because: "handled.fs leaves remove_dir, remove_file, make_char, make_dir, make_reg, make_sock, make_fifo, make_block, make_sym unrestricted, so the sandbox may use them wherever this user may write",
	}, {
		name: "a variable other than HOME and PWD is not trusted",
		tree: []string{"w/", "w/real/in.txt", "w/link -> real"},
		policy: `  - path: ${R}/w
    access: [make_sym]
  - path: ${DATA}/in.txt
    access: [read_file]
`,
		vars: Vars{"DATA": "$ROOT/w/link"},
		line: 5, link: "w/link", because: "the rule on line 3",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			root := tree(t, tc.tree...)
			handled := ""
			if strings.Contains(tc.name, "not handled") {
				handled = "handled:\n  fs: [read_file]\n"
			}
			p := mustLoad(t, "version: 2\n"+handled+"fs:\n"+tc.policy)
			vars := Vars{"R": root}
			for k, v := range tc.vars {
				vars[k] = strings.ReplaceAll(v, "$ROOT", root)
			}
			e, err := p.Expand(vars)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = e.Resolve()
			var le *LoadError
			link := filepath.Join(root, tc.link)
			because := strings.ReplaceAll(tc.because, "$ROOT", root)
			if !errors.Is(err, ErrRedirected) || !errors.As(err, &le) || le.Line != tc.line ||
				!strings.Contains(le.Msg, "symlink "+link+" ") && !strings.HasPrefix(le.Msg, link+" is a symlink") ||
				!strings.Contains(le.Msg, because) {
				t.Errorf("Resolve: %v\nwant line %d naming the symlink %s, because %q", err, tc.line, link, because)
			}
			if _, err := e.CheckFilesystem(); !errors.Is(err, ErrRedirected) {
				t.Errorf("CheckFilesystem: %v, want ErrRedirected", err)
			}
			if _, err := e.ResolveSymlinks(); !errors.Is(err, ErrRedirected) {
				t.Errorf("ResolveSymlinks: %v, want ErrRedirected", err)
			}
		})
	}
}

// TestResolveFollowsOtherSymlinks: symlinks that the sandbox cannot have
// planted keep working, and lead where the kernel would go.
func TestResolveFollowsOtherSymlinks(t *testing.T) {
	root := tree(t,
		"w/", "ro/", "data/in.txt",
		"ro/link -> ../data",             // in a directory no rule lets the sandbox change
		"w/real/in.txt", "w/pwd -> real", // ${PWD} itself goes through a symlink in w
		"w/h -> real", // and ${HOME} too
	)
	p := mustLoad(t, `version: 2
fs:
  - path: ${R}/w
    access: [make_sym, remove_file, make_dir, remove_dir, refer]
  - path: ${R}/ro/link/in.txt
    access: [read_file]
  - path: ${PWD}/in.txt
    access: [read_file]
  - path: ${HOME}
    access: [read_dir]
  - path: /proc/self/status
    access: [read_file]
`)
	e, err := p.Expand(Vars{"R": root, "PWD": root + "/w/pwd", "HOME": root + "/w/h"})
	if err != nil {
		t.Fatal(err)
	}
	targets, skipped, err := e.Resolve()
	if err != nil || skipped != nil {
		t.Fatalf("Resolve: %v, skipped %v", err, skipped)
	}
	self := "/proc/" + strconv.Itoa(os.Getpid()) + "/status"
	want := []string{root + "/w", root + "/data/in.txt", root + "/w/real/in.txt", root + "/w/real", self}
	for i, tg := range targets {
		st, err := os.Stat(want[i])
		if tg.Path != want[i] || err != nil || !os.SameFile(st, statOf(t, tg.Path)) {
			t.Errorf("rule %d leads to %s, want %s", i, tg.Path, want[i])
		}
	}

	// A policy that leaves make_sym unrestricted may still name the
	// kernel's own links.
	q := mustLoad(t, "version: 2\nhandled:\n  fs: [read_file]\nfs:\n  - path: /proc/self/status\n    access: [read_file]\n")
	if _, _, err := q.Resolve(); err != nil {
		t.Errorf("/proc/self with make_sym unhandled: %v", err)
	}
}

func statOf(t *testing.T, p string) os.FileInfo {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// BenchmarkResolve resolves a policy of 5,000 file rules beneath
// /usr/share, the size of a large learned policy (a fresh resolver each
// time, as each enforcement has).
func BenchmarkResolve(b *testing.B) {
	p := New(KernelABI)
	p.FS = append(p.FS, FSRule{Path: b.TempDir(), Access: ChangeRights})
	filepath.WalkDir("/usr/share", func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && len(p.FS) <= 5000 {
			p.FS = append(p.FS, FSRule{Path: path, Access: FSReadFile})
		}
		return nil
	})
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := p.Resolve(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestResolveRefusesOtherUsersSymlinkInSharedDir: in a directory every
// user may write (sticky, mode 1777), a symlink that belongs to another
// user, not the directory's owner, is refused as the kernel's
// fs.protected_symlinks would refuse it, also where that sysctl is 0: a
// ${TMPDIR}/app.cache planted by someone else must not lead a rule into
// a victim's files. The same link made by this user is followed.
func TestResolveRefusesOtherUsersSymlinkInSharedDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a symlink that belongs to another user")
	}
	root := tree(t, "shared/", "victim/.ssh/id")
	shared := filepath.Join(root, "shared")
	if err := os.Chmod(shared, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(shared, "app.cache")
	if err := os.Symlink(filepath.Join(root, "victim/.ssh"), link); err != nil {
		t.Fatal(err)
	}
	p := mustLoad(t, "version: 2\nfs:\n  - path: ${TMPDIR}/app.cache\n    access: [read_file]\n")
	e, err := p.Expand(Vars{"TMPDIR": shared, "HOME": "/home/u"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Resolve(); err != nil {
		t.Fatalf("this user's own link: %v", err)
	}
	const nobody = 65534
	if err := os.Lchown(link, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.Resolve()
	if !errors.Is(err, ErrRedirected) || !strings.Contains(err.Error(), link+" is a symlink") ||
		!strings.Contains(err.Error(), "belongs to uid 65534") || !strings.Contains(err.Error(), "another user may have planted it") {
		t.Errorf("another user's link: %v", err)
	}
	// Not in a shared directory: another user's link is as good as any.
	if err := os.Chmod(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Resolve(); err != nil {
		t.Errorf("another user's link in a private directory: %v", err)
	}
}
