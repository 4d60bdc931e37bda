package actors_test

import (
	"context"
	"fmt"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
)

type greet struct{ name string }

// A real System: spawn an actor, ask it from outside, close everything.
func ExampleNew() {
	sys := actors.New()
	greeter, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if g, ok := c.Message().(*greet); ok {
			c.Respond("hello, " + g.name)
		}
	}))
	if err != nil {
		panic(err)
	}
	reply, err := sys.Request(context.Background(), greeter, &greet{name: "world"})
	fmt.Println(reply, err)
	if err := sys.Close(context.Background()); err != nil {
		panic(err)
	}
	// Output: hello, world <nil>
}

// Ask from inside an actor, with a timeout on the actor clock. In a
// simulated node the timeout fires at exactly its virtual deadline.
func ExampleAsk() {
	w := sim.New(1)
	sys := w.MustNode("n")
	silent, _ := sys.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	_, _ = sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Started); ok {
			start := actors.FromContext(c).Now()
			actors.Ask(c, silent, "anyone?", 250*time.Millisecond, func(reply any, err error) {
				elapsed := actors.FromContext(c).Now().Sub(start)
				fmt.Println(elapsed, err != nil)
			})
		}
	}))
	if _, err := w.Run(); err != nil {
		panic(err)
	}
	_ = w.Close()
	// Output: 250ms true
}

// Timers are messages to the actor itself; Every ticks at a fixed rate.
func ExampleEvery() {
	w := sim.New(1)
	sys := w.MustNode("n")
	_, _ = sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch c.Message().(type) {
		case *actor.Started:
			ticker := actors.Every(c, time.Second, "tick")
			actors.After(c, 3500*time.Millisecond, ticker)
		case string:
			fmt.Println("tick at", actors.FromContext(c).Now().Sub(sim.Epoch))
		case *actors.Timer:
			c.Message().(*actors.Timer).Stop()
		}
	}))
	if _, err := w.Run(); err != nil {
		panic(err)
	}
	_ = w.Close()
	// Output:
	// tick at 1s
	// tick at 2s
	// tick at 3s
}
