// Package minimize turns the observations of one or more learning runs
// into a least-privilege Landlock policy that keeps working where it is
// used later: on new data of the same shape, after upgrades, on another
// host.
//
// It is a pipeline, one stage a file (docs/design.md, "Generalization"):
//
//  1. record (record.go): a Builder folds the observations, as they
//     stream in, into facts per object and per run (the run's header:
//     its command line, directory and variables);
//  2. classify (classify.go, with facts.go, runtimes.go, names.go): each
//     object gets the name the policy will use (/proc/self, ${PWD}/x,
//     the directory of a pid or mkstemp name) and a class, from facts
//     about the file (ownership, modes, the package database): a system
//     file, a language runtime's file, or plain;
//  3. generalize (generalize.go, units.go): the rule that is safe for
//     each class: a group for system files, one rule at a runtime's
//     install root, the nearest existing directory for files created
//     during the run (with what a rerun needs), one rule for a directory
//     the run treats as a unit; then sibling collapse, the EXDEV check of
//     renames and the removal of covered rules;
//  4. assemble (assemble.go): the policy, each rule's comment saying what
//     it covers and why, and the Report.
//
// The result is sound (every observed access is allowed) and least (no
// right that no observation needed) except where Landlock cannot be
// narrower or a class says so, and then the comment says why; generalized
// rules carry read rights only, never reach into a sensitive tree or
// above ${HOME} or ${PWD}. Options.Exact keeps a rule per observed file.
//
// The package does not touch the kernel. It reads the file system for the
// facts classify needs, for the data threshold (what a directory holds)
// and for the summary's count of the files a policy reaches
// (CountReachable); Options.Root points those reads at another root.
package minimize
