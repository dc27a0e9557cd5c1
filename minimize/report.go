package minimize

import (
	"fmt"
	"io"
)

// Report says, for people, what minimization did and where the policy is
// wider than what the run used.
type Report struct {
	Observations int // observations added
	Runs         int // runs (JSONL files) they came from
	FSRules      int
	NetRules     int
	Rights       int // rights granted, summed over rules
	// PathsObserved is the number of distinct paths the runs accessed;
	// FilesObserved counts those that are not directories, to compare
	// with FilesReachable.
	PathsObserved int
	FilesObserved int
	// FilesReachable is how many files the policy's fs rules reach, as
	// Reachable counts them; -1 until the caller sets it.
	FilesReachable  int
	ReachableCapped bool
	Dropped         int // rules an ancestor's rule already covered
	// Warnings need a person's attention: sensitive grants, tracer
	// warnings (io_uring, mount, ptrace, MPTCP), ignored input.
	Warnings []string
	// Notes say where Landlock cannot be narrower (widened rename sources).
	Notes []string
	// ScopesOff are the scopes left out of handled, and why.
	ScopesOff []string
}

// WriteSummary prints the short summary `learn` and `minimize` show on
// stderr.
func (r *Report) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "landlearn: %s, %s, %s from %s\n",
		plural(r.FSRules+r.NetRules, "rule", "rules"), plural(r.Rights, "right", "rights"),
		plural(r.PathsObserved, "path observed", "paths observed"), plural(r.Observations, "observation", "observations"))
	if r.FilesReachable >= 0 {
		more := ""
		if r.ReachableCapped {
			more = " or more"
		}
		fmt.Fprintf(w, "landlearn: files observed vs reachable under the grants: %d vs %d%s\n", r.FilesObserved, r.FilesReachable, more)
	}
	for _, s := range r.ScopesOff {
		fmt.Fprintf(w, "landlearn: scope %s\n", s)
	}
	for _, s := range r.Notes {
		fmt.Fprintf(w, "landlearn: note: %s\n", s)
	}
	for _, s := range r.Warnings {
		fmt.Fprintf(w, "landlearn: warning: %s\n", s)
	}
}
