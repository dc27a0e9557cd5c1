package minimize

import (
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/landlearn/landlearn/policy"
)

// genReason is why a name stands for a directory of names that vary from
// run to run (rule 7): classify's naming of pids, pty numbers and mkstemp
// suffixes.
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

// cutPidComponent returns the parent of the first component of p that
// holds the decimal pid as a whole number (sh-thd.12345, 12345.lock),
// looking only below the longest of anchors that holds p: a variable's
// directory (/run/user/1000 for a pid 1000) was there before the run.
func cutPidComponent(p, pid string, anchors []string) (string, bool) {
	start := 1
	for _, a := range anchors {
		if a != p && beneath(p, a) && len(a)+1 > start {
			start = len(a) + 1
		}
	}
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

// guard is what no generalization may reach, from every run's variables:
// ${HOME} and ${TMPDIR} themselves and what is above them, and what is
// above ${PWD}. Each value is there as given and with symlinks resolved
// (/home -> var/home), as the tracer's paths are.
type guard struct {
	homes, tmps, pwds []string
}

func (b *Builder) guard() guard {
	var g guard
	add := func(to *[]string, v string) {
		if !strings.HasPrefix(v, "/") || path.Clean(v) == "/" {
			return
		}
		*to = append(*to, path.Clean(v))
		if r, err := filepath.EvalSymlinks(b.o.Root + v); err == nil {
			if r = strings.TrimPrefix(r, b.o.Root); r != path.Clean(v) && strings.HasPrefix(r, "/") {
				*to = append(*to, r)
			}
		}
	}
	runs := b.runs
	if len(runs) == 0 {
		runs = []*run{{vars: b.o.Vars}}
	}
	for _, r := range runs {
		add(&g.homes, r.vars["HOME"])
		add(&g.tmps, r.vars["TMPDIR"])
		add(&g.pwds, r.vars["PWD"])
	}
	return g
}

// above reports whether d is strictly above a guarded directory: a rule
// on it would reach ${HOME}, ${TMPDIR} (unless d is within ${PWD}, and
// that ${TMPDIR} the working directory's own) or ${PWD}.
func (g guard) above(d string) bool {
	for _, set := range [][]string{g.homes, g.tmps, g.pwds} {
		for _, a := range set {
			if a != d && beneath(a, d) && !(g.inPWD(d) && slices.Contains(g.tmps, a)) {
				return true
			}
		}
	}
	return false
}

// unit reports whether d may hold a data unit as far as the guard goes:
// not above a guarded directory, and not ${HOME} or ${TMPDIR} itself.
func (g guard) unit(d string) bool {
	return !g.above(d) && !slices.Contains(g.homes, d) && !slices.Contains(g.tmps, d)
}

// inPWD reports whether d is ${PWD} or beneath it.
func (g guard) inPWD(d string) bool {
	for _, p := range g.pwds {
		if beneath(d, p) {
			return true
		}
	}
	return false
}
