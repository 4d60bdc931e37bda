package remote

import (
	"testing"

	"github.com/actorio/actorio/streamactor"
)

// TestValidCost: a data segment may cost any buffer class that holds it, up
// to the class of the largest segment (a short read stays in its larger
// buffer); anything else is a protocol violation.
func TestValidCost(t *testing.T) {
	const max = 64 << 10
	cost := streamactor.SegmentCost
	for _, c := range []struct {
		cost int64
		n    int
		ok   bool
	}{
		{cost(13), 13, true},
		{cost(4096), 13, true}, // read into 4 KiB, 13 bytes came
		{cost(max), 13, true},
		{cost(max) * 2, 13, false},              // above the largest class
		{cost(12) - 1, 13, false},               // below the smallest
		{cost(4096) + 1, 13, false},             // not a class
		{cost(1024), 4096, false},               // too small for its data
		{streamactor.SegmentOverhead, 1, false}, // no buffer at all
	} {
		if got := validCost(c.cost, c.n, max); got != c.ok {
			t.Errorf("validCost(%d, %d) = %v, want %v", c.cost, c.n, got, c.ok)
		}
	}
}
