package props

import (
	"fmt"
	"os"
	"testing"

	"github.com/actorio/actorio/sim"
)

func TestZZCampaign(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	sc := RemoteSignal(DefaultRemoteSignal)
	fails := 0
	for seed := uint64(1000); seed < 3000; seed++ {
		if out := sim.RunScenario(sc, seed, sim.WithProfile(sim.Swarm(seed))); out.Err != nil {
			fails++
			msg := out.Err.Error()
			if len(msg) > 700 {
				msg = msg[:700]
			}
			fmt.Printf("FAIL seed %d (%v): %s\n", seed, sim.Swarm(seed), msg)
		}
	}
	fmt.Println("failures:", fails)
}
