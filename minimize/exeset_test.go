package minimize

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// An exeSet holds the same ids as a sorted list without duplicates,
// whichever way they were added.
func TestExeSet(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 1000 {
		var a, b exeSet
		var want []int32
		for range r.IntN(20) {
			id := int32(r.IntN(100))
			if r.IntN(2) == 0 {
				a.add(id)
			} else {
				b.add(id)
			}
			if !slices.Contains(want, id) {
				want = append(want, id)
			}
		}
		slices.Sort(want)
		u := a
		u.more = slices.Clone(a.more)
		u.addAll(b)
		if got := u.ids(); !slices.Equal(got, want) || u.len() != len(want) {
			t.Fatalf("union %v, want %v", got, want)
		}
	}
}
