package minimize

import (
	"fmt"
	"io"
	"slices"

	"github.com/landlearn/landlearn/policy"
)

// Report says, for people, what minimization did and where the policy is
// wider than what the run used.
type Report struct {
	Observations int // observations added
	Runs         int // runs (JSONL files) they came from
	FSRules      int
	NetRules     int
	Rights       int // rights granted, summed over rules
	// Groups are the group rules among FSRules, Units the rules on a
	// directory the run treats as a unit or on a runtime's install tree.
	Groups, Units int
	// PathsObserved is the number of distinct paths the runs accessed;
	// FilesObserved counts those that are not directories and not in
	// /proc, /sys or /dev, to compare with FilesReachable.
	PathsObserved int
	FilesObserved int
	// FilesReachable is how many files the policy's fs rules reach, as
	// Reachable counts them, plus the FilesGone; -1 until the caller
	// sets it (CountReachable).
	FilesReachable  int
	ReachableCapped bool
	// FilesGone are the observed files that no longer exist (deleted or
	// renamed during the run): the grants reached them, a walk cannot.
	FilesGone int
	// observedFiles are the paths FilesObserved counts.
	observedFiles []string
	Dropped       int // rules an ancestor's rule already covered
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
		gone := ""
		if r.FilesGone > 0 {
			gone = fmt.Sprintf("; %s no longer there", plural(r.FilesGone, "observed file is", "observed files are"))
		}
		groups := ""
		if r.Groups > 0 {
			groups = "; system files that groups grant are not counted"
		}
		fmt.Fprintf(w, "landlearn: files observed vs reachable under the path rules: %d vs %d%s (outside /proc, /sys and /dev%s%s)\n",
			r.FilesObserved, r.FilesReachable, more, gone, groups)
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

// CountReachable sets FilesReachable: the files the path rules of p
// (expanded, without ${VARS}) reach now, at most limit (Reachable), plus
// the observed files that are gone, which the grants did reach during the
// run. Both halves of the summary line count the same kind of file, so a
// sound policy never shows fewer reachable than observed files. What a
// group grants is left out of both halves: a group stands for the
// system's public files, tens of thousands of them, and counting them
// would hide what the path rules reach.
//
// The two halves read the file system independently, so they run at the
// same time; a file is gone when lstat says it does not exist, which
// lstatAll answers from directory listings where a build deleted many.
func (r *Report) CountReachable(p *policy.Policy, limit int) {
	var n int
	var capped bool
	done := make(chan struct{})
	paths := p.Clone()
	paths.FS = paths.FS[:0]
	var members []string
	for _, r := range p.FS {
		if r.Group == "" {
			paths.FS = append(paths.FS, r)
		} else {
			members = append(members, r.Path)
		}
	}
	if len(members) > 0 {
		kept := r.observedFiles[:0:0]
	next:
		for _, f := range r.observedFiles {
			for _, m := range members {
				if beneath(f, m) {
					continue next
				}
			}
			kept = append(kept, f)
		}
		r.observedFiles, r.FilesObserved = kept, len(kept)
	}
	go func() {
		defer close(done)
		n, capped = Reachable(paths, limit)
	}()
	r.FilesGone = 0
	for _, k := range lstatAll(r.observedFiles, false) {
		if k == lstatMissing {
			r.FilesGone++
		}
	}
	<-done
	r.FilesReachable, r.ReachableCapped = n+r.FilesGone, capped
}

// noObservations warns that a policy was made from nothing.
const noObservations = "no observations: the policy denies every handled access; did the program run?"

// Merged records that the policy written is this run's grown into the
// policy in file old (learn --merge): a run with no observations then
// leaves old's rules as they are, which is a note rather than the
// warning that the policy denies everything.
func (r *Report) Merged(old string) {
	if r.Observations > 0 {
		return
	}
	r.Warnings = slices.DeleteFunc(r.Warnings, func(w string) bool { return w == noObservations })
	r.Notes = append(r.Notes, "no observations in this run: "+old+"'s rules are written unchanged; did the program run?")
}
