package signalbus_test

import (
	"context"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/benchcmp"
	"github.com/actorio/actorio/signalbus"
	"github.com/asynkron/protoactor-go/actor"
)

// BenchmarkIdleConnectionMemory: the memory an idle connection costs (one
// signal, 1,000 connections to one actor slot, nothing emitted), as
// B/conn. Connecting is asynchronous, so the signal actor is asked for
// its state before measuring.
func BenchmarkIdleConnectionMemory(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	sys := actors.New()
	defer sys.Close(ctx)
	bus := signalbus.New(sys)
	defer bus.Close()
	sig, err := signalbus.NewSignal[int](bus, "Tick")
	if err != nil {
		b.Fatal(err)
	}
	slot, err := sys.Spawn(actor.PropsFromFunc(func(actor.Context) {}, actor.WithReceiverMiddleware(signalbus.SlotMiddleware)))
	if err != nil {
		b.Fatal(err)
	}
	benchcmp.MemPer(b, n, "B/conn", func() func() {
		hs := make([]signalbus.Handle, n)
		for j := range hs {
			if hs[j], err = sig.Connect(ctx, signalbus.ActorSlot[int](slot)); err != nil {
				b.Fatal(err)
			}
		}
		// A disconnect from outside the actors waits for the signal actor,
		// which handles messages in order: every connect is in place.
		extra, err := sig.Connect(ctx, signalbus.ActorSlot[int](slot))
		if err != nil {
			b.Fatal(err)
		}
		if err := sig.Disconnect(ctx, extra); err != nil {
			b.Fatal(err)
		}
		return func() {
			for _, h := range hs {
				if err := sig.Disconnect(ctx, h); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
