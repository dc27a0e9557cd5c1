package main

// Cross-host tests (issue 11): a policy enforced inside a root of Debian 13
// (trixie) with chroot, while this host may run another release. The
// harness is in chrootbox_test.go.

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// crossCanary is an access that every policy of these tests must deny
// inside the root, and that the same command without the sandbox does.
type crossCanary struct {
	name string
	argv []string
	// secret must not be on stdout when the sandbox denies the canary.
	secret string
	// file (a path inside the root) must not exist after the canary; the
	// program may make it a directory (git init).
	file string
}

// crossCanaries puts the canaries in the box: a secret beside the
// working directory, a file in /root, ~/.ssh, /etc/shadow, and a write to
// /etc. Each is tried with cat or sh, and, when read or write is not nil,
// with the program's own way to print a file or to create one (given an
// absolute path), since a policy learned for a program grants that
// program, not cat. They are removed when the test ends.
func crossCanaries(t *testing.T, b *chrootBox, read, write func(path string) []string) []crossCanary {
	t.Helper()
	secret := fmt.Sprintf("landlearn-crosshost-secret-%d", os.Getpid())
	rootSecret := fmt.Sprintf("/root/.landlearn-crosshost-secret-%d", os.Getpid())
	etcFile := fmt.Sprintf("/etc/landlearn-crosshost-canary-%d", os.Getpid())
	b.WriteFiles(t, "/", map[string]string{
		strings.TrimPrefix(rootSecret, "/"): secret + "\n",
	})
	b.WriteFiles(t, b.Dir, map[string]string{
		"secret":               secret + "\n",
		"home/.ssh/id_ed25519": secret + "\n",
	})
	t.Cleanup(func() {
		os.Remove(b.Host(rootSecret))
		os.RemoveAll(b.Host(etcFile))
	})
	var canaries []crossCanary
	for _, f := range []struct{ name, path, abs, secret string }{
		{"/etc/shadow", "/etc/shadow", "/etc/shadow", "root:"},
		{"../secret", "../secret", b.Dir + "/secret", secret},
		{"a file in /root", rootSecret, rootSecret, secret},
		{"~/.ssh/id_ed25519", b.Home + "/.ssh/id_ed25519", b.Home + "/.ssh/id_ed25519", secret},
	} {
		canaries = append(canaries, crossCanary{name: "cat " + f.name, argv: []string{"cat", f.path}, secret: f.secret})
		if read != nil {
			canaries = append(canaries, crossCanary{name: "the program reads " + f.name, argv: read(f.abs), secret: f.secret})
		}
	}
	canaries = append(canaries, crossCanary{name: "sh writes to /etc", argv: []string{"sh", "-c", "echo x > " + etcFile}, file: etcFile})
	if write != nil {
		canaries = append(canaries, crossCanary{name: "the program writes to /etc", argv: write(etcFile), file: etcFile})
	}
	return canaries
}

// leaked says what the canary got: "" when it got nothing.
func (c crossCanary) leaked(b *chrootBox, r cliResult) string {
	if c.secret != "" && strings.Contains(r.stdout, c.secret) {
		return fmt.Sprintf("printed %q", c.secret)
	}
	if c.file != "" {
		if _, err := os.Lstat(b.Host(c.file)); err == nil {
			return fmt.Sprintf("created %s", c.file)
		}
	}
	return ""
}

// checkCanaries runs each canary in the box's working directory, first
// without a sandbox, where it must get the secret or create the file (so
// that a denial means something), then under policy (a path inside the
// root), where it must get nothing. Its exit status under the policy does
// not count: sqlite3's readfile() of a file it cannot open is NULL and
// exit 0.
func checkCanaries(t *testing.T, b *chrootBox, policy string, canaries []crossCanary) {
	t.Helper()
	for _, c := range canaries {
		r := b.Run(t, b.Work, c.argv...)
		if c.leaked(b, r) == "" || r.code != 0 {
			t.Fatalf("canary %q does not work without a sandbox inside the root, so its denial would prove nothing: exit %d\nstdout: %.300q\nstderr:\n%s", c.name, r.code, r.stdout, r.stderr)
		}
		if c.file != "" {
			if err := os.RemoveAll(b.Host(c.file)); err != nil {
				t.Fatal(err)
			}
		}
		r = b.RunLandlearn(t, b.Work, append([]string{"run", "-p", policy, "--"}, c.argv...)...)
		if got := c.leaked(b, r); got != "" {
			t.Errorf("canary %q was not denied inside the root: %s, exit %d\nstdout: %.300q\nstderr:\n%s", c.name, got, r.code, r.stdout, r.stderr)
		}
	}
}

// portablePolicy is written by hand to hold on any merged-/usr Debian: the
// system's programs and libraries beneath /usr, the loader's cache, and
// the working directory.
const portablePolicy = `# Written by hand for the cross-host test.
version: 1
abi: 7
compat: best-effort
handled:
  fs: all
  net: [bind_tcp, connect_tcp]
  scoped: [abstract_unix_socket, signal]
fs:
  - path: /usr
    access: [execute, read_file, read_dir]
  - path: /etc/ld.so.cache
    access: [read_file]
  - path: /dev/null
    access: [read_file, write_file]
  - path: ${PWD}
    access: [read_file, read_dir, write_file, truncate, make_reg, make_dir]
`

// TestCrossHostHandWritten enforces a hand-written portable policy inside
// the Debian 13 root: tar+gzip works under it, twice in the same place,
// and the canaries stay denied, to cat and to tar.
func TestCrossHostHandWritten(t *testing.T) {
	b := newChrootBox(t)
	if r := b.Run(t, b.Work, "cat", "/etc/debian_version"); r.code != 0 || !strings.HasPrefix(r.stdout, "13.") {
		t.Fatalf("the root is not Debian 13: exit %d, /etc/debian_version %q\n%s", r.code, r.stdout, r.stderr)
	}
	pol := b.Dir + "/portable.yaml"
	b.WriteFiles(t, b.Dir, map[string]string{"portable.yaml": portablePolicy})
	b.WriteFiles(t, b.Work, map[string]string{"src/a.txt": "a\n", "src/b/c.txt": "c\n"})
	canaries := crossCanaries(t, b,
		func(p string) []string { return []string{"tar", "cf", "-", p} },
		func(p string) []string { return []string{"tar", "czf", p, "src"} })

	for range 2 {
		r := b.RunLandlearn(t, b.Work, "run", "-p", pol, "--", "tar", "czf", "out.tgz", "src")
		if r.code != 0 {
			t.Fatalf("tar under the portable policy inside the root: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
	}
	r := b.RunLandlearn(t, b.Work, "run", "-p", pol, "--", "tar", "tzf", "out.tgz")
	got := strings.Fields(r.stdout)
	slices.Sort(got)
	if want := []string{"src/", "src/a.txt", "src/b/", "src/b/c.txt"}; r.code != 0 || !slices.Equal(got, want) {
		t.Errorf("tar tzf under the portable policy: exit %d, %q, want %q\nstderr:\n%s", r.code, got, want, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(b.Host(b.Work), "out.tgz")); err != nil {
		t.Errorf("out.tgz is not in the working directory on the host's side: %v", err)
	}
	checkCanaries(t, b, pol, canaries)
}
