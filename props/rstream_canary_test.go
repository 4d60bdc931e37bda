package props

import (
	"strings"
	"testing"

	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/streamactor/remote"
)

// TestRemoteStreamCanary: with the links' gap detection broken (segments
// delivered past a gap as if nothing were missing), the remote-stream
// checkers catch it on a lossy network within a few seeds: the content
// checks fail, where the correct links turn every loss into an error.
func TestRemoteStreamCanary(t *testing.T) {
	sc := RemoteStream(DefaultRemoteStream)
	lossy := sim.Profile{Name: "lossy", FaultTime: ms(1000),
		Net: sim.NetFaults{LatencyMin: ms(1), LatencyMax: ms(5), Drop: 0.03, Reorder: 0.03}}
	for seed := uint64(1); seed <= 50; seed++ {
		out := sim.RunScenario(sc, seed, sim.WithProfile(lossy), sim.WithCanary(remote.CanarySkipGaps))
		if out.Err == nil {
			continue
		}
		if !strings.Contains(out.Err.Error(), "RS1") && !strings.Contains(out.Err.Error(), "RS2") && !strings.Contains(out.Err.Error(), "RS3") {
			t.Fatalf("seed %d: the canary failed another way: %v", seed, out.Err)
		}
		t.Logf("caught at seed %d: %.300s", seed, out.Err)
		// The same seeds pass without the planted bug.
		for s := uint64(1); s <= seed; s++ {
			if out := sim.RunScenario(sc, s, sim.WithProfile(lossy)); out.Err != nil {
				t.Fatalf("seed %d without the canary: %v", s, out.Err)
			}
		}
		return
	}
	t.Fatal("the planted gap bug went unnoticed for 50 seeds")
}
