package minimize

import "math/bits"

// exeSet is a set of executable ids (Builder.exeIDOf): a bit each for
// the first 64, which a run seldom goes beyond, and a sorted list for
// the rest. Adding an executable a path already has, as nearly every
// observation does, is a test of a bit in the node, with no list to
// reach in memory and search.
type exeSet struct {
	bits uint64
	more []int32 // ids of 64 and up, sorted
}

func (s *exeSet) add(id int32) {
	if id < 64 {
		s.bits |= 1 << id
		return
	}
	i := 0
	for i < len(s.more) && s.more[i] < id {
		i++
	}
	if i < len(s.more) && s.more[i] == id {
		return
	}
	s.more = append(s.more, 0)
	copy(s.more[i+1:], s.more[i:])
	s.more[i] = id
}

// addAll adds the ids of t.
func (s *exeSet) addAll(t exeSet) {
	s.bits |= t.bits
	for _, id := range t.more {
		s.add(id)
	}
}

func (s exeSet) len() int { return bits.OnesCount64(s.bits) + len(s.more) }

// ids returns the ids in s, in increasing order.
func (s exeSet) ids() []int32 {
	out := make([]int32, 0, s.len())
	for b := s.bits; b != 0; b &= b - 1 {
		out = append(out, int32(bits.TrailingZeros64(b)))
	}
	return append(out, s.more...)
}
