package minimize

import "github.com/landlearn/landlearn/policy"

// DefaultCollapse is the sibling threshold of `--collapse`: 32 files read
// or written directly in one directory become one rule on the directory.
//
// Why 32: a program that touches that many entries of one directory
// (python modules, shared libraries, headers) usually reads whatever the
// directory holds, and a policy of hundreds of single-file rules is both
// unreviewable and brittle (the next run imports one module more). Below
// it, per-file rules keep the policy least. 0 turns collapsing off.
const DefaultCollapse = 32

// Options are the knobs of minimization. The zero value is usable: the
// newest ABI landlearn knows, no collapsing, no variables.
type Options struct {
	// ABI is the Landlock ABI the policy is written for: the running
	// kernel's (landlock_create_ruleset with LANDLOCK_CREATE_RULESET_VERSION),
	// capped at policy.KernelABI. 0 means policy.KernelABI. Rights newer
	// than ABI are not handled, so they are left out of the rules.
	ABI int
	// Collapse is the sibling threshold (see DefaultCollapse); 0 is off.
	Collapse int
	// AllowSensitive lets Collapse make directory rules inside sensitive
	// trees (/etc, /proc, ${HOME}/.ssh...). Grants there are still warned
	// about.
	AllowSensitive bool
	// Vars abstracts paths into ${HOME}, ${TMPDIR}, ${PWD}...: the
	// longest matching value wins, "/" never matches. Usually
	// policy.DefaultVars() of the learning process; nil keeps paths as
	// they are.
	Vars policy.Vars
	// Launcher is the executable that starts the traced program (the
	// landlearn binary, whose re-executed helper calls execve). Comments
	// call it "landlearn" instead of naming where it is installed, so
	// that the policy does not change with landlearn's location. The
	// executable that made a run's first observation, when that is an
	// exec, is taken for the launcher too: so a run recorded by a
	// landlearn installed elsewhere (--raw on a CI runner, minimize on a
	// laptop) gives the same comments.
	Launcher string
	// Exact keeps a rule per observed file (learn --exact): no groups, no
	// runtime trees, no data units. Files created during the run still
	// go to their directory, and what varies from run to run (pids, pty
	// numbers, mkstemp names) to the directory that stands for it, since
	// Landlock cannot be narrower there.
	Exact bool
	// Root is the root of the file system whose facts classify the
	// observations (who owns a file, what a directory holds, the system
	// groups' members): "" is /. A run recorded in a chroot is minimized
	// with Root set to it; tests build small trees.
	Root string
}

func (o Options) abi() int {
	switch {
	case o.ABI <= 0 || o.ABI > policy.KernelABI:
		return policy.KernelABI
	}
	return o.ABI
}
