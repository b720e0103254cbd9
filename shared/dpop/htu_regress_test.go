package dpop

import (
	"strings"
	"testing"
)

// A URL whose escaping pushes it past the length bound is refused, so every
// normal form is a fixed point (found by FuzzNormalizeHTU).
func TestNormalizeHTULengthAfterEscaping(t *testing.T) {
	s := "http://0/" + strings.Repeat("\xa8", 1000)
	if n, err := NormalizeHTU(s); err == nil {
		if again, err := NormalizeHTU(n); err != nil || again != n {
			t.Fatalf("normal form %d chars does not normalise to itself: %v", len(n), err)
		}
	}
}
