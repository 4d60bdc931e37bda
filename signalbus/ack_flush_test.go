package signalbus_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
)

// picky is an actor slot that handles deliveries itself and acknowledges
// them in the order the test says, not the order they came in. It keeps
// the events it holds (not copies), so it sees any reuse of one it has
// not acknowledged. Told to, it sends a Flush to a signal and records the
// Flushed among its deliveries.
type picky struct {
	log  []string
	held map[int]*signalbus.Event[blockIO] // by Value.N
}

type ackN struct{ n []int } // acknowledge these held events
type flushTo struct{ sig *actor.PID }

func (p *picky) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case signalbus.Delivery:
		if !m.Live() {
			m.Done()
			return
		}
		ev := m.AnyEvent().(*signalbus.Event[blockIO])
		p.log = append(p.log, fmt.Sprintf("%d/%d", ev.Value.N, ev.Dropped))
		p.held[ev.Value.N] = ev
	case *ackN:
		for _, n := range m.n {
			if ev := p.held[n]; ev != nil {
				delete(p.held, n)
				ev.Done()
			}
		}
	case *flushTo:
		c.Request(m.sig, &signalbus.Flush{})
	case *signalbus.Flushed:
		p.log = append(p.log, "flushed")
	}
}

// TestOutOfOrderAcksReuseOnlyAcknowledgedEvents: a slot that
// acknowledges its deliveries out of order (as a QMP session does when a
// large event waits for its write and a small one behind it does not)
// keeps every event it has not acknowledged intact, and the connection
// keeps its whole backlog bound: window 2 + queue 2 hold 4 events of a
// stalled slot without a drop, however often it acknowledged out of
// order before.
// Spec: event.go "An Event is valid until it is acknowledged (Done)";
// doc.go "Each connection has a window ... and a queue ... bounded
// together by Queue(limit, policy)".
func TestOutOfOrderAcksReuseOnlyAcknowledgedEvents(t *testing.T) {
	inSim(t, 7, func(w *sim.World, bus *signalbus.Bus) {
		sig, _ := signalbus.NewSignal[blockIO](bus, "BlockIOEvent")
		p := &picky{held: map[int]*signalbus.Event[blockIO]{}}
		pid, _ := bus.System().Spawn(actor.PropsFromProducer(func() actor.Actor { return p }))
		h, _ := sig.Connect(context.Background(), signalbus.ActorSlot[blockIO](pid), signalbus.Queue(4, signalbus.DropOldest))
		_, _ = w.Run()
		first := func() {
			t.Helper()
			if ev := p.held[1]; ev == nil || ev.Value.N != 1 || ev.Tag != h {
				t.Fatalf("the unacknowledged event 1 was reused: %+v", ev)
			}
		}
		// Event 1 stays unacknowledged while 2..9 are acknowledged at once.
		for n := 1; n <= 9; n++ {
			_ = sig.Emit(blockIO{N: n})
			_, _ = w.Run()
			if n > 1 {
				bus.System().Send(pid, &ackN{n: []int{n}})
				_, _ = w.Run()
			}
			first()
		}
		bus.System().Send(pid, &ackN{n: []int{1}})
		_, _ = w.Run()
		// Now the slot stalls: 4 events fit.
		p.log = nil
		for n := 10; n <= 13; n++ {
			_ = sig.Emit(blockIO{N: n})
		}
		_, _ = w.Run()
		bus.System().Send(pid, &ackN{n: []int{10, 11}})
		_, _ = w.Run()
		bus.System().Send(pid, &ackN{n: []int{12, 13}})
		_, _ = w.Run()
		st, _ := sig.Stats(context.Background())
		if got := fmt.Sprint(p.log); got != "[10/0 11/0 12/0 13/0]" || st.Conns[h].Dropped != 0 {
			t.Fatalf("stalled slot got %s, dropped %d; want [10/0 11/0 12/0 13/0], none dropped", got, st.Conns[h].Dropped)
		}
	})
}

// TestFlushWaitsForQueuedDeliveries: a Flush from a connection's slot is
// answered only after the deliveries of everything emitted before it,
// also those that wait in the connection's queue for window space (the
// QMP endpoint relies on this to write a command's events before its
// return); what the overflow policy dropped is not waited for, and a
// sender with nothing queued is answered at once.
// Spec: sigactor.go Flush; qmp/doc.go "whose events are written before
// their return"; research §5 inv. 26.
func TestFlushWaitsForQueuedDeliveries(t *testing.T) {
	inSim(t, 8, func(w *sim.World, bus *signalbus.Bus) {
		sig, _ := signalbus.NewSignal[blockIO](bus, "BlockIOEvent")
		p := &picky{held: map[int]*signalbus.Event[blockIO]{}}
		pid, _ := bus.System().Spawn(actor.PropsFromProducer(func() actor.Actor { return p }))
		_, _ = sig.Connect(context.Background(), signalbus.ActorSlot[blockIO](pid), signalbus.Queue(4, signalbus.DropOldest))
		_, _ = w.Run()
		bus.System().Send(pid, &flushTo{sig.PID()}) // nothing emitted: at once
		_, _ = w.Run()
		if got := fmt.Sprint(p.log); got != "[flushed]" {
			t.Fatalf("idle flush: %s", got)
		}
		p.log = nil
		for n := 1; n <= 6; n++ { // window 2, queue 2: 3 and 4 are dropped
			_ = sig.Emit(blockIO{N: n})
		}
		_, _ = w.Run()
		bus.System().Send(pid, &flushTo{sig.PID()})
		_, _ = w.Run()
		if got := fmt.Sprint(p.log); got != "[1/0 2/0]" {
			t.Fatalf("flush answered before the queued deliveries: %s", got)
		}
		bus.System().Send(pid, &ackN{n: []int{1}})
		_, _ = w.Run()
		if got := fmt.Sprint(p.log); got != "[1/0 2/0 5/2]" {
			t.Fatalf("flush answered before the queued deliveries: %s", got)
		}
		_ = sig.Emit(blockIO{N: 7}) // after the Flush: not waited for
		_, _ = w.Run()
		bus.System().Send(pid, &ackN{n: []int{2}})
		_, _ = w.Run()
		if got := fmt.Sprint(p.log); got != "[1/0 2/0 5/2 6/0 flushed]" {
			t.Fatalf("got %s, want the flush right after the last event emitted before it", got)
		}
		bus.System().Send(pid, &ackN{n: []int{5, 6}})
		_, _ = w.Run()
		if got := fmt.Sprint(p.log); got != "[1/0 2/0 5/2 6/0 flushed 7/0]" {
			t.Fatalf("got %s", got)
		}
	})
}
