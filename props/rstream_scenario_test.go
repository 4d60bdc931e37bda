package props

import (
	"testing"

	"github.com/actorio/actorio/sim"
)

// TestRemoteStreamScenario runs the remote-stream scenario without faults
// and under swarm profiles.
func TestRemoteStreamScenario(t *testing.T) {
	sc := RemoteStream(DefaultRemoteStream)
	for seed := uint64(1); seed <= 3; seed++ {
		if out := sim.RunScenario(sc, seed, sim.WithProfile(sim.NoFaults())); out.Err != nil {
			t.Fatalf("seed %d without faults: %v", seed, out.Err)
		}
	}
	for seed := uint64(1); seed <= 40; seed++ {
		p := sim.Swarm(seed)
		if out := sim.RunScenario(sc, seed, sim.WithProfile(p)); out.Err != nil {
			t.Fatalf("seed %d, profile %v: %v", seed, p, out.Err)
		}
	}
}
