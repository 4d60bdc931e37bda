package props

import (
	"testing"

	"github.com/actorio/actorio/sim"
)

// TestStreamSimulated: every seed holds the stream invariants.
func TestStreamSimulated(t *testing.T) {
	sc := Stream(DefaultStream)
	for seed := uint64(1); seed <= 60; seed++ {
		if out := sim.RunScenario(sc, seed); out.Err != nil {
			t.Fatal(out.Err)
		}
	}
}
