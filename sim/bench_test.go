package sim_test

import (
	"fmt"
	"testing"

	"github.com/actorio/actorio/internal/benchcmp"
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

// hotPotato is a world of n actors that each start with a token and pass
// every token they get to a random actor, so that about n mailboxes are
// runnable at every step.
func hotPotato(b *testing.B, n int) *sim.World {
	w := sim.New(uint64(n))
	s := w.MustNode("n")
	pids := make([]*actor.PID, n)
	for i := range pids {
		pids[i], _ = s.Spawn(actor.PropsFromFunc(func(c actor.Context) {
			switch c.Message().(type) {
			case *actor.Started, *volley:
				c.Send(pids[s.Rand().IntN(n)], &volley{})
			}
		}))
	}
	if _, err := w.Run(sim.MaxSteps(int64(4 * n))); err != nil {
		b.Fatal(err)
	}
	return w
}

// BenchmarkEventCostScaling: the cost of a simulated event with 10,000
// actors all busy, against 10 actors (cost ratio: 1 means flat).
func BenchmarkEventCostScaling(b *testing.B) {
	big, small := hotPotato(b, 10_000), hotPotato(b, 10)
	step := func(w *sim.World) func(int) {
		return func(n int) {
			if _, err := w.Run(sim.MaxSteps(w.Steps() + int64(n))); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	benchcmp.Compare(b, step(big), step(small))
}

// BenchmarkHotPotatoSteps runs the hot-potato world of each size for b.N
// steps. make bench runs it under cachegrind at two step counts: the
// difference, divided by the difference in steps, is the instructions one
// event costs, with the set-up taken out.
func BenchmarkHotPotatoSteps(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10_000} {
		b.Run(fmt.Sprintf("actors=%d", n), func(b *testing.B) {
			w := hotPotato(b, n)
			b.ResetTimer()
			if _, err := w.Run(sim.MaxSteps(w.Steps() + int64(b.N))); err != nil {
				b.Fatal(err)
			}
		})
	}
}
