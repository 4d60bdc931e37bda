package signalbus_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
)

// TestRegressionExecutorFailureKeepsConnection: when a func slot's
// executor fails (the simulator's injected panics: the message it was
// about to handle is lost), the connection goes on. A delivery lost in a
// failure is counted as dropped on the next event (every emission is
// either run by the slot or counted in a Dropped), later emissions are
// delivered, and a Disconnect (whose Fence a failure may lose) returns
// without error.
// Spec: signalbus/doc.go (a slow or failing consumer never blocks the
// bus; overflow is observable); DESIGN.md §signalbus "Disconnect is a
// barrier".
func TestRegressionExecutorFailureKeepsConnection(t *testing.T) {
	prof := sim.Profile{Name: "panics", FaultTime: sim.Duration(2 * time.Second), Panics: &sim.PanicFaults{Rate: 0.2}}
	for seed := uint64(1); seed <= 4; seed++ {
		w := sim.New(seed, sim.WithProfile(prof))
		w.AllowPanics(func(_, id string) bool { return strings.Contains(id, "/slot-") })
		bus := signalbus.New(w.MustNode("n1"), signalbus.WithFenceTimeout(time.Hour))
		sig, err := signalbus.NewSignal[blockIO](bus, "BlockIOEvent")
		if err != nil {
			t.Fatal(err)
		}
		ran, dropped, last := 0, uint64(0), 0
		h, err := sig.Connect(context.Background(), signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[blockIO]) {
			ran++
			dropped += ev.Dropped
			last = ev.Value.N
		}), signalbus.Queue(4, signalbus.DropOldest))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i := 0; i < 100; i++ {
			n++
			_ = sig.Emit(blockIO{Device: "a", N: n})
			if i%5 == 0 { // a connection whose Fence a failure may lose
				h2, err := sig.Connect(context.Background(), signalbus.FuncSlot(func(context.Context, *signalbus.Event[blockIO]) {}))
				if err != nil {
					t.Fatal(err)
				}
				n++
				_ = sig.Emit(blockIO{Device: "b", N: n})
				if _, err := w.Run(w.For(time.Millisecond)); err != nil {
					t.Fatal(err)
				}
				if err := sig.Disconnect(context.Background(), h2); err != nil {
					t.Fatalf("seed %d: Disconnect during the failures: %v", seed, err)
				}
			}
			if _, err := w.Run(w.For(10 * time.Millisecond)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Run(w.For(5 * time.Second)); err != nil { // past the failures
			t.Fatal(err)
		}
		restarts := bus.System().Stats().Restarts
		n++
		_ = sig.Emit(blockIO{Device: "z", N: n})
		if _, err := w.Run(w.For(time.Second)); err != nil {
			t.Fatal(err)
		}
		if last != n {
			t.Fatalf("seed %d (%d restarts): the last emission (%d) never reached the slot (last run: %d)", seed, restarts, n, last)
		}
		if uint64(ran)+dropped != uint64(n) {
			t.Fatalf("seed %d (%d restarts): the slot ran %d times and was told of %d dropped, of %d emissions", seed, restarts, ran, dropped, n)
		}
		// (Blocking calls run the World until answered.)
		derr := sig.Disconnect(context.Background(), h)
		if derr != nil {
			t.Fatalf("seed %d: Disconnect: %v", seed, derr)
		}
		bus.Close()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRegressionRemoteExecutorFailureKeepsConnection: the same for a
// remote connection's func slot, whose executor is the bus's remote
// client's child: a delivery lost in an executor's failure is
// acknowledged to the server and counted as dropped on the next event,
// later events arrive, and a Disconnect whose Fence was lost returns.
func TestRegressionRemoteExecutorFailureKeepsConnection(t *testing.T) {
	prof := sim.Profile{Name: "panics", FaultTime: sim.Duration(2 * time.Second), Panics: &sim.PanicFaults{Rate: 0.2}}
	for seed := uint64(1); seed <= 4; seed++ {
		p := newPair(t, seed, sim.WithProfile(prof))
		p.w.AllowPanics(func(node, id string) bool { return node == "b" && strings.Contains(id, "/slot-") })
		ran, dropped, last := 0, uint64(0), 0
		ctx := context.Background()
		h, err := p.rs.Connect(ctx, signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[blockIO]) {
			ran++
			dropped += ev.Dropped
			last = ev.Value.N
		}), signalbus.Queue(4, signalbus.DropOldest))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i := 0; i < 100; i++ {
			n++
			_ = p.sig.Emit(blockIO{Device: "a", N: n}, "a")
			if i%5 == 0 {
				h2, err := p.rs.Connect(ctx, signalbus.FuncSlot(func(context.Context, *signalbus.Event[blockIO]) {}))
				if err != nil {
					t.Fatal(err)
				}
				n++
				_ = p.sig.Emit(blockIO{Device: "a", N: n}, "a")
				p.run(t, 5*time.Millisecond)
				if err := p.rs.Disconnect(ctx, h2); err != nil {
					t.Fatalf("seed %d: Disconnect during the failures: %v", seed, err)
				}
			}
			p.run(t, 10*time.Millisecond)
		}
		p.run(t, 5*time.Second) // past the failures
		n++
		_ = p.sig.Emit(blockIO{Device: "a", N: n}, "a")
		p.run(t, time.Second)
		if last != n {
			t.Fatalf("seed %d: the last emission (%d) never reached the slot (last run: %d)", seed, n, last)
		}
		if uint64(ran)+dropped != uint64(n) {
			t.Fatalf("seed %d: the slot ran %d times and was told of %d dropped, of %d emissions", seed, ran, dropped, n)
		}
		if err := p.rs.Disconnect(ctx, h); err != nil {
			t.Fatalf("seed %d: Disconnect: %v", seed, err)
		}
		p.close(t)
	}
}
