package learn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Writer writes observations as JSONL, one write(2) per line and no
// buffering, so a learner killed with SIGKILL leaves every line it
// recorded; NewFileWriter's puts them in the file without the write(2).
// It is safe for concurrent use.
type Writer struct {
	mu    sync.Mutex
	w     io.Writer
	m     *fileMap // NewFileWriter's mapping; nil: write(2)
	n     int
	buf   bytes.Buffer // encoding/json's line
	line  []byte       // appendLine's line
	lists map[[2]uint64]string
}

// NewWriter returns a Writer on w. Pass an *os.File to get the
// line-at-a-time durability described above.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w, lists: map[[2]uint64]string{}} }

// WriteHeader writes h as a header line: the observations recorded after
// it belong to the run it describes. A file starts with one; another one
// later starts another run (files of several runs can be concatenated).
func (w *Writer) WriteHeader(h Header) error {
	b, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode the observations header: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.write(append(b, '\n')); err != nil {
		return fmt.Errorf("write the observations header: %w", err)
	}
	return nil
}

// write writes one line. w.mu is held.
func (w *Writer) write(line []byte) error {
	if w.m != nil {
		return w.m.write(line)
	}
	_, err := w.w.Write(line)
	return err
}

// Close ends the file of a NewFileWriter after its last line (it
// does not close the file). Nothing can be recorded after it.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		return nil
	}
	err := w.m.close()
	w.m, w.w = nil, closedWriter{}
	return err
}

// closedWriter refuses what is recorded after Close.
type closedWriter struct{}

func (closedWriter) Write([]byte) (int, error) {
	return 0, errors.New("the observations file is closed")
}

// Record writes one observation line. An observation naming a path that
// is not valid UTF-8 is written as the warning ValidUTF8 makes of it.
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
		if err := enc.Encode(ValidUTF8(o)); err != nil {
			return fmt.Errorf("encode observation %d: %w", o.Seq, err)
		}
		line = w.buf.Bytes()
	}
	if err := w.write(line); err != nil {
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
