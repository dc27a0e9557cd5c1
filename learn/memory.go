package learn

import "sync"

// Memory is a Recorder that keeps every observation in memory, for callers
// that need the whole run before they can judge it (check, minimize after
// a trace). It is safe for concurrent use.
type Memory struct {
	mu  sync.Mutex
	obs []Observation
}

// Record keeps o.
func (m *Memory) Record(o Observation) error {
	m.mu.Lock()
	m.obs = append(m.obs, o)
	m.mu.Unlock()
	return nil
}

// All returns a copy of the observations recorded so far, in order.
func (m *Memory) All() []Observation {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Observation(nil), m.obs...)
}

// Len is how many observations were recorded.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.obs)
}
