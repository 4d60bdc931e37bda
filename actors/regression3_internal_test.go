package actors

import (
	"context"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// TestRestartHistoryForgetsStoppedActors: the restarts a strategy counts
// for actors that have since stopped (poisoned, not stopped by the
// strategy) do not pile up.
//
// Found in review: an actor's restarts were forgotten only when the
// strategy itself stopped it, so each actor that ever restarted and then
// stopped normally left its entry behind for the System's life (and a
// later actor of its name inherited it).
func TestRestartHistoryForgetsStoppedActors(t *testing.T) {
	strategy := OneForOne(RealClock(), 10, 0, nil).(*oneForOne)
	s := New(WithSupervisor(strategy))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const actors = 5 * minSweep
	for i := range actors {
		stopped := make(chan struct{})
		pid, err := s.Spawn(actor.PropsFromFunc(func(c actor.Context) {
			switch c.Message().(type) {
			case string:
				panic("boom")
			case int:
				c.Respond(i)
			case *actor.Stopped:
				close(stopped)
			}
		}))
		if err != nil {
			t.Fatal(err)
		}
		s.Send(pid, "fail")
		if _, err := s.Request(ctx, pid, 0); err != nil { // after the restart
			t.Fatal(err)
		}
		s.Poison(pid)
		if err := s.Wait(ctx, stopped); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().Restarts; got != actors {
		t.Fatalf("%d restarts, want %d", got, actors)
	}
	h := strategy.history
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.byChild) > minSweep {
		t.Errorf("the restart history holds %d actors after %d restarted once and stopped, want at most %d", len(h.byChild), actors, minSweep)
	}
}
