package store

import "testing"

// A page holds 1 to 200 records whatever a caller asks for (WIRE §8: max 200).
func TestPageLimit(t *testing.T) {
	for asked, want := range map[int]int{-1: 50, 0: 50, 1: 1, 199: 199, 200: 200, 201: 200, 10000: 200} {
		if got := (PageRequest{Limit: asked}).limit(); got != want {
			t.Errorf("limit %d → %d, want %d", asked, got, want)
		}
	}
}
