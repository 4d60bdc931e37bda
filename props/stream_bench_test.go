package props

import (
	"testing"

	"github.com/actorio/actorio/sim"
)

// BenchmarkStreamScenarioSeeds: whole seeds of the stream scenario (six
// streams: a clean transfer, aborts on either side, a stalled consumer, an
// upload to and a download from a simulated sparse file), node set-up and
// checks included, under each seed's swarm profile, on one core. One op is
// one seed; the seeds/s metric is issue 6's target (≥ 100 per core).
func BenchmarkStreamScenarioSeeds(b *testing.B) {
	sc := Stream(DefaultStream)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		seed := uint64(i + 1)
		if out := sim.RunScenario(sc, seed, sim.WithProfile(sim.Swarm(seed))); out.Err != nil {
			b.Fatal(out.Err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "seeds/s")
}
