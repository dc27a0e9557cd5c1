package policy

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// Group is a named set of system paths that a rule grants by name
// (`group: system`) instead of listing them. Its members are computed on
// the host where the policy is enforced or compared, because the same
// kind of file has another name on another release (libtinfo.so.6.4 or
// .6.5, python3.11 or python3.13, /usr/lib/gcc or /usr/libexec/gcc).
//
// Groups are read-only: a group rule may hold read_file, read_dir and
// execute, never a right that writes. Their members are public files of
// the operating system; a group never names a sensitive tree as a whole
// (its /etc members are single, public files or directories such as
// /etc/ld.so.cache and /etc/ssl/certs, never /etc or /etc/ssl/private).
type Group struct {
	Name string
	// Doc says, for people, what the group holds and how it is found.
	Doc string
	// Summary is Doc in a few words, for the comment above a rule.
	Summary string
	// members lists the group's paths on host h, absolute and clean;
	// missing ones are dropped by Resolve.
	members func(h Host) []string
}

// GroupRights are the rights a group rule may grant.
const GroupRights = FSExecute | FSReadFile | FSReadDir

// systemTrees are the read-only system trees of a Linux host. On a host
// with merged /usr, /bin, /lib... are symlinks into /usr and only /usr
// is a member; on one without, each is a tree of its own.
var systemTrees = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}

var groups = []Group{
	{
		Name:    "system",
		Summary: "the read-only system trees (/usr, and /bin, /lib... where they are not links into /usr)",
		Doc: "the read-only system trees: /usr, and /bin, /sbin, /lib, /lib32, /lib64 and /libx32 " +
			"where they are directories rather than links into /usr (programs, shared libraries, " +
			"the dynamic loader, interpreters' standard libraries, locale, zoneinfo, terminfo and gconv data)",
		members: func(h Host) []string {
			var out []string
			for _, t := range systemTrees {
				if h.isRealDir(t) {
					out = append(out, t)
				}
			}
			return out
		},
	},
	{
		Name:    "linker-config",
		Summary: "the dynamic linker's cache and configuration in /etc",
		Doc:     "the dynamic linker's cache and configuration: /etc/ld.so.cache, /etc/ld.so.conf, /etc/ld.so.conf.d, /etc/ld.so.preload",
		members: fixed("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/ld.so.preload"),
	},
	{
		Name:    "name-service",
		Summary: "the name service files in /etc (passwd, group, hosts, resolv.conf...)",
		Doc: "the C library's name service files: /etc/nsswitch.conf, /etc/passwd, /etc/group, /etc/hosts, " +
			"/etc/host.conf, /etc/resolv.conf, /etc/gai.conf, /etc/services, /etc/protocols, /etc/networks",
		members: fixed("/etc/nsswitch.conf", "/etc/passwd", "/etc/group", "/etc/hosts", "/etc/host.conf",
			"/etc/resolv.conf", "/etc/gai.conf", "/etc/services", "/etc/protocols", "/etc/networks"),
	},
	{
		Name:    "locale-config",
		Summary: "locale and time zone settings in /etc",
		Doc:     "locale and time zone settings: /etc/locale.alias, /etc/locale.conf, /etc/default/locale, /etc/localtime, /etc/timezone",
		members: fixed("/etc/locale.alias", "/etc/locale.conf", "/etc/default/locale", "/etc/localtime", "/etc/timezone"),
	},
	{
		Name:    "certificates",
		Summary: "the public TLS trust store (/etc/ssl/certs...), never /etc/ssl/private",
		Doc: "the public TLS trust store and OpenSSL's configuration: /etc/ssl/certs, /etc/ssl/openssl.cnf, " +
			"/etc/pki/tls/certs, /etc/pki/tls/cert.pem, /etc/pki/tls/openssl.cnf, /etc/pki/ca-trust/extracted (never /etc/ssl/private)",
		members: fixed("/etc/ssl/certs", "/etc/ssl/openssl.cnf", "/etc/pki/tls/certs", "/etc/pki/tls/cert.pem",
			"/etc/pki/tls/openssl.cnf", "/etc/pki/ca-trust/extracted"),
	},
	{
		Name:    "terminfo",
		Summary: "the local terminal database, /etc/terminfo",
		Doc:     "the local terminal database: /etc/terminfo (the packaged one is in the system group)",
		members: fixed("/etc/terminfo"),
	},
	{
		Name:    "own-cgroup",
		Summary: "the program's own cgroup directories",
		Doc: "the program's own cgroup directories, v1 and v2, as /proc/self/cgroup names them where " +
			"the policy is enforced (container runtimes put each container in a cgroup of its own name)",
		members: func(h Host) []string { return h.ownCgroups() },
	},
}

