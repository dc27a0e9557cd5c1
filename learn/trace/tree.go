package trace

import "github.com/landlearn/landlearn/internal/procfs"

// The traced tree is every process below the keeper. The keeper is a
// child subreaper (PR_SET_CHILD_SUBREAPER), so a process whose parent
// exits is reparented to the keeper, not to init: walking PPid from any
// traced process always ends at the keeper while the process lives.
// There is no PID namespace on purpose: a signal to an outside process
// must reach it, so the signal scope can be learned.

// maxTreeDepth bounds the PPid walk; a chain longer than this is not
// a tree landlearn started.
const maxTreeDepth = 1024

// procTree answers InTree for one run.
type procTree struct{ keeper int }

// InTree reports whether pid is the keeper's descendant. The keeper
// itself is outside: under enforcement the domain starts below it.
func (t procTree) InTree(pid int) bool {
	if pid <= 1 || pid == t.keeper {
		return false
	}
	p := pid
	for range maxTreeDepth {
		pp, err := procfs.PPid(p)
		if err != nil || pp <= 1 {
			return false
		}
		if pp == t.keeper {
			return true
		}
		p = pp
	}
	return false
}
