package learn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"runtime"
	"strings"
)

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

// maxLine is the longest line a Reader takes. An observation is a few
// paths of at most PATH_MAX bytes, each escaped at most six times over;
// a header holds a command line (ARG_MAX is 2 MiB by default). A longer
// line is not landlearn's, and buffering it would let one line take the
// memory that a whole run of observations takes.
const maxLine = 16 << 20

// chunkSize is the size of the chunks the Reader decodes at a time. Small
// enough that a chunk and its batch of observations (a third of a
// megabyte) are still in the cache when the consumer takes them
// (bench/minimize.sh was faster than with 1 MiB chunks).
const chunkSize = 256 << 10

// Reader reads a JSONL file of observations, as fast as the consumer can
// take them: while the consumer handles the observations of one chunk of
// the file, other goroutines read and decode the next ones (one decoder
// per core but one). Blank lines are skipped.
//
// A file holds one run or several: a header line (Header) starts a run,
// and so does the beginning of the file. A file written before format
// version 2 has no header: its one run has a nil Header.
//
//	rd := learn.NewReader(f, "run.jsonl")
//	for run := range rd.Runs() {
//		for o := range run.Observations() {
//			use(o) // o, o.Path, o.Src and o.Dst: valid until the next o
//		}
//	}
//	if err := rd.Err(); err != nil {
//		return err // a *LineError names the file and the line
//	}
type Reader struct {
	// SkipBad makes the Reader skip lines that do not decode, and count
	// them in Skipped, instead of ending with a *LineError.
	SkipBad bool
	Skipped int

	r    io.Reader
	name string
	size int // chunk size: chunkSize, smaller in tests
	err  error

	started bool
	stop    chan struct{} // closed when the consumer is done
	order   chan *chunk   // the chunks in file order, as they are read
	free    chan *chunk   // chunks the consumer is done with

	// The consumer's position: the next observation is cur.obs[pos],
	// the next header cur.heads[head]. run is the run it is in.
	cur       *chunk
	pos, head int
	run       *Run
}

// chunk is a piece of the file made of whole lines, decoded.
type chunk struct {
	buf   []byte // the piece; Path, Src and Dst of obs point into it
	line  int    // the number of its first line
	lines int    // how many newlines it holds
	// done is closed once the chunk is decoded.
	done    chan struct{}
	obs     []Observation
	heads   []header
	skipped int
	// err ends the file after obs: a *LineError (unless SkipBad), or a
	// read error.
	err error
}

// header is a header line found before obs[at].
type header struct {
	at int
	h  *Header
}

// Run is one run of a file: the observations after its header.
type Run struct {
	// Header is the run's header line, nil for a file without one.
	Header *Header
	r      *Reader
}

// NewReader reads from r; name is used in error messages.
func NewReader(r io.Reader, name string) *Reader { return newReader(r, name, chunkSize) }

func newReader(r io.Reader, name string, size int) *Reader {
	return &Reader{r: r, name: name, size: size}
}

// Err is the error that ended the runs early: a *LineError naming the
// file and the line that does not decode, or a read error. nil at the end
// of the file.
func (r *Reader) Err() error { return r.err }

// Runs yields the runs of the file in order; a file has at least one.
// Each run must be read (or left) before the next one is yielded. Runs
// can be called once.
func (r *Reader) Runs() iter.Seq[*Run] {
	return func(yield func(*Run) bool) {
		if r.started {
			r.err = errors.New("learn: Reader.Runs called twice")
			return
		}
		r.start()
		defer close(r.stop)
		for first := true; ; first = false {
			next := r.peek()
			if next == itemEnd && !first {
				return
			}
			run := &Run{r: r}
			if next == itemHeader {
				run.Header = r.cur.heads[r.head].h
				r.head++
			}
			r.run = run
			if !yield(run) {
				return
			}
			r.run = nil
			for r.peek() == itemObs { // what the consumer left of the run
				r.pos = r.segmentEnd()
			}
		}
	}
}

// Observations yields the observations of the run in file order. The
// Observation, and the Path, Src and Dst strings in it, share the
// Reader's buffers: they are valid until the next one is yielded. Copy
// what you keep (strings.Clone); do not modify Unknown.
func (run *Run) Observations() iter.Seq[*Observation] {
	return func(yield func(*Observation) bool) {
		r := run.r
		if r.run != run {
			return // a run the Reader has left
		}
		for r.peek() == itemObs {
			c, end := r.cur, r.segmentEnd()
			for r.pos < end {
				o := &c.obs[r.pos]
				r.pos++
				if !yield(o) {
					return
				}
			}
		}
	}
}

// ReadAll decodes every observation of r, of all its runs, into memory
// of its own.
func ReadAll(r io.Reader, name string) ([]Observation, error) {
	rd := NewReader(r, name)
	var out []Observation
	for run := range rd.Runs() {
		for o := range run.Observations() {
			c := *o
			c.Path, c.Src, c.Dst = strings.Clone(c.Path), strings.Clone(c.Src), strings.Clone(c.Dst)
			out = append(out, c)
		}
	}
	return out, rd.Err()
}

