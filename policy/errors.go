package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/landlearn/landlearn/internal/textsafe"
)

// LoadError is a problem with a policy file, located at a line of it.
// Its text is "FILE:LINE: message" so editors and CI annotations can jump
// to it; the message says what is wrong and what the fix probably is.
// Every error of Load, LoadFile, Expand, Validate and CheckFilesystem is a
// *LoadError or a LoadErrors list of them: use errors.As to get at one.
type LoadError struct {
	// File is the policy's name as given to Load ("" for a policy built
	// in memory).
	File string
	// Line is 1-based; 0 when the problem concerns the whole file.
	Line int
	Msg  string
	// Err is the underlying error, if any (an *os.PathError from LoadFile,
	// for errors.Is(err, fs.ErrPermission)).
	Err error
}

// Error is "FILE:LINE: message" on one line: a file under review may
// hold any byte, so control characters and other characters a terminal
// would act on or hide are escaped (textsafe.Inline).
func (e *LoadError) Error() string {
	var s string
	switch {
	case e.File != "" && e.Line > 0:
		s = fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	case e.File != "":
		s = e.File + ": " + e.Msg
	case e.Line > 0:
		s = fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	default:
		s = e.Msg
	}
	return textsafe.Inline(s)
}

func (e *LoadError) Unwrap() error { return e.Err }

// LoadErrors is every problem found in one policy, in line order. A user
// fixing a hand-written file sees them all at once instead of one per run.
// errors.As(err, &loadErr) finds the first one.
type LoadErrors []*LoadError

func (l LoadErrors) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap gives errors.Is and errors.As access to each error.
func (l LoadErrors) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// maxErrors bounds how many problems one load reports: a file that is not
// a policy at all would otherwise print one line per line.
const maxErrors = 20

// errorList collects problems of one policy.
type errorList struct {
	file string
	errs LoadErrors
}

// add records a problem. A newline or escape sequence in it (from a path
// or tag in the file) is escaped: one problem is one line, as editors and
// CI expect, and nothing in it reaches the terminal raw.
func (l *errorList) add(line int, format string, args ...any) {
	msg := textsafe.Inline(fmt.Sprintf(format, args...))
	l.errs = append(l.errs, &LoadError{File: l.file, Line: line, Msg: msg})
}

// addErr records a problem that wraps err, for errors.Is.
func (l *errorList) addErr(line int, err error, format string, args ...any) {
	l.add(line, format, args...)
	l.errs[len(l.errs)-1].Err = err
}

// err returns nil, the single *LoadError, or a LoadErrors sorted by line.
func (l *errorList) err() error {
	switch len(l.errs) {
	case 0:
		return nil
	case 1:
		return l.errs[0]
	}
	sort.SliceStable(l.errs, func(i, j int) bool { return l.errs[i].Line < l.errs[j].Line })
	if len(l.errs) > maxErrors {
		n := len(l.errs) - maxErrors
		l.errs = append(l.errs[:maxErrors:maxErrors], &LoadError{File: l.file,
			Msg: fmt.Sprintf("%d more problems not shown", n)})
	}
	return l.errs
}
