package minimize

import (
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/landlearn/landlearn/policy"
)

// genReason is why a path was generalized to a directory (rule 7).
type genReason uint8

const (
	genNone genReason = iota
	genPty
	genPid
	genTid
	genMkstemp
)

// String is the reason for provenance comments: what varies from run to
// run; "" for genNone.
func (r genReason) String() string {
	return [...]string{
		genPty:     "pty numbers change from run to run",
		genPid:     "pids change from run to run",
		genTid:     "thread ids change from run to run",
		genMkstemp: "mkstemp-style random names change from run to run",
	}[r]
}

// generalize applies rule 7 to the resolved path p that process pid
// accessed. It returns the path the grant should name and, when that is a
// directory standing for a varying name, why.
//
// /proc/PID/... becomes /proc/self/... only for the run's first process:
// `landlearn run` execs the program in place, so /proc/self resolved when
// the ruleset is built is that process's directory. A child's /proc/PID
// has another inode in every run, and only a rule on /proc covers it.
func (b *Builder) generalize(p string, pid int) (string, genReason) {
	if rest, ok := strings.CutPrefix(p, "/proc/"); ok {
		first, tail, _ := strings.Cut(rest, "/")
		// /proc/1 is init's in every run: it stays as it is.
		if n, ok := atoi(first); ok && n > 1 {
			if n != pid || n != b.runRoot {
				return "/proc", genPid
			}
			if t, ok := strings.CutPrefix(tail, "task/"); ok && t != "" {
				return "/proc/self/task", genTid
			}
			if tail == "" {
				return "/proc/self", genNone
			}
			return "/proc/self/" + tail, genNone
		}
		return p, genNone
	}
	if rest, ok := strings.CutPrefix(p, "/dev/pts/"); ok {
		if _, ok := atoi(rest); ok {
			return "/dev/pts", genPty
		}
	}
	// A variable's directory (a mktemp'd ${PWD} such as
	// /tmp/ci-build.Q3xZ1a) existed before the run and stands for itself:
	// the variable, not a parent rule, keeps it portable.
	if b.isAnchor(p) {
		return p, genNone
	}
	// Names holding the pid (sh-thd.12345, app.12345.lock) are looked for
	// only where programs put such files: elsewhere a pid of 311 would
	// also match _ssl.cpython-311-x86_64-linux-gnu.so.
	if pid >= 100 && b.inRuntimeDir(p) {
		if pid != b.lastPid {
			b.lastPid, b.lastPidText = pid, strconv.Itoa(pid)
		}
		if d, ok := cutPidComponent(p, b.lastPidText); ok {
			return d, genPid
		}
	}
	if dir, base := path.Split(p); looksMkstemp(base) {
		if dir = path.Clean(dir); b.isTempDir(dir) {
			return dir, genMkstemp
		}
	}
	return p, genNone
}

// atoi is strconv.Atoi without the error value, which costs an
// allocation: the /proc/sys and /proc/self of every process are
// generalized again.
func atoi(s string) (int, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && c != '+' && c != '-' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// anchorDirs returns the values of vars, cleaned and symlink-resolved,
// leaving out "/" and relative values.
func anchorDirs(vars policy.Vars) []string {
	var out []string
	add := func(d string) {
		if d = path.Clean(d); strings.HasPrefix(d, "/") && d != "/" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	for _, v := range vars {
		add(v)
		if r, err := filepath.EvalSymlinks(v); err == nil {
			add(r)
		}
	}
	slices.Sort(out)
	return out
}

// isAnchor reports whether p is a variable's directory or one of its
// ancestors.
func (b *Builder) isAnchor(p string) bool {
	for _, a := range b.anchors {
		if beneath(a, p) {
			return true
		}
	}
	return false
}

// cutPidComponent returns the parent of the first component of p that
// holds the decimal pid as a whole number (sh-thd.12345, 12345.lock).
func cutPidComponent(p, pid string) (string, bool) {
	start := 1
	for start < len(p) {
		end := strings.IndexByte(p[start:], '/')
		if end < 0 {
			end = len(p)
		} else {
			end += start
		}
		if hasNumber(p[start:end], pid) {
			return path.Dir(p[:end]), true
		}
		start = end + 1
	}
	return "", false
}

// hasNumber reports whether s holds n bounded by non-digits.
func hasNumber(s, n string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], n)
		if j < 0 {
			return false
		}
		j += i
		k := j + len(n)
		if (j == 0 || !isDigit(s[j-1])) && (k == len(s) || !isDigit(s[k])) {
			return true
		}
		i = j + 1
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isTempDir reports whether d is a directory where programs make
// mkstemp files: /tmp, /var/tmp, /dev/shm or ${TMPDIR}.
func (b *Builder) isTempDir(d string) bool {
	switch d {
	case "/tmp", "/var/tmp", "/dev/shm":
		return true
	}
	return d == b.tmpdir
}

// inRuntimeDir reports whether p is beneath a temp directory or /run,
// where per-process files live.
func (b *Builder) inRuntimeDir(p string) bool {
	for _, d := range []string{"/tmp", "/var/tmp", "/dev/shm", "/run", "/var/run", b.tmpdir} {
		if d != "" && d != "." && d != "/" && p != d && beneath(p, d) {
			return true
		}
	}
	return false
}

// looksMkstemp reports whether the file name ends, before an optional
// short extension, in six random-looking characters as mkstemp(3) makes
// them (ccQ3xZ1a.s, tmpa8Kd2F): an upper-case letter mixed with lower-case
// letters or digits (95% of mkstemp names; "test01" and "README" are not).
// Only names in a temp directory are asked about, since "libQt5Core" has
// the same shape.
func looksMkstemp(base string) bool {
	stem := base
	if i := strings.LastIndexByte(base, '.'); i > 0 && len(base)-i <= 5 {
		stem = base[:i]
	}
	if len(stem) < 6 {
		return false
	}
	var lower, upper, digit bool
	for i := len(stem) - 6; i < len(stem); i++ {
		switch c := stem[i]; {
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case isDigit(c):
			digit = true
		default:
			return false
		}
	}
	return upper && (lower || digit)
}
