package learn

import (
	"fmt"
	"strings"

	"github.com/landlearn/landlearn/internal/textsafe"
)

// HoldsVariable reports whether p holds "${", which a policy reads as the
// start of a variable (${HOME}): the schema has no escape for "$".
func HoldsVariable(p string) bool { return strings.Contains(p, "${") }

// PolicySafe returns o when none of its paths holds "${". A file name
// that does (Maven and Gradle make directories named ${project.basedir})
// cannot be written into a policy: the rule would be expanded as a
// variable, and fail to (${NOPE} is not set) or name another file
// (a directory named ${HOME}). So, as ValidUTF8 does for names that are
// not UTF-8, an observation naming one becomes a warning that names it
// (escaped by textsafe) and the nearest directory above it whose path
// holds no "${", and no rule is learned for it: never a wider grant
// without a word. The observations themselves hold such a name exactly;
// minimize calls this on what it reads.
func PolicySafe(o Observation) Observation {
	for _, p := range [...]string{o.Path, o.Src, o.Dst} {
		if HoldsVariable(p) {
			return Observation{Seq: o.Seq, Syscall: o.Syscall, PID: o.PID, Exe: o.Exe,
				Warning: fmt.Sprintf("%s: %s holds \"${\", which a policy reads as a variable and cannot hold exactly: "+
					"no rule is learned for it (rename it, or grant %s by hand)", o.Syscall, textsafe.Name(p), textsafe.Name(VariableFreeDir(p)))}
		}
	}
	return o
}

// VariableFreeDir is the nearest directory above the first "${" of the
// absolute path p, whose path therefore holds none: /srv/a/${x}/b gives
// /srv/a. A p without "${" is returned as it is.
func VariableFreeDir(p string) string {
	i := strings.Index(p, "${")
	if i < 0 {
		return p
	}
	if j := strings.LastIndexByte(p[:i], '/'); j > 0 {
		return p[:j]
	}
	return "/"
}