// What comes next in the file.
const (
	itemObs = iota
	itemHeader
	itemEnd // the end of the file, or r.err
)

func (r *Reader) peek() int {
	for r.err == nil {
		if c := r.cur; c != nil {
			switch {
			case r.head < len(c.heads) && c.heads[r.head].at == r.pos:
				return itemHeader
			case r.pos < len(c.obs):
				return itemObs
			case c.err != nil:
				r.err = c.err
				return itemEnd
			}
			select {
			case r.free <- c:
			default:
			}
			r.cur = nil
		}
		c, ok := <-r.order
		if !ok {
			return itemEnd
		}
		<-c.done
		r.cur, r.pos, r.head = c, 0, 0
		r.Skipped += c.skipped
	}
	return itemEnd
}

// segmentEnd is where the observations at r.pos end: at the next header
// or at the end of the chunk.
func (r *Reader) segmentEnd() int {
	if r.head < len(r.cur.heads) {
		return r.cur.heads[r.head].at
	}
	return len(r.cur.obs)
}

// start starts the goroutines that read and decode the file.
func (r *Reader) start() {
	r.started = true
	nd := max(1, runtime.GOMAXPROCS(0)-1)
	r.stop = make(chan struct{})
	r.order = make(chan *chunk, 2*nd+2)
	r.free = make(chan *chunk, 2*nd+4)
	work := make(chan *chunk, nd)
	for range nd {
		go func() {
			d := newDecoder()
			for c := range work {
				d.decodeChunk(c, r.name, r.SkipBad)
				close(c.done)
			}
		}()
	}
	go r.produce(work)
}

// produce reads the file into chunks of whole lines and hands each to the
// decoders and, in order, to the consumer.
func (r *Reader) produce(work chan<- *chunk) {
	defer close(work)
	defer close(r.order)
	// send gives c to the consumer, and to a decoder if it has lines;
	// false when the consumer is gone.
	send := func(c *chunk) bool {
		select {
		case r.order <- c:
		case <-r.stop:
			return false
		}
		if len(c.buf) == 0 {
			close(c.done)
			return true
		}
		select {
		case work <- c:
			return true
		case <-r.stop:
			return false
		}
	}
	line := 1
	var carry, carryBuf []byte
	for eof := false; !eof; {
		c := r.newChunk(line, max(r.size, 2*len(carry)))
		buf := append(c.buf[:0], carry...)
		carry = nil
		// Fill buf, and keep its whole lines: the partial line at its
		// end starts the next chunk.
		var err error
		overlong := false
		for {
			for len(buf) < cap(buf) && err == nil {
				var n int
				n, err = r.r.Read(buf[len(buf):cap(buf)])
				buf = buf[:len(buf)+n]
			}
			if err != nil {
				eof = true
				if err != io.EOF {
					buf = buf[:bytes.LastIndexByte(buf, '\n')+1] // whole lines only
				}
				break
			}
			if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
				carryBuf = append(carryBuf[:0], buf[i+1:]...)
				carry, buf = carryBuf, buf[:i+1]
				break
			}
			if len(buf) >= maxLine {
				overlong = true
				break
			}
			buf = append(buf, make([]byte, len(buf))...)[:len(buf)] // a line longer than the buffer
		}
		if err == io.EOF {
			err = nil
		} else if err != nil {
			err = fmt.Errorf("read %s: %w", r.name, err)
		}
		if overlong {
			c.err = &LineError{File: r.name, Line: line, Err: errLongLine}
			if !r.SkipBad {
				send(c)
				return
			}
			c.err, c.skipped = nil, 1
			line++
			carry, err = skipLine(r.r, buf[:cap(buf)], &carryBuf)
			if err != nil {
				eof = true
				if err != io.EOF {
					c.err = fmt.Errorf("read %s: %w", r.name, err)
				}
			}
			if !send(c) {
				return
			}
			continue
		}
		c.buf, c.err = buf, err
		c.lines = bytes.Count(buf, []byte{'\n'})
		line += c.lines
		if !send(c) {
			return
		}
	}
}

// skipLine reads r up to the end of a line, with scratch as the buffer,
// and returns what follows the line's newline in what it read, in
// *carryBuf.
func skipLine(r io.Reader, scratch []byte, carryBuf *[]byte) ([]byte, error) {
	for {
		n, err := r.Read(scratch)
		if i := bytes.IndexByte(scratch[:n], '\n'); i >= 0 {
			*carryBuf = append((*carryBuf)[:0], scratch[i+1:n]...)
			return *carryBuf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// newChunk returns an empty chunk for the lines from line on, with room
// for size bytes: one the consumer is done with, or a new one.
func (r *Reader) newChunk(line, size int) *chunk {
	var c *chunk
	select {
	case c = <-r.free:
	default:
		c = &chunk{}
	}
	if cap(c.buf) < size {
		c.buf = make([]byte, 0, size)
	}
	c.buf, c.line, c.lines = c.buf[:0], line, 0
	c.done = make(chan struct{})
	c.obs, c.heads, c.skipped, c.err = c.obs[:0], c.heads[:0], 0, nil
	return c
}
