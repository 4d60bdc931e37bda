package signalbus_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/benchcmp"
	"github.com/actorio/actorio/signalbus"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/eventstream"
)

const (
	fanout = 100 // slots / subscribers / actors
	batch  = 32  // emissions in flight before the emitter waits
)

// counter counts deliveries and wakes the benchmark once target is reached.
type counter struct {
	n      atomic.Int64
	target atomic.Int64
	done   chan struct{}
}

func newCounter() *counter { return &counter{done: make(chan struct{}, 1)} }

func (c *counter) add() {
	if c.n.Add(1) == c.target.Load() {
		c.done <- struct{}{}
	}
}

// run emits n events in batches through emit, waiting after each batch
// until all its fan-out deliveries arrived.
func (c *counter) run(n int, emit func(i int)) {
	for i := 0; i < n; {
		k := min(batch, n-i)
		c.target.Store(c.n.Load() + int64(k*fanout))
		for j := 0; j < k; j++ {
			emit(i + j)
		}
		<-c.done
		i += k
	}
}

type benchEvent struct{ N int }

// fanoutSetup builds, on one real System: our signal with 100 actor slots;
// a raw protoactor fan-out (an actor that forwards each message to 100
// actors); and protoactor's eventstream with 100 subscribers that each
// forward to an actor.
//
// With args, the signal declares that many accessor arguments and ours
// emits with those values (the connections do not filter).
func fanoutSetup(b *testing.B, args ...string) (sys *actors.System, ours, raw, stream func(n int)) {
	sys = actors.New()
	bus := signalbus.New(sys)
	names := make([]string, len(args))
	for i := range args {
		names[i] = fmt.Sprintf("arg%d", i)
	}
	sig, err := signalbus.NewSignal[benchEvent](bus, "BenchEvent", signalbus.WithArgs(names...))
	if err != nil {
		b.Fatal(err)
	}
	cOurs, cRaw, cStream := newCounter(), newCounter(), newCounter()
	for i := 0; i < fanout; i++ {
		pid, _ := sys.Spawn(signalbus.SlotProps(func() actor.Actor {
			return actor.ReceiveFunc(func(c actor.Context) {
				if _, ok := c.Message().(*signalbus.Event[benchEvent]); ok {
					cOurs.add()
				}
			})
		}))
		if _, err := sig.Connect(context.Background(), signalbus.ActorSlot[benchEvent](pid)); err != nil {
			b.Fatal(err)
		}
	}
	var targets []*actor.PID
	var streamTargets []*actor.PID
	for i := 0; i < fanout; i++ {
		p, _ := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
			if _, ok := c.Message().(*benchEvent); ok {
				cRaw.add()
			}
		}))
		targets = append(targets, p)
		q, _ := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
			if _, ok := c.Message().(*benchEvent); ok {
				cStream.add()
			}
		}))
		streamTargets = append(streamTargets, q)
	}
	hub, _ := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*benchEvent); ok {
			for _, t := range targets {
				c.Send(t, m)
			}
		}
	}))
	es := eventstream.NewEventStream()
	root := sys.Root()
	for _, t := range streamTargets {
		t := t
		es.Subscribe(func(evt any) { root.Send(t, evt) })
	}
	switch len(args) {
	case 0:
		ours = func(n int) { cOurs.run(n, func(i int) { _ = sig.Emit(benchEvent{N: i}) }) }
	case 1:
		ours = func(n int) { cOurs.run(n, func(i int) { _ = sig.Emit(benchEvent{N: i}, args[0]) }) }
	default:
		ours = func(n int) { cOurs.run(n, func(i int) { _ = sig.Emit(benchEvent{N: i}, args...) }) }
	}
	raw = func(n int) { cRaw.run(n, func(i int) { sys.Send(hub, &benchEvent{N: i}) }) }
	stream = func(n int) { cStream.run(n, func(i int) { es.Publish(&benchEvent{N: i}) }) }
	b.Cleanup(func() {
		bus.Close()
		_ = sys.Close(context.Background())
	})
	return sys, ours, raw, stream
}

// BenchmarkEmitVsRawFanout: one op is one event delivered to 100 actor
// slots by Emit, against protoactor's raw fan-out (one actor forwarding
// to 100 actors). x-base is our throughput as a fraction of the raw
// fan-out's, per delivery (target ≥ 0.67, i.e. ≤ 1.5× the cost).
func BenchmarkEmitVsRawFanout(b *testing.B) {
	_, ours, raw, _ := fanoutSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	benchcmp.Compare(b, ours, raw)
}

// BenchmarkEmitArgVsRawFanout: BenchmarkEmitVsRawFanout for a signal
// with an accessor argument, emitted with its value (Emit keeps a copy of
// the arguments).
func BenchmarkEmitArgVsRawFanout(b *testing.B) {
	_, ours, raw, _ := fanoutSetup(b, "vda")
	b.ReportAllocs()
	b.ResetTimer()
	benchcmp.Compare(b, ours, raw)
}

// BenchmarkEmitVsEventStream: the same Emit against protoactor's
// eventstream publishing to 100 subscribers, each forwarding to an actor.
func BenchmarkEmitVsEventStream(b *testing.B) {
	_, ours, _, stream := fanoutSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	benchcmp.Compare(b, ours, stream)
}

// BenchmarkEmitCall: what one Emit costs its caller and the signal actor
// alone (no connection, so no delivery), with 0 and 1 accessor
// arguments; the emitter waits for the actor every 1,024 emissions.
func BenchmarkEmitCall(b *testing.B) {
	for _, nargs := range []int{0, 1} {
		b.Run(fmt.Sprintf("args=%d", nargs), func(b *testing.B) {
			sys := actors.New()
			bus := signalbus.New(sys)
			defer func() {
				bus.Close()
				_ = sys.Close(context.Background())
			}()
			var opts []signalbus.SignalOption
			if nargs == 1 {
				opts = append(opts, signalbus.WithArgs("device"))
			}
			sig, err := signalbus.NewSignal[benchEvent](bus, "BenchEvent", opts...)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if nargs == 0 {
					_ = sig.Emit(benchEvent{N: i})
				} else {
					_ = sig.Emit(benchEvent{N: i}, "vda")
				}
				if i%1024 == 1023 {
					if _, err := sig.Stats(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
