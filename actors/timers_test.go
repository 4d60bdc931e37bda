package actors_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/eventstream"
)

// since returns the virtual time elapsed in the World, as seen by an actor.
func since(c actor.Context) time.Duration { return actors.FromContext(c).Now().Sub(sim.Epoch) }

// TestAfterExactVirtualTime: After delivers at exactly its deadline, in
// deadline order, and a stopped timer never delivers.
func TestAfterExactVirtualTime(t *testing.T) {
	w, s := simSystem(t, 1)
	var got []string
	_, err := s.Spawn(funcProps(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			actors.After(c, 30*time.Millisecond, "c")
			actors.After(c, 10*time.Millisecond, "a")
			stopped := actors.After(c, 20*time.Millisecond, "never")
			actors.After(c, 20*time.Millisecond, "b")
			if !stopped.Stop() || stopped.Stop() || stopped.Active() {
				got = append(got, "Stop reported wrongly")
			}
		case string:
			got = append(got, fmt.Sprintf("%s@%v", m, since(c)))
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Run(); err != nil {
		t.Fatal(err)
	}
	want := "[a@10ms b@20ms c@30ms]"
	if fmt.Sprint(got) != want {
		t.Fatalf("got %v, want %s", got, want)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestStopAfterFire: stopping a timer whose firing is already queued in
// the mailbox still prevents the delivery.
func TestStopAfterFire(t *testing.T) {
	w, s := simSystem(t, 2)
	var got []string
	var late *actors.Timer
	stopped := false
	_, err := s.Spawn(funcProps(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			// Both fire at 10ms; the stop command was set first, so its
			// firing is queued first and handled while late's is queued.
			actors.After(c, 10*time.Millisecond, 0)
			late = actors.After(c, 10*time.Millisecond, "late")
		case int:
			stopped = late.Stop()
		case string:
			got = append(got, m)
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Run(); err != nil {
		t.Fatal(err)
	}
	if !stopped || len(got) != 0 {
		t.Fatalf("Stop = %v, delivered %v; want true and nothing", stopped, got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestEveryFixedRate: Every ticks at exact multiples of its period, and
// Stop ends it.
func TestEveryFixedRate(t *testing.T) {
	w, s := simSystem(t, 3)
	var ticks []time.Duration
	_, err := s.Spawn(funcProps(func(c actor.Context) {
		switch c.Message().(type) {
		case *actor.Started:
			tk := actors.Every(c, 7*time.Millisecond, "tick")
			actors.After(c, 50*time.Millisecond, tk)
		case string:
			ticks = append(ticks, since(c))
		case *actors.Timer:
			c.Message().(*actors.Timer).Stop()
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.Run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Reason != sim.Quiescent {
		t.Fatalf("run ended by %v: the ticker did not stop", res.Reason)
	}
	if len(ticks) != 7 {
		t.Fatalf("got %d ticks in 50ms at 7ms, want 7: %v", len(ticks), ticks)
	}
	for i, at := range ticks {
		if want := time.Duration(i+1) * 7 * time.Millisecond; at != want {
			t.Errorf("tick %d at %v, want %v", i+1, at, want)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestTimersEndWithTheActor: a stopped actor's timers never fire into dead
// letters, and a restart drops the old incarnation's timers.
func TestTimersEndWithTheActor(t *testing.T) {
	w, s := simSystem(t, 4)
	var got []string
	pid, err := s.Spawn(funcProps(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			actors.After(c, 10*time.Millisecond, "from incarnation")
			actors.Every(c, 3*time.Millisecond, 0)
		case string:
			got = append(got, m)
		case int:
		case bool:
			panic("restart me")
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Run(sim.Until(5 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	s.Send(pid, true) // restart at 5ms: the new incarnation's timer is due at 15ms
	if _, err := w.Run(sim.Until(12 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[]" {
		t.Fatalf("the old incarnation's timer (due 10ms) fired: %v", got)
	}
	if _, err := w.Run(sim.Until(16 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	s.Stop(pid)
	res, err := w.Run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Reason != sim.Quiescent {
		t.Fatalf("timers outlived their actor: run ended by %v", res.Reason)
	}
	if fmt.Sprint(got) != "[from incarnation]" {
		t.Fatalf("got %v", got)
	}
	if dl := s.Stats().DeadLetters; dl != 0 {
		t.Errorf("%d dead letters from timers of a stopped actor", dl)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestTimersReal: the same timers on the wall clock, checked by order.
func TestTimersReal(t *testing.T) {
	s := realSystem(t)
	got := make(chan string, 10)
	_, err := s.Spawn(funcProps(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			actors.After(c, 20*time.Millisecond, "second")
			actors.After(c, time.Millisecond, "first")
			actors.After(c, time.Millisecond, "never").Stop()
		case string:
			got <- m
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := <-got, <-got; a != "first" || b != "second" {
		t.Fatalf("got %s, %s", a, b)
	}
	select {
	case m := <-got:
		t.Fatalf("stopped timer delivered %q", m)
	default:
	}
}

// TestHelpersNeedASystem: using a helper in an actor spawned outside any
// System is reported as that actor's failure, not a crash.
func TestHelpersNeedASystem(t *testing.T) {
	as := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return actors.DiscardLogger() }))
	// protoactor's own dead-letter logger starts a goroutine per burst;
	// a fresh stream keeps the leak check strict for this raw system.
	as.EventStream = eventstream.NewEventStream()
	failed := make(chan any, 1)
	sup := actor.NewOneForOneStrategy(0, 0, func(reason any) actor.Directive {
		failed <- reason
		return actor.StopDirective
	})
	parent := as.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Started); ok {
			c.Spawn(actor.PropsFromFunc(func(c actor.Context) {
				if _, ok := c.Message().(*actor.Started); ok {
					actors.After(c, time.Second, "x")
				}
			}))
		}
	}, actor.WithSupervisor(sup)))
	reason := <-failed
	if err, ok := reason.(error); !ok || !strings.Contains(err.Error(), "not spawned through an actors.System") {
		t.Fatalf("failure reason %v", reason)
	}
	as.Root.Stop(parent)
}
