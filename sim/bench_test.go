package sim_test

import (
	"testing"

	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
)

type volley struct{ left int }

// BenchmarkSimDeliveries: two actors bounce a message in one World, each
// delivery a scheduling step with the fingerprint on. One op is one
// delivery; the deliveries/s metric is the target (≥ 2 M on one
// core).
func BenchmarkSimDeliveries(b *testing.B) {
	w := sim.New(1)
	s := w.MustNode("n")
	var peer *actor.PID
	bounce := func(c actor.Context) {
		if m, ok := c.Message().(*volley); ok && m.left > 0 {
			m.left--
			c.Send(peer, m)
		}
	}
	a, _ := s.Spawn(actor.PropsFromFunc(bounce))
	peer, _ = s.Spawn(actor.PropsFromFunc(bounce))
	if _, err := w.Run(); err != nil {
		b.Fatal(err)
	}
	start := w.Deliveries()
	b.ReportAllocs()
	b.ResetTimer()
	s.Send(a, &volley{left: b.N - 1})
	if _, err := w.Run(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if got := w.Deliveries() - start; got != int64(b.N) {
		b.Fatalf("%d deliveries, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSeedPingpong: whole pingpong seeds (node set-up, run, checks,
// close). One op is one seed.
func BenchmarkSeedPingpong(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if out := sim.RunScenario(pingpong, uint64(i)); out.Err != nil {
			b.Fatal(out.Err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "seeds/s")
}

// BenchmarkPingpongEvents: whole pingpong runs (set-up included), as
// simulated events per second on one core. One op is one event.
func BenchmarkPingpongEvents(b *testing.B) {
	b.ReportAllocs()
	var events int64
	for seed := uint64(1); events < int64(b.N); seed++ {
		out := sim.RunScenario(pingpong, seed)
		if out.Err != nil {
			b.Fatal(out.Err)
		}
		events += out.Events
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
