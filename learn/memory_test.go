package learn

import (
	"sync"
	"testing"
)

func TestMemoryKeepsOrderAcrossChunks(t *testing.T) {
	var m Memory
	if m.All() != nil || m.Len() != 0 {
		t.Fatalf("empty Memory: All %v, Len %d", m.All(), m.Len())
	}
	n := 2*memoryChunk + 5
	for i := range n {
		m.Record(Observation{Seq: uint64(i + 1)})
	}
	all := m.All()
	if len(all) != n || m.Len() != n {
		t.Fatalf("got %d observations, Len %d; want %d", len(all), m.Len(), n)
	}
	for i, o := range all {
		if o.Seq != uint64(i+1) {
			t.Fatalf("observation %d has seq %d, want %d", i, o.Seq, i+1)
		}
	}
	i := 0
	for o := range m.Values() {
		if o.Seq != uint64(i+1) {
			t.Fatalf("Values: observation %d has seq %d, want %d", i, o.Seq, i+1)
		}
		i++
		if i == n-1 {
			break // and stopping early is allowed
		}
	}
	if i != n-1 {
		t.Fatalf("Values yielded %d observations, want %d", i, n-1)
	}
	// All is a copy: changing it changes nothing kept.
	all[0].Seq = 99
	if m.All()[0].Seq != 1 {
		t.Fatal("All returned the Memory's own storage")
	}
}

func TestMemoryConcurrent(t *testing.T) {
	var m Memory
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range memoryChunk {
				m.Record(Observation{Seq: uint64(g*memoryChunk + i)})
			}
		})
	}
	wg.Wait()
	seen := map[uint64]bool{}
	for _, o := range m.All() {
		seen[o.Seq] = true
	}
	if len(seen) != 4*memoryChunk || m.Len() != 4*memoryChunk {
		t.Fatalf("kept %d distinct of %d observations (Len %d)", len(seen), 4*memoryChunk, m.Len())
	}
}
