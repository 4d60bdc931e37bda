package sim_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
)

// TestOneMessagePerStep: every delivery is its own scheduling step, so
// two actors' messages interleave in every way the seeds choose.
func TestOneMessagePerStep(t *testing.T) {
	orders := map[string]bool{}
	for seed := uint64(1); seed <= 40; seed++ {
		w := sim.New(seed, sim.WithRecording())
		s := w.MustNode("n")
		var order []string
		mk := func(name string) *actor.PID {
			pid, _ := s.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
				if _, ok := c.Message().(int); ok {
					order = append(order, name)
				}
			}), name)
			return pid
		}
		a, b := mk("a"), mk("b")
		for i := 0; i < 3; i++ {
			s.Send(a, i)
			s.Send(b, i)
		}
		if _, err := w.Run(); err != nil {
			t.Fatal(err)
		}
		picks, delivers := 0, 0
		for _, e := range w.Events() {
			switch e.Kind {
			case sim.EventPick:
				picks++
			case sim.EventDeliver:
				delivers++
			}
		}
		if delivers > picks {
			t.Fatalf("seed %d: %d deliveries in %d steps: a step delivered more than one message", seed, delivers, picks)
		}
		orders[strings.Join(order, "")] = true
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// a and b each get 3 messages: C(6,3) = 20 orders are possible.
	if len(orders) < 10 {
		t.Fatalf("40 seeds gave only %d interleavings: %v", len(orders), orders)
	}
}

// TestRunLimits: Until stops at a virtual time (moving the clock there),
// MaxSteps at a step count, UntilTrue at a condition; time only jumps
// when nothing is runnable.
func TestRunLimits(t *testing.T) {
	w := sim.New(1)
	s := w.MustNode("n")
	var ticks []time.Duration
	_, _ = s.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch c.Message().(type) {
		case *actor.Started:
			actors.Every(c, 10*time.Millisecond, "tick")
		case string:
			ticks = append(ticks, w.Now())
		}
	}))
	res, err := w.Run(sim.Until(35 * time.Millisecond))
	if err != nil || res.Reason != sim.TimeLimit || res.Now != 35*time.Millisecond || len(ticks) != 3 {
		t.Fatalf("Until: %+v, %v, ticks %v", res, err, ticks)
	}
	res, err = w.Run(sim.MaxSteps(res.Steps + 2))
	if err != nil || res.Reason != sim.StepLimit {
		t.Fatalf("MaxSteps: %+v, %v", res, err)
	}
	res, err = w.Run(sim.UntilTrue(func() bool { return len(ticks) == 6 }))
	if err != nil || res.Reason != sim.Condition || res.Now != 60*time.Millisecond {
		t.Fatalf("UntilTrue: %+v, %v", res, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	res, err = w.Run(w.For(time.Hour))
	if err != nil || res.Reason != sim.Quiescent || res.Now != 60*time.Millisecond+time.Hour {
		t.Fatalf("idle run: %+v, %v", res, err)
	}
}

// TestWaitDetectsDeadlock: waiting for a reply that can never come fails
// once nothing is left to run, instead of hanging.
func TestWaitDetectsDeadlock(t *testing.T) {
	w := sim.New(1)
	s := w.MustNode("n")
	sink, _ := s.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	_, err := s.Request(context.Background(), sink, "anyone?")
	if err == nil || !strings.Contains(err.Error(), "deadlock") {
		t.Fatalf("Request to a silent actor: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestWaitInsideActorRefused: an actor that blocks on a request (a
// determinism bug) gets an error instead of re-entering the loop.
func TestWaitInsideActorRefused(t *testing.T) {
	w := sim.New(1)
	s := w.MustNode("n")
	echo, _ := s.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(string); ok {
			c.Respond("pong")
		}
	}))
	var got error
	_, _ = s.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Started); ok {
			_, got = s.Request(context.Background(), echo, "ping") // the bug under test
		}
	}))
	if _, err := w.Run(); err != nil {
		t.Fatal(err)
	}
	if got == nil || !strings.Contains(got.Error(), "inside the simulation") {
		t.Fatalf("Request from inside an actor: %v", got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestNodes: nodes have unique names and carry them as PID addresses;
// closing one node's system does not disturb another.
func TestNodes(t *testing.T) {
	w := sim.New(1)
	a := w.MustNode("a")
	b := w.MustNode("b")
	if _, err := w.Node("a"); err == nil {
		t.Fatal("duplicate node name accepted")
	}
	if _, err := w.Node(""); err == nil {
		t.Fatal("empty node name accepted")
	}
	pa, _ := a.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	pb, _ := b.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(string); ok {
			c.Respond("from b")
		}
	}))
	if pa.Address != "a" || pb.Address != "b" {
		t.Fatalf("addresses %q %q", pa.Address, pb.Address)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if reply, err := b.Request(context.Background(), pb, "hi"); err != nil || reply != "from b" {
		t.Fatalf("b after closing a: %v, %v", reply, err)
	}
	if len(w.Nodes()) != 2 {
		t.Fatal("Nodes lost one")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestPanicOutsideActorsFailsRun: a panic in a timer callback (outside
// any actor) ends the run with an error, not a crash.
func TestPanicOutsideActorsFailsRun(t *testing.T) {
	w := sim.New(1)
	w.Clock().AfterFunc(time.Millisecond, func() { panic("device bug") })
	_, err := w.Run()
	if err == nil || !strings.Contains(err.Error(), "device bug") || !strings.Contains(err.Error(), "virtual time 1ms") {
		t.Fatalf("Run = %v", err)
	}
	if _, err2 := w.Run(); err2 == nil {
		t.Fatal("a failed World ran again")
	}
}

func ctxBg() context.Context { return context.Background() }
