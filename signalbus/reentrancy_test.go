package signalbus_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
)

// TestReentrancy: a slot connects, emits and disconnects itself from
// inside its own call. The new connection sees only events emitted after
// it was made (not the one being handled); the disconnect is a barrier
// even though later events were already on their way to the slot.
func TestReentrancy(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		inSim(t, seed, func(w *sim.World, bus *signalbus.Bus) {
			sig, _ := signalbus.NewSignal[blockIO](bus, "BlockIOEvent")
			var first, second []int
			var h1 signalbus.Handle
			h1, _ = sig.Connect(context.Background(), signalbus.FuncSlot(func(ctx context.Context, ev *signalbus.Event[blockIO]) {
				first = append(first, ev.Value.N)
				switch ev.Value.N {
				case 1:
					if _, err := sig.Connect(ctx, signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[blockIO]) {
						second = append(second, ev.Value.N)
					})); err != nil {
						t.Error(err)
					}
					if err := sig.Emit(blockIO{N: 100}); err != nil {
						t.Error(err)
					}
				case 2:
					if err := sig.Disconnect(ctx, h1); err != nil {
						t.Error(err)
					}
				}
			}))
			for i := 1; i <= 3; i++ {
				_ = sig.Emit(blockIO{N: i})
			}
			if _, err := w.Run(); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(first) != "[1 2]" || fmt.Sprint(second) != "[100]" {
				t.Fatalf("seed %d: first %v second %v", seed, first, second)
			}
		})
	}
}

// TestDuplicateConnects: two identical connects give two handles and two
// deliveries (invariant 13).
func TestDuplicateConnects(t *testing.T) {
	inSim(t, 1, func(w *sim.World, bus *signalbus.Bus) {
		sig, _ := signalbus.NewSignal[blockIO](bus, "BlockIOEvent", signalbus.WithArgs("device"))
		rec := newRecorder()
		a, _ := sig.Connect(context.Background(), rec.slot(nil), signalbus.Arg("device", "x"))
		b, _ := sig.Connect(context.Background(), rec.slot(nil), signalbus.Arg("device", "x"))
		_ = sig.Emit(blockIO{Device: "x", N: 1}, "x")
		_, _ = w.Run()
		if a == b || len(rec.of(a)) != 1 || len(rec.of(b)) != 1 {
			t.Fatalf("handles %s %s, got %v %v", a, b, rec.of(a), rec.of(b))
		}
	})
}

// TestSessionCloseCleansUp: closing a session removes every connection it
// had (defaults included) from the signals, and their executors stop.
func TestSessionCloseCleansUp(t *testing.T) {
	inSim(t, 2, func(w *sim.World, bus *signalbus.Bus) {
		sig, _ := signalbus.NewSignal[blockIO](bus, "BlockIOEvent")
		var got int
		sess, err := bus.NewSession(signalbus.FuncSink(func(context.Context, signalbus.AnyEvent) { got++ }))
		if err != nil {
			t.Fatal(err)
		}
		_ = sess.Start()
		h, _ := sig.Connect(context.Background(), signalbus.FuncSlot(func(context.Context, *signalbus.Event[blockIO]) { got++ }), signalbus.InSession(sess))
		_ = sig.Emit(blockIO{N: 1})
		_, _ = w.Run()
		st, err := sig.Stats(context.Background())
		if err != nil || len(st.Conns) != 2 || got != 2 {
			t.Fatalf("before close: %+v %v, got %d", st, err, got)
		}
		sess.Close()
		_ = sig.Emit(blockIO{N: 2})
		_, _ = w.Run()
		st, _ = sig.Stats(context.Background())
		if len(st.Conns) != 0 || got != 2 {
			t.Fatalf("after close: %d connections, got %d", len(st.Conns), got)
		}
		if err := sess.Disconnect(context.Background(), h); err == nil {
			t.Fatal("disconnect after close accepted")
		}
		if _, err := sig.Connect(context.Background(), signalbus.FuncSlot(func(context.Context, *signalbus.Event[blockIO]) {}), signalbus.InSession(sess)); err == nil {
			t.Fatal("connect on a closed session accepted")
		}
	})
}

// holder is an actor slot that stalls: it records deliveries and
// acknowledges them only when told.
type holder struct {
	got  []string
	held []signalbus.Delivery
}

type releaseAll struct{}

func (h *holder) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case signalbus.Delivery:
		if !m.Live() {
			m.Done()
			return
		}
		ev := m.AnyEvent().(*signalbus.Event[blockIO])
		h.got = append(h.got, fmt.Sprintf("%d/%d", ev.Value.N, ev.Dropped))
		h.held = append(h.held, m)
	case *releaseAll:
		for _, d := range h.held {
			d.Done()
		}
		h.held = nil
	}
}

// TestOverflowIsObservable: a stalled slot never slows the emitter or the
// other connection; its backlog is bounded (window 2 + queue 2) and the
// first event after the overflow carries the count of what was dropped
// (drop oldest keeps the newest).
func TestOverflowIsObservable(t *testing.T) {
	for _, pol := range []signalbus.Policy{signalbus.DropOldest, signalbus.DropNewest} {
		inSim(t, 3, func(w *sim.World, bus *signalbus.Bus) {
			sig, _ := signalbus.NewSignal[blockIO](bus, "BlockIOEvent")
			h := &holder{}
			pid, _ := bus.System().Spawn(actor.PropsFromProducer(func() actor.Actor { return h }))
			var fast []int
			hs, _ := sig.Connect(context.Background(), signalbus.ActorSlot[blockIO](pid), signalbus.Queue(4, pol))
			_, _ = sig.Connect(context.Background(), signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[blockIO]) {
				fast = append(fast, ev.Value.N)
			}))
			for i := 1; i <= 10; i++ {
				_ = sig.Emit(blockIO{N: i})
			}
			_, _ = w.Run()
			if len(fast) != 10 || fmt.Sprint(h.got) != "[1/0 2/0]" {
				t.Fatalf("%v: fast %v, stalled %v", pol, fast, h.got)
			}
			bus.System().Send(pid, &releaseAll{})
			_, _ = w.Run()
			want := map[signalbus.Policy]string{signalbus.DropOldest: "[1/0 2/0 9/6 10/0]", signalbus.DropNewest: "[1/0 2/0 3/6 4/0]"}[pol]
			if fmt.Sprint(h.got) != want {
				t.Fatalf("%v: got %v, want %s", pol, h.got, want)
			}
			st, _ := sig.Stats(context.Background())
			if st.Conns[hs].Dropped != 6 {
				t.Fatalf("%v: dropped %d", pol, st.Conns[hs].Dropped)
			}
		})
	}
}

// TestSlotPanicRecovered: a panicking func slot is counted and the
// connection goes on.
func TestSlotPanicRecovered(t *testing.T) {
	inSim(t, 4, func(w *sim.World, bus *signalbus.Bus) {
		sig, _ := signalbus.NewSignal[blockIO](bus, "BlockIOEvent")
		var got []int
		_, _ = sig.Connect(context.Background(), signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[blockIO]) {
			if ev.Value.N == 1 {
				panic("slot bug")
			}
			got = append(got, ev.Value.N)
		}))
		_ = sig.Emit(blockIO{N: 1})
		_ = sig.Emit(blockIO{N: 2})
		_, _ = w.Run()
		if bus.SlotPanics() != 1 || fmt.Sprint(got) != "[2]" {
			t.Fatalf("panics %d, got %v", bus.SlotPanics(), got)
		}
	})
}
