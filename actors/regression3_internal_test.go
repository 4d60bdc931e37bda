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

// TestConcurrentCloseShutsDownOnce: two Closes that finish together shut
// the protoactor system down once; neither panics.
//
// Found in review: each Close checked that the protoactor system was not
// stopped yet and then shut it down, so two Closes between that check and
// the shutdown both closed protoactor's stopper channel, and the second
// panicked (close of closed channel). Here the second Close runs exactly
// in that window (beforeShutdownHook).
func TestConcurrentCloseShutsDownOnce(t *testing.T) {
	s := New()
	nested := false
	beforeShutdownHook = func() {
		if !nested {
			nested = true
			if err := s.Close(context.Background()); err != nil {
				t.Errorf("the second Close: %v", err)
			}
		}
	}
	defer func() { beforeShutdownHook = nil }()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("Close panicked: %v", r)
		}
	}()
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !nested {
		t.Fatal("the second Close never ran")
	}
	if !s.as.IsStopped() {
		t.Error("the protoactor system is not shut down")
	}
}
