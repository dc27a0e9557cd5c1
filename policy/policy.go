// Package policy is landlearn's model of a Landlock sandbox: the rights the
// kernel knows (with the ABI that introduced each), a Policy of path and port
// rules, the YAML schema it is stored in (version 1), strict loading with
// line numbers, variable expansion, and the set algebra the other packages
// use (merge, diff, covers).
//
// The package does not know how a policy was learned; learn and minimize
// produce policies, emit writes them and enforce applies them.
package policy

// SchemaVersion is the only policy file version this landlearn reads.
const SchemaVersion = 1

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
}

// FSRule grants Access beneath Path (on the file itself when Path is not
// a directory).
type FSRule struct {
	// Path is absolute and may hold ${VAR} references until expanded.
	Path   string
	Access FSAccess
	// Optional rules are skipped when Path is missing at enforcement.
	Optional bool
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
