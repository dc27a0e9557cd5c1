// Package policy is landlearn's model of a Landlock sandbox: the rights the
// kernel knows (with the ABI that introduced each), a Policy of path and port
// and group rules, the YAML schema it is stored in (versions 1 and 2),
// strict loading with line numbers, expansion of variables and groups on
// the host where a policy is used, and the set algebra the other packages
// use (merge, diff, covers).
//
// The package does not know how a policy was learned; learn and minimize
// produce policies, emit writes them and enforce applies them.
package policy

// SchemaVersion is the policy file version landlearn writes. Version 2
// added group rules (`group: system`) and the learned marker (`learned:
// true`); a landlearn that reads only version 1 refuses such a file with
// a clear error instead of enforcing it wrongly.
const SchemaVersion = 2

// OldestSchemaVersion is the oldest version landlearn still reads: a
// version 1 file (per-file rules, no groups) loads and enforces as it
// always did.
const OldestSchemaVersion = 1

// Compat says what to do on a kernel older than the policy's ABI.
type Compat string

const (
	// BestEffort enforces what the running kernel supports and says on
	// stderr which rights were dropped.
	BestEffort Compat = "best-effort"
	// Strict refuses to run on a kernel older than the policy's ABI.
	Strict Compat = "strict"
)

// Handled is what a policy restricts. A right that is not handled stays
// allowed everywhere; a handled right is denied unless a rule grants it.
type Handled struct {
	FS     FSAccess
	Net    NetAccess
	Scoped ScopeSet
}

// Policy is one Landlock ruleset.
type Policy struct {
	Version int
	// ABI is the ABI whose rights `all` and the default Handled mean.
	ABI     int
	Compat  Compat
	Handled Handled
	FS      []FSRule
	Net     []NetRule
	// Comment is printed at the top of the YAML file (without "# ").
	Comment string
	// File is where the policy was loaded from, for messages; "" if built.
	File string
	// Notes say what Expand could not resolve on this host and left out
	// (a group without members), for the caller to show.
	Notes []string
	// Trusted are directories whose symlinks Resolve follows even where
	// the sandbox may change entries: the values of ${HOME} and ${PWD},
	// which Expand fills in. The user gives them when the sandbox
	// starts, so a symlink in them is the user's choice.
	Trusted []string
}

// FSRule grants Access beneath Path (on the file itself when Path is not
// a directory), or beneath every member of Group.
type FSRule struct {
	// Path is absolute and may hold ${VAR} references until expanded.
	// It is "" in a group rule.
	Path string
	// Group names a Group (version 2): the rule grants Access, which
	// only read rights may be, on the group's members as the host where
	// the policy is used has them. Expand replaces a group rule by a rule
	// for each member, whose Group still says where it came from.
	Group  string
	Access FSAccess
	// Optional rules are skipped when Path is missing at enforcement.
	Optional bool
	// Learned rules were written by landlearn from observations
	// (version 2). Where Path is missing at enforcement, a learned rule
	// is skipped and the skip is reported: it only removes access, and
	// a file the run read here, such as /etc/gitconfig, may not exist on
	// another host. A rule written by hand that names a missing path is
	// an error, because it is most likely a typo.
	Learned bool
	// Comment is written above the rule (provenance); one line per "\n".
	Comment string
	// Line is the rule's line in File (0 if built in memory).
	Line int
}

// NetRule grants Access on a TCP port.
type NetRule struct {
	Port    uint16
	Access  NetAccess
	Comment string
	Line    int
}

// New returns an empty policy for ABI abi that handles every right of
// that ABI: it denies everything.
func New(abi int) *Policy {
	return &Policy{
		Version: SchemaVersion,
		ABI:     abi,
		Compat:  BestEffort,
		Handled: Handled{
			FS:     AllFS(abi),
			Net:    AllNet(abi),
			Scoped: AllScopes(abi),
		},
	}
}
