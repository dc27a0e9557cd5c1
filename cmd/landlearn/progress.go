package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/landlearn/landlearn/learn"
)

// progressEvery is how often the progress line is redrawn.
const progressEvery = 250 * time.Millisecond

// progress is the line that learn, check and verify keep up to date on
// stderr while the program runs, when stderr is a terminal: elapsed time,
// calls stopped, observations, distinct paths, the audit round. Nothing
// of it is written elsewhere (CI logs stay clean). landlearn's own
// messages go through it (Write): it clears the line, writes them, and
// draws it again.
type progress struct {
	w     io.Writer
	start time.Time
	done  chan struct{}
	wg    sync.WaitGroup

	once    sync.Once
	stopped bool // no more drawing

	mu    sync.Mutex
	shown bool
	what  string        // "learn", "check", "verify"
	calls func() uint64 // the tracer's count, once started
	obs   func() int    // observations so far
	paths func() int    // distinct paths so far
	round atomic.Int64  // the audit round, 0 before
}

// newProgress starts the line on stderr when it is a terminal, or
// returns nil: every method of a nil *progress is a no-op, and Writer
// returns stderr itself.
func newProgress(stderr io.Writer, what string) *progress {
	f, ok := stderr.(*os.File)
	if !ok || !isTerminal(f) {
		return nil
	}
	p := &progress{w: f, start: time.Now(), done: make(chan struct{}), what: what}
	p.wg.Add(1)
	go p.loop()
	return p
}

// Writer is where landlearn's own messages go: through the line when
// there is one.
func (p *progress) Writer(stderr io.Writer) io.Writer {
	if p == nil {
		return stderr
	}
	return p
}

// Write clears the line, writes b, and draws the line again.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	n, err := p.w.Write(b)
	p.draw()
	return n, err
}

// tracing makes the line show the tracer's counters.
func (p *progress) tracing(calls func() uint64, rec *pathCounter) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls, p.obs, p.paths = calls, rec.Len, rec.Paths
}

// setRound shows the audit round that runs.
func (p *progress) setRound(n int) {
	if p != nil {
		p.round.Store(int64(n))
	}
}

// stop removes the line for good; messages still go through.
func (p *progress) stop() {
	if p == nil {
		return
	}
	p.once.Do(func() {
		close(p.done)
		p.wg.Wait()
		p.mu.Lock()
		defer p.mu.Unlock()
		p.clear()
		p.stopped = true
	})
}

func (p *progress) loop() {
	defer p.wg.Done()
	t := time.NewTicker(progressEvery)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
		}
		p.mu.Lock()
		p.draw()
		p.mu.Unlock()
	}
}

// line is the progress line's text; p.mu is held.
func (p *progress) line() string {
	parts := []string{fmt.Sprintf("landlearn %s: %s", p.what, time.Since(p.start).Round(time.Second))}
	if p.calls != nil {
		parts = append(parts, fmt.Sprintf("%d calls stopped", p.calls()))
	}
	if p.obs != nil {
		parts = append(parts, fmt.Sprintf("%d observations", p.obs()), fmt.Sprintf("%d paths", p.paths()))
	}
	if r := p.round.Load(); r > 0 {
		parts = append(parts, fmt.Sprintf("audit round %d", r))
	}
	return strings.Join(parts, ", ")
}

// draw writes the line over the last one; p.mu is held.
func (p *progress) draw() {
	if p.stopped {
		return
	}
	io.WriteString(p.w, "\r\033[K"+p.line())
	p.shown = true
}

// clear erases the line; p.mu is held.
func (p *progress) clear() {
	if p.shown {
		io.WriteString(p.w, "\r\033[K")
		p.shown = false
	}
}

// pathCounter counts the distinct paths of the observations it is
// given, for the progress line; it is only put in the recording chain
// when there is a line to show.
type pathCounter struct {
	learn.Recorder
	n     atomic.Int64
	count atomic.Int64
	mu    sync.Mutex
	paths map[string]struct{}
}

func newPathCounter(next learn.Recorder) *pathCounter {
	return &pathCounter{Recorder: next, paths: map[string]struct{}{}}
}

func (c *pathCounter) Record(o learn.Observation) error {
	c.n.Add(1)
	if o.Path != "" {
		c.mu.Lock()
		if _, ok := c.paths[o.Path]; !ok {
			c.paths[o.Path] = struct{}{}
			c.count.Add(1)
		}
		c.mu.Unlock()
	}
	return c.Recorder.Record(o)
}

// Len is how many observations went through.
func (c *pathCounter) Len() int { return int(c.n.Load()) }

// Paths is how many distinct paths they named.
func (c *pathCounter) Paths() int { return int(c.count.Load()) }
