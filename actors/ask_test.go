package actors_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
)

type question struct{ n int }
type answer struct{ n int }

func answerer(delay time.Duration) *actor.Props {
	return funcProps(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *question:
			if delay == 0 {
				c.Respond(&answer{m.n * 2})
				return
			}
			// Answer later, from a timer, to the recorded sender.
			actors.After(c, delay, &delayed{to: c.Sender(), n: m.n * 2})
		case *delayed:
			c.Send(m.to, &answer{m.n})
		}
	})
}

type delayed struct {
	to *actor.PID
	n  int
}

// TestAskOutcomesExact: in virtual time, an ask answered in time gets its
// reply at the answer's time, an unanswered one fails with ErrTimeout at
// exactly its deadline, one to a missing actor fails at once with
// ErrNoActor, and a timeout ≤ 0 is refused. No continuation runs twice.
func TestAskOutcomesExact(t *testing.T) {
	w, s := simSystem(t, 7)
	fast, _ := s.SpawnNamed(answerer(0), "fast")
	slow, _ := s.SpawnNamed(answerer(40*time.Millisecond), "slow")
	missing := actor.NewPID("n", "missing")
	var got []string
	record := func(name string, c actor.Context) func(any, error) {
		return func(reply any, err error) {
			switch {
			case err != nil:
				var ae *actors.AskError
				kind := "other"
				switch {
				case errors.Is(err, actors.ErrTimeout):
					kind = "timeout"
				case errors.Is(err, actors.ErrNoActor):
					kind = "noactor"
				case errors.Is(err, actors.ErrBadTimeout):
					kind = "badtimeout"
				}
				if !errors.As(err, &ae) {
					kind += "(not an AskError)"
				}
				got = append(got, fmt.Sprintf("%s:%s@%v", name, kind, since(c)))
			default:
				got = append(got, fmt.Sprintf("%s:%d@%v", name, reply.(*answer).n, since(c)))
			}
		}
	}
	_, err := s.Spawn(funcProps(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Started); ok {
			actors.Ask(c, fast, &question{1}, time.Second, record("fast", c))
			actors.Ask(c, slow, &question{2}, 25*time.Millisecond, record("slow-timeout", c))
			actors.Ask(c, slow, &question{3}, 50*time.Millisecond, record("slow-ok", c))
			actors.Ask(c, missing, &question{4}, time.Second, record("missing", c))
			actors.Ask(c, fast, &question{5}, 0, record("zero", c))
			actors.Ask(c, nil, &question{6}, time.Second, record("nil", c))
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Run(); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"fast:2@0s":                 true,
		"slow-timeout:timeout@25ms": true,
		"slow-ok:6@40ms":            true,
		"missing:noactor@0s":        true,
		"zero:badtimeout@0s":        true,
		"nil:noactor@0s":            true,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d continuations, want %d: %v", len(got), len(want), got)
	}
	for _, g := range got {
		if !want[g] {
			t.Errorf("unexpected %s (all: %v)", g, got)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestAskTimeoutAtDeadlineManySeeds: whatever the interleaving, the
// timeout is observed at exactly the deadline.
func TestAskTimeoutAtDeadlineManySeeds(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		w, s := simSystem(t, seed)
		sink, _ := s.Spawn(funcProps(func(actor.Context) {}))
		var at time.Duration = -1
		for i := 0; i < 3; i++ { // noise actors
			_, _ = s.Spawn(funcProps(func(c actor.Context) {
				if _, ok := c.Message().(*actor.Started); ok {
					actors.Every(c, 3*time.Millisecond, "noise")
				}
			}))
		}
		_, _ = s.Spawn(funcProps(func(c actor.Context) {
			if _, ok := c.Message().(*actor.Started); ok {
				actors.Ask(c, sink, "?", 17*time.Millisecond, func(_ any, err error) {
					if errors.Is(err, actors.ErrTimeout) {
						at = since(c)
					}
				})
			}
		}))
		if _, err := w.Run(sim.Until(30 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if at != 17*time.Millisecond {
			t.Fatalf("seed %d: timeout observed at %v, want exactly 17ms", seed, at)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAskDroppedOnRestart: a reply that arrives after the asking actor
// restarted does not reach the new incarnation.
func TestAskDroppedOnRestart(t *testing.T) {
	w, s := simSystem(t, 9)
	slow, _ := s.Spawn(answerer(20 * time.Millisecond))
	calls := 0
	pid, _ := s.Spawn(funcProps(func(c actor.Context) {
		switch c.Message().(type) {
		case string:
			actors.Ask(c, slow, &question{1}, time.Second, func(any, error) { calls++ })
		case bool:
			panic("restart")
		}
	}))
	s.Send(pid, "ask")
	if _, err := w.Run(sim.Until(10 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	s.Send(pid, true)
	if _, err := w.Run(); err != nil {
		t.Fatal(err)
	}
	if calls != 0 {
		t.Fatalf("continuation of a dead incarnation ran %d times", calls)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestAskReal: the same asks on goroutines, checked by outcome only.
func TestAskReal(t *testing.T) {
	s := realSystem(t)
	fast, _ := s.Spawn(answerer(0))
	sink, _ := s.Spawn(funcProps(func(actor.Context) {}))
	results := make(chan string, 2)
	_, err := s.Spawn(funcProps(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Started); ok {
			actors.Ask(c, fast, &question{21}, testTimeout, func(r any, err error) {
				results <- fmt.Sprint(r, err)
			})
			actors.Ask(c, sink, &question{0}, time.Millisecond, func(r any, err error) {
				results <- fmt.Sprint(errors.Is(err, actors.ErrTimeout))
			})
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{<-results: true, <-results: true}
	if !got["&{42} <nil>"] || !got["true"] {
		t.Fatalf("got %v", got)
	}
}

// TestRequestFromOutside: System.Request works from a test goroutine in a
// real system and, driving the World, in a simulated one; a request to a
// missing actor fails with ErrNoActor.
func TestRequestFromOutside(t *testing.T) {
	real := realSystem(t)
	w, simulated := simSystem(t, 11)
	for name, s := range map[string]*actors.System{"real": real, "sim": simulated} { //detguard:unordered independent subtests
		pid, _ := s.Spawn(answerer(5 * time.Millisecond))
		reply, err := s.Request(ctxT(t), pid, &question{4})
		if err != nil || reply.(*answer).n != 8 {
			t.Errorf("%s: Request = %v, %v", name, reply, err)
		}
		_, err = s.Request(ctxT(t), actor.NewPID(s.ActorSystem().Address(), "nobody"), &question{1})
		if !errors.Is(err, actors.ErrNoActor) {
			t.Errorf("%s: Request to nobody = %v, want ErrNoActor", name, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
