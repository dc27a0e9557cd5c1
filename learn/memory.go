package learn

import (
	"iter"
	"sync"
)

// memoryChunk is how many observations a Memory keeps per allocation.
const memoryChunk = 1024

// Memory is a Recorder that keeps every observation in memory, for callers
// that need the whole run before they can judge it (check, minimize after
// a trace). It is safe for concurrent use.
//
// It keeps them in fixed-size chunks rather than one growing slice: a
// tracer records in the stopped call's critical path, and growing a slice
// of 200-byte structs copies every observation again at each doubling
// (under the garbage collector's write barriers, while it runs).
type Memory struct {
	mu     sync.Mutex
	chunks [][]Observation
	n      int
}

// Record keeps o, as a Writer would write it: ValidUTF8 turns an
// observation of a path that is not valid UTF-8 into a warning.
func (m *Memory) Record(o Observation) error {
	o = ValidUTF8(o)
	m.mu.Lock()
	if len(m.chunks) == 0 || len(m.chunks[len(m.chunks)-1]) == memoryChunk {
		m.chunks = append(m.chunks, make([]Observation, 0, memoryChunk))
	}
	last := &m.chunks[len(m.chunks)-1]
	*last = append(*last, o)
	m.n++
	m.mu.Unlock()
	return nil
}

// All returns a copy of the observations recorded so far, in order.
func (m *Memory) All() []Observation {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == 0 {
		return nil
	}
	all := make([]Observation, 0, m.n)
	for _, c := range m.chunks {
		all = append(all, c...)
	}
	return all
}

// Len is how many observations were recorded.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n
}

// Values yields the observations recorded so far, in order, without
// copying them. Observations recorded while it runs may be left out.
func (m *Memory) Values() iter.Seq[Observation] {
	m.mu.Lock()
	chunks := append([][]Observation(nil), m.chunks...)
	m.mu.Unlock()
	return func(yield func(Observation) bool) {
		for _, c := range chunks {
			for _, o := range c {
				if !yield(o) {
					return
				}
			}
		}
	}
}
