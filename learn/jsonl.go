package learn

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Writer writes observations as JSONL, one write(2) per line and no
// buffering, so a learner killed with SIGKILL leaves every line it
// recorded. It is safe for concurrent use.
type Writer struct {
	mu    sync.Mutex
	w     io.Writer
	n     int
	buf   bytes.Buffer // encoding/json's line
	line  []byte       // appendLine's line
	lists map[[2]uint64]string
}

// NewWriter returns a Writer on w. Pass an *os.File to get the
// line-at-a-time durability described above.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w, lists: map[[2]uint64]string{}} }

// Record writes one observation line.
func (w *Writer) Record(o Observation) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	line, ok := appendLine(w.line[:0], &o, w.lists)
	if ok {
		w.line = line
	} else {
		w.buf.Reset()
		enc := json.NewEncoder(&w.buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(o); err != nil {
			return fmt.Errorf("encode observation %d: %w", o.Seq, err)
		}
		line = w.buf.Bytes()
	}
	if _, err := w.w.Write(line); err != nil {
		return fmt.Errorf("write observation %d: %w", o.Seq, err)
	}
	w.n++
	return nil
}

// Count is how many observations were written.
func (w *Writer) Count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// LineError is a JSONL line that does not decode.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// Reader reads observations from JSONL. Blank lines are skipped.
type Reader struct {
	file string
	sc   *bufio.Scanner
	line int
	// SkipBad makes Next skip lines that do not decode and count them in
	// Skipped instead of failing.
	SkipBad bool
	Skipped int
}

// NewReader reads from r; name is used in error messages.
func NewReader(r io.Reader, name string) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	return &Reader{file: name, sc: sc}
}

// Next returns the next observation, or io.EOF at the end. A line that
// does not decode is a *LineError naming file and line (unless SkipBad).
func (r *Reader) Next() (Observation, error) {
	for r.sc.Scan() {
		r.line++
		b := bytes.TrimSpace(r.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		o, err := decodeLine(b)
		if err != nil {
			if r.SkipBad {
				r.Skipped++
				continue
			}
			return Observation{}, &LineError{File: r.file, Line: r.line, Err: err}
		}
		return o, nil
	}
	if err := r.sc.Err(); err != nil {
		return Observation{}, &LineError{File: r.file, Line: r.line + 1, Err: err}
	}
	return Observation{}, io.EOF
}

func decodeLine(b []byte) (Observation, error) {
	var o Observation
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return o, fmt.Errorf("not an observation: %w", err)
	}
	if dec.More() {
		return o, errors.New("not an observation: more than one JSON value on the line")
	}
	if o.Path == "" && o.Port == nil && o.Scope == "" && o.Warning == "" {
		return o, errors.New("observation has none of path, port, scope or warning")
	}
	return o, nil
}

// ReadAll decodes every observation of r.
func ReadAll(r io.Reader, name string) ([]Observation, error) {
	rd := NewReader(r, name)
	var out []Observation
	for {
		o, err := rd.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, o)
	}
}
