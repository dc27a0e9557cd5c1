package policy

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// mount is one line of /proc/self/mountinfo: which file system (dev), which
// directory of it (root) is mounted where (point).
type mount struct{ dev, root, point string }

// readMounts reads this process's mount table, or returns an empty one.
func readMounts() []mount {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return []mount{}
	}
	return parseMounts(string(data))
}

// parseMounts parses mountinfo(5) text: "36 35 98:0 /mnt1 /mnt2 ...":
// field 3 is the device, 4 the root within it, 5 the mount point, both
// with spaces and other bytes octal-escaped (\040).
func parseMounts(text string) []mount {
	out := []mount{}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		out = append(out, mount{dev: f[2], root: unescapeMount(f[3]), point: unescapeMount(f[4])})
	}
	return out
}

func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mountAliases returns the other names that directory real (symlinks
// resolved) has in this mount table: the mount it lies in shows a
// directory of some file system, and where that file system is mounted
// elsewhere, the same directory is there too. A working directory bound
// from a checkout in /usr/src (mount --bind /usr/src/app /work) is also
// /usr/src/app, and the system group must be split around that name
// too. Names under a mount stacked on top are kept: an extra anchor only
// splits a group more finely.
func mountAliases(mounts []mount, real string) []string {
	in := -1
	for i, m := range mounts {
		if under(real, m.point) && (in < 0 || len(m.point) >= len(mounts[in].point)) {
			in = i // the last of the longest: the mount on top
		}
	}
	if in < 0 {
		return nil
	}
	m := mounts[in]
	fsPath := filepath.Join(m.root, strings.TrimPrefix(real, m.point))
	var out []string
	for _, n := range mounts {
		if n.dev != m.dev || !under(fsPath, n.root) {
			continue
		}
		alias := filepath.Join(n.point, strings.TrimPrefix(fsPath, n.root))
		if alias != real && !slices.Contains(out, alias) {
			out = append(out, alias)
		}
	}
	return out
}

// under reports whether p is dir or beneath it.
func under(p, dir string) bool {
	return dir == "/" || p == dir || strings.HasPrefix(p, dir+"/")
}