func fixed(paths ...string) func(Host) []string {
	return func(Host) []string { return paths }
}

// Groups returns every group landlearn knows, in the order of the table.
func Groups() []Group { return slices.Clone(groups) }

// LookupGroup returns the group named name.
func LookupGroup(name string) (Group, bool) {
	for _, g := range groups {
		if g.Name == name {
			return g, true
		}
	}
	return Group{}, false
}

// GroupNames lists the known group names, for messages and completion.
func GroupNames() []string {
	out := make([]string, len(groups))
	for i, g := range groups {
		out[i] = g.Name
	}
	return out
}

// Host is the system whose groups are resolved: the root of its file
// system ("" is "/"), for tests that build a small tree; the running
// process's /proc/self/cgroup is read from Root too.
type Host struct {
	Root string
}

func (h Host) abs(p string) string {
	if h.Root == "" || h.Root == "/" {
		return p
	}
	return h.Root + p
}

// isRealDir reports whether p is a directory, not a symlink to one.
func (h Host) isRealDir(p string) bool {
	st, err := os.Lstat(h.abs(p))
	return err == nil && st.IsDir()
}

// ownCgroups turns /proc/self/cgroup into the directories that hold this
// process's cgroups: "0::/a/b" is /sys/fs/cgroup/a/b on a cgroup v2 host
// (/sys/fs/cgroup/unified/a/b on a hybrid one); "4:memory:/a/b" is
// /sys/fs/cgroup/memory/a/b. A controller line whose path is "/" names
// the hierarchy's root, which is not the program's own and is left out.
func (h Host) ownCgroups() []string {
	data, err := os.ReadFile(h.abs("/proc/self/cgroup"))
	if err != nil {
		return nil
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "/") {
			continue
		}
		// Cleaned first: "/a/.." is the root too, and no ".." leads
		// out of the hierarchy.
		rel := path.Clean(parts[2])
		if rel == "/" {
			continue
		}
		var mounts []string
		if parts[1] == "" {
			mounts = []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}
		} else {
			ctrls := strings.TrimPrefix(parts[1], "name=")
			mounts = []string{"/sys/fs/cgroup/" + ctrls}
			for _, c := range strings.Split(ctrls, ",") {
				mounts = append(mounts, "/sys/fs/cgroup/"+c)
			}
		}
		for _, m := range mounts {
			if d := m + rel; h.isRealDir(d) {
				out = append(out, d)
				break
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Members returns the group's paths that exist on host h, where a
// member that holds one of anchors (the values of ${HOME}, ${PWD} and
// ${TMPDIR}) is replaced by its entries but the ones that lead to an
// anchor (see splitAround).
func (g Group) Members(h Host, anchors []string) []string {
	var out []string
	for _, m := range g.members(h) {
		if _, err := os.Lstat(h.abs(m)); err != nil {
			continue
		}
		out = append(out, splitAround(h, m, anchors)...)
	}
	return out
}

// splitAround returns tree, or, when tree holds an anchor, every entry of
// tree except those that are or hold an anchor. A checkout in
// /usr/src/app must not become readable through the system group, and
// neither must a secret beside it in /usr/src: Landlock has no
// exceptions, so the tree is granted entry by entry, without /usr/src.
// Symlinks among the entries are left out too: what they lead to is
// granted, or not, on its own.
func splitAround(h Host, tree string, anchors []string) []string {
	holds := func(dir string) bool {
		for _, a := range anchors {
			if a == dir || strings.HasPrefix(a, dir+"/") || dir == "/" {
				return true
			}
		}
		return false
	}
	if !holds(tree) {
		return []string{tree}
	}
	entries, err := os.ReadDir(h.abs(tree))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		child := path.Join(tree, e.Name())
		if e.Type()&fs.ModeSymlink == 0 && !holds(child) && !slices.Contains(anchors, tree) {
			out = append(out, child)
		}
	}
	return out
}
