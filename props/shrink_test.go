package props

import (
	"testing"

	"github.com/actorio/actorio/sim"
)

// handMinimal is the smallest fault plan that shows each fault canary's
// bug, found by hand: one crash between an ack and its sync; one lost
// acknowledgement (a dropped reply, or a partition).
var handMinimal = map[string]int{"lost-ack": 1, "retry-dup": 1}

// TestShrinkToHandMinimal: shrinking the failing seeds of the fault
// canaries gives plans within 1.5× of the hand-minimal size, which replay
// to the same failure.
func TestShrinkToHandMinimal(t *testing.T) {
	for _, c := range Canaries() {
		want, ok := handMinimal[c.Name]
		if !ok {
			continue
		}
		shrunk := 0
		for seed := uint64(1); seed <= 40 && shrunk < 5; seed++ {
			s, failed := sim.Shrink(c.Scenario, seed, c.Options(RandomScheduler, seed)...)
			if !failed {
				continue
			}
			shrunk++
			got := len(s.Minimal.Faults)
			t.Logf("%s seed %d: %d faults → %d in %d runs (%s)", c.Name, seed, len(s.Original.Faults), got, s.Runs, s.Sign)
			if float64(got) > 1.5*float64(want) || got == 0 {
				t.Errorf("%s seed %d: shrunk to %d faults, hand-minimal is %d:\n%v", c.Name, seed, got, want, s.Minimal)
			}
			out := sim.RunScenario(c.Scenario, seed, append(c.Options(RandomScheduler, seed), sim.WithPlan(s.Minimal))...)
			if sim.Signature(out.Err) != s.Sign {
				t.Errorf("%s seed %d: the minimal plan replays to %v, want %s", c.Name, seed, out.Err, s.Sign)
			}
		}
		if shrunk == 0 {
			t.Errorf("%s: no failing seed to shrink", c.Name)
		}
	}
}
