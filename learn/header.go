package learn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"unicode/utf8"

	"github.com/landlearn/landlearn/policy"
)

// FormatVersion is the version of the observations format this landlearn
// writes. Version 1 had no header line; version 2 starts each run with
// one. A reader takes both, and refuses a header of a newer version.
const FormatVersion = 2

// Header is the line a run's observations start with: what was run,
// where, and the values of the policy variables at that moment. Paths in
// the observations are the learner's (/home/alice/proj/out.o); the
// header lets whoever minimizes them later, elsewhere, turn them into
// ${HOME} and ${PWD} with the learner's values, not their own.
type Header struct {
	// Version is the format version of the run's lines.
	Version int
	// Argv is the command that was learned. It is for people: an
	// argument that is not valid UTF-8 is written Go-quoted.
	Argv []string
	// Cwd is the absolute working directory the command started in.
	Cwd string
	// Vars are the learner's policy.DefaultVars(): HOME, TMPDIR, PWD,
	// XDG_*. A value that is not valid UTF-8 cannot be written exactly
	// and is left out; minimize then falls back to its own value.
	Vars policy.Vars
	// Data are the directories the user declared as data (their content
	// changes from run to run), absolute.
	Data []string
}

// NewHeader returns the header of a run of argv learned now, in the
// current directory, with the current values of the policy variables and
// the given data directories, and the warnings for what it had to leave
// out (values that are not valid UTF-8).
func NewHeader(argv, data []string) (Header, []string) {
	h := Header{Version: FormatVersion, Vars: policy.DefaultVars(), Data: data}
	var warnings []string
	for _, a := range argv {
		if !utf8.ValidString(a) {
			a = fmt.Sprintf("%q", a)
		}
		h.Argv = append(h.Argv, a)
	}
	h.Cwd = h.Vars["PWD"]
	for name, v := range h.Vars {
		if !utf8.ValidString(v) {
			delete(h.Vars, name)
			warnings = append(warnings, fmt.Sprintf("${%s} is %q, which is not valid UTF-8: the observations' header leaves it out, and minimize will use its own value", name, v))
		}
	}
	if !utf8.ValidString(h.Cwd) {
		h.Cwd = ""
	}
	return h, warnings
}

// headerKey is the key that tells a header line from an observation, and
// its value.
const headerKey, headerKind = "landlearn", "observations"

// headerWire is a header line: {"landlearn":"observations","version":2,
// "argv":[...],"cwd":"/abs","vars":{"HOME":"/root",...},"data":["/abs"]}.
type headerWire struct {
	Landlearn string            `json:"landlearn"`
	Version   int               `json:"version"`
	Argv      []string          `json:"argv"`
	Cwd       string            `json:"cwd"`
	Vars      map[string]string `json:"vars"`
	Data      []string          `json:"data,omitempty"`
}

// MarshalJSON writes h as a header line, without the newline. It refuses
// a value it could not write exactly.
func (h Header) MarshalJSON() ([]byte, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(headerWire{headerKind, h.Version, h.Argv, h.Cwd, h.Vars, h.Data}); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// ErrNewerFormat is wrapped by the error of a header whose format version
// this landlearn does not know. Its lines are never skipped as bad ones
// (minimize --skip-bad): they may mean something else.
var ErrNewerFormat = errors.New("newer observations format")

// UnmarshalJSON reads a header line. A key it does not know, or a
// version newer than FormatVersion, is an error.
func (h *Header) UnmarshalJSON(b []byte) error {
	var w headerWire
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("not an observations header: %w", err)
	}
	switch {
	case w.Landlearn != headerKind:
		return fmt.Errorf("not an observations header: %q is %q, want %q", headerKey, w.Landlearn, headerKind)
	case w.Version > FormatVersion:
		return fmt.Errorf("observations format version %d is newer than this landlearn reads (%d): upgrade landlearn: %w", w.Version, FormatVersion, ErrNewerFormat)
	case w.Version < 2:
		return fmt.Errorf("observations header with version %d: headers start at version 2", w.Version)
	}
	*h = Header{Version: w.Version, Argv: w.Argv, Cwd: w.Cwd, Vars: w.Vars, Data: w.Data}
	return h.check()
}

// check refuses what a header cannot hold: paths that are not absolute,
// or not valid UTF-8 (JSON would turn their bad bytes into U+FFFD, and
// minimize would then generalize with a value that is not the learner's).
func (h Header) check() error {
	bad := func(what, v string) error {
		switch {
		case !utf8.ValidString(v):
			return fmt.Errorf("header: %s %q is not valid UTF-8", what, v)
		case !filepath.IsAbs(v):
			return fmt.Errorf("header: %s %q is not an absolute path", what, v)
		}
		return nil
	}
	var errs []error
	if h.Cwd != "" {
		errs = append(errs, bad("cwd", h.Cwd))
	}
	for _, name := range slices.Sorted(maps.Keys(h.Vars)) {
		errs = append(errs, bad("${"+name+"}", h.Vars[name]))
	}
	for _, d := range h.Data {
		errs = append(errs, bad("data directory", d))
	}
	for _, a := range h.Argv {
		if !utf8.ValidString(a) {
			errs = append(errs, fmt.Errorf("header: argument %q is not valid UTF-8", a))
		}
	}
	return errors.Join(errs...)
}
