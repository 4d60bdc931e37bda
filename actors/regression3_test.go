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
