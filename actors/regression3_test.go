package actors_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
)

// TestRestartBudgetNotInheritedByName: an actor spawned under the name of
// one that stopped starts with a full restart budget.
//
// Found in review: restarts were counted by the child's name, so a new
// "db" spawned after the old one was poisoned inherited its restarts and,
// with the budget used up, was stopped at its first failure instead of
// restarted.
func TestRestartBudgetNotInheritedByName(t *testing.T) {
	w := sim.New(5)
	s, err := w.Node("n", actors.WithSupervisor(actors.OneForOne(w.Clock(), 2, time.Minute, nil)))
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.SpawnNamed(boom, "db")
	if err != nil {
		t.Fatal(err)
	}
	s.Send(first, "fail")
	s.Send(first, "fail") // two restarts: the budget is used up
	s.Poison(first)
	if _, err := w.Run(); err != nil {
		t.Fatal(err)
	}
	if s.Live() != 0 {
		t.Fatal("the first db did not stop")
	}
	second, err := s.SpawnNamed(boom, "db")
	if err != nil {
		t.Fatal(err)
	}
	s.Send(second, "fail")
	if _, err := w.Run(); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Restarts != 3 || st.Stops != 0 {
		t.Errorf("stats %+v, want 3 restarts and no stop: the new db's first failure restarts it", st)
	}
	if s.Live() != 1 {
		t.Errorf("%d actors live, want the new db", s.Live())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestRequestWithCancelledContextSendsNothing: a Request whose context has
// already ended fails with the context's error and does not send its
// message: the target never sees it.
//
// Found in review: Request sent the message first and only then noticed
// the context had ended, so the caller was told the request failed while
// the target went on to act on it.
func TestRequestWithCancelledContextSendsNothing(t *testing.T) {
	s := realSystem(t)
	var seen journal
	pid, err := s.Spawn(funcProps(func(c actor.Context) {
		if m, ok := c.Message().(string); ok {
			seen.add(m)
			c.Respond(m)
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.Request(ctx, pid, "cancelled")
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "string") {
		t.Errorf("Request with a cancelled context = %v, want an error naming the request, wrapping context.Canceled", err)
	}
	// A later request from the same sender is queued behind the first.
	if _, err := s.Request(ctxT(t), pid, "live"); err != nil {
		t.Fatal(err)
	}
	if got := seen.all(); len(got) != 1 || got[0] != "live" {
		t.Errorf("the target received %v, want only [live]", got)
	}
}

// registered counts the processes in s's local process table.
func registered(s *actors.System) int {
	n := 0
	for _, m := range s.ActorSystem().ProcessRegistry.LocalPIDs.LocalPIDs {
		n += m.Count()
	}
	return n
}

// TestHelpersInLifecycleHandlersEndWithTheIncarnation: a timer or Ask an
// actor starts while handling Restarting belongs to the incarnation that
// is ending: the new one never receives its tick and the continuation
// never runs. One started while handling Stopped is dropped with the
// actor: an Ask's reply address does not outlive it.
//
// Found in review: the actor's timers and asks were dropped before its
// Restarting and Stopped handlers ran, and not after, so what those
// handlers started survived: the new incarnation got the old one's tick
// and ran its continuation, and a stopped actor's Ask left its reply
// address registered for good.
func TestHelpersInLifecycleHandlersEndWithTheIncarnation(t *testing.T) {
	w, s := simSystem(t, 7)
	sink, err := s.Spawn(funcProps(func(actor.Context) {})) // never answers
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	pid, err := s.Spawn(funcProps(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Restarting:
			actors.After(c, time.Second, "old tick")
			actors.Every(c, time.Second, "old ticks")
			actors.Ask(c, sink, "?", time.Second, func(_ any, err error) { got = append(got, "old continuation") })
		case string:
			got = append(got, m)
			if m == "fail" {
				panic("boom")
			}
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	s.Send(pid, "fail")
	if _, err := w.Run(w.For(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "fail" {
		t.Errorf("the actor got %d messages, starting %q, want only [fail]: nothing of its past incarnation", len(got), got[:min(len(got), 4)])
	}

	before := registered(s)
	stopping, err := s.Spawn(funcProps(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Stopped); ok {
			actors.Ask(c, sink, "?", time.Hour, func(any, error) {})
			actors.After(c, time.Hour, "after stop")
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	s.Poison(stopping)
	if _, err := w.Run(w.For(2 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if after := registered(s); after != before {
		t.Errorf("%d processes registered after the actor stopped, %d before it was spawned: its Ask's reply address is left behind", after, before)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestCloseFromInsideAnActor: Close called from inside an actor does not
// hang for ever: in a real system it returns when its context ends, with
// an error naming the caller, in a simulation at once; either way the
// actors are stopped and a Close from outside then succeeds.
func TestCloseFromInsideAnActor(t *testing.T) {
	t.Run("real", func(t *testing.T) {
		s := actors.New()
		ctx, cancel := context.WithCancel(context.Background())
		entering := make(chan struct{})
		closed := make(chan error, 1)
		pid, err := s.SpawnNamed(funcProps(func(c actor.Context) {
			if _, ok := c.Message().(string); ok {
				close(entering)
				closed <- s.Close(ctx) // the misuse under test
			}
		}), "closer")
		if err != nil {
			t.Fatal(err)
		}
		s.Send(pid, "close")
		<-entering
		cancel()
		if err := <-closed; !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "closer") {
			t.Errorf("Close from inside the actor = %v, want context.Canceled naming closer", err)
		}
		if err := s.Close(ctxT(t)); err != nil {
			t.Fatalf("Close from outside afterwards: %v", err)
		}
	})
	t.Run("sim", func(t *testing.T) {
		w, s := simSystem(t, 2)
		var closeErr error
		pid, err := s.SpawnNamed(funcProps(func(c actor.Context) {
			if _, ok := c.Message().(string); ok {
				closeErr = s.Close(context.Background())
			}
		}), "closer")
		if err != nil {
			t.Fatal(err)
		}
		s.Send(pid, "close")
		if _, err := w.Run(); err != nil {
			t.Fatal(err)
		}
		if closeErr == nil || !strings.Contains(closeErr.Error(), "closer") {
			t.Errorf("Close from inside the actor = %v, want an error naming closer", closeErr)
		}
		if s.Live() != 0 {
			t.Errorf("%d actors live after Close failed, want none", s.Live())
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	})
}
