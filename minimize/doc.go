// Package minimize turns the observations of one or more learning runs
// into a least-privilege Landlock policy.
//
// The result is sound (every observed access is allowed) and least (no
// right that no observation needed), except where Landlock cannot be
// narrower; the Report then says why. DESIGN.md, "Minimization rules",
// lists the nine rules this package implements:
//
//  1. sound; 2. least;
//  3. objects created, replaced or deleted during the run lift to their
//     nearest ancestor directory that existed before the run, because a
//     Landlock rule needs an inode when the ruleset is built;
//  4. file rights on files, directory rights on directories;
//  5. a rename or link between two directories must not give the moved
//     object a right it did not have (else the kernel answers EXDEV): the
//     source side is widened, and the Report says so;
//  6. siblings collapse into a directory rule only at or above
//     Options.Collapse, with the rights at least that many of them used,
//     never in sensitive trees without AllowSensitive,
//     and every grant on a sensitive path is warned about;
//  7. /proc/PID of the traced program becomes /proc/self where exact;
//     pty numbers, pids and mkstemp suffixes generalize to the directory;
//  8. ${HOME}, ${TMPDIR}, ${PWD}... replace their values (policy.Vars);
//  9. a rule an ancestor covers is dropped, and output is sorted so that
//     the same observations always give the same policy.
//
// The package does not touch the kernel: the caller passes the running
// kernel's ABI in Options. Reachable, which counts the files a policy
// lets a program reach, reads the file system and is only used for the
// summary shown to people.
package minimize
